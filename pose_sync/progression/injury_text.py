"""Words and cells for the injury-aware part of the report, shared by the terminal and HTML renderings."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from pose_sync.progression.injury import InjuryReport, TissueWeek
from pose_sync.progression.load import RampState
from pose_sync.progression.text import WeekGap, week_lines
from pose_sync.progression.transition import ShoeTransition


def _ramp(state: RampState | None) -> str:
    if state is None:
        return "no runs yet"
    if state.acwr is None:
        return state.reason
    return f"{state.acwr:.2f} ({state.level})"


def ramp_words(injury: InjuryReport) -> str:
    """One line: both ramps today, and which one binds."""
    line = f"Heart-rate load ramp {_ramp(injury.heart_ramp)} · tissue load ramp {_ramp(injury.tissue_ramp)}"
    if injury.binding:
        line += f": {injury.binding}"
    return line


def tissue_lines(weeks: Sequence[TissueWeek]) -> list[TissueWeek | WeekGap]:
    """The tissue weeks to show: stretches without load or pain as one line (as the report's weeks)."""
    return week_lines(weeks, empty=lambda w: not w.load and w.pain_max is None)


def tissue_cells(week: TissueWeek) -> list[str]:
    if week.acwr is not None:
        flag = {"caution": " caution", "danger": " DANGER"}.get(week.level or "", "")
        ramp = f"{week.acwr:.2f}{flag}"
    else:
        ramp = week.level or "-"
    return [f"{week.week:%d %b %y}", f"{week.load:.1f}", ramp]


def pain_cell(injury: InjuryReport, monday: date) -> str:
    """The week's pain reports: 'achilles 6 (Tue), heel 1 (Wed morning)'."""
    reports = [p for p in injury.pain if monday <= p.day < monday + timedelta(days=7)]
    return ", ".join(f"{p.site} {p.score:g} ({p.day:%a}{' morning' if p.timing == 'morning' else ''})"
                     for p in reports) or "-"


def shoe_rows(plan: ShoeTransition) -> list[list[str]]:
    rows = []
    for week in plan.weeks:
        allowed = f"{week.allowed_km:.1f} km" + (f" / {week.allowed_runs} run(s)" if week.allowed_runs else "")
        note = "OVER: " + week.why if week.exceeded else week.why
        rows.append([f"{week.week:%d %b %y}", str(week.step), allowed, f"{week.run_km:.1f} km / {week.runs}", note])
    return rows
