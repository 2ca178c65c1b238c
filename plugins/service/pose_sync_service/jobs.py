"""The service's jobs on Procrastinate (PostgreSQL): thin bodies over :mod:`pose_sync_service.service`.

* ``process_activity``: one activity; its queueing lock (athlete and
  activity) collapses duplicate webhook deliveries while one waits in the
  queue. A note still settling, or an activity another worker holds, is
  deferred again for later; a spent budget defers it to the reset. Other
  failures are retried with exponential backoff.
* ``backfill_athlete``: lists a newly connected athlete's runs and queues each
  at its priority (recent before old; webhooks before both).
* ``forget_activity``: an activity deleted on Strava leaves the store (under the activity's job lock).
* ``recheck_notes`` (every 10 minutes, one ``recheck_athlete`` job each), ``poll_garmin`` (every 30),
  ``retry_stalled`` (every minute: jobs of a worker that died, killed -9, go back to the queue),
  ``delete_athlete``.

Idempotency is the pipeline's (sync_items, claims, the ledger), not the
queue's: a job run twice writes nothing twice.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from datetime import datetime, timezone
from typing import Any

from procrastinate import App, JobContext, PsycopgConnector, RetryStrategy
from procrastinate.exceptions import AlreadyEnqueued

from pose_sync.errors import AuthError, RateLimited, RemoteError
from pose_sync_service import budget
from pose_sync_service.service import LOST_DATABASE, Later, current

log = logging.getLogger("pose_sync_service.jobs")
PRIORITY = {"webhook": 10, "recent": 5, "old": 1}
# Strava's server errors and lost database connections (a restart) are retried; the pipeline makes a
# job that ran halfway safe to run again.
RETRYABLE = (RemoteError, OSError, *LOST_DATABASE)
RETRY = RetryStrategy(max_attempts=8, exponential_wait=2, retry_exceptions=set(RETRYABLE))
MAX_ATTEMPTS = 8

app = App(connector=PsycopgConnector(), import_paths=["pose_sync_service.jobs"])


def task(jobs: App, name: str, **options: Any) -> Any:
    """A deferrer for one of the service's tasks with these options (a queueing lock, a time, a priority)."""
    return jobs.configure_task(name, **options)


def activity_lock(athlete_id: int, activity_id: str) -> str:
    return f"activity:{athlete_id}:{activity_id}"


def defer_activity(jobs: App, athlete_id: int, activity_id: str, *, aspect: str = "create",
                   event_time: float | None = None, updates: dict[str, str] | None = None, tier: str = "webhook",
                   at: datetime | None = None) -> bool:
    """Queue one activity; False when one is already waiting for it (a duplicate event: nothing to add)."""
    try:
        task(jobs, "process_activity", queueing_lock=activity_lock(athlete_id, activity_id),
                    lock=activity_lock(athlete_id, activity_id),
                            priority=PRIORITY[tier], schedule_at=at).defer(
            athlete_id=athlete_id, activity_id=activity_id, aspect=aspect, event_time=event_time,
            updates=updates or {}, tier=tier)
    except AlreadyEnqueued:
        return False
    return True


async def _defer_again(context: JobContext, at: float, **kwargs: Any) -> None:
    assert context.app is not None
    with contextlib.suppress(AlreadyEnqueued):  # a newer event for it waits already and covers this one
        await task(context.app, "process_activity", queueing_lock=activity_lock(kwargs["athlete_id"],
                                                                                 kwargs["activity_id"]),
                   lock=activity_lock(kwargs["athlete_id"], kwargs["activity_id"]),
                                         priority=PRIORITY[kwargs["tier"]],
                                         schedule_at=datetime.fromtimestamp(at, timezone.utc)).defer_async(**kwargs)


