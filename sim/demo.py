"""The demo a newcomer sees: a SIMULATED runner's 15 weeks through the real CLI, report, HTML and PNG.

The bundled sample files are real but scattered over years, one run each; a
progression report needs a history. This writes one (seeded, so it is the
same every time) for a simulated runner of known form, as FIT files with the
official FIT SDK encoder (``sim.fitfile``), into a folder of its own, then runs
the real ``pose-sync import`` and ``pose-sync report`` on a data folder and
config of its own: your own store and config are never touched.

The runner: four runs a week (easy, intervals, easy through two paces, long),
volume building by ~4 % a week with a lighter week 9, and a Pose technique
change from week 4 on (the start of the 12-week program), phased in over eight weeks: cadence +6 spm and ground
contact -15 ms at the same pace. The report should find that change at
matched pace, and nothing else.

    python -m sim.demo [--out DIR] [--weeks 15] [--seed 11]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

from sim.history import PlannedRun, simulate_history
from sim.runner import Runner, intervals, paces_ladder, steady

LABEL = "SIMULATED RUNNER (not a real person): seeded data from sim/, written with the FIT SDK encoder"
CHANGE = {"cadence_spm": 6.0, "stance_time_ms": -15.0}
RUNNER = Runner()


def week_pattern(easy_mps: float = 2.9) -> tuple[PlannedRun, ...]:
    """Tuesday easy, Thursday intervals, Saturday easy through two paces, Sunday long (minutes grow weekly)."""
    return (
        PlannedRun(1, "easy", lambda w: steady(easy_mps, 32)),
        PlannedRun(3, "intervals", lambda w: intervals(easy_mps * 1.4, reps=4 + w % 3, easy_mps=easy_mps,
                                                       warmup_min=10)),
        PlannedRun(5, "easy", lambda w: paces_ladder((easy_mps, easy_mps * 1.12), 15)),
        PlannedRun(6, "long", lambda w: steady(easy_mps * 0.96, 50)),
    )


def volume(week: int) -> float:
    return 0.75 if week == 8 else 1.0 + 0.04 * week


def write_history(folder: Path, today: date, weeks: int, seed: int) -> tuple[date, date, int]:
    """The FIT files of the simulated history up to the day before ``today``; (first day, change day, runs).

    ``weeks`` weeks up to this one; the change (and the 12-week program) starts 11 weeks before this
    week, so today is in program week 12 and the weeks before it are the baseline.
    """
    monday = today - timedelta(days=today.weekday())
    first = monday - timedelta(weeks=weeks - 1)
    change_from = max(first + timedelta(weeks=1), monday - timedelta(weeks=11))
    history = simulate_history(RUNNER, first, weeks, seed=seed, pattern=week_pattern(), change=CHANGE,
                               change_from=change_from, change_weeks=8, volume=volume)
    folder.mkdir(parents=True, exist_ok=True)
    count = 0
    for run, kind in zip(history.runs, history.kinds, strict=True):
        if run.start.date() >= today:
            continue
        (folder / f"simulated-{run.start:%Y-%m-%d}-{kind}.fit").write_bytes(run.fit)
        count += 1
    (folder / "README.txt").write_text(
        f"{LABEL}.\n\n{count} runs from {first} of one simulated runner (sim/demo.py, seed {seed}).\n"
        f"Technique change from {change_from}: cadence +6 spm, ground contact -15 ms at the same pace,\n"
        "phased in over eight weeks. Not real data.\n", encoding="utf-8")
    return first, change_from, count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="demo", help="folder for the runs, the store and the report (replaced)")
    parser.add_argument("--weeks", type=int, default=15)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--today", type=date.fromisoformat, default=date.today(), help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    out = Path(options.out).resolve()
    if out.exists():
        shutil.rmtree(out)
    runs = out / "simulated-runs"
    first, change_from, count = write_history(runs, options.today, options.weeks, options.seed)
    config = out / "config.toml"
    config.write_text(
        f"# The demo's own config: the {LABEL.split(':')[0].lower()}.\n"
        f"[athlete]\nmax_heart_rate_bpm = {RUNNER.hr_max_bpm:.0f}\nresting_heart_rate_bpm = {RUNNER.hr_rest_bpm:.0f}\n"
        f"[program]\nstart_date = {change_from.isoformat()}\ntechnique_change = true\n", encoding="utf-8")
    base = [sys.executable, "-m", "pose_sync", "--config", str(config), "--data-dir", str(out / "data")]
    print(f"\n== {LABEL}\n== {count} runs, {first} to {options.today - timedelta(days=1)}, in {runs}\n", flush=True)
    steps = [
        ["import", str(runs)],
        ["report", "--weeks", str(options.weeks), "--today", options.today.isoformat(),
         "--html", str(out / "report.html"), "--png", str(out / "report.png")],
    ]
    for step in steps:
        print(f"$ pose-sync {' '.join(step)}", flush=True)
        done = subprocess.run([*base, *step])
        if done.returncode != 0:
            return done.returncode
    print(f"\n== {LABEL}\n== open {out / 'report.html'} (plots in {out / 'report.png'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
