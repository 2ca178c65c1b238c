"""The fuzzer in CI: a bounded, seeded campaign through the real CLI must give only clean outcomes.

``make fuzz`` runs the long campaign (thousands of mutants); this runs a
fixed slice of it in well under a minute, and checks that the harness itself
can tell a failure when it sees one.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest

from fuzz import mutant, mutants, samples
from fuzz.mutate import KINDS, layout, mutate
from fuzz.run import classify, differential, implausible, run_mutant, workspace

CI_MUTANTS = 240
CI_FIRST_SEED = 14_000
SMALL = 140_000   # bytes: the two largest samples cost a second each through fitparse; a few of them still run
LARGE_MUTANTS = 12


def _campaign(count: int, first_seed: int, pool: dict[str, bytes]) -> tuple[Counter[str], list[str]]:
    counts: Counter[str] = Counter()
    failures: list[str] = []
    with workspace() as (folder, env):
        for m in mutants(count, first_seed, pool):
            result = run_mutant(m, folder, env, timeout_s=20.0)
            counts[result.outcome] += 1
            if result.failed:
                failures.append(f"seed {result.seed} {result.outcome}: {result.sample} [{result.what}] {result.detail}")
    return counts, failures


def test_seeded_mutants_give_only_clean_outcomes_and_the_decoders_agree():
    counts, failures = _campaign(CI_MUTANTS, CI_FIRST_SEED, samples(SMALL))
    large = {k: v for k, v in samples().items() if len(v) > SMALL}
    more, more_failures = _campaign(LARGE_MUTANTS, CI_FIRST_SEED, large)
    counts.update(more)
    assert not failures + more_failures, "\n".join(failures + more_failures)
    assert counts["ok"] > 50 and counts["clean_error"] > 50, counts   # the campaign reached both outcomes


def test_mutants_are_reproducible_from_their_seed_and_cover_every_kind():
    assert mutant(123).data == mutant(123).data and mutant(123).data != mutant(124).data
    data = samples()["dtcooper_python-fitparse/garmin-fenix-5-run.fit"]
    structure = layout(data)
    assert structure.definitions and len(structure.data) > 20
    kinds = {mutate("fenix", data, seed, {}, kind).kind for kind in KINDS for seed in range(3)}
    assert kinds == set(KINDS)


# --- the harness can fail: each outcome is recognised --------------------------------------------


def _ok_record(**changes: object) -> dict:
    record = {"status": "ok", "reason": None, "elapsed_time_s": 3600.0, "moving_time_s": 3500.0,
              "distance_m": 10_000.0, "averages": {"speed_mps": 2.8, "cadence_spm": 172.0},
              "device_averages": {"total_elapsed_time_s": 3600.0, "total_distance_m": 10_000.0}}
    record.update(changes)
    return record


def test_the_classifier_tells_every_failure():
    ok = json.dumps(_ok_record())
    assert classify(0, ok + "\n", "") == ("ok", "")
    assert classify(1, json.dumps({"status": "error", "reason": "truncated FIT file"}), "")[0] == "clean_error"
    assert classify(0, ok, "Traceback (most recent call last):\n  File x\nIndexError: boom\n")[0] == "traceback"
    unexpected = json.dumps({"status": "error", "reason": "unexpected TypeError: '>=' not supported"})
    assert classify(1, unexpected, "")[0] == "unexpected"
    assert classify(0, ok + "\n{not json", "")[0] == "invalid_json"
    assert classify(0, "", "")[0] == "invalid_json"
    glitched = json.dumps(_ok_record(distance_m=42_949_672.8, averages={"speed_mps": 143_644.0}))
    assert classify(0, glitched, "")[0] == "implausible"
    assert classify(1, json.dumps({"status": "error", "reason": "two\nlines"}), "")[0] == "unexpected"


@pytest.mark.parametrize("change, field", [
    ({"elapsed_time_s": 300_229_994.0}, "elapsed_time_s"),
    ({"averages": {"cadence_spm": 510.0}}, "cadence"),
    ({"device_averages": {"total_distance_m": 42_949_672.8, "total_elapsed_time_s": 3600.0}}, "total_distance"),
    ({"moving_time_s": 9000.0}, "exceeds elapsed"),
])
def test_implausible_values_are_named(change, field):
    assert field in implausible(_ok_record(**change))
    assert implausible(_ok_record()) is None


def test_the_differential_check_sees_a_disagreement(monkeypatch):
    import pose_sync.fit.fast as fast

    data = samples()["dtcooper_python-fitparse/garmin-fenix-5-run.fit"]
    assert differential(data) is None
    real = fast.decode_fast

    def off_by_one(blob: bytes):
        tables = real(blob)
        tables.records["heart_rate"] = tables.records["heart_rate"] + 1
        return tables

    monkeypatch.setattr(fast, "decode_fast", off_by_one)
    assert differential(data) == ("disagree", "record field heart_rate")

    def crashes(blob: bytes):
        raise IndexError("index 7 is out of bounds")

    monkeypatch.setattr(fast, "decode_fast", crashes)
    assert differential(data)[0] == "fast_bug"


def test_a_hang_is_caught_by_the_time_limit(monkeypatch):
    import time

    import pose_sync.importer as importer

    def forever(*args: object, **kwargs: object):
        while True:
            time.sleep(0.01)

    monkeypatch.setattr(importer, "decode_fit", forever)
    with workspace() as (folder, env):
        result = run_mutant(mutant(5), folder, env, timeout_s=0.5, check_decoders=False)
    assert result.outcome == "hang"


def test_a_memory_blow_up_is_caught(monkeypatch):
    import numpy as np

    import pose_sync.importer as importer
    from fuzz.run import peak_rss_mb

    def hog(*args: object, **kwargs: object):
        block = np.ones(int((peak_rss_mb() + 300) * 2**20 / 8))   # beyond any earlier peak of this process
        raise ValueError(f"ran out after {block.nbytes} bytes")

    monkeypatch.setattr(importer, "decode_fit", hog)
    with workspace() as (folder, env):
        result = run_mutant(mutant(5), folder, env, memory_limit_mb=100.0, check_decoders=False)
    assert result.outcome == "memory" and "peak RSS grew" in result.detail
