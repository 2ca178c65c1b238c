"""``pose-sync doctor``: is everything in place, and what did the last syncs do?"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

import click
from rich.markup import escape
from rich.table import Table

from pose_sync.cli.app import App
from pose_sync.config import default_config_path
from pose_sync.connectors import Check, HasChecks
from pose_sync.errors import ConfigError, PoseSyncError
from pose_sync.plugins import BROKEN_PLUGINS, connector_specs
from pose_sync.sync import FINISHED


def _mark(ok: bool | None) -> str:
    return {True: "[green]ok[/]", False: "[red]FAIL[/]", None: "[yellow]warn[/]"}[ok]


@click.command("doctor")
@click.pass_obj
def command(app: App) -> None:
    """Check config, data directory, plugins and each connector's tokens; show sync history and pending work.

    \b
    Makes no requests that count against a platform's rate limit, and
    changes nothing (it works on a read-only data folder). When nothing is
    set up yet it says what to do next. Exit code 0 when everything is in
    order (warnings say what to do next), 1 when something fails, 2 when
    the config, or a connector's section of it, is invalid.
    """
    checks: list[Check] = []
    config_invalid = False
    source = app.config.source or default_config_path()
    checks.append(Check("config", True, f"{source}" + ("" if app.config.source else " (not present: defaults)")))
    data_dir = app.data_dir
    store = None
    if not data_dir.exists():
        checks.append(Check("data directory", True, f"{data_dir} (not created yet: the first import or sync does)"))
    else:
        try:
            store = app.reader()
            writable = os.access(data_dir, os.W_OK)
            checks.append(Check("data directory", writable, f"{data_dir} ({store.count_runs()} runs, schema "
                                f"v{store.schema_version})" + ("" if writable else ": not writable (report works,"
                                                               " import and sync do not)")))
        except PoseSyncError as exc:
            checks.append(Check("data directory", False, str(exc)))
    specs = connector_specs()
    checks.append(Check("plugins", True, ", ".join(sorted(specs)) or "no connectors installed"))
    for name, reason in BROKEN_PLUGINS.items():
        checks.append(Check(f"plugin {name}", False, f"failed to load: {reason}"))

    configured = [n for n in specs if n in app.config.connectors or n in app.config.sync.platforms]
    if not configured:
        runs = store.count_runs() if store is not None else 0
        then = " (`pose-sync report` shows your progression from the runs stored)" if runs else ""
        checks.append(Check("next step", None,
                            f"nothing to sync from yet: add a folder ([connectors.local] folders = [\"...\"] in"
                            f" {source}), or connect a platform with `pose-sync auth strava` or"
                            f" `pose-sync auth garmin`; or import files with `pose-sync import PATH`{then}"))
    for name in configured:
        try:
            connector = app.connector(name)
        except ConfigError as exc:
            checks.append(Check(name, False, str(exc)))
            config_invalid = True
            continue
        except PoseSyncError as exc:
            checks.append(Check(name, False, str(exc)))
            continue
        try:
            if isinstance(connector, HasChecks):
                for check in connector.checks():
                    checks.append(Check(f"{name}: {check.name}", check.ok, check.detail))
        finally:
            connector.close()
        if store is None:
            continue
        last = store.last_sync_run(name)
        if last is None:
            checks.append(Check(f"{name}: last sync", None, "never synced"))
        else:
            ok = {"ok": True, "rate_limited": None}.get(last["outcome"], False)
            s = last["summary"]
            counts = (f": {s.get('new', 0)} new, {s.get('failed', 0)} failed, {s.get('notes_written', 0)} note(s)"
                      if s else "")
            stopped = f"; stopped: {s['stopped']}" if s.get("stopped") else ""
            checks.append(Check(f"{name}: last sync", ok,
                                f"{last['started_at']} {last['outcome'] or 'did not finish'}{counts}{stopped}"))
        cursor = store.get_cursor(name)
        if cursor is not None and not getattr(connector, "lists_everything", False):
            days = app.config.sync.lookback_days
            since = datetime.fromisoformat(cursor) - timedelta(days=days)
            checks.append(Check(f"{name}: look-back", True, f"each sync lists from {since:%Y-%m-%d}, {days} days"
                                " before the newest activity synced, so late uploads are found (sync.lookback_days)"))

    if store is not None:
        pending = [i for p in {*configured, "file"} for i in store.items(p) if i.state not in FINISHED]
        gave_up = [i for p in {*configured, "file"} for i in store.items(p, ("gave_up",))]
        events = store.events_waiting()
        later = f", {events.later} of them waiting for the settle delay" if events.later else ""
        why = f"; waiting because: {events.last_error}" if events.last_error else ""
        failed = f"; {events.failed} failed" if events.failed else ""
        checks.append(Check("pending work", True if not pending and not events.pending else None,
                            f"{len(pending)} activit(ies) in progress, {events.pending} webhook event(s) queued"
                            f"{later}{why}{failed}"))
        failing = [i for p in {*configured, "file"} for i in store.items(p, ("failed",))]
        if failing:
            checks.append(Check("failing", None, f"{len(failing)} activit(ies) failed and will be tried again: "
                                + "; ".join(f"{i.platform}:{i.remote_id}: {i.last_error}" for i in failing[:3])
                                + (f"; and {len(failing) - 3} more" if len(failing) > 3 else "")))
        if gave_up:
            checks.append(Check("given up", None, f"{len(gave_up)} activit(ies) failed {len(gave_up)} times: "
                                + "; ".join(f"{i.platform}:{i.remote_id}: {i.last_error}" for i in gave_up[:3])))

    table = Table(show_header=False, box=None, pad_edge=False)
    for check in checks:
        table.add_row(_mark(check.ok), escape(check.name), escape(check.detail))  # "[connectors.local]" is text
    app.out.print(table)
    if config_invalid:
        raise click.exceptions.Exit(2)
    if any(check.ok is False for check in checks):
        raise click.exceptions.Exit(1)
