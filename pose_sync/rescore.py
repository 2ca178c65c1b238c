"""Re-scoring history after the analysis changed, without going back to the platforms.

Every stored run keeps its original FIT file (or, for platform streams, its
columnar samples) under a content hash, so a new analysis is a local, pure
recomputation: decode, analyse, replace. Work is spread over processes (the
analysis is CPU-bound and per run independent); the parent process alone
writes to SQLite, in batches, so a crash leaves every run either fully old or
fully new.

Each run is scored with the athlete's speed curve from the runs before it
(``analysis.speed_curve``). That evidence comes from the runs' bands, which an
older analysis may not have or may have computed differently, so stale runs
are first analysed on the population prior to collect their bands, and then
scored with the curve; runs already on the current analysis lend their
stored bands.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from pose_sync.analysis import ANALYSIS_VERSION, analyse_run
from pose_sync.analysis.speed_curve import PRIOR, CurveHistory, SpeedCurves
from pose_sync.fit import decode_fit
from pose_sync.importer import OK, analyse_decoded
from pose_sync.model import Activity, RunAnalysis
from pose_sync.store.codec import analysis_from_json, analysis_to_json
from pose_sync.store.samples import samples_from_bytes

if TYPE_CHECKING:
    from pose_sync.store import Store

BATCH = 200


@dataclass(frozen=True)
class Job:
    """What a worker needs for one run: file paths and the stored analysis (for its metadata)."""

    run_id: int
    fit_path: str | None
    samples_path: str | None
    analysis_json: str
    curves: SpeedCurves = PRIOR


@dataclass(frozen=True)
class RescoreSummary:
    rescored: int
    changed: int
    failed: list[tuple[int, str]]
    skipped: int


def _rescore(job: Job) -> tuple[int, str | None, str | None]:
    """In a worker: (run id, new analysis JSON or None, error or None)."""
    old = analysis_from_json(job.analysis_json)
    try:
        if job.fit_path is not None:
            data = Path(job.fit_path).read_bytes()
            outcomes = analyse_decoded(decode_fit(data, old.source), old.source, lambda _start: job.curves)
            match = [o for o in outcomes if o.status == OK and o.source.session_index == old.source.session_index]
            if not match or match[0].analysis is None:
                return job.run_id, None, "the stored file no longer yields this run"
            new = match[0].analysis
        else:
            assert job.samples_path is not None
            samples = samples_from_bytes(Path(job.samples_path).read_bytes())
            activity = Activity(source=old.source, sport=old.sport, sub_sport=old.sub_sport,
                                start_time=old.start_time, samples=samples, device=old.device,
                                device_summary=old.device_summary, sources=dict(old.sources),
                                averages_over=old.averages_over)
            new = analyse_run(activity, job.curves)
        return job.run_id, analysis_to_json(replace(new, source=old.source)), None
    except Exception as exc:  # one bad file must not stop the rest
        return job.run_id, None, f"{type(exc).__name__}: {exc}"


def jobs(store: Store, *, all_runs: bool) -> tuple[list[Job], int]:
    """Runs to re-score (stale ones, or all), and how many have no material to re-score from."""
    found: list[Job] = []
    without = 0
    for run_id, fit_sha256, samples_sha256, analysis_json, analysis_version in store.run_materials():
        if not all_runs and analysis_version >= ANALYSIS_VERSION:
            continue
        fit = store.blob_path(fit_sha256) if fit_sha256 else None
        npz = store.blob_path(samples_sha256, ".npz") if samples_sha256 else None
        if fit is not None and fit.exists():
            found.append(Job(run_id, str(fit), None, analysis_json))
        elif npz is not None and npz.exists():
            found.append(Job(run_id, None, str(npz), analysis_json))
        else:
            without += 1
    return found, without


def _results(todo: list[Job], workers: int) -> Iterator[tuple[int, str | None, str | None]]:
    if workers <= 1 or len(todo) < 4:
        yield from map(_rescore, todo)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(_rescore, todo, chunksize=max(1, min(32, len(todo) // (workers * 8))))


def _with_curves(store: Store, todo: list[Job], workers: int) -> list[Job]:
    """The jobs again, each with the speed-curve evidence of the runs before its run."""
    stale = [job for job in todo if analysis_from_json(job.analysis_json).analysis_version < ANALYSIS_VERSION]
    fresh_bands = {run_id: analysis_from_json(text).form.by_speed
                   for run_id, text, _ in _results(stale, workers) if text is not None}
    history = CurveHistory()
    for run in store.list_runs():
        bands = fresh_bands.get(run.id, run.analysis.form.by_speed)
        history.add(run.analysis.start_time.timestamp(), run.id, bands)
    starts = {run.id: run.analysis.start_time.timestamp() for run in store.list_runs()}
    return [replace(job, curves=history.before(starts[job.run_id])) for job in todo]


def rescore(store: Store, *, all_runs: bool = False, workers: int | None = None,
            on_total: Callable[[int], None] | None = None,
            on_done: Callable[[], None] | None = None) -> RescoreSummary:
    todo, without = jobs(store, all_runs=all_runs)
    if on_total:
        on_total(len(todo))
    workers = workers or os.cpu_count() or 1
    todo = _with_curves(store, todo, workers)
    old_scores = {job.run_id: analysis_from_json(job.analysis_json).form.score for job in todo}
    failed: list[tuple[int, str]] = []
    pending: list[tuple[int, RunAnalysis]] = []
    changed = rescored = 0

    def flush() -> None:
        with store.transaction():
            for run_id, analysis in pending:
                store.replace_analysis(run_id, analysis)
        pending.clear()

    for run_id, text, error in _results(todo, workers):
        if text is None:
            failed.append((run_id, error or "failed"))
        else:
            analysis = analysis_from_json(text)
            pending.append((run_id, analysis))
            rescored += 1
            changed += analysis.form.score != old_scores[run_id]
            if len(pending) >= BATCH:
                flush()
        if on_done:
            on_done()
    if pending:
        flush()
    return RescoreSummary(rescored, changed, failed, without)
