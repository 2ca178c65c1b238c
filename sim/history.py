"""A simulated history: weeks of runs for one runner, optionally with a technique change.

Each week follows a pattern of sessions (easy, intervals, long...) on fixed
weekdays; volume can grow week by week; a change (cadence up, contact down)
can start on a date, either at once or phased in over weeks. Everything is
seeded, so a history is reproducible and its truth is known run by run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

import numpy as np

from sim.runner import Leg, Runner, SimulatedRun, intervals, paces_ladder, simulate_run, steady


@dataclass(frozen=True)
class PlannedRun:
    """One session of a weekly pattern: weekday (0 = Monday), kind and its legs for a given week."""

    weekday: int
    kind: str
    legs: Callable[[int], list[Leg]]


def default_week(easy_mps: float = 2.9, base_minutes: float = 40.0) -> tuple[PlannedRun, ...]:
    """Four runs a week: easy Tuesday, intervals Thursday, easy Saturday, long Sunday."""
    return (
        PlannedRun(1, "easy", lambda w: steady(easy_mps, base_minutes)),
        PlannedRun(3, "intervals", lambda w: intervals(easy_mps * 1.45, reps=5 + w % 2, easy_mps=easy_mps)),
        PlannedRun(5, "easy", lambda w: paces_ladder((easy_mps, easy_mps * 1.12, easy_mps), base_minutes / 3)),
        PlannedRun(6, "long", lambda w: steady(easy_mps * 0.95, base_minutes * 1.6)),
    )


@dataclass
class History:
    runs: list[SimulatedRun] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)


def simulate_history(runner: Runner, first_day: date, weeks: int, *, seed: int = 1,
                     pattern: Sequence[PlannedRun] | None = None,
                     change: Mapping[str, float] | None = None, change_from: date | None = None,
                     change_weeks: int = 0, skip_weeks: Sequence[int] = (),
                     volume: Callable[[int], float] = lambda w: 1.0, only_from: date | None = None,
                     **run_options: object) -> History:
    """``weeks`` of ``pattern`` starting the week of ``first_day``.

    ``change`` (metric -> shift at the reference speed) applies from
    ``change_from``, in full at once or linearly over ``change_weeks``.
    ``volume(week)`` scales the duration of every leg (1.0 = as planned);
    ``skip_weeks`` are weeks off. ``only_from`` simulates only the runs from
    that day on, exactly as the full history would have them (same seeds),
    so two histories that differ only after a date can share the runs before it.
    """
    pattern = tuple(pattern or default_week())
    rng = np.random.default_rng(seed)
    monday = first_day - timedelta(days=first_day.weekday())
    history = History()
    for week in range(weeks):
        if week in skip_weeks:
            continue
        for planned in pattern:
            day = monday + timedelta(weeks=week, days=planned.weekday)
            if day < first_day:
                continue
            on_day = runner
            if change and change_from and day >= change_from:
                progress = 1.0 if change_weeks <= 0 else min(1.0, ((day - change_from).days + 1) / (7 * change_weeks))
                on_day = runner.shifted(**{k: v * progress for k, v in change.items()})
            scale = volume(week)
            legs = [Leg(max(30, int(leg.duration_s * scale)), leg.speed_mps, leg.grade_pct)
                    for leg in planned.legs(week)]
            start = datetime.combine(day, time(6, 30), tzinfo=timezone.utc)
            start += timedelta(minutes=int(rng.integers(0, 90)))
            run_seed = int(rng.integers(0, 2**31))
            if only_from is not None and day < only_from:
                continue
            history.runs.append(simulate_run(on_day, legs, start, seed=run_seed,
                                             **run_options))  # type: ignore[arg-type]
            history.kinds.append(planned.kind)
    return history