@app.task(name="process_activity", pass_context=True)
async def process_activity(context: JobContext, athlete_id: int, activity_id: str, aspect: str = "create",
                           event_time: float | None = None, updates: dict[str, str] | None = None,
                           tier: str = "webhook", attempt: int = 1) -> str:
    """Retries are new jobs under the same queueing lock (Procrastinate's own retry of a job whose lock a newer
    event holds would be refused), so an event that arrived meanwhile simply covers the retry."""
    import asyncio

    def run() -> Later | str:
        budget.priority.set(tier)
        return current().process_activity(athlete_id, activity_id, aspect, event_time, updates)

    kwargs = {"athlete_id": athlete_id, "activity_id": activity_id, "aspect": aspect, "event_time": event_time,
              "updates": updates or {}, "tier": tier, "attempt": attempt}
    try:
        outcome = await asyncio.to_thread(run)
    except RETRYABLE as problem:
        if attempt >= MAX_ATTEMPTS:
            raise
        wait = min(600.0, 2.0 ** attempt)
        log.warning("athlete %s activity %s: %s; again in %.0f s", athlete_id, activity_id,
                    type(problem).__name__, wait)
        await _defer_again(context, time.time() + wait, **{**kwargs, "attempt": attempt + 1})
        return f"retry {attempt + 1} in {wait:.0f} s"
    except RateLimited as limited:
        reset = limited.reset_at.timestamp() if limited.reset_at else datetime.now(timezone.utc).timestamp() + 900
        await _defer_again(context, reset, **kwargs)
        return f"budget: again at {limited.reset_at}"
    except AuthError as denied:
        log.warning("athlete %s: %s", athlete_id, denied)
        return "access refused"
    if isinstance(outcome, Later):
        await _defer_again(context, outcome.at, **kwargs)
        return f"{outcome.why}: again later"
    return outcome


@app.task(name="backfill_athlete", pass_context=True, retry=RETRY)
async def backfill_athlete(context: JobContext, athlete_id: int) -> int:
    import asyncio

    try:
        todo = await asyncio.to_thread(current().backfill, athlete_id)
    except RateLimited as limited:
        assert context.app is not None
        with contextlib.suppress(AlreadyEnqueued):
            await task(context.app, "backfill_athlete", schedule_at=limited.reset_at,
                                             queueing_lock=f"backfill:{athlete_id}").defer_async(athlete_id=athlete_id)
        return 0
    assert context.app is not None
    for activity_id, tier in todo:
        with contextlib.suppress(AlreadyEnqueued):
            await task(context.app, "process_activity", queueing_lock=activity_lock(athlete_id, activity_id),
                       lock=activity_lock(athlete_id, activity_id),
                                             priority=PRIORITY[tier]).defer_async(
                athlete_id=athlete_id, activity_id=activity_id, aspect="create", event_time=None, updates={},
                tier=tier)
    return len(todo)


@app.task(name="forget_activity", retry=RETRY)
async def forget_activity(athlete_id: int, activity_id: str) -> bool:
    """An activity deleted on Strava: its Strava copy leaves the athlete's store (the run stays if a file has it)."""
    import asyncio

    def run() -> bool:
        with current().athletes.store(athlete_id) as store:
            return store.forget_source("strava", activity_id)

    return await asyncio.to_thread(run)


@app.task(name="delete_athlete", retry=RETRY)
async def delete_athlete(athlete_id: int) -> int:
    import asyncio

    return sum((await asyncio.to_thread(current().delete_athlete, athlete_id)).values())


@app.periodic(cron="*/10 * * * *", periodic_id="recheck")
@app.task(name="recheck_notes", queueing_lock="recheck_notes", pass_context=True)
async def recheck_notes(context: JobContext, timestamp: int) -> int:
    """One small job per connected athlete (so workers share them and a stopping worker never holds a long one)."""
    import asyncio

    assert context.app is not None
    athletes = await asyncio.to_thread(current().connected)
    for athlete_id in athletes:
        with contextlib.suppress(AlreadyEnqueued):
            await task(context.app, "recheck_athlete", queueing_lock=f"recheck:{athlete_id}",
                       priority=PRIORITY["recent"]).defer_async(athlete_id=athlete_id)
    return len(athletes)


