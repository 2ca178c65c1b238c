"""A minimalist-shoe transition that is a plan: a weekly allowance per shoe, grown only while pain stays low.

Moving to thin, zero-drop shoes shifts load to the calf, Achilles tendon and
foot bones. Ridge et al. 2013 (Med Sci Sports Exerc 45:1363) moved runners
to minimalist shoes over ten weeks with a gradual protocol and still saw more
bone marrow oedema in the foot than in runners who stayed in their shoes;
their protocol is the starting point here:

* week 1: **one** short run in the shoe (``[shoes] minimalist_start_km_per_week``,
  default 2.4 km, the 1-2 miles of the protocol);
* week 2: **two** such runs; week 3: **three**;
* from week 4, the weekly distance grows by ``minimalist_weekly_increase_pct``
  (default 10 %) a week, with no limit on the number of runs.

The plan advances one step a week **only while pain stays low**: when the
pain-monitoring verdict at the end of a week (:mod:`pose_sync.progression.pain_monitor`)
is *hold* or *cut*, the next week keeps the allowance it had. Each week is
shown next to what was actually run in the shoe, and a week above its
allowance (distance, or number of runs in weeks 1-3) is flagged. The planner
puts the allowance into its sessions: it names the shoe for the short easy
sessions that fit, and keeps intervals and long runs in the usual shoes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from pose_sync.config import Config
from pose_sync.model import RunAnalysis
from pose_sync.pain import PainReport
from pose_sync.progression.load import week_start, weeks_between
from pose_sync.progression.pain_monitor import assess
from pose_sync.progression.tissue import is_minimalist

RUNS_STEPS = 3          # weeks 1-3 count runs (one, two, three)
TOLERANCE_KM = 0.1      # GPS noise: a week is over its allowance by more than this


@dataclass(frozen=True)
class TransitionWeek:
    """One week of one shoe's plan: its step, what it allowed, what was run, and whether pain held it."""

    week: date
    step: int
    allowed_runs: int | None
    allowed_km: float
    runs: int
    run_km: float
    held: bool
    exceeded: bool
    why: str = ""


@dataclass(frozen=True)
class ShoeTransition:
    gear_id: str
    name: str | None
    weeks: tuple[TransitionWeek, ...]

    @property
    def current(self) -> TransitionWeek:
        return self.weeks[-1]

    @property
    def label(self) -> str:
        return self.name or self.gear_id


def allowance(step: int, config: Config) -> tuple[int | None, float]:
    """(runs allowed or None for any, km allowed) in plan week ``step`` (1-based)."""
    start = config.shoes.minimalist_start_km_per_week
    if step <= RUNS_STEPS:
        return step, round(step * start, 2)
    growth = 1 + config.shoes.minimalist_weekly_increase_pct / 100.0
    return None, round(RUNS_STEPS * start * growth ** (step - RUNS_STEPS), 2)


def shoe_transition(gear_id: str, name: str | None, runs: Sequence[RunAnalysis], pain: Sequence[PainReport],
                    config: Config, today: date) -> ShoeTransition | None:
    """The plan of one minimalist shoe from the week it was first run in to ``today``'s week."""
    used = [r for r in runs if r.start_time.date() <= today]
    if not used:
        return None
    first = week_start(min(r.start_time.date() for r in used))
    weeks: list[TransitionWeek] = []
    step = 1
    for monday in weeks_between(first, today):
        held, why = False, ""
        if weeks:
            verdict = assess(pain, monday - timedelta(days=1), config) if pain else None
            if verdict is not None and verdict.restricts:
                held, why = True, f"held by pain: {verdict.summary()}"
            else:
                step += 1
        in_week = [r for r in used if week_start(r.start_time.date()) == monday]
        km = round(sum(r.distance_m for r in in_week) / 1000.0, 2)
        allowed_runs, allowed_km = allowance(step, config)
        over = km > allowed_km + TOLERANCE_KM or (allowed_runs is not None and len(in_week) > allowed_runs)
        if over:
            why = "; ".join(w for w in (why, f"{km:.1f} km in {len(in_week)} run(s): the plan allows {allowed_km:.1f}"
                                        + (f" km in {allowed_runs}" if allowed_runs is not None else " km")) if w)
        weeks.append(TransitionWeek(monday, step, allowed_runs, allowed_km, len(in_week), km, held, over, why))
    return ShoeTransition(gear_id, name, tuple(weeks))


def transitions(runs: Sequence[tuple[RunAnalysis, str | None]], gear: Mapping[str, tuple[str | None, float | None]],
                pain: Sequence[PainReport], config: Config, today: date) -> list[ShoeTransition]:
    """Every minimalist shoe's plan, by gear id."""
    by_gear: dict[str, list[RunAnalysis]] = {}
    for run, gear_id in runs:
        if gear_id and is_minimalist(gear_id, gear, config):
            by_gear.setdefault(gear_id, []).append(run)
    found = []
    for gear_id in sorted(by_gear):
        plan = shoe_transition(gear_id, gear.get(gear_id, (None, None))[0], by_gear[gear_id], pain, config, today)
        if plan is not None:
            found.append(plan)
    return found


def next_allowance(plan: ShoeTransition, pain: Sequence[PainReport], config: Config,
                   day: date) -> tuple[int | None, float, str]:
    """What is left of the allowance on ``day`` (this week, or a week ahead): (runs, km, why)."""
    current = plan.current
    monday = week_start(day)
    if monday == current.week:
        runs = None if current.allowed_runs is None else max(0, current.allowed_runs - current.runs)
        return runs, max(0.0, round(current.allowed_km - current.run_km, 2)), ""
    verdict = assess(pain, monday - timedelta(days=1), config) if pain else None
    held = verdict is not None and verdict.restricts
    steps = (monday - current.week).days // 7
    runs, km = allowance(current.step + (0 if held else steps), config)
    return runs, km, "held by pain" if held else ""
