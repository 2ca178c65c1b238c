"""The report's injury-aware panels: tissue load and its ramp with pain markers, and shoe allowance vs actual.

Drawn on axes :mod:`pose_sync.progression.plots` hands over, in its style
(weekly bars, the ramp as a line against its caution and danger lines).
"""

from __future__ import annotations

from datetime import timedelta

import matplotlib.dates as mdates
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from pose_sync.progression.load import CHRONIC_DAYS
from pose_sync.progression.report import ProgressReport

TISSUE, TISSUE_RAMP = "#8c564b", "#e377c2"
PAIN_COLOURS = ((2.0, "#2ca02c"), (5.0, "#e6a800"), (10.0, "#c00000"))   # settled, within the model, above it


def _x(days):  # type: ignore[no-untyped-def]
    return mdates.date2num(list(days))


def _pain_colour(score: float) -> str:
    return next(colour for limit, colour in PAIN_COLOURS if score <= limit)


def plot_tissue(ax: Axes, report: ProgressReport, week_axis) -> None:  # type: ignore[no-untyped-def]
    """Weekly tissue load (bars), its ramp (line) and pain reports (markers at their score, top = 10/10)."""
    injury = report.injury
    assert injury is not None
    ax.bar(_x(w.week + timedelta(days=3) for w in injury.tissue_weeks), [w.load for w in injury.tissue_weeks],
           width=5, color=TISSUE, alpha=0.45, label="weekly tissue load")
    ax.set_ylabel("tissue load (easy km)")
    ramp = ax.twinx()
    settled = report.history_start + timedelta(days=CHRONIC_DAYS // 2) if report.history_start else report.today
    days = [d for d in injury.tissue_days if d.acwr is not None and d.day >= settled]
    from pose_sync.progression.plots import RAMP_GAP_DAYS, _broken  # the same rule: no line across a gap

    xs, ys = _broken([d.day for d in days], [d.acwr or 0.0 for d in days], RAMP_GAP_DAYS)
    ramp.plot(xs, ys, color=TISSUE_RAMP, label="tissue ramp")
    state = injury.tissue_ramp
    if state is not None:
        ramp.axhline(state.caution, color="#e6a800", linestyle="--", linewidth=1)
        ramp.axhline(state.danger, color="#c00000", linestyle="--", linewidth=1)
        ramp.set_ylim(0, min(max([state.danger * 1.2] + [(d.acwr or 0) * 1.05 for d in days]), 4))
    ramp.set_ylabel("tissue ramp (acute:chronic)", color=TISSUE_RAMP)
    handles = [Line2D([], [], color=TISSUE_RAMP, label="tissue ramp")]
    if injury.pain:
        handles += [Line2D([], [], marker="o", linestyle="none", color="#e6a800", markeredgecolor="black",
                           label="pain during (height: 0-10)"),
                    Line2D([], [], marker="v", linestyle="none", color="#2ca02c", markeredgecolor="black",
                           label="pain next morning")]
    ramp.legend(handles=handles, loc="upper left", fontsize=7)
    # pain on the same timeline: x is the day, height is the score (axes fraction: 1.0 = 10/10)
    for report_ in injury.pain:
        x = _x([report_.day])[0]
        marker = "v" if report_.timing == "morning" else "o"
        ax.plot([x], [report_.score / 10], marker=marker, markersize=8, color=_pain_colour(report_.score),
                markeredgecolor="black", transform=ax.get_xaxis_transform(), clip_on=False, linestyle="none")
        ax.annotate(f"{report_.site} {report_.score:g}", (x, report_.score / 10), xycoords=ax.get_xaxis_transform(),
                    xytext=(4, 4), textcoords="offset points", fontsize=7)
    bound = " (binds)" if injury.ramp is not None and injury.ramp is state and state.level in ("caution", "danger") \
        else ""
    ax.set_title(f"Tissue load (bars) and tissue ramp (line){bound}, with pain", fontsize=10)
    week_axis(ax, report)


def plot_shoes(ax: Axes, report: ProgressReport, week_axis) -> None:  # type: ignore[no-untyped-def]
    """Per minimalist shoe and week: the plan's allowance (outline) against what was run (filled)."""
    injury = report.injury
    assert injury is not None
    plans = injury.transitions
    if not plans:
        ax.text(0.5, 0.5, "no minimalist shoes in use\n(mark them in [shoes] minimalist)", ha="center",
                va="center", transform=ax.transAxes)
        ax.set_yticks([])   # no data: no meaningless 0-1 axis
        ax.set_title("Minimalist shoes: allowance vs actual", fontsize=10)
        week_axis(ax, report)
        return
    width = 5.0 / len(plans)
    for k, plan in enumerate(plans):
        weeks = [w for w in plan.weeks if w.week >= report.first_week]
        x = _x(w.week + timedelta(days=1) for w in weeks) + (k + 0.5) * width
        colours = ["#c00000" if w.exceeded else "#1f77b4" for w in weeks]
        ax.bar(x, [w.run_km for w in weeks], width=width * 0.7, color=colours, alpha=0.8,
               label=f"{plan.label}: run")
        ax.bar(x, [w.allowed_km for w in weeks], width=width, fill=False, edgecolor="black", linewidth=1.2,
               zorder=3, label=f"{plan.label}: allowance")
        for xi, w in zip(x, weeks, strict=True):
            if w.held:
                ax.annotate("held", (xi, w.allowed_km), xytext=(0, 3), textcoords="offset points", ha="center",
                            fontsize=7)
    ax.set_ylabel("km per week")
    ax.legend(loc="upper left", fontsize=7)
    ax.set_title("Minimalist shoes: allowance (outline) vs run (red: over the plan)", fontsize=10)
    week_axis(ax, report)
