"""``pose-sync plan``: the next sessions of the program, adapted to your ramp; export or push them."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date, datetime, timedelta
from pathlib import Path

import click
from rich.table import Table

from pose_sync.cli.app import App
from pose_sync.errors import UsageError
from pose_sync.files import write_atomic
from pose_sync.progression.planner import plan
from pose_sync.workouts.fit_file import encode_workout, file_name
from pose_sync.workouts.model import Repeat, Step, Workout


def describe(workout: Workout) -> str:
    """A one-line summary of a workout's steps (drills named, repeats as N x ...)."""
    parts = []
    for item in workout.steps:
        if isinstance(item, Repeat):
            work = item.steps[0]
            parts.append(f"{item.count} x {_step(work)}")
        else:
            parts.append(_step(item))
    return " · ".join(parts)


def _step(step: Step) -> str:
    value = step.duration.value or 0
    amount = f"{value / 60:.0f} min" if step.duration.kind == "time" and value >= 60 else \
        f"{value:.0f} s" if step.duration.kind == "time" else f"{value:.0f} m" if value else "open"
    return f"{step.name or step.kind.value} {amount}"


@click.command("plan")
@click.option("--days", type=click.IntRange(1, 28), default=7, show_default=True, help="How far ahead to plan.")
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
@click.option("--export", "export_dir", type=click.Path(file_okay=False),
              help="Write each session as a FIT workout file into this folder (load them on any watch).")
@click.option("--push", "push_to", metavar="PLATFORM", help="Put the sessions on the platform's calendar (garmin).")
@click.option("--dry-run", is_flag=True, help="With --push: show what would be created, updated or removed.")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), hidden=True)
@click.pass_obj
def command(app: App, days: int, as_json: bool, export_dir: str | None, push_to: str | None, dry_run: bool,
            today: datetime | None) -> None:
    """The next sessions of the 12-week Pose skills program, adapted to your load ramp.

    \b
    Sessions come from the program week (counted from program.start_date)
    on your run days (program.run_days). The stricter of two ramps steers
    it: heart-rate load and tissue (mechanical) load, which counts steps,
    speed, minimalist shoes and drills. On a danger ramp intervals become
    drills plus a short easy run; on a caution ramp runs are shortened and
    repetitions cut. Pain you reported (`pose-sync log pain`, or a line
    like "pain: achilles 3" in a description) above 5/10, not settled by
    the next morning or rising week to week turns intervals and drills
    into easy running. Minimalist shoes ([shoes] minimalist) follow their
    transition plan (one short run in week 1, two in week 2, three in
    week 3, then +10 % a week while pain stays low): the plan names the
    shoe for the short easy sessions that fit. The plan says why. Targets come from your threshold
    pace and heart rate (config), or are estimated from your runs.

    \b
    Examples:
      pose-sync plan
      pose-sync plan --export ~/workouts
      pose-sync plan --push garmin --dry-run
    """
    day = (today or datetime.now()).date()
    from pose_sync.progression.body import BodyContext

    stored = app.store.list_runs()
    result = plan([r.analysis for r in stored], app.config, day, days=days,
                  body=BodyContext.from_store(app.store, stored))
    if as_json:
        app.out.print_json(json.dumps({
            "start_date": result.start_date, "ramp": asdict(result.ramp) if result.ramp else None,
            "heart_ramp": asdict(result.heart_ramp) if result.heart_ramp else None,
            "tissue_ramp": asdict(result.tissue_ramp) if result.tissue_ramp else None,
            "pain": asdict(result.pain) if result.pain else None,
            "notes": list(result.notes), "workouts": [asdict(w) for w in result.workouts],
        }, default=lambda v: v.isoformat() if isinstance(v, date) else str(v)))
    else:
        _print(app, result)
    if export_dir:
        folder = Path(export_dir).expanduser()
        for workout in result.workouts:
            path = folder / file_name(workout)
            write_atomic(path, encode_workout(workout), mode=0o644)
            app.err.print(f"wrote {path}", highlight=False)
    if push_to:
        _push(app, push_to, result.workouts, (day + timedelta(days=1), day + timedelta(days=days)), dry_run)


def _print(app: App, result) -> None:  # type: ignore[no-untyped-def]
    for ramp in (result.heart_ramp, result.tissue_ramp):
        if ramp is None:
            continue
        bound = " (binds)" if ramp is result.ramp and result.heart_ramp and result.tissue_ramp \
            and ramp.level in ("caution", "danger") else ""
        name = ramp.label[0].upper() + ramp.label[1:]
        if ramp.acwr is not None:
            app.out.print(f"{name} {ramp.acwr:.2f} ({ramp.level}){bound}", highlight=False)
        else:
            app.out.print(f"{name}: {ramp.reason}", highlight=False)
    table = Table(title="Next sessions", title_justify="left", show_lines=False)
    for header in ("date", "session", "shoes", "steps"):
        table.add_column(header)
    for workout in result.workouts:
        table.add_row(f"{workout.scheduled_date:%a %d %b}", workout.name, workout.shoe or "usual", describe(workout))
    app.out.print(table)
    for note in result.notes:
        app.out.print(f"! {note}", style="yellow", markup=False, highlight=False)


def _push(app: App, platform: str, workouts: tuple[Workout, ...], window: tuple[date, date], dry_run: bool) -> None:
    from pose_sync.lock import sync_lock
    from pose_sync.workouts.push import push_plan, summary

    connector = app.connector(platform, dry_run=dry_run)
    try:
        if not hasattr(connector, "push_workout"):
            raise UsageError(f"{platform} cannot take workouts; use --export DIR for FIT files instead")
        with sync_lock(app.data_dir):
            result = push_plan(app.store, platform, connector, workouts, window=window, dry_run=dry_run,  # type: ignore[arg-type]
                               echo=lambda text: app.out.print(text, markup=False, highlight=False))
    finally:
        connector.close()
    app.out.print(("dry run: " if dry_run else "") + summary(platform, result), highlight=False)
