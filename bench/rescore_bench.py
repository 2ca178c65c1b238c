"""Re-scoring a large history from the store, end to end.

Builds a store of N two-hour runs (default 2,000) whose original FIT files
were written with Garmin's FIT SDK encoder (20 distinct files with different
paces and form, each run a distinct activity in the store), then times
``pose_sync.rescore.rescore(all_runs=True)`` on W worker processes:
decode each stored file, analyse it, write the new analysis. Prints runs/s
and the ratio to a single process in the same run; peak memory of the parent.

    python -m bench.rescore_bench [--runs 2000] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from pose_sync.fit import sha256_hex
from pose_sync.importer import analyse_fit
from pose_sync.model import SourceRef
from pose_sync.rescore import rescore
from pose_sync.store import QUALITY_FIT, Store
from tests.fitgen import Segment, SyntheticRun

DISTINCT_FILES = 20
TWO_HOURS_S = 7200


def build_store(data_dir: Path, runs: int) -> None:
    """A store with ``runs`` two-hour runs backed by real FIT files in blobs/."""
    templates = []
    for k in range(DISTINCT_FILES):
        speed = 2.6 + 0.06 * k
        run = SyntheticRun([Segment(600, speed - 0.4, cadence_spm=160 + k % 7),
                            Segment(TWO_HOURS_S - 600, speed, cadence_spm=166 + k % 9,
                                    stance_time_ms=270 - 2 * k, heart_rate_bpm=140 + k)], seed=k, gps=True)
        data = run.encode()
        [outcome] = analyse_fit(data, SourceRef("file", f"template-{k}.fit"))
        templates.append((data, outcome.analysis))
    with Store.open(data_dir) as store, store.transaction():
        for data, _ in templates:
            store.put_blob(data, sha256_hex(data))
        for i in range(runs):
            data, analysis = templates[i % DISTINCT_FILES]
            moved = replace(analysis, source=SourceRef("file", f"run-{i}.fit"),
                            start_time=analysis.start_time - timedelta(days=i))
            store.save_run(moved, fit_sha256=sha256_hex(data), quality=QUALITY_FIT)


def timed_rescore(data_dir: Path, workers: int) -> tuple[float, int]:
    """Wall time of one rescore (tracemalloc stays off: it would slow the forked workers too)."""
    started = time.perf_counter()
    with Store.open(data_dir) as store:
        summary = rescore(store, all_runs=True, workers=workers)
    elapsed = time.perf_counter() - started
    assert not summary.failed, summary.failed[:3]
    return elapsed, summary.rescored


def peak_rss_mb() -> tuple[float, float]:
    """Peak resident memory of this process and of its (worker) children so far, in MB."""
    return (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--single-sample", type=int, default=100,
                        help="runs re-scored on one process for the parallel speed-up ratio")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "store"
        started = time.perf_counter()
        build_store(data_dir, args.runs)
        print(f"built a store of {args.runs} two-hour runs in {time.perf_counter() - started:.1f} s")
        elapsed, count = timed_rescore(data_dir, args.workers)
        rate = count / elapsed
        parent, worker = peak_rss_mb()
        print(f"rescore --all: {count} runs in {elapsed:.1f} s on {args.workers} worker(s) = {rate:.1f} runs/s"
              f" (target: {args.runs} in under 60 s); peak RSS parent {parent:.0f} MB, largest worker {worker:.0f} MB")
        small = Path(tmp) / "single"
        build_store(small, args.single_sample)
        one, n1 = timed_rescore(small, 1)
        print(f"same work on 1 process: {n1 / one:.1f} runs/s; parallel speed-up {rate / (n1 / one):.2f}x")


if __name__ == "__main__":
    main()
