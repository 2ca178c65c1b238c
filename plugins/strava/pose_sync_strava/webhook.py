"""Automatic post-run sync: Strava's push subscription, received durably and processed in the background.

Strava validates the callback with a GET carrying ``hub.verify_token`` (we
compare it in constant time and answer 403 to anything else), then POSTs an
event for every new, changed or deleted activity and for deauthorisations.
Each event is written to the store's ``events`` table before we answer, so
the answer comes within Strava's 2 seconds and a crash or restart loses
nothing: a worker thread takes pending events in order and runs them through
the same pipeline as ``pose-sync sync``.
"""

from __future__ import annotations

import hmac
import logging
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from flask import Flask, Response, jsonify, request

from pose_sync.config import Config
from pose_sync.errors import AuthError, NotFound, PoseSyncError, RateLimited
from pose_sync.store import Store
from pose_sync.sync import Pipeline
from pose_sync_strava.connector import StravaConnector
from pose_sync_strava.settings import StravaSettings
from pose_sync_strava.tokens import TokenStore

log = logging.getLogger(__name__)
PLATFORM = "strava"
SUBSCRIPTION_KEY = "strava:subscription_id"
MAX_ATTEMPTS = 5


def create_app(data_dir: Path, settings: StravaSettings, wake: threading.Event | None = None) -> Flask:
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
        with Store.open(data_dir) as store:
            ours = store.get_cursor(SUBSCRIPTION_KEY)
            if ours is not None and str(event["subscription_id"]) != ours:
                log.warning("strava webhook: event for another subscription refused")
                return jsonify(error="unknown subscription"), 403
            store.enqueue_event(PLATFORM, event)
        if wake is not None:
            wake.set()
        return jsonify(status="queued"), 200

    return app


def _well_formed(event: Any) -> bool:
    return isinstance(event, dict) and event.get("object_type") in ("activity", "athlete") \
        and event.get("aspect_type") in ("create", "update", "delete") \
        and isinstance(event.get("object_id"), int) and isinstance(event.get("owner_id"), int) \
        and "subscription_id" in event


class EventWorker:
    """Drains the queue: runs each event's activity through the pipeline, in arrival order."""

    def __init__(self, data_dir: Path, config: Config, settings: StravaSettings) -> None:
        self.data_dir = data_dir
        self.config = config
        self.settings = settings

    def process_pending(self) -> RateLimited | None:
        """Handle every pending event; returns the RateLimited that stopped it, if one did."""
        connector = StravaConnector(self.settings, self.data_dir)
        try:
            with Store.open(self.data_dir) as store:
                pipeline = Pipeline(store, self.config, echo=log.info)
                for event_id, payload, attempts in store.pending_events(PLATFORM):
                    error = None
                    try:
                        state = self._handle(payload, connector, pipeline)
                    except RateLimited as limited:
                        return limited  # stays pending; resumed after the reset
                    except AuthError as denied:
                        state, error = "failed", str(denied)
                    except PoseSyncError as problem:
                        state = "failed" if attempts + 1 >= MAX_ATTEMPTS else "pending"
                        error = str(problem)
                    store.finish_event(event_id, state, error)
                    if error:
                        log.warning("strava event %s: %s", event_id, error)
        finally:
            connector.close()
        return None

    def _handle(self, event: dict[str, Any], connector: StravaConnector, pipeline: Pipeline) -> str:
        tokens = TokenStore(self.data_dir)
        saved = tokens.load()
        if event["object_type"] == "athlete":
            if str(event.get("updates", {}).get("authorized")) == "false" and saved and \
                    saved.athlete_id == event["owner_id"]:
                tokens.delete()
                log.warning("strava: athlete %s revoked access; tokens deleted", event["owner_id"])
                return "done"
            return "ignored"
        if saved is None or (saved.athlete_id is not None and saved.athlete_id != event["owner_id"]):
            return "ignored"  # not our athlete
        if event["aspect_type"] == "delete":
            return "ignored"
        try:
            activity = connector.get_activity(str(event["object_id"]))
        except NotFound:
            return "ignored"  # deleted or made private since
        result = pipeline.process(connector, activity, recheck=event["aspect_type"] == "update")
        return "done" if result.status in ("done", "skipped", "already") else "pending"


def run_worker(worker: EventWorker, wake: threading.Event, stop: threading.Event) -> None:
    """The background loop of `pose-sync serve`: wake on each event, or every minute."""
    while not stop.is_set():
        try:
            limited = worker.process_pending()
        except PoseSyncError as problem:
            log.error("strava worker: %s", problem)
            limited = None
        delay = 60.0
        if limited is not None and limited.reset_at is not None:
            delay = max(5.0, (limited.reset_at - datetime.now(timezone.utc)).total_seconds())
            log.warning("strava worker: %s", limited)
        wake.wait(timeout=delay)
        wake.clear()
