"""Words and number formats shared by the terminal, HTML and JSON renderings of the report."""

from __future__ import annotations

from pose_sync.progression.report import WeekRow

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
        f"{w.week:%d %b %y}", str(w.runs), f"{w.distance_km:.1f}", f"{w.moving_h:.1f}", f"{w.load:.0f}",
        ramp_cell(w), f"{w.fitness:.0f}", f"{w.fatigue:.0f}",
        f"{100 * w.easy_share:.0f}" if w.easy_share is not None else "-",
        f"{w.distance_change_pct:+.0f} %" if w.distance_change_pct is not None else "-",
        f"{w.form_score:.0f}" if w.form_score is not None else "-",
    ]
