"""The progression report over five years of history, computed from stored per-run analyses.

Stores ~1,500 synthetic runs (six a week for five years, each with the speed
bands and histograms a real analysis keeps) in a temporary SQLite store,
then times each stage of `pose-sync report --weeks 260 --html`: loading the
runs, building the report (load, ramp, trends, intensity, shoes) and
rendering the plots and HTML. Nothing is decoded: the report never needs
the original files.

    python -m bench.report_bench [--years 5]
"""

from __future__ import annotations

import argparse
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from pose_sync.config import Config
from pose_sync.progression.html import render_html
from pose_sync.progression.plots import figure_png
from pose_sync.progression.report import build_report
from pose_sync.store import QUALITY_FIT, Store
from tests.progression.factory import run


def history(years: int, end: date) -> list:
    runs = []
    day = end - timedelta(days=365 * years)
    k = 0
    while day <= end:
        if day.weekday() != 0:  # six runs a week
            long_run = day.weekday() == 6
            runs.append(run(day, minutes=75 if long_run else 40 + k % 15, speed=2.8 + 0.1 * (k % 7),
                            hr=140 + k % 25, cadence=160 + (k % 40) / 4, contact=270 - (k % 40) / 2,
                            score=30 + k % 40, bands={2.75: 600.0, 3.0: 1200.0, 3.25: 600.0}))
            k += 1
        day += timedelta(days=1)
    return runs


def timed(label: str, work: Callable[[], Any]) -> Any:
    started = time.perf_counter()
    result = work()
    print(f"  {label:44s} {time.perf_counter() - started:7.3f} s")
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--years", type=int, default=5)
    args = parser.parse_args(argv)
    end = date(2026, 11, 22)
    config = Config.model_validate({"program": {"start_date": (end - timedelta(weeks=10)).isoformat()},
                                    "athlete": {"max_heart_rate_bpm": 190, "resting_heart_rate_bpm": 50}})
    with tempfile.TemporaryDirectory() as tmp:
        with Store.open(Path(tmp)) as store, store.transaction():
            for analysis in history(args.years, end):
                store.save_run(analysis, fit_sha256=None, quality=QUALITY_FIT)
        with Store.open(Path(tmp)) as store:
            print(f"report over {store.count_runs()} stored runs ({args.years} years):")
            stored = timed("load stored analyses (SQLite + JSON)", store.list_runs)
            report = timed("build report, 260 weeks (pure Python/numpy)",
                           lambda: build_report([(r.analysis, r.gear_id) for r in stored], {}, config, end,
                                                weeks=52 * args.years))
            png = timed("plots (matplotlib PNG)", lambda: figure_png(report))
            timed("HTML page", lambda: render_html(report, png))
            tracemalloc.start()
            build_report([(r.analysis, r.gear_id) for r in stored], {}, config, end, weeks=52 * args.years)
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            print(f"  peak memory of building the report: {peak / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
