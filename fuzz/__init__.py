"""A seeded mutation fuzzer for the FIT decoders, run through the real CLI.

``make fuzz`` (``python -m fuzz``) runs a long campaign and prints the outcome
counts; ``tests/fit/test_fuzz.py`` runs a bounded one in CI. Mutants are made
from the real files in ``samples/fit`` (:mod:`fuzz.mutate`), analysed with
``pose-sync analyze --json`` in-process and classified (:mod:`fuzz.run`); a
differential check compares the fast and reference decoders on every mutant
both accept. A mutant is reproduced from its seed alone:
``python -m fuzz --seed-of SEED --keep DIR`` writes it out.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from fuzz.mutate import Mutant, mutate

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "fit"


@cache
def samples(max_bytes: int | None = None) -> dict[str, bytes]:
    """The real sample files by their path under samples/fit (optionally only the smaller ones)."""
    found = {str(p.relative_to(SAMPLES)): p.read_bytes() for p in sorted(SAMPLES.rglob("*.fit"))}
    return {k: v for k, v in found.items() if max_bytes is None or len(v) <= max_bytes}


def mutant(seed: int, pool: dict[str, bytes] | None = None) -> Mutant:
    """The mutant of this seed: the seed picks the sample, the kind and the damage."""
    pool = pool if pool is not None else samples()
    name = random.Random(seed).choice(sorted(pool))
    return mutate(name, pool[name], seed, pool)


def mutants(count: int, first_seed: int = 0, pool: dict[str, bytes] | None = None) -> Iterator[Mutant]:
    for seed in range(first_seed, first_seed + count):
        yield mutant(seed, pool)
