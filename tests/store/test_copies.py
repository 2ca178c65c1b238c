"""One run, several copies: the better copy wins, and a copy shifted by a time zone is the same run.

The copies are written from the same simulated run (same samples, so the same
distance and duration), as different tools would write them.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from pose_sync.importer import store_fit
from pose_sync.model import SourceRef
from pose_sync.store import Store
from sim import Runner, simulate_run, write_fit
from sim.runner import steady

START = datetime(2026, 4, 7, 6, 30, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def run():
    return simulate_run(Runner(), steady(3.1, 30), START, seed=11)


def _import(store: Store, data: bytes, name: str):
    [outcome] = store_fit(store, data, SourceRef("file", name))
    return outcome


def test_a_copy_with_native_dynamics_replaces_a_stryd_only_copy(tmp_path, run):
    native = write_fit(run.columns, START)
    stryd_only = write_fit(run.columns, START, stryd=True)
    with Store.open(tmp_path / "a") as store:
        first = _import(store, stryd_only, "stryd.fit")
        assert first.analysis.form.inputs == ("cadence_spm",)
        better = _import(store, native, "watch.fit")
        assert better.stored == "upgraded" and better.run_id == first.run_id
        [kept] = store.list_runs()
        assert "stance_time_ms" in kept.analysis.form.components and len(kept.sources) == 2
    with Store.open(tmp_path / "b") as store:   # the other way round the native copy stays
        _import(store, native, "watch.fit")
        poorer = _import(store, stryd_only, "stryd.fit")
        assert poorer.stored == "linked"
        [kept] = store.list_runs()
        assert "stance_time_ms" in kept.analysis.form.components


@pytest.mark.parametrize("hours", [2, -5, 5.5])
def test_copies_whose_starts_differ_by_a_time_zone_are_one_run(tmp_path, run, hours):
    with Store.open(tmp_path / "s") as store:
        utc = _import(store, write_fit(run.columns, START), "utc.fit")
        local = _import(store, write_fit(run.columns, START + timedelta(hours=hours)), "local-as-utc.fit")
        assert local.run_id == utc.run_id and local.stored == "linked"
        assert store.count_runs() == 1


def test_a_different_run_two_hours_later_is_its_own_run(tmp_path, run):
    other = simulate_run(Runner(), steady(3.1, 33), START + timedelta(hours=2), seed=12)
    with Store.open(tmp_path / "s") as store:
        _import(store, write_fit(run.columns, START), "morning.fit")
        _import(store, other.fit, "later.fit")
        assert store.count_runs() == 2
