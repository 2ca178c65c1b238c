"""The sync pipeline: every platform activity through recorded steps, resumable and idempotent.

One activity goes ``listed -> stored -> done`` (or ``skipped``/``failed``),
each step recorded in the store's ``sync_items`` table:

1. **store**: unless the run is already stored from this platform, or from
   another platform at the same or better quality (then the source is only
   linked: one run, one analysis), fetch it, decode or convert, analyse and
   save, in one transaction.
2. **note**: render the note from the run and the history before it, read
   the description, merge our block, and write only when it differs. Every
   write is recorded in the ledger. A crash between the write and the record
   is healed on the next run: the description already carries the block, so
   nothing is written twice.

A cursor per connector moves only past activities that are finished, so a
crash, a rate limit or a failing activity never loses anything: the next
run lists from the cursor (minus a look-back for late uploads) and skips what
is already done without fetching it.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from pose_sync.analysis import analyse_run
from pose_sync.analysis.speed_curve import CurveHistory
from pose_sync.config import Config
from pose_sync.connectors import Connector, RemoteActivity
from pose_sync.errors import AuthError, InputError, NotFound, PoseSyncError, RateLimited, RemoteError
from pose_sync.importer import OK, Outcome, curve_history, store_fit
from pose_sync.model import Activity, RunAnalysis, SourceRef
from pose_sync.notes import content_hash, is_current, merge
from pose_sync.notes.render import render_note
from pose_sync.store import QUALITY_STREAMS, Store

LOOKBACK = timedelta(days=3)     # re-list this far before the cursor: uploads arrive late
MAX_ATTEMPTS = 5                 # then an activity is given up on, so the cursor can move on
RUN_SPORTS = frozenset({"running", "unknown"})
FINISHED = frozenset({"done", "skipped", "gave_up"})


@dataclass
class ItemResult:
    """What happened to one activity in this run.

    ``status``: done, skipped, failed, already (finished in an earlier run) or
    dry-run. ``note``: written, unchanged, would write, off, unsupported.
    ``preview`` is the full description a dry run would write.
    """

    platform: str
    remote_id: str
    status: str
    run_id: int | None = None
    stored: str | None = None
    note: str | None = None
    reason: str | None = None
    preview: str | None = None

    @property
    def label(self) -> str:
        return f"{self.platform}:{self.remote_id}"


@dataclass
class ConnectorResult:
    connector: str
    items: list[ItemResult] = field(default_factory=list)
    stopped_by: PoseSyncError | None = None

    def count(self, status: str) -> int:
        return sum(1 for item in self.items if item.status == status)

    @property
    def outcome(self) -> str:
        if isinstance(self.stopped_by, RateLimited):
            return "rate_limited"
        if self.stopped_by is not None:
            return "failed"
        return "partial" if self.count("failed") else "ok"

    def summary(self) -> dict[str, Any]:
        notes = sum(1 for i in self.items if i.note == "written")
        return {"new": self.count("done"), "skipped": self.count("skipped"), "failed": self.count("failed"),
                "already": self.count("already"), "notes_written": notes,
                "stopped": str(self.stopped_by) if self.stopped_by else None}


class Pipeline:
    """Drives connectors through the steps above; one per process, one store."""

    def __init__(self, store: Store, config: Config, *, dry_run: bool = False,
                 echo: Callable[[str], None] = print) -> None:
        self.store = store
        self.config = config
        self.dry_run = dry_run
        self.echo = echo
        self._history: list[tuple[float, int, RunAnalysis]] | None = None
        self._curves: CurveHistory | None = None

    # --- one activity -----------------------------------------------------------

    def process(self, connector: Connector, activity: RemoteActivity, *, recheck: bool = False) -> ItemResult:
        """Take one activity as far as it can go. ``recheck`` re-verifies the note of a finished one."""
        platform, remote_id = activity.platform, activity.remote_id
        item = self.store.get_item(platform, remote_id)
        if item and item.state in FINISHED and not (recheck and item.state == "done"):
            return ItemResult(platform, remote_id, "already", run_id=item.run_id)
        if item is None:
            self.store.put_item(platform, remote_id, "listed", start_epoch=activity.start_time.timestamp(),
                                summary=_summary(activity))
        if activity.sport not in RUN_SPORTS:
            self.store.put_item(platform, remote_id, "skipped", error=f"{activity.sport}, not a run")
            return ItemResult(platform, remote_id, "skipped", reason=f"{activity.sport} activity, not a run")
        stored_run = item.run_id if item and item.state in ("stored", "done") else None
        try:
            return self._advance(connector, activity, stored_run)
        except (AuthError, RateLimited):
            raise
        except PoseSyncError as exc:
            attempts = (item.attempts if item else 0) + 1
            state = "gave_up" if attempts >= MAX_ATTEMPTS else "failed"
            self.store.put_item(platform, remote_id, state, error=str(exc), attempt=True)
            return ItemResult(platform, remote_id, "failed", reason=str(exc))

    def _advance(self, connector: Connector, activity: RemoteActivity, run_id: int | None) -> ItemResult:
        platform, remote_id = activity.platform, activity.remote_id
        stored, description = "unchanged", None
        if run_id is None:
            step = self._store_step(connector, activity)
            if isinstance(step, ItemResult):
                return step
            run_id, stored, description = step
        note, preview = self._note_step(connector, activity, run_id, description)
        if self.dry_run:
            return ItemResult(platform, remote_id, "dry-run", run_id, stored, note, preview=preview)
        self.store.put_item(platform, remote_id, "done", run_id=run_id)
        return ItemResult(platform, remote_id, "done", run_id, stored, note)

    def _store_step(self, connector: Connector, activity: RemoteActivity) -> tuple[int, str, str | None] | ItemResult:
        """Make sure the run is stored; returns (run id, what the store did, description if fetched)."""
        ref = SourceRef(activity.platform, activity.remote_id)
        platform, remote_id = ref.platform, ref.remote_id
        known = self.store.find_source(ref)
        if known is not None:
            self.store.put_item(platform, remote_id, "stored", run_id=known)
            return known, "unchanged", None
        matched = None
        if activity.sport == "running":
            matched = self.store.match_run(activity.start_time, activity.distance_m)
        if matched is not None and self.store.run_quality(matched) >= connector.source_quality:
            with self.store.transaction():
                self.store.link_source(matched, ref)
                self.store.put_item(platform, remote_id, "stored", run_id=matched)
            return matched, "linked", None

        fetched = connector.fetch(activity)
        gear_id = fetched.gear_id or activity.gear_id
        if fetched.fit_bytes is not None:
            outcomes = store_fit(self.store, fetched.fit_bytes, ref, gear_id=gear_id, curves=self.curves)
        else:
            outcomes = self._store_streams(fetched.activities, gear_id)
        ok = [o for o in outcomes if o.status == OK and o.run_id is not None]
        if not ok:
            first = outcomes[0] if outcomes else None
            reason = first.reason if first else "nothing to analyse"
            if first is not None and first.status == "error":
                raise InputError(f"{ref.label()}: {reason}")
            self.store.put_item(platform, remote_id, "skipped", error=reason)
            return ItemResult(platform, remote_id, "skipped", reason=reason)
        run_id = ok[0].run_id
        assert run_id is not None
        self.store.put_item(platform, remote_id, "stored", run_id=run_id)
        self._describe_gear(connector, activity.platform, gear_id)
        for outcome in ok:
            if outcome.stored in ("created", "upgraded") and outcome.analysis is not None:
                self._remember(outcome.run_id or run_id, outcome.analysis)
        return run_id, ok[0].stored or "created", fetched.description

    def _describe_gear(self, connector: Connector, platform: str, gear_id: str | None) -> None:
        """Name and total distance of a shoe the first time a run uses it (one request per shoe)."""
        describe = getattr(connector, "describe_gear", None)
        if describe is None or not gear_id or self.dry_run or self.store.has_gear(platform, gear_id):
            return
        try:
            name, kind, distance = describe(gear_id)
        except (NotFound, RemoteError):
            return  # a shoe's name is nice to have; the run is stored either way
        self.store.put_gear(platform, gear_id, name, kind, distance)

    def _store_streams(self, activities: list[Activity], gear_id: str | None) -> list[Outcome]:
        outcomes: list[Outcome] = []
        for activity in activities:
            if not activity.is_run:
                outcomes.append(Outcome(activity.source, "skipped", f"{activity.sport} activity, not a run"))
                continue
            analysis = analyse_run(activity, self.curves.before(activity.start_time.timestamp()))
            with self.store.transaction():
                samples_sha = self.store.put_samples(activity.samples)
                result = self.store.save_run(analysis, fit_sha256=None, quality=QUALITY_STREAMS, gear_id=gear_id,
                                             samples_sha256=samples_sha)
            outcomes.append(Outcome(activity.source, OK, analysis=analysis, run_id=result.run_id,
                                    stored=result.outcome))
            if result.outcome in ("created", "upgraded"):
                self.curves.add(analysis.start_time.timestamp(), result.run_id, analysis.form.by_speed)
        return outcomes

    def _note_step(self, connector: Connector, activity: RemoteActivity, run_id: int,
                   description: str | None) -> tuple[str, str | None]:
        if not self.config.notes.enabled:
            return "off", None
        if not connector.supports_notes:
            return "unsupported", None
        run = self.store.get_run(run_id).analysis
        body = render_note(run, self.history_before(run), self.config)
        current = description if description is not None else connector.read_description(activity)
        platform, remote_id = activity.platform, activity.remote_id
        digest = content_hash(body)
        if is_current(current, body):
            last = self.store.last_write(platform, remote_id, "note")
            if not self.dry_run and (last is None or last.content_sha256 != digest):
                # Written before a crash that lost the ledger record: record it now.
                self.store.record_write(platform, remote_id, "note", digest, {"run_id": run_id, "healed": True})
            return "unchanged", None
        merged = merge(current, body)
        if self.dry_run:
            self.echo(f"would write the description of {platform}:{remote_id}:\n{merged}\n")
            return "would write", merged
        connector.write_description(activity, merged)
        self.store.record_write(platform, remote_id, "note", digest, {"run_id": run_id, "chars": len(merged)})
        return "written", None

    # --- history for notes and for the athlete's speed curve -------------------

    @property
    def curves(self) -> CurveHistory:
        """Speed-curve evidence of the stored runs (loaded once, kept up to date as runs are stored)."""
        if self._curves is None:
            self._curves = curve_history(self.store)
        return self._curves

    def history_before(self, run: RunAnalysis) -> list[RunAnalysis]:
        """Stored runs that started before ``run`` (loaded once, kept up to date)."""
        if self._history is None:
            self._history = [(r.analysis.start_time.timestamp(), r.id, r.analysis) for r in self.store.list_runs()]
        index = bisect.bisect_left(self._history, run.start_time.timestamp(), key=lambda entry: entry[0])
        return [entry[2] for entry in self._history[:index]]

    def _remember(self, run_id: int, analysis: RunAnalysis) -> None:
        if self._history is None:
            return
        self._history = [entry for entry in self._history if entry[1] != run_id]
        bisect.insort(self._history, (analysis.start_time.timestamp(), run_id, analysis), key=lambda e: e[0])

    # --- a whole connector ------------------------------------------------------

    def sync(self, connector: Connector, since: datetime | None = None,
             on_listed: Callable[[int], None] | None = None,
             on_item: Callable[[ItemResult], None] | None = None) -> ConnectorResult:
        """List since the cursor (or ``since``), process each activity, move the cursor past finished work."""
        name = connector.name
        result = ConnectorResult(name)
        sync_run = None if self.dry_run else self.store.start_sync_run(name)
        cursor = self.store.get_cursor(name)
        after = since or (datetime.fromisoformat(cursor) - LOOKBACK if cursor else None)
        listed: list[RemoteActivity] = []
        try:
            listed = list(connector.list_activities(after))
            if on_listed:
                on_listed(len(listed))
            for activity in listed:
                item = self.process(connector, activity)
                result.items.append(item)
                if on_item:
                    on_item(item)
        except (AuthError, RateLimited, InputError) as exc:
            result.stopped_by = exc
        if not self.dry_run:
            self._move_cursor(name, listed, cursor)
            assert sync_run is not None
            self.store.finish_sync_run(sync_run, result.outcome, result.summary())
        return result

    def _move_cursor(self, name: str, listed: list[RemoteActivity], cursor: str | None) -> None:
        """Advance to the newest activity before which everything listed is finished."""
        frontier: datetime | None = None
        for activity in sorted(listed, key=lambda a: a.start_time):
            item = self.store.get_item(activity.platform, activity.remote_id)
            if item is None or item.state not in FINISHED:
                break
            frontier = activity.start_time
        if frontier is None:
            return
        frontier = frontier.astimezone(timezone.utc)
        if cursor is None or frontier > datetime.fromisoformat(cursor):
            self.store.set_cursor(name, frontier.isoformat())


def _summary(activity: RemoteActivity) -> dict[str, Any]:
    return {"start_time": activity.start_time.isoformat(), "sport": activity.sport,
            "distance_m": activity.distance_m, "name": activity.name, "gear_id": activity.gear_id,
            **{k: v for k, v in activity.summary.items() if isinstance(v, (str, int, float, bool, type(None)))}}
