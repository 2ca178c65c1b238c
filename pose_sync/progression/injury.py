"""The injury-aware part of the progression report: tissue load beside heart-rate load, pain, shoe transitions.

A pure function of the runs, their shoes, the pain reports and the config,
like the rest of the report; the terminal, HTML, JSON and PNG renderings
read this one dataclass.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from pose_sync.config import Config
from pose_sync.model import RunAnalysis
from pose_sync.pain import PainReport
from pose_sync.progression.body import BodyContext
from pose_sync.progression.load import DailyLoad, RampState, week_start, weeks_between
from pose_sync.progression.pain_monitor import PainVerdict, assess
from pose_sync.progression.tissue import binding_note, stricter, tissue_history, tissue_ramp_state
from pose_sync.progression.transition import ShoeTransition, transitions


@dataclass(frozen=True)
class TissueWeek:
    week: date
    load: float                 # easy-km equivalents
    acwr: float | None          # the tissue ramp at the week's end
    level: str | None
    pain_max: float | None      # the highest pain reported that week (any site)


@dataclass(frozen=True)
class InjuryReport:
    """``ramp`` is the stricter of ``heart_ramp`` and ``tissue_ramp`` today; ``binding`` says so in words."""

    tissue_days: tuple[DailyLoad, ...]
    tissue_weeks: tuple[TissueWeek, ...]
    heart_ramp: RampState | None
    tissue_ramp: RampState | None
    ramp: RampState | None
    binding: str | None
    pain: tuple[PainReport, ...]
    pain_verdict: PainVerdict | None
    transitions: tuple[ShoeTransition, ...]
    warnings: tuple[str, ...]


def build_injury(analyses: Sequence[RunAnalysis], body: BodyContext, config: Config, today: date,
                 first_week: date, heart_ramp: RampState | None, last_day: date | None = None) -> InjuryReport:
    """``last_day``: the report's last day shown (today, or its last run's day when the window moved back)."""
    shown_until = last_day or today
    history = tissue_history(analyses, config, until=today, gear=body.gear, gear_names=body.gear_names,
                             drills=body.drills)
    day = history.on(today)
    tissue = tissue_ramp_state(day, config) if day is not None else None
    ramp = stricter(heart_ramp, tissue)
    by_week: dict[date, float] = {}
    for run, load in history.run_loads:
        monday = week_start(run.start_time.date())
        by_week[monday] = by_week.get(monday, 0.0) + load
    pain = tuple(p for p in body.pain if first_week <= p.day <= shown_until)
    weeks = []
    for monday in weeks_between(first_week, shown_until):
        end = history.on(min(monday + timedelta(days=6), today))
        scores = [p.score for p in pain if week_start(p.day) == monday]
        weeks.append(TissueWeek(
            monday, round(by_week.get(monday, 0.0), 1),
            round(end.acwr, 3) if end and end.acwr is not None else None,
            tissue_ramp_state(end, config).level if end else None, max(scores) if scores else None))
    verdict = assess(body.pain, today, config) if body.pain else None
    plans = tuple(transitions([(r, body.gear_of(r)) for r in analyses], body.gear_names, body.pain, config, today))
    warnings = []
    if tissue is not None and tissue.level in ("caution", "danger") and ramp is tissue:
        line = tissue.caution if tissue.level == "caution" else tissue.danger
        warnings.append(f"tissue load ramp {tissue.acwr:.2f} is above the {tissue.level} line ({line:.2f}): calf,"
                        " Achilles and foot are loaded faster than they are used to; hold or cut running volume,"
                        " time in minimalist shoes and drills this week")
    if verdict is not None and verdict.restricts:
        warnings.append(f"pain ({verdict.level}): {verdict.summary()}: easy running only, no intervals or drills"
                        + (", and shorter" if verdict.level == "cut" else ""))
    for plan in plans:
        for week in plan.weeks[-2:]:
            if week.exceeded:
                warnings.append(f"minimalist shoe {plan.label}, week of {week.week}: {week.why}")
    in_window = tuple(d for d in history.days if first_week <= d.day <= shown_until)
    return InjuryReport(in_window, tuple(weeks), heart_ramp, tissue, ramp, binding_note(heart_ramp, tissue), pain,
                        verdict, plans, tuple(warnings))
