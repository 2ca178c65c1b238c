"""The report as one self-contained HTML page (plots embedded), to open or mail."""

from __future__ import annotations

import base64
import re
from html import escape

from pose_sync.progression.injury import InjuryReport
from pose_sync.progression.injury_text import pain_cell, ramp_words, shoe_rows, tissue_cells, tissue_lines
from pose_sync.progression.report import ProgressReport
from pose_sync.progression.text import (
    COMPARISON_UNITS,
    WEEK_HEADERS,
    WeekGap,
    metric_label,
    trend_table,
    week_cells,
    week_lines,
)

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;
color:#222}h1{font-size:1.5em}h2{font-size:1.15em;margin-top:2em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:.9em}td,th{padding:.3em .7em;border-bottom:1px solid #eee;text-align:right}
td:first-child,th:first-child{text-align:left}.warn{background:#fff4e5;border-left:4px solid #e6a800;
padding:.5em 1em;margin:.3em 0}.danger{border-left-color:#c00000;background:#fdecea}img{max-width:100%}
.muted{color:#777}tr.gap td{color:#777;font-style:italic;text-align:left}
"""


def _table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _weeks_table(report: ProgressReport) -> str:
    """The weeks, with stretches of empty weeks as one line (as in the terminal)."""
    head = "".join(f"<th>{escape(h)}</th>" for h in WEEK_HEADERS)
    body = []
    for line in week_lines(report.weeks):
        if isinstance(line, WeekGap):
            body.append(f"<tr class='gap'><td colspan='{len(WEEK_HEADERS)}'>{escape(line.label())}</td></tr>")
        else:
            body.append("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in week_cells(line)) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def injury_html(injury: InjuryReport) -> str:
    """Both ramps, tissue load and pain by week, and each minimalist shoe's plan against what was run."""
    parts = [f"<h2>Tissue load and pain</h2><p>{escape(ramp_words(injury))}</p>",
             _table(["week", "tissue load (easy km)", "tissue ramp", "pain"],
                    [[w.label(), "", "", ""] if isinstance(w, WeekGap)
                     else [*tissue_cells(w), pain_cell(injury, w.week)]
                     for w in tissue_lines(injury.tissue_weeks)])]
    if injury.pain_verdict is not None and injury.pain_verdict.reasons:
        parts.append(f"<p>Pain-monitoring model (Silbernagel et al. 2007): <b>{escape(injury.pain_verdict.level)}</b>"
                     f" &middot; {escape(injury.pain_verdict.summary())}</p>")
    for plan in injury.transitions:
        parts.append(f"<h2>Minimalist plan: {escape(plan.label)}</h2>"
                     + _table(["week", "plan week", "allowed", "run", "note"], shoe_rows(plan)))
    return "".join(parts)


def render_html(report: ProgressReport, png: bytes | None) -> str:
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>pose-sync progression</title>"
             f"<style>{STYLE}</style></head><body>",
             f"<h1>pose-sync progression</h1><p class='muted'>{report.first_week} to {report.last_day}"]
    if report.program_week:
        parts.append(f" · program week {report.program_week} of 12"
                     + (f" ({escape(report.program_phase)})" if report.program_phase else ""))
    parts.append("</p>")
    if report.ramp and report.ramp.acwr is not None:
        parts.append(f"<p>{escape(report.ramp.label.capitalize())} today: <b>{report.ramp.acwr:.2f}</b>"
                     f" ({escape(report.ramp.level)};"
                     f" caution above {report.ramp.caution:.2f}, danger above {report.ramp.danger:.2f}"
                     + (f", {escape(report.ramp.reason)}" if report.ramp.reason else "") + ")</p>")
    elif report.ramp:
        parts.append(f"<p>Load ramp today: {escape(report.ramp.reason)}</p>")
    for warning in report.warnings:
        css = "warn danger" if "danger" in warning else "warn"
        parts.append(f"<div class='{css}'>{escape(warning)}</div>")
    if report.window_note:  # `--weeks 41` as code, the way the terminal shows a command
        parts.append("<p>" + re.sub(r"`([^`]+)`", r"<code>\1</code>", escape(report.window_note)) + "</p>")
    if png:
        parts.append(f"<img alt='progression plots' src='data:image/png;base64,{base64.b64encode(png).decode()}'>")
    parts.append("<h2>Weeks</h2>" + _weeks_table(report))
    headers, rows = trend_table(report)
    if rows:
        parts.append("<h2>Form at your usual pace, by week</h2>" + _table(headers, rows))
    if report.since:
        rows = []
        for c in report.comparisons:
            unit = COMPARISON_UNITS.get(c.metric, "")
            if c.difference is None:
                rows.append([metric_label(c.metric), "-", "-", c.verdict, c.detail])
            else:
                rows.append([metric_label(c.metric), f"{c.difference:+.2f} {unit}",
                             f"{c.ci_low:+.2f} to {c.ci_high:+.2f}", c.verdict, c.detail])
        parts.append(f"<h2>Form at matched pace: since {report.since} against before</h2>"
                     + _table(["metric", "change", "95 % interval", "verdict", "based on"], rows))
    if report.injury is not None:
        parts.append(injury_html(report.injury))
    if report.shoes:
        parts.append("<h2>Shoes</h2>" + _table(
            ["shoe", "minimalist", "runs", "km (stored runs)", "km (platform)", "this week", "ramp allows"],
            [[s.name or s.gear_id, "yes" if s.minimalist else "", str(s.runs), f"{s.distance_km:.1f}",
              f"{s.platform_total_km:.0f}" if s.platform_total_km else "-", f"{s.last_week_km:.1f}",
              f"{s.allowed_week_km:.1f}" if s.allowed_week_km is not None else "-"] for s in report.shoes]))
    parts.append(f"<p class='muted'>Heart-rate anchors: max {report.anchors.max_bpm:.0f}, resting"
                 f" {report.anchors.resting_bpm:.0f}, easy up to {report.easy_max_hr_bpm:.0f} bpm"
                 + (f" (estimated: {', '.join(report.anchors.estimated)})" if report.anchors.estimated else "")
                 + ". Load is Banister TRIMP (1 h at threshold = 100); the ramp is the last 7 days' load over"
                 " that of the 28 days before them.</p>")
    parts.append("</body></html>")
    return "".join(parts)
