"""From FIT bytes to analysed, stored runs: the importer every entry point shares.

``analyze`` (no store), ``import`` (files, folders, zips) and the sync
pipeline (a FIT file fetched from a platform) all go through
:func:`analyse_fit` and :func:`store_fit`, so a file gives the same outcome
however it arrived. An input yields one :class:`Outcome` per running session,
or a single skipped/error outcome saying why it yields none.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from pose_sync.analysis import analyse_run
from pose_sync.analysis.speed_curve import PRIOR, CurveHistory, SpeedCurves
from pose_sync.errors import InputError
from pose_sync.fit import DecodedFit, decode_fit, sha256_hex
from pose_sync.model import Activity, RunAnalysis, SourceRef
from pose_sync.store import QUALITY_FIT

OK, SKIPPED, ERROR = "ok", "skipped", "error"


if TYPE_CHECKING:
    from pose_sync.store import Store

@dataclass
class Outcome:
    """What became of one running session (or of an input with none).

    ``stored`` says what the store did (created, linked, upgraded, unchanged)
    when the outcome went through :func:`store_fit`.
    """

    source: SourceRef
    status: str
    reason: str | None = None
    analysis: RunAnalysis | None = None
    activity: Activity | None = None
    run_id: int | None = None
    stored: str | None = None
    warnings: list[str] = field(default_factory=list)


def _why_no_runs(decoded: DecodedFit, source: SourceRef) -> Outcome:
    """One outcome explaining why a decoded file holds no run."""
    if decoded.activities:
        kinds = sorted({a.sport + (f"/{a.sub_sport}" if a.sub_sport and a.sub_sport != "generic" else "")
                        for a in decoded.activities})
        return Outcome(source, SKIPPED, f"{', '.join(kinds)} activity, not a run")
    if decoded.error:
        return Outcome(source, ERROR, f"{decoded.error}; no complete session could be read"
                       " (re-export the activity from the watch or platform)")
    if decoded.file_type and decoded.file_type != "activity":
        return Outcome(source, SKIPPED, f"a FIT {decoded.file_type} file, not an activity")
    return Outcome(source, SKIPPED, "no session or sport message: the file does not say it is a run")


CurvesAt = Callable[[float], SpeedCurves]   # start (Unix seconds) -> the athlete's speed curve before it


def analyse_decoded(decoded: DecodedFit, source: SourceRef, curves_at: CurvesAt | None = None) -> list[Outcome]:
    """Analyse every running session of a decoded file (``curves_at``: the athlete's speed curve)."""
    runs = [a for a in decoded.activities if a.is_run]
    if not runs:
        return [_why_no_runs(decoded, source)]
    outcomes = []
    for activity in runs:
        warnings = list(decoded.warnings)
        if decoded.error:
            warnings.append(f"damaged file: {decoded.error}; analysed from the records read before it")
        try:
            curves = curves_at(activity.start_time.timestamp()) if curves_at is not None else PRIOR
            analysis = analyse_run(activity, curves)
        except InputError as exc:
            outcomes.append(Outcome(activity.source, SKIPPED, exc.message, activity=activity))
            continue
        analysis = replace(analysis, warnings=tuple(warnings) + analysis.warnings)
        outcomes.append(Outcome(activity.source, OK, analysis=analysis, activity=activity,
                                warnings=list(analysis.warnings)))
    return outcomes


def not_fit(data: bytes) -> str | None:
    """Why ``data`` is not a FIT file at all (every FIT file starts with a header that says ".FIT"), or None."""
    if not data:
        return "empty file"
    if len(data) < 12 or data[8:12] != b".FIT":
        return "not a FIT file (no FIT header: a .gpx, .tcx or other file named .fit?)"
    return None


def analyse_fit(data: bytes, source: SourceRef, curves_at: CurvesAt | None = None) -> list[Outcome]:
    """Decode and analyse FIT bytes; nothing is stored."""
    why = not_fit(data)
    if why is not None:
        return [Outcome(source, ERROR, why)]
    return analyse_decoded(decode_fit(data, source), source, curves_at)


def curve_history(store: Store) -> CurveHistory:
    """The speed-curve evidence of every stored run, to score new ones against."""
    return CurveHistory.of((r.analysis.start_time.timestamp(), r.id, r.analysis.form.by_speed)
                           for r in store.list_runs())


def store_fit(store: Store, data: bytes, source: SourceRef, *, gear_id: str | None = None,
              curves: CurveHistory | None = None) -> list[Outcome]:
    """Analyse FIT bytes and store every run, keeping the raw file by its hash.

    The same bytes seen before (same path or not) are not decoded again: their
    stored runs are returned as ``unchanged``, so importing twice is a no-op.
    Runs are scored with the athlete's speed curve from ``curves`` (the
    stored runs before each one), which learns every run stored here.
    """
    sha = sha256_hex(data)
    known = store.runs_with_fit(sha)
    if known:
        outcomes = []
        for run_id in known:
            stored = store.get_run(run_id)
            session_source = replace(source, session_index=stored.analysis.source.session_index)
            store.link_source(run_id, session_source, sha)  # the same file under another name or platform
            outcomes.append(Outcome(session_source, OK, analysis=stored.analysis, run_id=run_id, stored="unchanged",
                                    warnings=list(stored.analysis.warnings)))
        return outcomes
    curves = curves if curves is not None else curve_history(store)
    outcomes = analyse_fit(data, source, curves.before)
    if not any(o.status == OK for o in outcomes):
        return outcomes
    with store.transaction():
        store.put_blob(data, sha)
        for outcome in outcomes:
            if outcome.status != OK or outcome.analysis is None:
                continue
            result = store.save_run(outcome.analysis, fit_sha256=sha, quality=QUALITY_FIT, gear_id=gear_id)
            outcome.run_id, outcome.stored = result.run_id, result.outcome
            if result.outcome in ("created", "upgraded"):
                curves.add(outcome.analysis.start_time.timestamp(), result.run_id, outcome.analysis.form.by_speed)
    return outcomes
