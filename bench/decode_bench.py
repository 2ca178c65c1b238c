"""Decoding and analysing the longest real run: fast path against fitparse, in one run.

The machine is shared and noisy, so figures are medians of several
repetitions and are stated as ratios to fitparse's default decode measured
in the same process, one right after the other.

    python -m bench.decode_bench [--repeat 7] [FILE]
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import fitparse

from pose_sync.analysis import analyse_run
from pose_sync.fit import decode_fit
from pose_sync.fit.fast import decode_fast
from pose_sync.fit.reference import decode_reference
from pose_sync.model import SourceRef

ROOT = Path(__file__).resolve().parents[1]
LONGEST_RUN = ROOT / "samples" / "fit" / "roznet_FitFileParser" / "running.fit"


def median_seconds(work: Callable[[], object], repeat: int) -> float:
    work()  # warm caches and imports
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def peak_mb(work: Callable[[], object]) -> float:
    tracemalloc.start()
    work()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1e6


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", nargs="?", type=Path, default=LONGEST_RUN)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    data = args.file.read_bytes()
    source = SourceRef("file", str(args.file))

    def decode_and_analyse() -> None:
        for activity in decode_fit(data, source).activities:
            if activity.is_run:
                analyse_run(activity)

    cases: list[tuple[str, Callable[[], object]]] = [
        ("fitparse default decode (all messages)", lambda: list(fitparse.FitFile(str(args.file)).get_messages())),
        ("reference decode (fitparse -> tables)", lambda: decode_reference(data)),
        ("fast decode (tables)", lambda: decode_fast(data)),
        ("fast decode + activity model", lambda: decode_fit(data, source)),
        ("fast decode + full analysis", decode_and_analyse),
    ]
    records = decode_fast(data).n_records
    print(f"{args.file.name}: {len(data) / 1e3:.0f} kB, {records} records; median of {args.repeat} runs\n")
    baseline = None
    print(f"{'':42s} {'time':>9s} {'vs fitparse':>12s} {'records/s':>11s} {'peak MB':>8s}")
    for label, work in cases:
        seconds = median_seconds(work, args.repeat)
        baseline = baseline or seconds
        print(f"{label:42s} {seconds * 1000:7.1f} ms {baseline / seconds:10.1f}x {records / seconds:11,.0f}"
              f" {peak_mb(work):8.1f}")


if __name__ == "__main__":
    main()
