"""Automatic post-run sync: Strava's push subscription, received durably and processed in the background.

Strava validates the callback with a GET carrying ``hub.verify_token`` (we
compare it in constant time and answer 403 to anything else), then POSTs an
event for every new, changed or deleted activity and for deauthorisations.
Each event is written to the store's ``events`` table before we answer, so
the answer comes within Strava's 2 seconds and a crash or restart loses
nothing: a worker thread takes pending events in order and runs them through
the same pipeline as ``pose-sync sync``.

Fewest requests: Strava delivers an event more than once, and an athlete's
edits each send an update. An event for an activity that already has one
pending is folded into it in the queue, before anything is fetched; an update
that only changes what pose-sync does not use (title, privacy) costs nothing;
a create for an activity already finished costs nothing. An activity event
waits in the queue for the settle delay after it (``[notes] settle_minutes``):
the athlete is likely still editing in the app.

Events that arrive while Strava refuses our access (revoked, expired, not yet
connected) stay pending, are shown by ``doctor``, and are processed once
``pose-sync auth strava`` has saved new tokens.
"""

from __future__ import annotations

import hmac
import logging
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, jsonify, request

from pose_sync.config import Config
from pose_sync.errors import AuthError, NotFound, PoseSyncError, RateLimited
from pose_sync.sync import FINISHED, Pipeline
from pose_sync_strava.connector import StravaConnector
from pose_sync_strava.settings import StravaSettings
from pose_sync_strava.tokens import TokenStore

if TYPE_CHECKING:
    from pose_sync.store import Store

log = logging.getLogger(__name__)
PLATFORM = "strava"
SUBSCRIPTION_KEY = "strava:subscription_id"
MAX_ATTEMPTS = 5
UNUSED_UPDATES = frozenset({"title", "private", "visibility"})  # nothing pose-sync reads changes
BUSY_RETRY_S = 60.0


def object_key(event: dict[str, Any]) -> str:
    return f"{event['object_type']}:{event['object_id']}"


def changes_nothing_we_use(event: dict[str, Any]) -> bool:
    return event["object_type"] == "activity" and event["aspect_type"] == "update" \
        and set(event.get("updates") or {}) <= UNUSED_UPDATES


