"""``pose-sync sync``: pull new runs from every configured platform, analyse, write notes back."""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

import click

from pose_sync.cli.app import App
from pose_sync.connectors import Connector
from pose_sync.errors import ConfigError, PoseSyncError, RateLimited
from pose_sync.lock import sync_lock
from pose_sync.plugins import connector_specs
from pose_sync.sync import ConnectorResult, ItemResult, Pipeline, minutes_left

if TYPE_CHECKING:
    from pose_sync.store import Store


def chosen_platforms(app: App, requested: tuple[str, ...]) -> list[str]:
    """--platform, else [sync] platforms, else every connector with a config section."""
    installed = connector_specs()
    names = list(requested) or list(app.config.sync.platforms) or \
        [name for name in app.config.connectors if name in installed]
    if not names:
        raise ConfigError("no platform to sync: none is configured",
                          hint="add [connectors.local] folders to your config, or run `pose-sync auth strava`")
    return names


def _line(result: ConnectorResult, dry_run: bool = False) -> str:
    s = result.summary()
    again = sum(1 for item in result.items if item.status == "failed" and item.repeat)
    text = (f"{result.connector}: {s['new']} new, {s['skipped']} skipped, {s['failed'] - again} failed, "
            f"{s['notes_written']} note(s) written")
    if again:
        text += f"; {again} still failing as before (`pose-sync doctor` lists them)"
    settling = result.settling
    if settling:
        wait = minutes_left(max(i.due_in_s or 0 for i in settling))
        if dry_run:
            text += (f"; {len(settling)} of the notes would wait {wait} min for the athlete's edits to settle"
                     " (a real sync stores the runs now and the next sync writes those notes)")
        else:
            text += (f"; {len(settling)} more stored, note(s) in {wait} min once the athlete's edits have settled:"
                     " the next sync writes them")
    if s["restored"]:
        text += f"; {s['restored']} note(s) put back after an app save removed them"
    if s["respected"]:
        text += f"; {s['respected']} note(s) removed twice by the athlete, left out for good"
    if s["busy"]:
        text += f"; {s['busy']} left to the other pose-sync process working on them"
    return text + (f"; stopped: {result.stopped_by}" if result.stopped_by is not None else "")


@click.command("sync")
@click.option("--platform", "platforms", multiple=True, metavar="NAME",
              help="Only this connector (repeatable): local, strava, garmin, ...")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), metavar="DATE",
              help="List activities from this date (YYYY-MM-DD) instead of from the last sync.")
@click.option("--dry-run", is_flag=True,
              help="Fetch and analyse, show every description that would be written; write nothing anywhere"
                   " (not the platforms, not your store, not the cursors).")
