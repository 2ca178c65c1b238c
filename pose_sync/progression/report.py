"""The progression report: everything a runner asks across runs, from stored analyses only.

A pure function of (runs, gear, config, today): weekly volume and load, the
ramp, the easy/hard split, form at matched pace with a before/after
comparison, shoes, and the warnings that follow from them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from pose_sync.config import Config
from pose_sync.model import RunAnalysis
from pose_sync.progression import intensity, shoes
from pose_sync.progression.body import BodyContext
from pose_sync.progression.injury import InjuryReport, build_injury
from pose_sync.progression.load import (
    DailyLoad,
    HeartRateAnchors,
    RampState,
    load_history,
    percent_change,
    ramp_state,
    ramp_thresholds,
    week_start,
    weeks_between,
)
from pose_sync.progression.program import builtin_program, program_week
from pose_sync.progression.trends import (
    OPTIONAL_TREND_METRICS,
    TREND_METRICS,
    Comparison,
    MetricTrend,
    before_after,
    weekly_trend,
)


@dataclass(frozen=True)
class WeekRow:
    week: date
    runs: int
    distance_km: float
    moving_h: float
    load: float
    acwr: float | None
    fitness: float
    fatigue: float
    easy_share: float | None
    distance_change_pct: float | None
    form_score: float | None
    ramp_level: str | None = None      # the ramp's verdict at the week's end (see load.ramp_state)


@dataclass(frozen=True)
class ProgressReport:
    today: date
    first_week: date
    history_start: date | None
    weeks: tuple[WeekRow, ...]
    days: tuple[DailyLoad, ...]
    ramp: RampState | None
    trends: tuple[MetricTrend, ...]
    since: date | None
    comparisons: tuple[Comparison, ...]
    shoes: tuple[shoes.Shoe, ...]
    anchors: HeartRateAnchors
    easy_max_hr_bpm: float
    easy_max_speed_mps: float
    program_week: int | None
    program_phase: str | None
    warnings: tuple[str, ...]
    injury: InjuryReport | None = None   # tissue load, pain, minimalist transitions (progression.injury)


def build_report(runs: Sequence[tuple[RunAnalysis, str | None]], gear: Mapping[str, tuple[str | None, float | None]],
                 config: Config, today: date, *, weeks: int = 12, since: date | None = None,
                 body: BodyContext | None = None) -> ProgressReport:
    """``body`` adds pain and drill reports (the runs' shoes come with ``runs``); ``ramp`` is the stricter ramp."""
    runs = [(r, g) for r, g in runs if r.start_time.date() <= today]
    analyses = sorted((r for r, _ in runs), key=lambda r: r.start_time)
    history = load_history(analyses, config, until=today)
    first_week = week_start(today) - timedelta(weeks=weeks - 1)
    window = [r for r in analyses if week_start(r.start_time.date()) >= first_week]
    bounds = intensity.boundaries(config, history.anchors, history.threshold_mps)
    split = intensity.weekly(window, bounds)
    loads = {id(r): load for r, load in history.run_loads}
    warnings: list[str] = []

    rows: list[WeekRow] = []
    previous_km: float | None = None
    first_run = analyses[0].start_time.date() if analyses else today
    for week in weeks_between(first_week, today):
        in_week = [r for r in window if week_start(r.start_time.date()) == week]
        km = sum(r.distance_m for r in in_week) / 1000.0
        end = history.on(min(week + timedelta(days=6), today))
        scores = [r.form.score for r in in_week if r.form.score is not None]
        change = percent_change(km, previous_km) if previous_km is not None and week > week_start(first_run) else None
        rows.append(WeekRow(
            week=week, runs=len(in_week), distance_km=round(km, 2),
            moving_h=round(sum(r.moving_time_s for r in in_week) / 3600.0, 2),
            load=round(sum(loads[id(r)] for r in in_week), 1),
            acwr=round(end.acwr, 3) if end and end.acwr is not None else None,
            fitness=round(end.fitness, 1) if end else 0.0, fatigue=round(end.fatigue, 1) if end else 0.0,
            easy_share=split[week].easy_share if week in split else None,
            distance_change_pct=round(change, 1) if change is not None else None,
            form_score=round(sum(scores) / len(scores), 1) if scores else None,
            ramp_level=ramp_state(end, config).level if end else None,
        ))
        previous_km = km

    ramp = None
    today_load = history.on(today)
    heart = ramp_state(today_load, config) if today_load is not None else None
    context = BodyContext.of_runs(runs, gear_names=gear, pain=body.pain if body else (),
                                  drills=body.drills if body else {})
    injury = build_injury(analyses, context, config, today, first_week, heart)
    if heart is not None:
        ramp = heart
        if ramp.level in ("caution", "danger") and injury.ramp is heart:
            warnings.append(f"load ramp {ramp.acwr:.2f} is above the {ramp.level} line "
                            f"({ramp.caution if ramp.level == 'caution' else ramp.danger:.2f})"
                            + (f", {ramp.reason}" if ramp.reason else "") + ": hold or cut volume this week")
    caution, _, why = ramp_thresholds(config)
    warn_pct = config.load.weekly_increase_warn_pct * (caution / config.load.acwr_caution)
    for row in rows[-2:]:
        if row.distance_change_pct is not None and row.distance_change_pct > warn_pct:
            warnings.append(f"week of {row.week}: distance up {row.distance_change_pct:.0f} % on the week before"
                            f" (warning above {warn_pct:.0f} %{', ' + why if why else ''})")
    if history.anchors.estimated:
        hr = history.anchors
        warnings.append(f"heart-rate {', '.join(hr.estimated)} estimated (max {hr.max_bpm:.0f},"
                        f" resting {hr.resting_bpm:.0f} bpm): set them in [athlete] for exact load")

    warnings.extend(injury.warnings)
    ramp = injury.ramp
    shoe_rows = shoes.shoes(runs, gear, config, today, context.pain)

    metrics = TREND_METRICS + tuple(m for m in OPTIONAL_TREND_METRICS
                                    if any(m in b.metrics for r in analyses for b in r.speed_bands))
    metric_trends = tuple(weekly_trend(window, m) for m in metrics)
    since = since or config.program.start_date
    comparisons = tuple(before_after(analyses, m, since) for m in metrics) if since else ()

    program = builtin_program()
    week_no = phase = None
    if config.program.start_date:
        week_no = program_week(config.program.start_date, today)
        if 1 <= week_no <= program.program.weeks:
            phase = program.phase_of(week_no).name
    days = tuple(d for d in history.days if d.day >= first_week)
    history_start = history.days[0].day if history.days else None
    return ProgressReport(today, first_week, history_start, tuple(rows), days, ramp, metric_trends, since, comparisons,
                          tuple(shoe_rows), history.anchors, bounds.easy_max_hr_bpm, bounds.easy_max_speed_mps,
                          week_no, phase, tuple(warnings), injury)