@app.task(name="recheck_athlete", retry=RETRY)
async def recheck_athlete(athlete_id: int) -> int:
    import asyncio

    try:
        return await asyncio.to_thread(current().recheck_notes, athlete_id)
    except RateLimited:
        return 0  # the next pass, ten minutes on, takes it up


@app.periodic(cron="*/30 * * * *", periodic_id="garmin")
@app.task(name="poll_garmin", queueing_lock="poll_garmin")
async def poll_garmin(timestamp: int) -> int:
    import asyncio

    return await asyncio.to_thread(current().poll_garmin)


@app.periodic(cron="* * * * *", periodic_id="stalled")
@app.task(name="retry_stalled", queueing_lock="retry_stalled", pass_context=True)
async def retry_stalled(context: JobContext, timestamp: int) -> int:
    """Jobs whose worker stopped sending heartbeats (killed -9, machine gone) go back to the queue."""
    assert context.app is not None
    stalled = await context.app.job_manager.get_stalled_jobs(seconds_since_heartbeat=STALLED_AFTER_S)
    for job in stalled:
        await _requeue(context.app, job)
    return len(list(stalled))


STALLED_AFTER_S = float(os.environ.get("POSE_SYNC_STALLED_AFTER_S", "30"))


async def requeue_stalled(jobs: App) -> int:
    """At a worker's start: the jobs of workers gone silent go back to the queue at once (not at the next minute)."""
    async with jobs.open_async():
        stalled = list(await jobs.job_manager.get_stalled_jobs(seconds_since_heartbeat=STALLED_AFTER_S))
        for job in stalled:
            await _requeue(jobs, job)
    return len(stalled)


async def _requeue(jobs: App, job: Any) -> None:
    from procrastinate.exceptions import UniqueViolation

    log.warning("job %s (%s) of a vanished worker goes back to the queue", job.id, job.task_name)
    try:
        await jobs.job_manager.retry_job(job)
    except UniqueViolation:  # a newer job for the same activity waits already: it does this one's work
        from procrastinate.jobs import Status

        log.info("job %s: a newer job with its queueing lock covers it", job.id)
        await jobs.job_manager.finish_job(job, Status.ABORTED, delete_job=False)  # and frees the job lock


_replaced = contextlib.ExitStack()


def configured(database_url: str, *, sync: bool = False) -> App:
    """The jobs app on the service's database: async for workers, sync for the web processes' defers.

    The tasks are declared on the module's ``app``; its connector is replaced
    here, once per process (Procrastinate's ``replace_connector``), so the
    tasks, the periodic deferrer and every defer use the same database."""
    from procrastinate import SyncPsycopgConnector

    conninfo = database_url.replace("postgresql+psycopg://", "postgresql://")
    connector = SyncPsycopgConnector(conninfo=conninfo) if sync else PsycopgConnector(conninfo=conninfo)
    _replaced.close()
    _replaced.enter_context(app.replace_connector(connector))
    return app


def fresh_connections(database_url: str) -> Any:
    """A pool that keeps no idle connection: each defer opens its own (a few ms here). A web process
    then never draws a connection a database restart has killed, whose checks a pool backs off from for
    seconds, longer than Strava waits for a webhook's answer."""
    from psycopg_pool import NullConnectionPool

    return NullConnectionPool(database_url.replace("postgresql+psycopg://", "postgresql://"), open=True)


def apply_schema(database_url: str) -> bool:
    """Create Procrastinate's tables in the service database if they are not there yet; True if it did."""
    import psycopg

    conninfo = database_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(7365)")
        try:
            if conn.execute("SELECT to_regclass('procrastinate_jobs')").fetchone()[0]:  # type: ignore[index]
                return False
            jobs = configured(database_url, sync=True)
            with jobs.open():
                jobs.schema_manager.apply_schema()
            return True
        finally:
            conn.execute("SELECT pg_advisory_unlock(7365)")
