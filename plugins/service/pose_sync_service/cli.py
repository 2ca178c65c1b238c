"""`pose-sync serve --service` (the web app) and `pose-sync worker` (Procrastinate workers)."""

from __future__ import annotations

import asyncio
import logging
import signal
import time

import click

log = logging.getLogger("pose_sync_service")


def serve_service(host: str, port: int, threads: int = 8) -> None:
    """The web app under waitress; SIGTERM stops accepting and lets requests in flight finish."""
    from waitress import create_server

    from pose_sync_service import jobs, logs
    from pose_sync_service.service import current
    from pose_sync_service.web import create_app

    logs.setup()
    service = current()
    jobs.apply_schema(service.settings.database_url)
    app = create_app(service)
    server = create_server(app, host=host, port=port, threads=threads, ident="pose-sync")

    def stop(*_: object) -> None:
        log.info("web: stopping")
        server.close()

    signal.signal(signal.SIGTERM, stop)
    log.info("web: listening on http://%s:%s", host, server.effective_port)  # type: ignore[union-attr]
    try:
        server.run()
    except (KeyboardInterrupt, OSError):
        pass
    finally:
        app.extensions["pose_sync_jobs"].close()


@click.command("worker")
@click.option("--concurrency", type=click.IntRange(1, 64),
              help="Jobs at once in this process (default: POSE_SYNC_WORKER_CONCURRENCY, 4).")
def worker(concurrency: int | None) -> None:
    """Run the service's jobs: new runs, backfills, note checks, Garmin polls, deletions.

    \b
    Start any number, on any number of machines, against the same
    POSE_SYNC_DATABASE_URL: the queue hands each job to one worker, and a
    worker that dies (killed, machine lost) has its job handed out again.
    SIGTERM or Ctrl-C lets the jobs in hand finish, then stops.
    See README "For clubs and coaches".
    """
    from pose_sync_service import jobs, logs
    from pose_sync_service.service import current

    logs.setup()
    service = current()
    jobs.apply_schema(service.settings.database_url)
    app = jobs.configured(service.settings.database_url)
    count = concurrency or service.settings.worker_concurrency
    log.info("worker: %s jobs at once", count)
    while True:
        # Procrastinate stops a worker whose database connection broke (a restart, a network cut); the jobs it
        # held are handed out again, and this process starts a fresh worker once the database answers.
        try:
            asyncio.run(jobs.requeue_stalled(app))
            app.run_worker(concurrency=count, wait=True, install_signal_handlers=True, delete_jobs="successful",
                           update_heartbeat_interval=min(5.0, jobs.STALLED_AFTER_S / 3),
                           stalled_worker_timeout=jobs.STALLED_AFTER_S)
            return  # stopped by SIGTERM or Ctrl-C, jobs in hand finished
        except (KeyboardInterrupt, SystemExit):
            return
        except Exception as problem:  # noqa: BLE001 - logged, and the worker starts again
            # after the stall limit, so the jobs the stopped worker had in hand count as stalled and are
            # handed out again at the start
            pause = jobs.STALLED_AFTER_S + 1.0
            log.warning("worker: stopped by %s; starting again in %.0f s", type(problem).__name__, pause)
            time.sleep(pause)