def fold(pending: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """One pending event per object: a create stays a create (its time is the upload), updates add up,
    a delete replaces everything."""
    if new["aspect_type"] == "delete" or pending["aspect_type"] == "delete":
        return new
    create = next((e for e in (pending, new) if e["aspect_type"] == "create"), None)
    merged = {**pending, "updates": {**(pending.get("updates") or {}), **(new.get("updates") or {})}}
    if create is not None:
        merged.update(aspect_type="create", event_time=create["event_time"])
    else:
        merged["event_time"] = max(pending.get("event_time", 0), new.get("event_time", 0))
    return merged


def create_app(data_dir: Path, settings: StravaSettings, wake: threading.Event | None = None,
               settle_s: float = 0.0) -> Flask:
    """The webhook receiver: validation GET and event POST on /webhook."""
    app = Flask("pose-sync-strava-webhook")
    verify_token = settings.webhook_token()

    @app.get("/webhook")
    def validate() -> tuple[Response, int]:
        offered = request.args.get("hub.verify_token", "")
        if request.args.get("hub.mode") != "subscribe" or not hmac.compare_digest(offered.encode(),
                                                                                   verify_token.encode()):
            log.warning("strava webhook: subscription validation with a wrong token refused")
            return jsonify(error="forbidden"), 403
        return jsonify({"hub.challenge": request.args.get("hub.challenge", "")}), 200

    @app.post("/webhook")
    def receive() -> tuple[Response, int]:
        event = request.get_json(silent=True)
        if not _well_formed(event):
            return jsonify(error="not a Strava event"), 400
        assert isinstance(event, dict)
        now = time.time()
        due = None
        if event["object_type"] == "activity" and event["aspect_type"] != "delete":
            happened = event.get("event_time")
            due = min(float(happened) if isinstance(happened, (int, float)) else now, now) + settle_s
        from pose_sync.store import Store

        with Store.open(data_dir) as store:
            ours = store.get_cursor(SUBSCRIPTION_KEY)
            if ours is not None and str(event["subscription_id"]) != ours:
                log.warning("strava webhook: event for another subscription refused")
                return jsonify(error="unknown subscription"), 403
            _, outcome = store.enqueue_event(PLATFORM, event, object_key=object_key(event), due_epoch=due,
                                             alone_state="ignored" if changes_nothing_we_use(event) else "pending",
                                             fold=fold)
        if wake is not None and outcome == "pending":
            wake.set()
        return jsonify(status="queued"), 200

    return app


def _well_formed(event: Any) -> bool:
    return isinstance(event, dict) and event.get("object_type") in ("activity", "athlete") \
        and event.get("aspect_type") in ("create", "update", "delete") \
        and isinstance(event.get("object_id"), int) and isinstance(event.get("owner_id"), int) \
        and "subscription_id" in event


class EventWorker:
    """Drains the queue: runs each due event's activity through the pipeline, in arrival order.

    ``clock`` is the time due events and the settle delay are measured with (tests pass their own).
    """

    def __init__(self, data_dir: Path, config: Config, settings: StravaSettings,
                 clock: Any = time.time) -> None:
        self.data_dir = data_dir
        self.config = config
        self.settings = settings
        self.clock = clock
        self._refused: tuple[int, int] | None = None  # the token file Strava last refused (mtime, size)

    def _tokens_stamp(self) -> tuple[int, int] | None:
        path = TokenStore(self.data_dir).path
        try:
            info = path.stat()
        except FileNotFoundError:
            return None
        return info.st_mtime_ns, info.st_size

    def process_pending(self) -> RateLimited | None:
        """Handle every due event, then notes left pending and note checks; returns the RateLimited that stopped
        it, if one did. While Strava refuses the saved tokens, nothing is tried until they change."""
        stamp = self._tokens_stamp()
        if self._refused is not None and stamp == self._refused:
            return None  # waiting for `pose-sync auth strava`: not one request until then
        self._refused = None
        connector = StravaConnector(self.settings, self.data_dir)
        started = self.clock()
        try:
            from pose_sync.store import Store

            with Store.open(self.data_dir) as store:
                pipeline = Pipeline(store, self.config, echo=log.info, clock=self.clock)
                for event_id, payload, attempts in store.pending_events(PLATFORM, self.clock()):
                    error = None
                    try:
                        state, later = self._handle(payload, connector, pipeline, store)
                    except RateLimited as limited:
                        return limited  # stays pending; resumed after the reset
                    except AuthError as denied:
                        store.postpone_event(event_id, self.clock(), str(denied))  # stays pending, attempt not counted
                        self._refused = self._tokens_stamp()
                        log.warning("strava events wait for `pose-sync auth strava`: %s", denied)
                        return None
                    except PoseSyncError as problem:
                        state, later = ("failed" if attempts + 1 >= MAX_ATTEMPTS else "pending"), None
                        error = str(problem)
                    if later is not None:
                        store.postpone_event(event_id, later)
                        continue
                    store.finish_event(event_id, state, error)
                    if error:
                        log.warning("strava event %s: %s", event_id, error)
                if stamp is not None:
                    try:
                        pipeline.follow_up(connector, written_before=started)
                    except RateLimited as limited:
                        return limited
                    except AuthError as denied:
                        self._refused = self._tokens_stamp()
                        log.warning("strava: %s", denied)
        finally:
            connector.close()
        return None

    def next_due_in(self) -> float | None:
        """Seconds until the next delayed event falls due (None: none waits for a time)."""
        from pose_sync.store import Store

        with Store.open(self.data_dir) as store:
            due = store.next_event_due(PLATFORM)
        return None if due is None else max(0.0, due - self.clock())

    def _handle(self, event: dict[str, Any], connector: StravaConnector, pipeline: Pipeline,
                store: Store) -> tuple[str, float | None]:
        """(final state of the event, or a time to try it again)."""
        tokens = TokenStore(self.data_dir)
        saved = tokens.load()
        if event["object_type"] == "athlete":
            if str(event.get("updates", {}).get("authorized")) == "false" and saved and \
                    saved.athlete_id == event["owner_id"]:
                tokens.delete()
                log.warning("strava: athlete %s revoked access; tokens deleted", event["owner_id"])
                return "done", None
            return "ignored", None
        if saved is None:
            raise AuthError("strava", "strava: not connected")  # kept until the athlete connects again
        if saved.athlete_id is not None and saved.athlete_id != event["owner_id"]:
            return "ignored", None  # not our athlete
        if event["aspect_type"] == "delete" or changes_nothing_we_use(event):
            return "ignored", None
        remote_id = str(event["object_id"])
        item = store.get_item(PLATFORM, remote_id)
        if event["aspect_type"] == "create" and item is not None and item.state in FINISHED:
            return "done", None  # delivered again after it was finished: nothing to fetch
        try:
            activity = connector.get_activity(remote_id)
        except NotFound:
            return "ignored", None  # deleted or made private since
        uploaded = None
        if event["aspect_type"] == "create" and isinstance(event.get("event_time"), (int, float)):
            uploaded = datetime.fromtimestamp(min(float(event["event_time"]), self.clock()), timezone.utc)
        result = pipeline.process(connector, activity, recheck=event["aspect_type"] == "update", uploaded_at=uploaded)
        if result.status == "settling" and result.due_in_s:
            return "pending", self.clock() + result.due_in_s
        if result.status == "busy":
            return "pending", self.clock() + BUSY_RETRY_S
        return ("done" if result.status in ("done", "skipped", "already") else "pending"), None


def run_worker(worker: EventWorker, wake: threading.Event, stop: threading.Event) -> None:
    """The background loop of `pose-sync serve`: wake on each event, when a delayed one falls due, or every minute."""
    while not stop.is_set():
        try:
            limited = worker.process_pending()
            due_in = worker.next_due_in()
        except PoseSyncError as problem:
            log.error("strava worker: %s", problem)
            limited, due_in = None, None
        delay = 60.0 if due_in is None else min(60.0, max(1.0, due_in))
        if limited is not None and limited.reset_at is not None:
            delay = max(5.0, (limited.reset_at - datetime.now(timezone.utc)).total_seconds())
            log.warning("strava worker: %s", limited)
        wake.wait(timeout=delay)
        wake.clear()
