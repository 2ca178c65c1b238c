"""The report's plots: what a runner would rather look at than read.

Four panels on one figure: contact time and cadence at matched pace, bounce
at matched pace, weekly load with the ramp against its caution and danger
lines, and the weekly easy/hard split against the 80 % target. With the
injury-aware part (:mod:`pose_sync.progression.injury_plots`): tissue load
and its ramp with pain markers beside the heart-rate ramp, and each
minimalist shoe's allowance against what was run.

Dates carry the year wherever it changes (matplotlib's concise date
format); lines are broken where the history has a gap, so a line never
joins two runs years apart; a panel with nothing to show says so instead
of drawing empty axes.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402

from pose_sync.progression.load import CHRONIC_DAYS  # noqa: E402
from pose_sync.progression.report import ProgressReport  # noqa: E402
from pose_sync.progression.trends import MetricTrend  # noqa: E402

COLOURS = {"cadence": "#1f77b4", "contact": "#d62728", "vo": "#2ca02c", "vr": "#9467bd", "load": "#7f7f7f",
           "acwr": "#ff7f0e", "easy": "#4c9be8", "hard": "#d1495b"}   # easy/hard: blue and red, apart for every eye
TREND_GAP_DAYS = 21   # weekly points further apart than this are not joined by a line
RAMP_GAP_DAYS = 1     # the ramp is daily: any missing day breaks its line


def _x(days: Iterable[date]) -> Any:
    """Dates as matplotlib's numbers (what its date axes plot)."""
    return mdates.date2num(list(days))


def _broken(days: Sequence[date], values: Sequence[float], gap_days: int) -> tuple[list[float], list[float]]:
    """x and y with a NaN wherever consecutive days are more than ``gap_days`` apart (matplotlib breaks the line)."""
    xs: list[float] = []
    ys: list[float] = []
    for i, (day, value) in enumerate(zip(days, values, strict=True)):
        if i and (day - days[i - 1]).days > gap_days:
            xs.append(math.nan)
            ys.append(math.nan)
        xs.append(float(mdates.date2num(day)))
        ys.append(value)
    return xs, ys


def _bar_width(report: ProgressReport) -> float:
    """Five days wide (a week's bar with a gap), wider on a long span so a bar stays visible."""
    return max(5.0, (report.last_day - report.first_week).days / 150)


def _nothing(ax: Axes, text: str) -> None:
    """A panel without data: the reason instead of meaningless axes."""
    ax.set_yticks([])
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="#555")


def _trend(report: ProgressReport, metric: str) -> MetricTrend:
    return next(t for t in report.trends if t.metric == metric)


def _week_axis(ax: Axes, report: ProgressReport) -> None:
    ax.set_xlim(*_x([report.first_week - timedelta(days=4), report.last_day + timedelta(days=4)]))
    locator = mdates.AutoDateLocator(maxticks=7)
    ax.xaxis.set_major_locator(locator)
    # the year on every tick where it changes (and on month ticks), so "01 Jan" never stands alone
    formats = ["%Y", "%b %Y", "%d %b", "%H:%M", "%H:%M", "%S"]
    zero_formats = ["", "%Y", "%b %Y", "%d %b", "%H:%M", "%H:%M"]
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, show_offset=False, formats=formats,
                                                             zero_formats=zero_formats))
    ax.grid(alpha=0.3)
    if report.since and report.first_week <= report.since <= report.last_day:
        ax.axvline(_x([report.since])[0], color="black", linestyle=":", linewidth=1)


def _pace(speed_mps: float | None) -> str:
    if not speed_mps:
        return "your usual pace"
    seconds = 1000 / (speed_mps + 0.125)  # middle of the 0.25 m/s band
    return f"~{int(seconds // 60)}:{int(seconds % 60):02d}/km"


def _plot_pair(ax: Axes, report: ProgressReport, left: tuple[str, str, str], right: tuple[str, str, str],
               title: str) -> None:
    empty = True
    for side, (metric, label, colour) in (("left", left), ("right", right)):
        trend = _trend(report, metric)
        if not trend.weeks:
            continue
        axis = ax if side == "left" else ax.twinx()
        empty = False
        xs, ys = _broken([w.week for w in trend.weeks], [w.value for w in trend.weeks], TREND_GAP_DAYS)
        axis.plot(xs, ys, marker="o", color=colour, label=label)
        axis.set_ylabel(label, color=colour)
        axis.tick_params(axis="y", colors=colour)
    band = _trend(report, left[0]).reference_band_mps or _trend(report, right[0]).reference_band_mps
    ax.set_title(f"{title} at {_pace(band)}", fontsize=10)
    _week_axis(ax, report)
    if empty:
        _nothing(ax, "no running dynamics in this period\n(cadence, contact time and bounce come from the watch"
                     " or a foot or chest sensor)")


