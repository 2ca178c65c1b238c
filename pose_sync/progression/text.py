"""Words and number formats shared by the terminal, HTML and JSON renderings of the report."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TypeVar

from pose_sync.progression.report import ProgressReport, WeekRow

LABELS = {
    "cadence_spm": "cadence (spm)", "stance_time_ms": "contact time (ms)",
    "vertical_oscillation_cm": "vertical oscillation (cm)", "vertical_ratio_pct": "vertical ratio (%)",
    "stance_time_balance_pct": "contact balance (% left)", "step_length_m": "step length (m)",
    "step_speed_loss_pct": "step speed loss (%)",
}
COMPARISON_UNITS = {"cadence_spm": "spm", "stance_time_ms": "ms", "vertical_oscillation_cm": "cm",
                    "vertical_ratio_pct": "%", "stance_time_balance_pct": "%", "step_length_m": "m",
                    "step_speed_loss_pct": "%"}


def metric_label(metric: str) -> str:
    return LABELS.get(metric, metric)


WEEK_HEADERS = ("week", "runs", "km", "hours", "load", "ramp", "fit", "fatigue", "easy%", "km ±", "form")


def ramp_cell(w: WeekRow) -> str:
    """The week-end ramp, with its level when it is flagged (or why there is none)."""
    if w.acwr is None:
        return {"building": "building", "returning": "returning", "break": "break"}.get(w.ramp_level or "", "-")
    flag = {"caution": " caution", "danger": " DANGER"}.get(w.ramp_level or "", "")
    return f"{w.acwr:.2f}{flag}"


def week_cells(w: WeekRow) -> list[str]:
    return [
        f"{w.week:%d %b %y}" + ("" if w.complete else "*"), str(w.runs), f"{w.distance_km:.1f}",
        f"{w.moving_h:.1f}", f"{w.load:.0f}",
        ramp_cell(w), f"{w.fitness:.0f}", f"{w.fatigue:.0f}",
        f"{100 * w.easy_share:.0f}" if w.easy_share is not None else "-",
        f"{w.distance_change_pct:+.0f} %" if w.distance_change_pct is not None else "-",
        f"{w.form_score:.0f}" if w.form_score is not None else "-",
    ]


@dataclass(frozen=True)
class WeekGap:
    """Consecutive weeks without a run, shown as one line instead of a row each."""

    first: date
    last: date
    weeks: int

    def short(self) -> str:
        return f"{self.weeks} empty weeks"

    def label(self) -> str:
        return f"{self.weeks} weeks without a run ({self.first:%d %b %y} to {self.last + timedelta(days=6):%d %b %y})"


W = TypeVar("W")
MIN_GAP_WEEKS = 3   # shorter stretches of empty weeks are rest weeks worth seeing row by row


def week_lines(weeks: Sequence[W], empty: Callable[[W], bool] = lambda w: w.runs == 0,  # type: ignore[attr-defined]
               ) -> list[W | WeekGap]:
    """The weeks to show: every week with something in it, stretches of empty weeks collapsed into one line.

    Any rows with a ``week`` (Monday) work: the report's weeks (empty: no run), the tissue-load weeks, ...
    """
    lines: list[W | WeekGap] = []
    stretch: list[W] = []

    def flush() -> None:
        if len(stretch) >= MIN_GAP_WEEKS:
            lines.append(WeekGap(stretch[0].week, stretch[-1].week, len(stretch)))  # type: ignore[attr-defined]
        else:
            lines.extend(stretch)
        stretch.clear()

    for week in weeks:
        if empty(week):
            stretch.append(week)
            continue
        flush()
        lines.append(week)
    flush()
    return lines


def week_label(day: date, with_year: bool) -> str:
    return f"{day:%d %b %y}" if with_year else f"{day:%d %b}"


def trend_table(report: ProgressReport, most_weeks: int = 6, most_metrics: int = 4,
                ) -> tuple[list[str], list[list[str]]]:
    """"Form at your usual pace, by week": (headers, rows) for the terminal and the HTML alike.

    The last ``most_weeks`` weeks with a value; the columns carry the year when they do not all fall
    in the report's last year.
    """
    with_data = [t for t in report.trends if t.weeks][:most_metrics]
    recent = sorted({w.week for t in with_data for w in t.weeks})[-most_weeks:]
    with_year = bool(recent) and len({m.year for m in recent} | {report.last_day.year}) > 1
    headers = ["metric", *(week_label(m, with_year) for m in recent)]
    rows = []
    for trend in with_data:
        values = {w.week: w.value for w in trend.weeks}
        rows.append([metric_label(trend.metric), *(f"{values[w]:.1f}" if w in values else "-" for w in recent)])
    return headers, rows
