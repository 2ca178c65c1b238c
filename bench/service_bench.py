"""The service under load on this machine: 300 athletes, 1,000 webhook events in 60 s (duplicates included),
2 web and 2 worker processes on a real PostgreSQL, a fake Strava that answers 429 past its limits.

Prints: the answer times of the webhook (every one must be under Strava's 2 s), how long until every run was
noted, notes written per activity (exactly once each), the fake's 429 count (must be 0) and the shared budget.
A second, short phase gives the application a tiny budget and shows the workers stop short of it, with the
held-back work waiting for the next window instead of a 429.

    python -m bench service [--athletes 300] [--events 1000] [--seconds 60]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests

from pose_sync.notes.block import BEGIN
from tests import pg
from tests.conftest import sample
from tests.fakes.proxy import platform_proxy
from tests.fakes.strava_app import FakeActivity, StravaState, create_app
from tests.service.web_client import event

RUNS = ("jimmykane_fit-parser/running-with-developer-data.fit", "roznet_FitFileParser/running.fit")
FIRST_ATHLETE = 500000


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(database_url: str, proxy_env: dict[str, str], home: Path, state: StravaState) -> dict[str, str]:
    from cryptography.fernet import Fernet

    return {**os.environ, **proxy_env, "POSE_SYNC_DATABASE_URL": database_url,
            "POSE_SYNC_SECRET_KEY": "bench-" + "k" * 32, "POSE_SYNC_TOKEN_KEY": Fernet.generate_key().decode(),
            "POSE_SYNC_HOME": str(home), "POSE_SYNC_SETTLE_MINUTES": "0", "POSE_SYNC_LOG_LEVEL": "WARNING",
            "STRAVA_CLIENT_ID": str(state.client_id), "STRAVA_CLIENT_SECRET": state.client_secret,
            "STRAVA_VERIFY_TOKEN": "bench-verify", "POSE_SYNC_CONFIG": str(home / "none.toml"),
            "POSE_SYNC_WORKER_CONCURRENCY": "4"}


def _athletes(state: StravaState, env: dict[str, str], count: int) -> list[int]:
    """Athletes connected already (their tokens in the database, sealed; the fake knows them)."""
    from pose_sync_service.athletes import Athletes
    from pose_sync_service.settings import ServiceSettings
    from pose_sync_strava.tokens import StravaTokens

    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        athletes = Athletes(ServiceSettings.from_env())
        ids = []
        for n in range(count):
            strava_id = FIRST_ATHLETE + n
            access, refresh = f"bench-access-{n}", f"bench-refresh-{n}"
            state.access_tokens.add(access)
            state.refresh_tokens.add(refresh)
            state.token_athletes.update({access: strava_id, refresh: strava_id})
            athletes.connect_strava(StravaTokens(access, refresh, int(time.time()) + 6 * 3600, strava_id,
                                                 f"Runner {n}", "read,activity:write,activity:read_all"))
            ids.append(strava_id)
        return ids
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _wait_http(url: str, timeout: float = 60.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if requests.get(f"{url}/healthz", timeout=1, proxies={"http": "", "https": ""}).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise SystemExit(f"the web process at {url} did not start")


def run(athletes: int, events: int, seconds: float, limits: tuple[int, int], label: str,
        patience_s: float = 90.0) -> dict[str, float]:
    import logging

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    reason = pg.unavailable()
    if reason:
        print(f"  skipped: {reason}")
        return {}
    state = StravaState(multi_athlete=True, limits=limits, read_limits=limits)
    with tempfile.TemporaryDirectory() as tmp, pg.fresh_schema() as database_url, \
            platform_proxy({"www.strava.com": create_app(state)}, Path(tmp)) as proxy:
        home = Path(tmp) / "home"
        home.mkdir()
        (home / "none.toml").write_text("")
        env = _env(database_url, proxy.env(), home, state)
        from pose_sync_service import jobs

        jobs.apply_schema(database_url)
        owners = _athletes(state, env, athletes)
        # The activities: each athlete a few recent runs; events are creates, with a share sent twice or followed
        # by an update (as Strava does), in a random order over the window.
        import random

        rng = random.Random(7)
        distinct = int(events * 0.7)
        activity_ids = []
        for n in range(distinct):
            owner = owners[n % len(owners)]
            start = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=1 + n // len(owners),
                                                                                  hours=n % 5)
            activity_id = 7_000_000 + n
            state.add(FakeActivity(activity_id, sample(RUNS[n % 2]), start, owner=owner, description="Legs ok."))
            activity_ids.append((owner, activity_id))
        bodies = [event(o, a) for o, a in activity_ids]
        extra = [rng.choice(activity_ids) for _ in range(events - distinct)]
        bodies += [event(o, a) if rng.random() < 0.6 else event(o, a, "update", type="Run") for o, a in extra]
        rng.shuffle(bodies)

        ports = [_free_port(), _free_port()]
        logs = []
        processes = []
        for port in ports:
            log = open(home / f"web-{port}.log", "wb")  # noqa: SIM115 - closed below
            logs.append(log)
            processes.append(subprocess.Popen([sys.executable, "-m", "pose_sync", "serve", "--service", "--host",
                                               "127.0.0.1", "--port", str(port)], env={
                **env, "POSE_SYNC_PUBLIC_URL": f"http://127.0.0.1:{port}"}, stdout=log, stderr=log))
        for port in ports:
            _wait_http(f"http://127.0.0.1:{port}")
        for n in range(2):
            log = open(home / f"worker-{n}.log", "wb")  # noqa: SIM115 - closed below
            logs.append(log)
            processes.append(subprocess.Popen([sys.executable, "-m", "pose_sync", "worker"], env=env,
                                              stdout=log, stderr=log))
        latencies: list[float] = []
        statuses: dict[str, int] = {}
        lock = threading.Lock()
        session = requests.Session()
        session.trust_env = False

        def send(i: int, body: dict) -> None:
            url = f"http://127.0.0.1:{ports[i % 2]}/webhook"
            sent = time.perf_counter()
            answer = session.post(url, json=body, timeout=10)
            took = time.perf_counter() - sent
            with lock:
                latencies.append(took)
                key = f"{answer.status_code} {answer.json().get('status', '')}"
                statuses[key] = statuses.get(key, 0) + 1

        started = time.time()
        with ThreadPoolExecutor(max_workers=32) as pool:
            for i, body in enumerate(bodies):
                delay = started + i * seconds / len(bodies) - time.time()
                if delay > 0:
                    time.sleep(delay)
                pool.submit(send, i, body)
        sent_s = time.time() - started
        wanted = {a for _, a in activity_ids}
        last, progress = -1, time.time()
        while not wanted <= set(state.writes) and time.time() - progress < patience_s:  # no progress: stop waiting
            if len(state.writes) != last:
                last, progress = len(state.writes), time.time()
            time.sleep(0.5)
        drained_s = time.time() - started
        noted = wanted & set(state.writes)
        twice = sum(1 for a in wanted if state.writes.count(a) > 1)
        blocks_ok = all(state.activities[a].description.count(BEGIN) == 1 for a in noted)
        from pose_sync_service.budget import SharedBudget

        budget = SharedBudget(database_url).state() or {}
        over = sum(1 for line in state.log if line.startswith("GET /api") or line.startswith("PUT /api"))
        latencies.sort()
        print(f"  {label}: {athletes} athletes, {len(bodies)} events ({distinct} activities) sent in {sent_s:.0f} s"
              f" to 2 web processes, 2 worker processes")
        print(f"  webhook answers: median {statistics.median(latencies) * 1000:.0f} ms, p99"
              f" {latencies[int(len(latencies) * 0.99) - 1] * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms"
              f" ({sum(1 for x in latencies if x >= 2.0)} at 2 s or more); {statuses}")
        print(f"  noted: {len(noted)}/{len(wanted)} activities after {drained_s:.0f} s; written twice: {twice};"
              f" one note block each: {blocks_ok}")
        print(f"  Strava: {over} API requests ({over / max(len(noted), 1):.1f} a run), fake's 15-minute usage"
              f" {state.usage[0]}/{limits[0]}, answered 429: {state.refused}; shared budget {budget.get('short_usage')}"
              f"/{budget.get('short_limit')}, requests held back by it: {budget.get('refused')}")
        stopping = time.time()
        for process in processes:
            process.terminate()   # graceful: a worker finishes the job in hand
        for process in processes:
            try:
                process.wait(timeout=180)
            except subprocess.TimeoutExpired:
                process.kill()
        print(f"  graceful stop of 2 web + 2 workers: {time.time() - stopping:.0f} s")
        for log in logs:
            log.close()
        return {"noted": len(noted), "wanted": len(wanted), "max_latency": latencies[-1], "twice": twice,
                "refused": state.refused}


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="bench service")
    parser.add_argument("--athletes", type=int, default=300)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args(argv)
    run(args.athletes, args.events, args.seconds, (10000, 100000), "load")
    # An application with a tiny budget: the workers must stop short of it (no 429), the rest waits its window.
    run(20, 100, 10, (100, 1000), "tiny budget (100 requests / 15 min)", patience_s=20)


if __name__ == "__main__":
    main(sys.argv[1:])
