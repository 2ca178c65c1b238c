"""What the jobs do, for one athlete at a time: the same pipeline as `pose-sync sync`, with the athlete's
store, config, tokens and the application's shared budget. The job bodies (:mod:`pose_sync_service.jobs`)
only load ids, call these and let Procrastinate retry."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import cache

import psycopg
import sqlalchemy.exc
from pose_sync_strava.api import StravaApi
from pose_sync_strava.connector import StravaConnector
from pose_sync_strava.settings import StravaSettings
from pose_sync_strava.webhook import changes_nothing_we_use

from pose_sync.errors import AuthError, NotFound
from pose_sync.store import HOST
from pose_sync.sync import FINISHED, Pipeline
from pose_sync_service import budget
from pose_sync_service.athletes import Athlete, Athletes
from pose_sync_service.settings import ServiceSettings

log = logging.getLogger("pose_sync_service")
# what a lost database connection (a restart, a network cut) raises out of the store
LOST_DATABASE = (sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError,
                 sqlalchemy.exc.PendingRollbackError, psycopg.OperationalError)
RECENT_DAYS = 30          # a backfill's runs newer than this go before older ones
BUSY_RETRY_S = 60.0


def claim_holder() -> str:
    """This worker process's name on the claims it takes (the same on every job it runs)."""
    return f"{HOST}:{os.getpid()}:service"


@dataclass(frozen=True)
class Later:
    """Come back at ``at`` (epoch seconds): a note still settling, an activity another worker holds."""

    at: float
    why: str