def _plot_load(ax: Axes, report: ProgressReport) -> None:
    bound = report.injury is not None and report.ramp is not None and report.ramp.load == "heart-rate" \
        and report.ramp.level in ("caution", "danger") and report.injury.tissue_ramp is not None
    ax.set_title("Weekly heart-rate load (bars) and ramp (line)" + (" (binds)" if bound else ""), fontsize=10)
    _week_axis(ax, report)
    if not any(w.load for w in report.weeks):
        _nothing(ax, "no training load in this period")
        return
    ax.bar(_x(w.week + timedelta(days=3) for w in report.weeks), [w.load for w in report.weeks],
           width=_bar_width(report),
           color=COLOURS["load"], alpha=0.5, label="weekly load (TRIMP)")
    ax.set_ylabel("weekly load")
    ramp = ax.twinx()
    # The ratio means nothing until the chronic window has some history behind it.
    settled = report.history_start + timedelta(days=CHRONIC_DAYS // 2) if report.history_start else report.today
    days = [d for d in report.days if d.acwr is not None and d.day >= settled]
    if not days:
        ramp.set_yticks([])
        level = next((w.ramp_level for w in reversed(report.weeks) if w.ramp_level), None)
        why = {"returning": "returning after a break, no ratio until a new baseline (3 weeks)",
               "break": "a break from running, no ratio"}.get(level or "", "building history: a ratio needs 3 weeks")
        ramp.text(0.5, 0.92, f"ramp: {why}", ha="center",
                  va="center", transform=ramp.transAxes, color="#555", fontsize=9)
        return
    xs, ys = _broken([d.day for d in days], [d.acwr or 0.0 for d in days], RAMP_GAP_DAYS)
    ramp.plot(xs, ys, color=COLOURS["acwr"], label="ramp")
    if report.ramp:
        ramp.axhline(report.ramp.caution, color="#e6a800", linestyle="--", linewidth=1,
                     label=f"caution {report.ramp.caution:.2f}")
        ramp.axhline(report.ramp.danger, color="#c00000", linestyle="--", linewidth=1,
                     label=f"danger {report.ramp.danger:.2f}")
        top = max([report.ramp.danger * 1.2] + [d.acwr * 1.05 for d in days if d.acwr])
        ramp.set_ylim(0, min(top, 4))
        ramp.legend(loc="upper left", fontsize=8)
    ramp.set_ylabel("ramp (acute:chronic)", color=COLOURS["acwr"])


def _plot_intensity(ax: Axes, report: ProgressReport) -> None:
    weeks = [w for w in report.weeks if w.easy_share is not None]
    if not weeks:
        ax.set_title("Easy / hard split", fontsize=10)
        _week_axis(ax, report)
        _nothing(ax, "no heart rate or pace to split easy from hard")
        return
    easy = [100 * (w.easy_share or 0) for w in weeks]
    centres = _x(w.week + timedelta(days=3) for w in weeks)
    width = _bar_width(report)
    ax.bar(centres, easy, width=width, color=COLOURS["easy"], label="easy")
    ax.bar(centres, [100 - e for e in easy], bottom=easy, width=width,
           color=COLOURS["hard"], label="hard")
    ax.axhline(80, color="black", linestyle="--", linewidth=1)
    ax.set_ylim(0, 100)
    ax.set_ylabel("% of running time")
    ax.set_title("Easy / hard split (dashed: 80 % easy)", fontsize=10)
    ax.legend(loc="lower left", fontsize=8)
    _week_axis(ax, report)


def figure_png(report: ProgressReport, dpi: int = 110) -> bytes:
    injury = report.injury is not None
    fig, axes = plt.subplots(3 if injury else 2, 2, figsize=(12, 11 if injury else 7.5), constrained_layout=True)
    _plot_pair(axes[0][0], report, ("stance_time_ms", "contact time (ms)", COLOURS["contact"]),
               ("cadence_spm", "cadence (spm)", COLOURS["cadence"]), "Contact and cadence")
    _plot_pair(axes[0][1], report, ("vertical_oscillation_cm", "vertical oscillation (cm)", COLOURS["vo"]),
               ("vertical_ratio_pct", "vertical ratio (%)", COLOURS["vr"]), "Bounce")
    _plot_load(axes[1][0], report)
    if injury:   # tissue load beside the heart-rate ramp; the split and the shoe plans below
        from pose_sync.progression.injury_plots import plot_shoes, plot_tissue

        plot_tissue(axes[1][1], report, _week_axis)
        _plot_intensity(axes[2][0], report)
        plot_shoes(axes[2][1], report, _week_axis)
    else:
        _plot_intensity(axes[1][1], report)
    end = report.last_day
    fig.suptitle(f"pose-sync progression, {report.first_week:%d %b %Y} to {end:%d %b %Y}"
                 + (f"  (dotted line: {report.since})" if report.since else ""), fontsize=12)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    plt.close(fig)
    return buffer.getvalue()
