"""A running service against the fake Strava: a fresh PostgreSQL schema, the web app in this process,
real `pose-sync worker` processes, and a fake Strava with several athletes behind the TLS proxy.

Skipped with one line when no PostgreSQL server runs.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests import pg
from tests.conftest import sample
from tests.fakes.proxy import PlatformProxy, platform_proxy
from tests.fakes.strava_app import FakeActivity, StravaState, create_app

RUNS = ("jimmykane_fit-parser/running-with-developer-data.fit", "roznet_FitFileParser/running.fit")
SECRETS = ("fake-client-secret", "verify-me-please", "access-token-", "refresh-token-")


@dataclass
class RunningService:
    url: str
    database_url: str
    strava: StravaState
    proxy: PlatformProxy
    env: dict[str, str]
    home: Path
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)

    @property
    def authorize_url(self) -> str:
        return f"http://127.0.0.1:{self.proxy._proxy.backends['www.strava.com']}"  # type: ignore[union-attr]

    def start_worker(self, concurrency: int = 2) -> subprocess.Popen[bytes]:
        log = self.home / f"worker-{len(self.workers)}.log"
        with log.open("wb") as errors:
            process = subprocess.Popen([sys.executable, "-m", "pose_sync", "worker", "--concurrency",
                                        str(concurrency)], env=self.env, stdout=subprocess.DEVNULL, stderr=errors)
        self.workers.append(process)
        self.logs.append(log)
        return process

    def stop_workers(self) -> None:
        for process in self.workers:
            if process.poll() is None:
                process.terminate()
        for process in self.workers:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()

    def add_runs(self, athlete: int, first_id: int, count: int = 2, days_ago: int = 3) -> list[int]:
        ids = []
        for i in range(count):
            start = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=days_ago + i, hours=i)
            self.strava.add(FakeActivity(first_id + i, sample(RUNS[i % len(RUNS)]), start, owner=athlete,
                                         description="My own words."))
            ids.append(first_id + i)
        return ids

    def wait_for(self, condition: Callable[[], bool], timeout: float = 60.0, what: str = "it") -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if condition():
                return
            time.sleep(0.2)
        logs = "\n".join(p.read_text(errors="replace")[-3000:] for p in self.logs if p.exists())
        raise AssertionError(f"{what} did not happen within {timeout:.0f} s\n{logs}")

    def logs_text(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in self.logs if p.exists())


@pytest.fixture
def service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningService]:
    pg.require()
    from cryptography.fernet import Fernet
    from pose_sync_service import jobs
    from pose_sync_service.service import Service, current
    from pose_sync_service.settings import ServiceSettings
    from pose_sync_service.web import create_app as create_web
    from waitress import create_server

    state = StravaState(multi_athlete=True)
    with pg.fresh_schema() as database_url, platform_proxy({"www.strava.com": create_app(state)}, tmp_path) as proxy:
        env = {**os.environ, **proxy.env(), "POSE_SYNC_DATABASE_URL": database_url,
               "POSE_SYNC_SECRET_KEY": "test-session-key-" + "x" * 20, "POSE_SYNC_TOKEN_KEY": Fernet.generate_key()
               .decode(), "POSE_SYNC_HOME": str(tmp_path / "home"), "POSE_SYNC_ADMIN_PASSWORD": "operator-pw",
               "POSE_SYNC_SETTLE_MINUTES": "0", "STRAVA_CLIENT_ID": str(state.client_id),
               "STRAVA_CLIENT_SECRET": state.client_secret, "STRAVA_VERIFY_TOKEN": "verify-me-please",
               "POSE_SYNC_CONFIG": str(tmp_path / "no-config.toml")}
        (tmp_path / "no-config.toml").write_text("")
        server = create_server(lambda e, s: app(e, s), host="127.0.0.1", port=0, threads=8)
        url = f"http://127.0.0.1:{server.effective_port}"  # type: ignore[union-attr]
        env["POSE_SYNC_PUBLIC_URL"] = url
        env["POSE_SYNC_STRAVA_AUTHORIZE_URL"] = \
            f"http://127.0.0.1:{proxy._proxy.backends['www.strava.com']}/oauth/authorize"  # type: ignore[union-attr]
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        current.cache_clear()
        jobs.apply_schema(database_url)
        app = create_web(Service(ServiceSettings.from_env()))
        def serve() -> None:
            with contextlib.suppress(OSError):  # the listening socket closed at teardown under the loop
                server.run()

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        running = RunningService(url, database_url, state, proxy, env, tmp_path)
        try:
            yield running
        finally:
            running.stop_workers()
            server.close()
            app.extensions["pose_sync_jobs"].close()
            current.cache_clear()
