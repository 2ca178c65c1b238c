"""Validity checks: simulated runners of known truth fed through the real CLI, measured against that truth.

Each function builds its scenario, writes the FIT files, runs ``pose-sync``
in-process exactly as a user would (``analyze --json``, ``import``,
``report --json``) on a throwaway data folder, and returns the figures. The
tests assert on them; ``python -m bench validity`` prints them, so the next
change to the analysis can be compared with this one.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np

from sim.history import PlannedRun, simulate_history
from sim.runner import Runner, hill_out_and_back, intervals, paces_ladder, simulate_run, steady

PACES = (2.5, 3.0, 3.5, 4.0, 4.5)
TYPICAL = Runner()
START = datetime(2026, 3, 3, 6, 30, tzinfo=timezone.utc)


def run_cli(args: Sequence[str], env: dict[str, str]) -> tuple[int, str]:
    """``pose-sync ARGS`` in this process; (exit code, stdout)."""
    from pose_sync.cli import main

    out = io.StringIO()
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            try:
                main(list(args))
                code = 0
            except SystemExit as exit_:
                code = int(exit_.code or 0)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return code, out.getvalue()


@contextlib.contextmanager
def workspace(config: str = "") -> Iterator[tuple[Path, dict[str, str]]]:
    """A temporary folder with a config file and a data folder, as the CLI's environment."""
    with tempfile.TemporaryDirectory(prefix="pose-sync-sim-") as folder:
        root = Path(folder)
        (root / "config.toml").write_text(config, encoding="utf-8")
        yield root, {"POSE_SYNC_HOME": str(root / "data"), "POSE_SYNC_CONFIG": str(root / "config.toml")}


def analyze(paths: Sequence[Path]) -> list[dict[str, Any]]:
    with workspace() as (_, env):
        code, out = run_cli(["analyze", "--json", *map(str, paths)], env)
    assert code == 0, out
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def _write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


# --- form across paces ---------------------------------------------------------------


@dataclass
class PaceFigures:
    separate_runs: dict[float, float]            # pace -> score of a steady run at that pace
    within_interval_run: dict[float, float]      # band speed -> band score inside one run through the paces

    @property
    def separate_spread(self) -> float:
        return max(self.separate_runs.values()) - min(self.separate_runs.values())

    @property
    def within_spread(self) -> float:
        return max(self.within_interval_run.values()) - min(self.within_interval_run.values())


def form_across_paces(runner: Runner = TYPICAL, seed: int = 1) -> PaceFigures:
    """One runner whose form does not change, at five paces: separate steady runs, and one run through them.

    No day-to-day offsets: the runner's form is the same every day, so any
    spread in the scores is the speed model's (and the sensors' noise).
    """
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        paths = [_write(root, f"steady-{p}.fit",
                        simulate_run(runner, steady(p, 20), START, seed=seed + i, day_effects=False).fit)
                 for i, p in enumerate(PACES)]
        ladder = _write(root, "ladder.fit",
                        simulate_run(runner, paces_ladder(PACES, 6), START, seed=seed, day_effects=False).fit)
        results = analyze(paths + [ladder])
    separate = {p: r["form"]["score"] for p, r in zip(PACES, results[:-1], strict=True)}
    within = {b["speed_mps"]: b["score"] for b in results[-1]["form"]["by_speed"]}
    return PaceFigures(separate, within)


def form_across_paces_with_history(runner: Runner = TYPICAL, seed: int = 1, ladders: int = 3) -> dict[float, float]:
    """Scores of steady runs at five paces once the store holds a few mixed-pace runs of the same runner.

    A single steady run cannot show how *this* runner's form moves with
    speed; after ``import`` of a few runs that span paces, ``rescore --all``
    fits the athlete's own curve and the steady runs are scored against it.
    Returns pace -> stored score.
    """
    from pose_sync.store import Store

    with workspace() as (root, env):
        folder = root / "runs"
        folder.mkdir()
        for k in range(ladders):
            day = START - timedelta(days=7 * (ladders - k))
            _write(folder, f"ladder-{k}.fit", simulate_run(runner, paces_ladder(PACES, 6), day, seed=seed + 10 + k,
                                                           day_effects=False).fit)
        for i, p in enumerate(PACES):
            _write(folder, f"steady-{p}.fit", simulate_run(runner, steady(p, 20), START + timedelta(days=i),
                                                           seed=seed + i, day_effects=False).fit)
        for args in (["import", "--json", str(folder)], ["rescore", "--all"]):
            code, out = run_cli(args, env)
            assert code == 0, out
        with Store.open(root / "data") as store:
            runs = store.list_runs(since=START)
    return {p: r.analysis.form.score for p, r in zip(PACES, runs, strict=True)}


def intervals_by_speed(runner: Runner = TYPICAL, seed: int = 3) -> dict[float, float]:
    """Band scores inside a classic interval session (easy warm-up, 6 x 3 min fast, jog recoveries)."""
    with tempfile.TemporaryDirectory() as folder:
        path = _write(Path(folder), "intervals.fit",
                      simulate_run(runner, intervals(4.3), START, seed=seed, day_effects=False).fit)
        [result] = analyze([path])
    return {b["speed_mps"]: b["score"] for b in result["form"]["by_speed"]}


# --- economy ---------------------------------------------------------------------------


def decoupling(legs_kind: str, drift_pct: float, seed: int = 5) -> float | None:
    """Decoupling (%) the CLI reports for a hilly out-and-back or a flat run with the given cardiac drift."""
    legs = hill_out_and_back(3.0, 50, 5.0) if legs_kind == "hilly" else steady(3.0, 50)
    with tempfile.TemporaryDirectory() as folder:
        path = _write(Path(folder), f"{legs_kind}.fit",
                      simulate_run(Runner(), legs, START, seed=seed, drift_pct=drift_pct).fit)
        [result] = analyze([path])
    economy = result["economy"]
    return None if economy is None else economy["decoupling_pct"]


