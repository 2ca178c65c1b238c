"""An activity deleted on its platform leaves the store; a run another source still has stays, with that source."""

from __future__ import annotations

from dataclasses import replace

from pose_sync.importer import analyse_fit
from pose_sync.model import SourceRef
from pose_sync.store import QUALITY_FIT, QUALITY_STREAMS, Store
from tests.conftest import sample

RUN = "jimmykane_fit-parser/running-with-developer-data.fit"


def test_a_deleted_activity_leaves_and_a_run_with_another_source_stays(tmp_path):
    [outcome] = analyse_fit(sample(RUN).read_bytes(), SourceRef("file", RUN))
    analysis = outcome.analysis
    with Store.open(tmp_path) as store:
        only_strava = store.save_run(replace(analysis, source=SourceRef("strava", "1")), fit_sha256=None,
                                     quality=QUALITY_STREAMS).run_id
        store.put_item("strava", "1", "done", run_id=only_strava)
        store.schedule_note_check("strava", "1", written_epoch=1.0, due_epoch=2.0)
        assert store.forget_source("strava", "1")
        assert store.count_runs() == 0 and store.get_item("strava", "1") is None
        assert store.get_note_check("strava", "1") is None
        kept = store.save_run(analysis, fit_sha256="a" * 64, quality=QUALITY_FIT).run_id
        store.save_run(replace(analysis, source=SourceRef("strava", "2")), fit_sha256=None, quality=QUALITY_STREAMS)
        assert store.forget_source("strava", "2") and not store.forget_source("strava", "2")
        [run] = store.list_runs()
        assert run.id == kept and {s.platform for s in run.sources} == {"file"}