@click.option("--quiet", is_flag=True, help="Print nothing but errors.")
@click.pass_obj
def command(app: App, platforms: tuple[str, ...], since: datetime | None, dry_run: bool, quiet: bool) -> None:
    """Pull new runs from every configured platform, analyse them, write notes back.

    \b
    Safe to run from cron or a systemd timer: it resumes where the last run
    stopped, never analyses a run twice (the same run on Garmin and Strava
    is one run) and never writes a note twice. A second sync while one is
    running exits at once (code 3). Under cron (no terminal) it prints one
    summary line; errors go to stderr.

    \b
    A note is written once the activity has settled: [notes] settle_minutes
    (default 10) after its upload, or after this sync first saw it, since
    the athlete is often still typing in the app. A run that is still
    settling is stored and analysed now; the next sync writes its note.
    Each sync lists again [sync] lookback_days (default 28) before the
    newest activity it has, so late uploads are found.

    \b
    Exit codes: 0 done (a rate limit is not an error: the next run resumes),
    1 some activities or a platform failed, 2 configuration error, 3 busy.
    An activity that keeps failing is reported (and exits 1) once; after
    that `pose-sync doctor` lists it, until it works or is given up on.

    \b
    Examples:
      pose-sync sync
      pose-sync sync --platform strava --dry-run
      */30 * * * * pose-sync sync     (crontab)
    """
    names = chosen_platforms(app, platforms)
    # Connectors with original files first: a run then gets its one analysis from its best source, and
    # the stream-only copies elsewhere are linked to it without being fetched.
    connectors = sorted((app.connector(name, dry_run=dry_run) for name in names), key=lambda c: -c.source_quality)
    since_utc = since.replace(tzinfo=timezone.utc) if since else None
    show_progress = app.interactive and not quiet
    results: list[ConnectorResult] = []
    pushed: list[str] = []
    # A dry run works on an in-memory copy of the store and takes no lock: it writes nothing anywhere.
    from pose_sync.store import Store

    store = Store.snapshot(app.data_dir) if dry_run else app.store
    looked_back = {} if since_utc else {c.name: days for c in connectors if (days := _first_look_back(app, store, c))}
    with contextlib.nullcontext() if dry_run else sync_lock(app.data_dir):
        pipeline = Pipeline(store, app.config, dry_run=dry_run,
                            echo=lambda text: app.out.print(text, markup=False, highlight=False))
        for connector in connectors:
            try:
                result = _sync_one(app, pipeline, connector, since_utc, show_progress)
                results.append(result)
                if result.stopped_by is None:
                    pushed.extend(_push_workouts(app, pipeline.store, connector, dry_run))
            finally:
                connector.close()
    failed = False
    for result in results:
        # a file or activity that keeps failing is reported the first time; then `doctor` lists it (no cron mail
        # every half hour for the same broken file)
        new_failures = [item for item in result.items if item.status == "failed" and not item.repeat]
        for item in new_failures:
            app.err.print(f"error: {item.label}: {item.reason}", markup=False, highlight=False, soft_wrap=True)
        if result.stopped_by is not None and not isinstance(result.stopped_by, RateLimited):
            app.err.print(f"error: {result.stopped_by}", markup=False, highlight=False, soft_wrap=True)
        failed |= result.outcome == "failed" or bool(new_failures)
        if not quiet:
            prefix = "dry run: " if dry_run else ""
            app.out.print(f"{prefix}{_line(result, dry_run)}", markup=False, highlight=False, soft_wrap=True)
            days = looked_back.get(result.connector)
            if days and result.stopped_by is None:
                since_day = datetime.now(timezone.utc).date() - timedelta(days=days)
                app.out.print(f"{result.connector}: a first sync looks back {days} days, to {since_day}"
                              f" ([connectors.{result.connector}] backfill_days); for older runs:"
                              f" `pose-sync sync --platform {result.connector} --since YYYY-MM-DD`",
                              markup=False, highlight=False, soft_wrap=True)
    for line in pushed:
        failed |= line.startswith("error:")
        if line.startswith("error:"):
            app.err.print(line, markup=False, highlight=False, soft_wrap=True)
        elif not quiet:
            app.out.print(("dry run: " if dry_run else "") + line, markup=False, highlight=False, soft_wrap=True)
    if failed:
        raise click.exceptions.Exit(1)


def _first_look_back(app: App, store: Store, connector: Connector) -> int | None:
    """Days a connector's first sync looks back (its ``backfill_days``), or None when this is not a first sync."""
    if getattr(connector, "lists_everything", False) or store.get_cursor(connector.name) is not None:
        return None
    days = getattr(app.config.connector_settings(connector.name), "backfill_days", None)
    return int(days) if days else None


def _push_workouts(app: App, store: Store, connector: Connector, dry_run: bool) -> list[str]:
    """Where a connector is configured to (``push_workouts = true``), put the next sessions on its calendar."""
    settings = app.config.connector_settings(connector.name)
    if not getattr(settings, "push_workouts", False) or not hasattr(connector, "push_workout"):
        return []
    from pose_sync.workouts.push import plan_and_push, summary

    def echo(text: str) -> None:
        if dry_run:  # a real push is summed up in one line; a dry run shows each change
            app.out.print(text, markup=False, highlight=False)

    try:
        result = plan_and_push(store, app.config, connector.name, connector,  # type: ignore[arg-type]
                               datetime.now().date(), int(getattr(settings, "plan_days", 7)), dry_run=dry_run,
                               echo=echo)
    except PoseSyncError as exc:
        return [f"error: {exc}"]
    return [summary(connector.name, result)]


def _sync_one(app: App, pipeline: Pipeline, connector: Connector, since: datetime | None,
              show_progress: bool) -> ConnectorResult:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn  # only a watched sync shows it

    progress = Progress(TextColumn(f"{connector.name}"), BarColumn(), MofNCompleteColumn(),
                        TextColumn("{task.description}"), console=app.err, transient=True,
                        disable=not show_progress)
    with progress:
        task = progress.add_task("listing", total=None)

        def on_listed(count: int) -> None:
            progress.update(task, total=count, description="")

        def on_item(item: ItemResult) -> None:
            progress.update(task, advance=1, description=item.status)

        return pipeline.sync(connector, since=since, on_listed=on_listed, on_item=on_item)
