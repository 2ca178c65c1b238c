"""The sync pipeline: every platform activity through recorded steps, resumable and idempotent.

One activity goes ``listed -> stored -> done`` (or ``skipped``/``failed``),
each step recorded in the store's ``sync_items`` table:

1. **store**: unless the run is already stored from this platform, or from
   another platform at the same or better quality (then the source is only
   linked: one run, one analysis), fetch it, decode or convert, analyse and
   save, in one transaction. A better analysis of a run (the original file
   after the platform's streams) sends its notes on other platforms back to
   ``stored``, so each is written again from the better analysis, once.
2. **note**: wait until the activity has *settled* (``[notes] settle_minutes``
   after its upload, or after pose-sync first saw it when the platform does
   not say when it was uploaded): right after an upload the athlete is often
   typing in the app. Until then the item stays ``stored`` and the cursor
   does not pass it. Then render the note from the run and the history before
   it, read the description *just before the write* (a description read
   earlier, with the activity, is read again and our block merged into the
   newer text), write only when it differs, and read it back. Every write is
   recorded in the ledger. A crash between the write and the record is healed
   on the next run: the description already carries the block, so nothing is
   written twice.
3. **check**: Strava and Garmin have no conditional writes, so an app save
   from an edit screen opened before our write still wipes the note. A later
   pass (the next sync at least the settle delay after the write, within
   48 hours of it) reads the description once more: a note an app save
   removed is restored, once; removed again, it is the athlete's choice, and
   pose-sync records it (ledger kind ``note_respected``) and never writes there again.

A **claim** (a lease in the store) is taken on each activity before any of
this, so the webhook worker of ``serve`` and a cron ``sync`` never work on the
same activity at once. A cursor per connector moves only past activities that
are finished, so a crash, a rate limit or a failing activity never loses
anything: the next run lists from the cursor (minus ``[sync] lookback_days``
for late uploads) and skips what is already done without fetching it.

A dry run works the same on an in-memory copy of the store
(:meth:`Store.scratch_copy`): it shows exactly what a real run would write and
leaves the store, the cursors and the platforms as they were.
"""

from __future__ import annotations

import bisect
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from pose_sync.config import Config
from pose_sync.connectors import Connector, RemoteActivity
from pose_sync.errors import AuthError, InputError, NotFound, PoseSyncError, RateLimited, RemoteError
from pose_sync.model import Activity, RunAnalysis, SourceRef
from pose_sync.notes import content_hash, extract, is_current, merge
from pose_sync.pain import parse_description
from pose_sync.store import QUALITY_STREAMS, NoteCheck, SyncItem, claim_holder

if TYPE_CHECKING:  # decoding, analysis and notes are imported when an activity needs them (a cron sync
    # with nothing new starts at once)
    from pose_sync.analysis.speed_curve import CurveHistory
    from pose_sync.importer import Outcome
    from pose_sync.progression.body import BodyContext
    from pose_sync.store import Store

MAX_ATTEMPTS = 5                 # then an activity is given up on, so the cursor can move on
RUN_SPORTS = frozenset({"running", "unknown"})
FINISHED = frozenset({"done", "skipped", "gave_up"})
CLAIM_LEASE_S = 15 * 60          # one activity takes seconds; a holder killed -9 blocks others at most this long
RESTORE_WINDOW_S = 48 * 3600     # a note missing later than this after our write is left alone
log = logging.getLogger(__name__)