class Service:
    def __init__(self, settings: ServiceSettings) -> None:
        self.settings = settings
        self.athletes = Athletes(settings)
        self.budget = budget.SharedBudget(settings.database_url, reserve=self.strava_settings().budget_reserve)

    @staticmethod
    @cache
    def strava_settings() -> StravaSettings:
        """The application's credentials (STRAVA_CLIENT_ID, STRAVA_CLIENT_SECRET, STRAVA_VERIFY_TOKEN)."""
        return StravaSettings(budget_reserve=5)

    def connector(self, athlete: Athlete) -> StravaConnector:
        settings = self.strava_settings()
        api = StravaApi(settings, self.settings.athlete_dir(athlete.id), tokens=self.athletes.tokens(athlete.id),
                        budget=self.budget)
        return StravaConnector(settings, self.settings.athlete_dir(athlete.id), api=api)

    @contextmanager
    def pipeline(self, athlete: Athlete) -> Iterator[tuple[Pipeline, StravaConnector]]:
        connector = self.connector(athlete)
        try:
            with self.athletes.store(athlete.id) as store:
                pipeline = Pipeline(store, self.athletes.config(athlete.settings), echo=log.info)
                # Procrastinate's job lock runs one job per activity at a time; the claim still guards against
                # a `pose-sync sync` elsewhere, and a stable holder lets this process's retry (after a lost
                # database connection left its claim behind) take it back instead of waiting out the lease.
                pipeline.holder = claim_holder()
                yield pipeline, connector
        finally:
            connector.close()

    def process_activity(self, athlete_id: int, activity_id: str, aspect: str, event_time: float | None,
                         updates: dict[str, str] | None = None) -> Later | str:
        """One activity through the pipeline; what became of it, or when to come back."""
        athlete = self.athletes.get(athlete_id)
        if athlete is None or not athlete.connected:
            return "athlete gone"
        if aspect == "delete" or changes_nothing_we_use({"object_type": "activity", "aspect_type": aspect,
                                                         "updates": updates or {}}):
            return "nothing to do"
        try:
            with self.pipeline(athlete) as (pipeline, connector):
                item = pipeline.store.get_item("strava", activity_id)
                if aspect == "create" and item is not None and item.state in FINISHED:
                    return "already"
                try:
                    activity = connector.get_activity(activity_id)
                except NotFound:
                    return "gone from Strava"
                uploaded = None
                if aspect == "create" and event_time is not None:
                    uploaded = datetime.fromtimestamp(min(event_time, time.time()), timezone.utc)
                result = pipeline.process(connector, activity, recheck=aspect == "update", uploaded_at=uploaded)
        except LOST_DATABASE:
            self._release_claim(athlete_id, activity_id)
            raise
        if result.status == "settling" and result.due_in_s:
            return Later(time.time() + result.due_in_s, "settling")
        if result.status == "busy":
            return Later(time.time() + BUSY_RETRY_S, "busy")
        if result.status == "failed":
            log.warning("athlete %s activity %s failed: %s", athlete_id, activity_id, result.reason)
        return result.status

    def _release_claim(self, athlete_id: int, activity_id: str) -> None:
        """After a lost database connection, let go of this job's claim on a fresh connection.

        The claim would otherwise outlive the job for its whole lease, and the
        next job for the activity (a retry, or a newer event) would wait for
        it whenever another worker picks it up. Procrastinate's job lock runs
        one job per activity at a time, so no one else is working on it.
        """
        try:
            with self.athletes.store(athlete_id) as store, store.transaction():
                store.release("strava", activity_id, claim_holder())
        except LOST_DATABASE as still_down:   # the database is still away: the lease will end the claim
            log.warning("athlete %s activity %s: claim left to its lease (%s)", athlete_id, activity_id,
                        type(still_down).__name__)

    def backfill(self, athlete_id: int) -> list[tuple[str, str]]:
        """List the athlete's runs since their cursor: (activity id, "recent" or "old") to process, newest first."""
        athlete = self.athletes.get(athlete_id)
        if athlete is None or not athlete.connected:
            return []
        token = budget.priority.set("recent")
        try:
            with self.pipeline(athlete) as (pipeline, connector):
                cursor = pipeline.store.get_cursor("strava")
                lookback = timedelta(days=pipeline.config.sync.lookback_days)
                after = datetime.fromisoformat(cursor) - lookback if cursor else None
                listed = [a for a in connector.list_activities(after)]
                recent = datetime.now(timezone.utc) - timedelta(days=RECENT_DAYS)
                todo = []
                for activity in sorted(listed, key=lambda a: a.start_time, reverse=True):
                    item = pipeline.store.get_item("strava", activity.remote_id)
                    if item is None or item.state not in FINISHED:
                        todo.append((activity.remote_id, "recent" if activity.start_time >= recent else "old"))
                if listed:
                    newest = max(a.start_time for a in listed)
                    pipeline.store.set_cursor("strava", newest.isoformat())
                return todo
        finally:
            budget.priority.reset(token)

    def connected(self) -> list[int]:
        return [a.id for a in self.athletes.all() if a.connected]

    def recheck_notes(self, athlete_id: int) -> int:
        """One athlete's note checks that are due and notes left settling: one pass (see Pipeline.follow_up)."""
        athlete = self.athletes.get(athlete_id)
        if athlete is None or not athlete.connected:
            return 0
        token = budget.priority.set("recent")
        try:
            with self.pipeline(athlete) as (pipeline, connector):
                return len(pipeline.follow_up(connector))
        except AuthError as denied:
            log.warning("athlete %s: %s", athlete.id, denied)
            return 0
        finally:
            budget.priority.reset(token)

    def poll_garmin(self) -> int:
        """Athletes who connected Garmin (its tokens in their folder, as `pose-sync auth garmin` saves them)."""
        from pose_sync.connectors import ConnectorContext
        from pose_sync.plugins import connector_spec

        polled = 0
        for athlete in self.athletes.all():
            folder = self.settings.athlete_dir(athlete.id)
            if not (folder / "tokens" / "garmin").exists():
                continue
            spec = connector_spec("garmin")
            config = self.athletes.config(athlete.settings)
            garmin = spec.factory(spec.config_model.model_validate({}), ConnectorContext(folder, config))
            with self.athletes.store(athlete.id) as store:
                Pipeline(store, config, echo=log.info).sync(garmin)
            polled += 1
        return polled

    def delete_athlete(self, athlete_id: int) -> dict[str, int]:
        counts = self.athletes.delete(athlete_id)
        log.info("athlete %s deleted (%s rows)", athlete_id, sum(counts.values()))
        return counts


@cache
def current() -> Service:
    """The process's service, from the environment (a worker or web process has one)."""
    return Service(ServiceSettings.from_env())
