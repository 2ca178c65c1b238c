"""Re-scoring history from stored files and samples, in parallel, with identical results."""

from __future__ import annotations

import json

import pytest

from pose_sync.analysis import ANALYSIS_VERSION
from pose_sync.importer import store_fit
from pose_sync.model import SourceRef
from pose_sync.rescore import rescore
from pose_sync.store import Store
from pose_sync.sync import Pipeline
from tests.conftest import NO_SETTLE, sample
from tests.fakes.memory_platform import MemoryPlatform

# In start order: an import in start order scores each run with the speed curve of the runs before it,
# which is exactly what a re-score computes from the whole history.
FILES = ["dtcooper_python-fitparse/activity-small-fenix2-run.fit",
         "dtcooper_python-fitparse/sample_mulitple_header.fit",
         "jimmykane_fit-parser/running-with-developer-data.fit", "jimmykane_fit-parser/garmin-stamina.fit"]


@pytest.fixture
def store(tmp_path):
    with Store.open(tmp_path / "d") as s:
        for name in FILES:
            store_fit(s, sample(name).read_bytes(), SourceRef("file", name))
        yield s


def _age_and_tamper(store: Store) -> dict[int, object]:
    """Pretend every run was scored by an older version with different scores."""
    truth = {}
    for run in store.list_runs():
        truth[run.id] = run.analysis
        data = json.loads(store.conn.execute("SELECT analysis_json FROM runs WHERE id=?", (run.id,)).fetchone()[0])
        data["form"]["score"] = 1.0
        data["analysis_version"] = 0
        store.conn.execute("UPDATE runs SET analysis_json=?, analysis_version=0 WHERE id=?", (json.dumps(data), run.id))
    return truth


@pytest.mark.parametrize("workers", [1, 2])
def test_rescore_recomputes_stale_runs_exactly(store, workers):
    truth = _age_and_tamper(store)
    summary = rescore(store, workers=workers)
    assert summary.rescored == len(FILES) and summary.failed == [] and summary.changed == len(FILES)
    for run in store.list_runs():
        assert run.analysis == truth[run.id]
        assert run.analysis.analysis_version == ANALYSIS_VERSION
    assert rescore(store, workers=workers).rescored == 0  # nothing stale any more


def test_runs_without_an_original_file_rescore_from_their_samples(tmp_path):
    platform = MemoryPlatform.create(tmp_path / "p.json", [{
        "id": "7", "fit": str(sample(FILES[0])), "start_time": "2018-06-14T14:55:22+00:00", "distance_m": 5383.19,
        "description": "", "sport": "running"}], name="strava", source_quality=1, as_streams=True)
    with Store.open(tmp_path / "d") as store:
        Pipeline(store, NO_SETTLE, echo=lambda _: None).sync(platform)
        [run] = store.list_runs()
        assert run.fit_sha256 is None and run.samples_sha256
        truth = _age_and_tamper(store)
        summary = rescore(store, workers=1)
        assert summary.rescored == 1 and store.get_run(run.id).analysis == truth[run.id]


def test_a_missing_file_is_reported_not_fatal(store):
    _age_and_tamper(store)
    victim = store.list_runs()[0]
    store.blob_path(victim.fit_sha256).unlink()
    summary = rescore(store, workers=1)
    assert summary.rescored == len(FILES) - 1 and summary.skipped == 1


def test_rescore_all_scores_every_run_with_the_runs_before_it_whatever_the_import_order(tmp_path, store):
    chronological = {r.analysis.start_time: r.analysis for r in store.list_runs()}
    with Store.open(tmp_path / "reversed") as other:
        for name in reversed(FILES):
            store_fit(other, sample(name).read_bytes(), SourceRef("file", name))
        imported = {r.analysis.start_time: r.analysis.form for r in other.list_runs()}
        assert imported != {t: a.form for t, a in chronological.items()}  # order mattered at import...
        rescore(other, all_runs=True, workers=1)
        # ...and a re-score makes every run what a chronological import gives
        assert {r.analysis.start_time: r.analysis.form for r in other.list_runs()} == \
            {t: a.form for t, a in chronological.items()}
