"""``python -m fuzz`` (``make fuzz``): a long seeded campaign, in parallel worker processes.

Prints the outcome counts, the failures (seed, sample, damage, what happened)
and the peak memory; exits 1 when any mutant failed. ``--keep DIR`` writes
the failing mutants there (named by seed) to debug them with
``pose-sync --debug analyze FILE``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from fuzz import mutant, samples
from fuzz.run import DROPPED, MEMORY_LIMIT_MB, OUTCOMES, TIMEOUT_S, Result, run_mutant, workspace

ADDRESS_SPACE_LIMIT = 8 << 30  # a worker that tries to allocate more fails with MemoryError instead of the machine


def _limit_memory() -> None:
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_LIMIT, ADDRESS_SPACE_LIMIT))


def _run_chunk(seeds: list[int], timeout_s: float, memory_limit_mb: float) -> list[Result]:
    with workspace() as (folder, env):
        return [run_mutant(mutant(seed), folder, env, timeout_s, memory_limit_mb) for seed in seeds]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fuzz", description=__doc__.splitlines()[0])
    parser.add_argument("--mutants", type=int, default=5000, help="how many mutants (default 5000)")
    parser.add_argument("--seed", type=int, default=1, help="first seed (default 1); seeds run consecutively")
    parser.add_argument("--seed-of", type=int, help="run only the mutant of this seed")
    parser.add_argument("--jobs", type=int, default=max(1, (os.cpu_count() or 2) - 1), help="worker processes")
    parser.add_argument("--timeout", type=float, default=TIMEOUT_S, help="seconds before a mutant is a hang")
    parser.add_argument("--memory-limit-mb", type=float, default=MEMORY_LIMIT_MB, help="MB of peak growth")
    parser.add_argument("--keep", type=Path, help="write failing mutants into this folder")
    args = parser.parse_args(argv)

    seeds = [args.seed_of] if args.seed_of is not None else list(range(args.seed, args.seed + args.mutants))
    chunks = [seeds[i:i + 25] for i in range(0, len(seeds), 25)]
    print(f"{len(seeds)} mutants of {len(samples())} sample files, {args.jobs} worker(s)", flush=True)
    started = time.perf_counter()
    results: list[Result] = []
    with ProcessPoolExecutor(max_workers=args.jobs, initializer=_limit_memory) as pool:
        futures = [pool.submit(_run_chunk, chunk, args.timeout, args.memory_limit_mb) for chunk in chunks]
        for done, future in enumerate(futures, 1):
            results.extend(future.result())
            if done % 20 == 0:
                print(f"  {len(results)} done", flush=True)
    elapsed = time.perf_counter() - started

    counts = Counter(r.outcome for r in results)
    print(f"\n{len(results)} mutants in {elapsed:.0f} s; peak RSS of a worker "
          f"{max(r.peak_rss_mb for r in results):.0f} MB")
    for outcome in OUTCOMES:
        print(f"  {outcome:13s} {counts[outcome]}")
        if outcome == "ok":
            print(f"    of which {sum(r.detail == DROPPED for r in results)} with {DROPPED}")
    print("  by kind: " + ", ".join(f"{k} {n}" for k, n in sorted(Counter(r.kind for r in results).items())))
    timed = [r.decode_s for r in results if r.decode_s]
    if timed:
        fast, reference = np.array(timed).T
        print(f"  the fast path read {len(timed)} mutants: {reference.sum() / fast.sum():.0f}x the reference's speed"
              f" in total, median {np.median(reference / fast):.0f}x per mutant (same process, same bytes)")
    failed = [r for r in results if r.failed]
    for r in failed:
        print(f"FAIL seed {r.seed} {r.outcome}: {r.sample} [{r.what}] {r.detail}")
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            (args.keep / mutant(r.seed).name).write_bytes(mutant(r.seed).data)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