# --- histories through import and report --------------------------------------------


def four_runs_a_week(minutes: float = 40.0) -> tuple[PlannedRun, ...]:
    """Four equal easy runs a week: constant load."""
    return tuple(PlannedRun(day, "easy", lambda w, m=minutes: steady(2.9, m)) for day in (0, 1, 3, 5))


@dataclass
class ReportFigures:
    weeks: list[dict[str, Any]]
    comparisons: dict[str, dict[str, Any]] = field(default_factory=dict)
    ramp: dict[str, Any] | None = None


def report_of(history_runs: Sequence[Any], today: date, *, config: str = "", weeks: int = 12,
              since: date | None = None) -> ReportFigures:
    """Import the runs of a simulated history, then ``report --json`` as of ``today``."""
    with workspace(config) as (root, env):
        folder = root / "runs"
        folder.mkdir()
        for k, run in enumerate(history_runs):
            _write(folder, f"{run.start:%Y-%m-%d}-{k}.fit", run.fit)
        code, out = run_cli(["import", "--json", str(folder)], env)
        assert code == 0, out
        args = ["report", "--json", "--weeks", str(weeks), "--today", today.isoformat()]
        if since:
            args += ["--since", since.isoformat()]
        code, out = run_cli(args, env)
        assert code == 0, out
    data = json.loads(out)
    return ReportFigures(data["weeks"], {c["metric"]: c for c in data["comparisons"]}, data["ramp"])


TECHNIQUE_CHANGE = "[program]\ntechnique_change = true\n"


def ramp_new_runner(weeks: int = 6, spike_week: int | None = None, seed: int = 2) -> ReportFigures:
    """A new runner, 4 x 40 min a week at constant intensity (optionally twice the volume in one week)."""
    history = simulate_history(Runner(), START.date(), weeks, seed=seed, pattern=four_runs_a_week(),
                               volume=lambda w: 2.0 if w == spike_week else 1.0)
    last = START.date() + timedelta(weeks=weeks) - timedelta(days=START.date().weekday() + 1)
    return report_of(history.runs, last, config=TECHNIQUE_CHANGE, weeks=weeks)


def ramp_after_a_break(weeks_on: int = 6, weeks_off: int = 6, seed: int = 4) -> ReportFigures:
    """Training, six weeks off, then one easy run back: the report on the day of that run."""
    history = simulate_history(Runner(), START.date(), weeks_on, seed=seed, pattern=four_runs_a_week())
    back = START.date() + timedelta(weeks=weeks_on + weeks_off)
    comeback = simulate_run(Runner(), steady(2.9, 30), datetime.combine(back, time(7), tzinfo=timezone.utc),
                            seed=seed)
    return report_of([*history.runs, comeback], back, config=TECHNIQUE_CHANGE, weeks=2)


# --- before / after ----------------------------------------------------------------


CHANGE = {"cadence_spm": 6.0, "stance_time_ms": -15.0}


def varied_week(base: float = 2.9) -> tuple[PlannedRun, ...]:
    """Three short runs a week at the runner's usual mix of paces (so matched-pace bands overlap)."""
    return (PlannedRun(1, "easy", lambda w: steady(base, 12)),
            PlannedRun(3, "steady", lambda w: paces_ladder((base, base * 1.12), 6)),
            PlannedRun(6, "long", lambda w: steady(base * 0.97, 16)))


def before_after(seed: int, weeks: int = 8) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """One runner's history without and with +6 spm cadence and -15 ms contact from its middle.

    Returns the report's comparisons for both (the runs before the date are
    the same runs in both histories).
    """
    since = START.date() + timedelta(weeks=weeks // 2)
    today = START.date() + timedelta(weeks=weeks)
    same = simulate_history(Runner(), START.date(), weeks, seed=seed, pattern=varied_week())
    after = simulate_history(Runner(), START.date(), weeks, seed=seed, pattern=varied_week(),
                             change=CHANGE, change_from=since, only_from=since)
    before = [r for r in same.runs if r.start.date() < since]
    return (report_of(same.runs, today, weeks=weeks, since=since).comparisons,
            report_of(before + after.runs, today, weeks=weeks, since=since).comparisons)


def claimed(comparison: dict[str, Any]) -> bool:
    return comparison["verdict"] in ("better", "worse", "changed")


def strava_streams(run: Any) -> dict[str, dict[str, list[Any]]]:
    """The streams Strava would serve for a simulated run (cadence per leg, whole numbers, as Strava has it)."""
    cols = run.columns
    n = len(cols["speed_mps"])
    streams: dict[str, list[Any]] = {
        "time": list(range(n)), "distance": [round(float(d), 1) for d in cols["distance_m"]],
        "velocity_smooth": [round(float(v), 3) for v in cols["speed_mps"]],
        "altitude": [round(float(a), 1) for a in cols["altitude_m"]],
        "cadence": [int(round(c / 2)) for c in cols["cadence_spm"]],
        "moving": [bool(v > 0.5) for v in cols["speed_mps"]],
    }
    if "heart_rate_bpm" in cols:
        streams["heartrate"] = [int(round(h)) for h in cols["heart_rate_bpm"]]
    return {key: {"data": values} for key, values in streams.items()}


def spearman(x: Sequence[float], y: Sequence[float]) -> float:
    rx, ry = np.argsort(np.argsort(x)), np.argsort(np.argsort(y))
    return float(np.corrcoef(rx, ry)[0, 1])