@dataclass
class ItemResult:
    """What happened to one activity in this run.

    ``status``: done, skipped, failed, already (finished in an earlier run),
    dry-run, settling (stored; its note waits ``due_in_s`` more seconds), busy
    (another pose-sync process has it) or checked (a note's read-back pass).
    ``note``: written, unchanged, would write, settling, off, unsupported,
    respected, and for checks ok, restored, expired, gone.
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
    due_in_s: float | None = None
    repeat: bool = False        # failed in an earlier sync too: reported then; `doctor` lists it

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

    def notes(self, *kinds: str) -> int:
        return sum(1 for item in self.items if item.note in kinds)

    @property
    def settling(self) -> list[ItemResult]:
        """Runs stored now whose note waits for the settle delay."""
        return [i for i in self.items if i.due_in_s]

    @property
    def outcome(self) -> str:
        if isinstance(self.stopped_by, RateLimited):
            return "rate_limited"
        if self.stopped_by is not None:
            return "failed"
        return "partial" if self.count("failed") else "ok"

    def summary(self) -> dict[str, Any]:
        # new: finished in this pass (a dry run: would be); a run still settling counts when its note is written
        return {"new": self.count("done") + self.count("dry-run"), "skipped": self.count("skipped"),
                "failed": self.count("failed"),
                "already": self.count("already"), "notes_written": self.notes("written", "restored"),
                "settling": len(self.settling), "busy": self.count("busy"), "restored": self.notes("restored"),
                "respected": self.notes("respected"),
                "stopped": str(self.stopped_by) if self.stopped_by else None}


def remote_from_item(item: SyncItem) -> RemoteActivity:
    """The activity as it was listed, from its recorded summary (no request)."""
    summary = item.summary
    start = (datetime.fromisoformat(summary["start_time"]) if summary.get("start_time")
             else datetime.fromtimestamp(item.start_epoch or 0, timezone.utc))
    return RemoteActivity(platform=item.platform, remote_id=item.remote_id, start_time=start,
                          sport=summary.get("sport") or "unknown", distance_m=summary.get("distance_m"),
                          name=summary.get("name"), gear_id=summary.get("gear_id"), summary=summary)


class Pipeline:
    """Drives connectors through the steps above; one per process or thread, one store.

    ``clock`` (seconds since the epoch) is the time the settle delay, claims
    and note checks are measured with; tests pass their own.
    """

    def __init__(self, store: Store, config: Config, *, dry_run: bool = False,
                 echo: Callable[[str], None] = print, clock: Callable[[], float] = time.time) -> None:
        self.store = store.scratch_copy() if dry_run else store
        self.config = config
        self.dry_run = dry_run
        self.echo = echo
        self.clock = clock
        self.holder = claim_holder()
        self._history: list[tuple[float, int, RunAnalysis]] | None = None
        self._curves: CurveHistory | None = None
        self._gear: dict[SourceRef, str | None] | None = None   # the shoe of each stored run, for the tissue ramp

    @property
    def settle_s(self) -> float:
        return self.config.notes.settle_minutes * 60.0

    # --- one activity -----------------------------------------------------------

    def process(self, connector: Connector, activity: RemoteActivity, *, recheck: bool = False,
                uploaded_at: datetime | None = None) -> ItemResult:
        """Take one activity as far as it can go, under a claim.

        ``recheck`` re-verifies a finished one (a webhook's update event);
        ``uploaded_at`` is when the platform says it was uploaded (the settle delay starts then).
        """
        platform, remote_id = activity.platform, activity.remote_id
        item = self.store.get_item(platform, remote_id)
        if item and item.state in FINISHED and not recheck:
            return ItemResult(platform, remote_id, "already", run_id=item.run_id)  # no claim needed to say so
        if not self.store.claim(platform, remote_id, self.holder, CLAIM_LEASE_S, now=self.clock()):
            return ItemResult(platform, remote_id, "busy", reason="another pose-sync process is working on it")
        try:
            return self._process_claimed(connector, activity, recheck, uploaded_at)
        finally:
            self.store.release(platform, remote_id, self.holder)

    def _process_claimed(self, connector: Connector, activity: RemoteActivity, recheck: bool,
                         uploaded_at: datetime | None) -> ItemResult:
        platform, remote_id = activity.platform, activity.remote_id
        item = self.store.get_item(platform, remote_id)  # again, under the claim: another process may have finished it
        rechecked = recheck and item is not None and (item.state == "done" or (
            item.state == "skipped" and activity.sport in RUN_SPORTS))  # a ride edited into a run
        if item and item.state in FINISHED and not rechecked:
            return ItemResult(platform, remote_id, "already", run_id=item.run_id)
        uploaded = uploaded_at.timestamp() if uploaded_at is not None else None
        if item is None:
            self.store.put_item(platform, remote_id, "listed", start_epoch=activity.start_time.timestamp(),
                                summary=_summary(activity), uploaded_epoch=uploaded, now=self.clock())
        elif uploaded is not None:
            self.store.set_uploaded(platform, remote_id, uploaded)
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
            return ItemResult(platform, remote_id, "failed", reason=str(exc), repeat=attempts > 1)

    def _advance(self, connector: Connector, activity: RemoteActivity, run_id: int | None) -> ItemResult:
        platform, remote_id = activity.platform, activity.remote_id
        stored, description = "unchanged", None
        if run_id is None:
            step = self._store_step(connector, activity)
            self._gear = None  # a run (or its shoe) may have been stored
            if isinstance(step, ItemResult):
                return step
            run_id, stored, description = step
        if description is not None:
            self._read_reports(activity, description)
        note, preview, due_in = self._note_step(connector, activity, run_id, description)
        if self.dry_run:
            return ItemResult(platform, remote_id, "dry-run", run_id, stored, note, preview=preview, due_in_s=due_in)
        if note == "settling":
            return ItemResult(platform, remote_id, "settling", run_id, stored, note, due_in_s=due_in)
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

        from pose_sync.importer import OK, store_fit

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
                raise InputError(reason or "unreadable")   # the caller names the activity
            self.store.put_item(platform, remote_id, "skipped", error=reason)
            return ItemResult(platform, remote_id, "skipped", reason=reason)
        run_id = ok[0].run_id
        assert run_id is not None
        self.store.put_item(platform, remote_id, "stored", run_id=run_id)
        self._describe_gear(connector, activity.platform, gear_id)
        for outcome in ok:
            if outcome.stored in ("created", "upgraded") and outcome.analysis is not None:
                self._remember(outcome.run_id or run_id, outcome.analysis)
            if outcome.stored == "upgraded" and outcome.run_id is not None:
                for other in self.store.request_note_refresh(outcome.run_id, platform, remote_id):
                    log.info("%s: analysed again from %s's original file; its note will be written again",
                             ":".join(other), platform)
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
        from pose_sync.analysis import analyse_run
        from pose_sync.importer import OK, Outcome

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
                   held: str | None) -> tuple[str, str | None, float | None]:
        """(note outcome, dry-run preview, seconds the note still waits). ``held``: a description read earlier."""
        if not self.config.notes.enabled:
            return "off", None, None
        if not connector.supports_notes:
            return "unsupported", None, None
        platform, remote_id = activity.platform, activity.remote_id
        check = self.store.get_note_check(platform, remote_id)
        if check is not None and check.state == "respected":
            return "respected", None, None  # the athlete removed it twice: never again
        wait = self._settle_left(self.store.get_item(platform, remote_id))
        if wait > 0 and not self.dry_run:
            return "settling", None, wait
        body = self._render(run_id)
        if held is not None and is_current(held, body):
            self._heal(platform, remote_id, run_id, body)
            return "unchanged", None, None
        current = connector.read_description(activity)  # just before the write
        if held is not None and current != held:
            log.info("%s:%s: the description changed while we worked; our note goes into the new text",
                     platform, remote_id)
        if self._read_reports(activity, current):
            body = self._render(run_id)  # the pain it read changes the note
        if is_current(current, body):
            self._heal(platform, remote_id, run_id, body)
            return "unchanged", None, None
        merged = merge(current, body)
        if self.dry_run:
            later = f" (after the settle delay, in {minutes_left(wait)} min)" if wait > 0 else ""
            self.echo(f"would write the description of {platform}:{remote_id}{later}:\n{merged}\n")
            return "would write", merged, wait or None
        self._write(connector, activity, merged, body, {"run_id": run_id})
        return "written", None, None

    def _render(self, run_id: int) -> str:
        from pose_sync.notes.render import render_note

        run = self.store.get_run(run_id).analysis
        return render_note(run, self.history_before(run), self.config, body=self._body())

    def _read_reports(self, activity: RemoteActivity, description: str | None) -> bool:
        """Pain and drill lines in the athlete's text (never changed) into the store; True when they changed.

        A line that does not read is skipped with a warning: a typo never fails a sync.
        """
        pain = self.config.pain
        found = parse_description(description, activity.start_time.date(), prefixes=pain.prefixes,
                                  drill_prefixes=pain.drill_prefixes, platform=activity.platform,
                                  remote_id=activity.remote_id)
        for warning in found.warnings:
            log.warning("%s", warning)
        return self.store.put_description_reports(activity.platform, activity.remote_id, found.pain,
                                                  found.drill_minutes, activity.start_time.date())

    def _body(self) -> BodyContext:
        """Shoes of the stored runs, shoe names, pain and drill reports: what the note's tissue ramp and pain need."""
        from pose_sync.progression.body import BodyContext

        if self._gear is None:
            gear = self.store.run_gear()
            self._gear = {analysis.source: gear.get(run_id) for _, run_id, analysis in self._stored_history()}
        return BodyContext(self._gear, self.store.gear_names(), tuple(self.store.pain_reports()),
                           self.store.drill_minutes_by_day())

    def _settle_left(self, item: SyncItem | None) -> float:
        """Seconds before the note may be written: the settle delay from the upload (or our first sighting)."""
        since = None if item is None else (item.uploaded_epoch or item.first_seen_epoch)
        if since is None or self.settle_s <= 0:
            return 0.0  # known from before the settle delay existed, or no delay configured
        return max(0.0, since + self.settle_s - self.clock())

    def _heal(self, platform: str, remote_id: str, run_id: int, body: str) -> None:
        """The description already has this note: make sure the ledger says so (written before a crash)."""
        if self.dry_run:
            return
        digest = content_hash(body)
        last = self.store.last_write(platform, remote_id, "note")
        if last is None or last.content_sha256 != digest:
            now = self.clock()
            with self.store.transaction():
                self.store.record_write(platform, remote_id, "note", digest, {"run_id": run_id, "healed": True})
                if self.store.get_note_check(platform, remote_id) is None:
                    self.store.schedule_note_check(platform, remote_id, written_epoch=now,
                                                   due_epoch=now + self.settle_s)

    def _write(self, connector: Connector, activity: RemoteActivity, merged: str, body: str,
               detail: dict[str, Any], *, restored: bool = False) -> None:
        """Write, record, read back. The next pass at least the settle delay later checks it again."""
        platform, remote_id = activity.platform, activity.remote_id
        answer = connector.write_description(activity, merged)
        now = self.clock()
        with self.store.transaction():
            self.store.record_write(platform, remote_id, "note", content_hash(body),
                                    {**detail, "chars": len(merged), **({"restored": True} if restored else {})})
            self.store.schedule_note_check(platform, remote_id, written_epoch=now, due_epoch=now + self.settle_s,
                                           restored=restored)
        try:
            after = answer if isinstance(answer, str) else connector.read_description(activity)
        except (NotFound, RemoteError) as exc:
            log.warning("%s:%s: note written, reading it back failed (%s); a later sync checks it",
                        platform, remote_id, exc)
            return
        if not is_current(after, body):
            log.warning("%s:%s: the note was not there when read back (an app save?); a later sync checks it",
                        platform, remote_id)

    # --- later passes: notes left pending, and the read-back check ---------------

    def follow_up(self, connector: Connector, skip: Iterable[str] = (), written_before: float | None = None,
                  ) -> list[ItemResult]:
        """Notes still pending (settled since, or to be written again from a better analysis), then the checks
        of notes written before ``written_before`` (the start of this pass: a later pass checks what it writes).

        Costs no request for what is not due yet.
        """
        written_before = self.clock() if written_before is None else written_before
        results: list[ItemResult] = []
        listed = set(skip)
        for item in self.store.items(connector.name, ("stored",)):
            if item.remote_id in listed or (self._settle_left(item) > 0 and not self.dry_run):
                continue
            results.append(self.process(connector, remote_from_item(item)))
        if not self.dry_run and connector.supports_notes and self.config.notes.enabled:
            for check in self.store.note_checks_due(connector.name, self.clock()):
                if check.written_epoch < written_before:
                    results.append(self._check_note(connector, check))
        return results

    def _check_note(self, connector: Connector, check: NoteCheck) -> ItemResult:
        """One later look at a note we wrote: restore it once if an app save removed it, then respect the athlete."""
        platform, remote_id = check.platform, check.remote_id
        item = self.store.get_item(platform, remote_id)
        if item is None or item.run_id is None:
            self.store.set_note_check(platform, remote_id, "gone")
            return ItemResult(platform, remote_id, "checked", note="gone")
        if self.clock() - check.written_epoch > RESTORE_WINDOW_S:
            self.store.set_note_check(platform, remote_id, "expired")  # too late to tell an app save from a choice
            return ItemResult(platform, remote_id, "checked", item.run_id, note="expired")
        if not self.store.claim(platform, remote_id, self.holder, CLAIM_LEASE_S, now=self.clock()):
            return ItemResult(platform, remote_id, "busy", item.run_id, reason="another pose-sync process has it")
        try:
            again = self.store.get_note_check(platform, remote_id)  # under the claim: another process may have done it
            if again is None or again.state != "verify" or again.written_epoch != check.written_epoch:
                return ItemResult(platform, remote_id, "checked", item.run_id, note="ok")
            activity = remote_from_item(item)
            try:
                return self._check_claimed(connector, activity, item.run_id, again)
            except NotFound:
                self.store.set_note_check(platform, remote_id, "gone")
                return ItemResult(platform, remote_id, "checked", item.run_id, note="gone")
            except (RemoteError, InputError) as exc:  # stays due: the next pass tries again
                return ItemResult(platform, remote_id, "checked", item.run_id, note="unchecked", reason=str(exc))
        finally:
            self.store.release(platform, remote_id, self.holder)

    def _check_claimed(self, connector: Connector, activity: RemoteActivity, run_id: int,
                       check: NoteCheck) -> ItemResult:
        """The check itself, under the claim: one read, and a write only to restore the note once."""
        platform, remote_id = activity.platform, activity.remote_id
        current = connector.read_description(activity)
        self._read_reports(activity, current)  # pain added since (the read costs nothing extra)
        if extract(current) is not None:
            self.store.set_note_check(platform, remote_id, "ok")  # there (as written, or as the athlete edited it)
            return ItemResult(platform, remote_id, "checked", run_id, note="ok")
        body = self._render(run_id)
        if check.restores >= 1:
            with self.store.transaction():
                self.store.set_note_check(platform, remote_id, "respected")
                self.store.record_write(platform, remote_id, "note_respected", content_hash(body),
                                        {"run_id": run_id, "reason": "removed again after pose-sync restored it once"})
            log.info("%s:%s: the note was removed again; pose-sync leaves this activity alone", platform, remote_id)
            return ItemResult(platform, remote_id, "checked", run_id, note="respected")
        self._write(connector, activity, merge(current, body), body, {"run_id": run_id}, restored=True)
        return ItemResult(platform, remote_id, "checked", run_id, note="restored")

    # --- history for notes and for the athlete's speed curve -------------------

    @property
    def curves(self) -> CurveHistory:
        """Speed-curve evidence of the stored runs (loaded once, kept up to date as runs are stored)."""
        if self._curves is None:
            from pose_sync.importer import curve_history

            self._curves = curve_history(self.store)
        return self._curves

    def history_before(self, run: RunAnalysis) -> list[RunAnalysis]:
        """Stored runs that started before ``run`` (loaded once, kept up to date)."""
        history = self._stored_history()
        index = bisect.bisect_left(history, run.start_time.timestamp(), key=lambda entry: entry[0])
        return [entry[2] for entry in history[:index]]

    def _stored_history(self) -> list[tuple[float, int, RunAnalysis]]:
        if self._history is None:
            self._history = [(r.analysis.start_time.timestamp(), r.id, r.analysis) for r in self.store.list_runs()]
        return self._history

    def _remember(self, run_id: int, analysis: RunAnalysis) -> None:
        if self._history is None:
            return
        self._history = [entry for entry in self._history if entry[1] != run_id]
        bisect.insort(self._history, (analysis.start_time.timestamp(), run_id, analysis), key=lambda e: e[0])

    # --- a whole connector ------------------------------------------------------

    def sync(self, connector: Connector, since: datetime | None = None,
             on_listed: Callable[[int], None] | None = None,
             on_item: Callable[[ItemResult], None] | None = None) -> ConnectorResult:
        """List since the cursor (or ``since``), process each activity, then :meth:`follow_up`; move the
        cursor past finished work. Whatever stops it, the outcome is recorded (doctor shows it)."""
        name = connector.name
        result = ConnectorResult(name)
        sync_run = None if self.dry_run else self.store.start_sync_run(name)
        cursor = self.store.get_cursor(name)
        lookback = timedelta(days=self.config.sync.lookback_days)
        after = since or (datetime.fromisoformat(cursor) - lookback if cursor else None)
        listed: list[RemoteActivity] = []
        started = self.clock()
        try:
            listed = list(connector.list_activities(after))
            if on_listed:
                on_listed(len(listed))
            for activity in listed:
                item = self.process(connector, activity)
                result.items.append(item)
                if on_item:
                    on_item(item)
            result.items.extend(self.follow_up(connector, skip=(a.remote_id for a in listed), written_before=started))
        except PoseSyncError as exc:
            result.stopped_by = exc
        except BaseException as exc:  # not ours to swallow, but doctor must not say "did not finish"
            if sync_run is not None:
                self.store.finish_sync_run(sync_run, "failed", {**result.summary(),
                                                                "stopped": f"unexpected {type(exc).__name__}: {exc}"})
            raise
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


def minutes_left(seconds: float) -> int:
    """Whole minutes, rounded up, for messages."""
    return max(1, int(-(-seconds // 60)))


def _summary(activity: RemoteActivity) -> dict[str, Any]:
    return {"start_time": activity.start_time.isoformat(), "sport": activity.sport,
            "distance_m": activity.distance_m, "name": activity.name, "gear_id": activity.gear_id,
            **{k: v for k, v in activity.summary.items() if isinstance(v, (str, int, float, bool, type(None)))}}
