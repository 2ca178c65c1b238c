"""``pose-sync report``: progression across your stored runs, as tables, JSON, HTML or PNG."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date, datetime
from pathlib import Path

import click
from rich import box
from rich.table import Table

from pose_sync.cli.app import App
from pose_sync.files import write_atomic
from pose_sync.progression.report import ProgressReport, build_report
from pose_sync.progression.text import (
    COMPARISON_UNITS,
    WEEK_HEADERS,
    WeekGap,
    metric_label,
    trend_table,
    week_cells,
    week_lines,
)


def _print(app: App, report: ProgressReport) -> None:
    out = app.out
    head = f"Progression {report.first_week} to {report.last_day}"
    if report.program_week and report.program_phase:
        head += f" · program week {report.program_week} of 12 ({report.program_phase})"
    elif report.program_week and report.program_week > 12:
        head += " · the 12-week program has ended"
    out.print(f"[bold]{head}[/]")
    if report.ramp and report.ramp.acwr is not None:
        colour = {"safe": "green", "caution": "yellow", "danger": "red"}.get(report.ramp.level, "white")
        out.print(f"{report.ramp.label.capitalize()} today [{colour}]{report.ramp.acwr:.2f} ({report.ramp.level})[/]:"
                  " caution above"
                  f" {report.ramp.caution:.2f}, danger above {report.ramp.danger:.2f}"
                  + (f" ({report.ramp.reason})" if report.ramp.reason else ""))
    elif report.ramp:
        out.print(f"Load ramp today: {report.ramp.reason}", highlight=False)
    for warning in report.warnings:
        out.print(f"! {warning}", style="yellow", markup=False, highlight=False)
    if report.window_note:
        out.print(report.window_note, markup=False, highlight=False)
    if not report.runs_in_window:
        return
    table = Table(title="Weeks (load: training stress, 1 h at threshold = 100; ramp: acute:chronic;"
                        " fitness and fatigue in --json/--html"
                        + ("; * this week so far, km ± against the same days of last week" if report.weeks
                           and not report.weeks[-1].complete else "") + ")",
                  title_justify="left", box=box.SIMPLE_HEAD, padding=(0, 1))
    shown = [i for i, header in enumerate(WEEK_HEADERS) if header not in ("fit", "fatigue")]
    for i in shown:
        header = WEEK_HEADERS[i]
        table.add_column(header, justify="left" if header == "week" else "right", no_wrap=True,
                         min_width=max(len(header), 9 if header == "week" else 4))
    for line in week_lines(report.weeks):
        if isinstance(line, WeekGap):
            table.add_row(f"[dim]{line.short()}[/]")
            continue
        cells = week_cells(line)
        table.add_row(*(cells[i] for i in shown))
    out.print(table)
    headers, rows = trend_table(report)
    if rows:
        trends = Table(title="Form at your usual pace, by week", title_justify="left")
        for i, header in enumerate(headers):
            trends.add_column(header, justify="left" if i == 0 else "right")
        for row in rows:
            trends.add_row(*row)
        out.print(trends)
    if report.since:
        table = Table(title=f"Since {report.since}, against before (matched pace, 95 % interval)", title_justify="left",
                      box=box.SIMPLE_HEAD, padding=(0, 1))
        details = {c.detail for c in report.comparisons}
        shared = len(details) == 1          # usually every metric rests on the same runs: say it once, below
        columns = ("metric", "change", "interval", "verdict") + (() if shared else ("based on",))
        for header in columns:
            table.add_column(header, no_wrap=header != "based on", justify="right" if header == "change" else "left")
        for c in report.comparisons:
            unit = COMPARISON_UNITS.get(c.metric, "")
            cells = ([metric_label(c.metric), "-", "-", c.verdict] if c.difference is None else
                     [metric_label(c.metric), f"{c.difference:+.2f} {unit}", f"{c.ci_low:+.2f} to {c.ci_high:+.2f}",
                      c.verdict])
            table.add_row(*cells, *(() if shared else (c.detail,)))
        if shared:
            table.caption, table.caption_justify = f"based on {details.pop()}", "left"
        out.print(table)
    if report.injury is not None:
        from pose_sync.cli.report_injury import print_injury

        print_injury(out, report.injury)
    if report.shoes:
        table = Table(title="Shoes", title_justify="left")
        for header in ("shoe", "minimalist", "runs", "km", "this week", "ramp allows"):
            table.add_column(header)
        for s in report.shoes:
            table.add_row(s.name or s.gear_id, "yes" if s.minimalist else "", str(s.runs), f"{s.distance_km:.1f}",
                          f"{s.last_week_km:.1f}", f"{s.allowed_week_km:.1f}" if s.allowed_week_km is not None else "-")
        out.print(table)


def _json_default(value: object) -> str:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    raise TypeError(type(value).__name__)


@click.command("report")
@click.option("--weeks", type=click.IntRange(1, 1040),
              help="Weeks to show, up to today [default: 12, or the 12 up to your last run when the last 12"
                   " weeks have none].")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), metavar="DATE",
              help="Compare form at matched pace after DATE (YYYY-MM-DD) with before (default: program.start_date).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--html", "html_path", type=click.Path(dir_okay=False, writable=True),
              help="Also write a self-contained HTML report (tables and plots) to this file.")
@click.option("--png", "png_path", type=click.Path(dir_okay=False, writable=True),
              help="Also write the plots as a PNG image to this file.")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), hidden=True)
@click.pass_obj
def command(app: App, weeks: int | None, since: datetime | None, as_json: bool, html_path: str | None,
            png_path: str | None, today: datetime | None) -> None:
    """Progression across your stored runs: volume, load and ramps, pain, easy/hard split, form, shoes.

    \b
    Everything comes from the runs already in your store (import or sync
    first); nothing is downloaded or decoded again. Form is compared at
    matched pace: your cadence, contact time and bounce are compared with
    your own runs at the same speed, so a faster week does not look like
    better form. With --since (or program.start_date in the config) you get
    a before/after comparison with a 95 % interval, or "not enough data".
    Tissue load (steps weighted by speed; minimalist shoes and drills count
    more) has its own ramp beside the heart-rate one; the stricter binds.
    Pain you reported is shown against the load, and each minimalist shoe's
    transition plan against what you ran in it.

    \b
    Examples:
      pose-sync report
      pose-sync report --weeks 26 --html progress.html --png progress.png
    """
    from pose_sync.progression.body import BodyContext

    store = app.reader()
    stored = store.list_runs()
    day = (today or datetime.now()).date()
    report = build_report([(r.analysis, r.gear_id) for r in stored], store.gear_names(), app.config, day,
                          weeks=weeks, since=since.date() if since else None,
                          body=BodyContext.from_store(store, stored))
    if as_json:
        data = asdict(report)
        data.pop("days")
        if data.get("injury"):
            data["injury"].pop("tissue_days")
        app.out.print_json(json.dumps(data, default=_json_default))
    else:
        if not stored:  # nothing else to say yet (estimated heart-rate anchors of no runs are noise)
            app.err.print("no runs stored yet: run `pose-sync import PATH` or `pose-sync sync` first",
                          markup=False, highlight=False)
        else:
            _print(app, report)
    if (html_path or png_path) and not report.runs_in_window:
        # never an empty plot: say why nothing was drawn
        why = "no runs stored yet" if not stored else report.window_note or "no runs in this window"
        for path in (png_path, html_path):
            if path:
                app.err.print(f"not written: {path}: nothing to plot ({why})", markup=False, highlight=False,
                              soft_wrap=True)
        return
    if html_path or png_path:
        from pose_sync.progression.html import render_html
        from pose_sync.progression.plots import figure_png

        png = figure_png(report)
        if png_path:
            write_atomic(Path(png_path), png, mode=0o644)
            app.err.print(f"wrote {png_path}")
        if html_path:
            write_atomic(Path(html_path), render_html(report, png).encode(), mode=0o644)
            app.err.print(f"wrote {html_path}")
