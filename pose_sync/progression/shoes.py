"""Shoe mileage, and a separate, slower ramp for minimalist shoes.

Moving to thin, zero-drop shoes shifts load to the calf, Achilles tendon and
foot; runners who moved to minimalist shoes over ten weeks showed more bone
marrow oedema in the foot than those who did not (Ridge et al. 2013, Med Sci
Sports Exerc 45:1363). So the weekly distance in shoes the athlete marks as
minimalist is held to its own plan (:mod:`pose_sync.progression.transition`:
one short run in week 1, two in week 2, three in week 3, then modest growth,
only while pain stays low), counted from the first week they were used.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from pose_sync.config import Config
from pose_sync.model import RunAnalysis
from pose_sync.pain import PainReport
from pose_sync.progression.load import week_start
from pose_sync.progression.transition import next_allowance, shoe_transition


@dataclass(frozen=True)
class Shoe:
    gear_id: str
    name: str | None
    minimalist: bool
    runs: int
    distance_km: float            # from stored runs
    platform_total_km: float | None
    last_week_km: float
    allowed_week_km: float | None  # the minimalist ramp's allowance this week
    over_ramp: bool


def _is_minimalist(gear_id: str, name: str | None, marked: Sequence[str]) -> bool:
    keys = {m.strip().lower() for m in marked}
    return gear_id.lower() in keys or (name or "").strip().lower() in keys


def shoes(runs: Sequence[tuple[RunAnalysis, str | None]], gear: Mapping[str, tuple[str | None, float | None]],
          config: Config, today: date, pain: Sequence[PainReport] = ()) -> list[Shoe]:
    """Per gear id: mileage from stored runs, the platform's own total, and the minimalist plan's allowance."""
    by_gear: dict[str, list[RunAnalysis]] = {}
    for run, gear_id in runs:
        if gear_id:
            by_gear.setdefault(gear_id, []).append(run)
    this_week = week_start(today)
    result = []
    for gear_id in sorted(set(by_gear) | set(gear)):
        used = by_gear.get(gear_id, [])
        name, platform_total = gear.get(gear_id, (None, None))
        minimalist = _is_minimalist(gear_id, name, config.shoes.minimalist)
        week_km = sum(r.distance_m for r in used if week_start(r.start_time.date()) == this_week) / 1000.0
        allowed, over = None, False
        plan = shoe_transition(gear_id, name, used, pain, config, today) if minimalist else None
        if plan is not None and plan.current.week == this_week:
            allowed, over = plan.current.allowed_km, plan.current.exceeded
        elif plan is not None:   # not run in this week yet: what this week allows
            allowed = next_allowance(plan, pain, config, today)[1]
        result.append(Shoe(gear_id, name, minimalist, len(used), round(sum(r.distance_m for r in used) / 1000.0, 2),
                           round(platform_total / 1000.0, 1) if platform_total else None, round(week_km, 2),
                           allowed, over))
    return result
