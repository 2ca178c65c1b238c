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
from pose_sync.progression import counted, intensity, shoes
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
    distance_change_pct: float | None  # on the week before; for the unfinished week, on the same days of it
    form_score: float | None
    ramp_level: str | None = None      # the ramp's verdict at the week's end (see load.ramp_state)
    complete: bool = True              # False for the week that holds today: its totals are so far


@dataclass(frozen=True)
class ProgressReport:
    """The report. Weeks run from ``first_week`` to ``end``: up to today, or up to the last run when
    the last weeks before today have none (``window_note`` then says so and how to widen it)."""

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
    end: date | None = None                 # last day shown (default: today)
    last_run: date | None = None            # of all history, not only the window
    runs_in_window: int = 0
    window_note: str | None = None
    left_out: int = 0                       # stored runs left out of every sum (``progression.counted``)

    @property
    def last_day(self) -> date:
        return self.end or self.today


DEFAULT_WEEKS = 12


def _window(runs: Sequence[RunAnalysis], today: date, weeks: int | None) -> tuple[date, date, str | None]:
    """(first Monday, last day, a note when the window had to move or is empty).

    ``weeks`` None: the last :data:`DEFAULT_WEEKS` weeks, or, when they hold no run, the
    :data:`DEFAULT_WEEKS` weeks up to the last run. A window never starts before the first run.
    """
    n = weeks or DEFAULT_WEEKS
    end = today
    first = week_start(today) - timedelta(weeks=n - 1)
    note = None
    if runs:
        last_run = runs[-1].start_time.date()
        if week_start(last_run) < first:
            ago = (today - last_run).days
            reach = len(weeks_between(week_start(last_run) - timedelta(weeks=n - 1), today))
            if weeks is None:
                end = last_run
                first = week_start(last_run) - timedelta(weeks=n - 1)
                note = (f"no runs in the last {n} weeks; your last run was on {last_run} ({ago} days ago):"
                        f" showing the {n} weeks up to it (`--weeks {reach}` reaches today)")
            else:
                note = (f"no runs in these {n} weeks; your last run was on {last_run} ({ago} days ago):"
                        f" `pose-sync report --weeks {reach}` reaches back to it")
        first = max(first, week_start(runs[0].start_time.date()))
    return first, end, note


def build_report(runs: Sequence[tuple[RunAnalysis, str | None]], gear: Mapping[str, tuple[str | None, float | None]],
                 config: Config, today: date, *, weeks: int | None = None, since: date | None = None,
                 body: BodyContext | None = None) -> ProgressReport:
    """The report for ``today``; ``weeks`` None lets the window follow the runs (see :func:`_window`).

    ``body`` adds pain and drill reports (the runs' shoes come with ``runs``); ``ramp`` is the stricter ramp.
    """
    runs = [(r, g) for r, g in runs if r.start_time.date() <= today]
    kept, dropped = counted.split(sorted((r for r, _ in runs), key=lambda r: r.start_time))
    counted_ids = {id(r) for r in kept}
    runs = [(r, g) for r, g in runs if id(r) in counted_ids]
    analyses = kept
    history = load_history(analyses, config, until=today)
    first_week, end, window_note = _window(analyses, today, weeks)
    window = [r for r in analyses if first_week <= week_start(r.start_time.date()) and r.start_time.date() <= end]
    bounds = intensity.boundaries(config, history.anchors, history.threshold_mps)
    split = intensity.weekly(window, bounds)
    loads = {id(r): load for r, load in history.run_loads}
    warnings: list[str] = counted.warnings(dropped)

    rows: list[WeekRow] = []
    previous_km: float | None = None
    previous_week: list[RunAnalysis] = []
    for week in weeks_between(first_week, end):
        in_week = [r for r in window if week_start(r.start_time.date()) == week]
        km = sum(r.distance_m for r in in_week) / 1000.0
        complete = week + timedelta(days=6) <= today
        if not complete and previous_km is not None:
            # an unfinished week against the same days of the week before, not against all of it ("-80 %" on a Tuesday)
            days_so_far = (today - week).days
            if not any(r.start_time.date() == today for r in in_week):
                days_so_far -= 1             # today's run may be still to come: up to yesterday on both sides
            previous_km = sum(r.distance_m for r in previous_week
                              if (r.start_time.date() - (week - timedelta(days=7))).days <= days_so_far) / 1000.0
        end_day = history.on(min(week + timedelta(days=6), today))
        scores = [r.form.score for r in in_week if r.form.score is not None]
        # week on week only between two weeks with running: an empty week is no baseline, and "-100 %" says nothing
        change = percent_change(km, previous_km) if previous_km and km > 0 else None
        rows.append(WeekRow(
            week=week, runs=len(in_week), distance_km=round(km, 2),
            moving_h=round(sum(r.moving_time_s for r in in_week) / 3600.0, 2),
            load=round(sum(loads[id(r)] for r in in_week), 1),
            acwr=round(end_day.acwr, 3) if end_day and end_day.acwr is not None else None,
            fitness=round(end_day.fitness, 1) if end_day else 0.0,
            fatigue=round(end_day.fatigue, 1) if end_day else 0.0,
            easy_share=split[week].easy_share if week in split else None,
            distance_change_pct=round(change, 1) if change is not None else None,
            form_score=round(sum(scores) / len(scores), 1) if scores else None,
            ramp_level=ramp_state(end_day, config).level if end_day else None,
            complete=complete,
        ))
        previous_km = km
        previous_week = in_week

    ramp = None
    today_load = history.on(today)
    heart = ramp_state(today_load, config) if today_load is not None else None
    context = BodyContext.of_runs(runs, gear_names=gear, pain=body.pain if body else (),
                                  drills=body.drills if body else {})
    injury = build_injury(analyses, context, config, today, first_week, heart, last_day=end)
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
    days = tuple(d for d in history.days if first_week <= d.day <= end)
    history_start = history.days[0].day if history.days else None
    return ProgressReport(today, first_week, history_start, tuple(rows), days, ramp, metric_trends, since, comparisons,
                          tuple(shoe_rows), history.anchors, bounds.easy_max_hr_bpm, bounds.easy_max_speed_mps,
                          week_no, phase, tuple(warnings), injury, end=end,
                          last_run=analyses[-1].start_time.date() if analyses else None,
                          runs_in_window=len(window), window_note=window_note, left_out=len(dropped))
