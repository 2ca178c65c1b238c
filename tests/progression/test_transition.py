"""The minimalist transition plan over 12 simulated weeks: Ridge's start, exceeded weeks flagged, pain holds it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from pose_sync.analysis import analyse_run
from pose_sync.config import Config
from pose_sync.fit import decode_fit
from pose_sync.model import SourceRef
from pose_sync.pain import MORNING, PainReport
from pose_sync.progression.body import BodyContext
from pose_sync.progression.planner import plan
from pose_sync.progression.transition import allowance, transitions
from sim.history import PlannedRun, simulate_history
from sim.runner import Runner, steady

MONDAY = date(2026, 9, 7)
SPEED = 2.8
CONFIG = Config.model_validate({
    "shoes": {"minimalist": ["Vivobarefoot Primus"], "minimalist_start_km_per_week": 2.4,
              "minimalist_weekly_increase_pct": 10},
    "program": {"start_date": MONDAY.isoformat()},
    "athlete": {"threshold_pace_s_per_km": 250, "max_heart_rate_bpm": 190}})
GEAR = {"g-vivo": ("Vivobarefoot Primus", None)}
# minutes per minimalist run, by week: Ridge's start, a week far over the allowance (week 5), then steady
MINUTES = {0: 13, 1: 13, 2: 13, 3: 20, 4: 35}


def _minutes(week: int) -> float:
    return MINUTES.get(week, 25)


@pytest.fixture(scope="module")
def twelve_weeks() -> list[tuple]:
    """Tuesday runs from week 1, Saturday runs from week 2, all in the minimalist shoe (sim.history)."""
    tuesday = (PlannedRun(1, "easy", lambda w: steady(SPEED, _minutes(w))),)
    saturday = (PlannedRun(5, "easy", lambda w: steady(SPEED, _minutes(w))),)
    options = dict(dynamics=False, heart_rate=False, day_effects=False)
    runs = (simulate_history(Runner(), MONDAY, 12, seed=1, pattern=tuesday, **options).runs
            + simulate_history(Runner(), MONDAY, 12, seed=2, pattern=saturday, only_from=MONDAY + timedelta(days=7),
                               **options).runs)
    analyses = [analyse_run(decode_fit(r.fit, SourceRef("file", f"r{i}.fit")).activities[0])
                for i, r in enumerate(sorted(runs, key=lambda r: r.start))]
    return [(a, "g-vivo") for a in analyses]


# pain on the Tuesday of week 6 that has not settled by Wednesday morning: the model says hold
PAIN = (PainReport(MONDAY + timedelta(weeks=5, days=1), "achilles", 4.0),
        PainReport(MONDAY + timedelta(weeks=5, days=2), "achilles", 4.0, MORNING))


def test_twelve_weeks_of_allowance_against_what_was_run(twelve_weeks):
    today = MONDAY + timedelta(weeks=11, days=6)
    (shoe,) = transitions(twelve_weeks, GEAR, PAIN, CONFIG, today)
    weeks = shoe.weeks
    assert len(weeks) == 12 and shoe.label == "Vivobarefoot Primus"
    # Ridge et al. 2013: one short run, then two, then three, then +10 % a week
    assert [(w.allowed_runs, w.allowed_km) for w in weeks[:4]] == [(1, 2.4), (2, 4.8), (3, 7.2), (None, 7.92)]
    assert [w.runs for w in weeks] == [1] + [2] * 11
    # the week run at 35 min a time (11.8 km against 8.7) is flagged, and only that one
    assert [i for i, w in enumerate(weeks) if w.exceeded] == [4]
    assert "the plan allows 8.7 km" in weeks[4].why
    # pain in week 6 that did not settle holds week 7 at week 6's allowance; it grows again after
    assert [i for i, w in enumerate(weeks) if w.held] == [6]
    assert weeks[6].allowed_km == weeks[5].allowed_km and "held by pain" in weeks[6].why
    assert [w.step for w in weeks] == [1, 2, 3, 4, 5, 6, 6, 7, 8, 9, 10, 11]
    assert weeks[7].allowed_km == allowance(7, CONFIG)[1] == round(7.2 * 1.1**4, 2)
    # without the pain, no week is held and the plan is one step further by the end
    (free,) = transitions(twelve_weeks, GEAR, (), CONFIG, today)
    assert not any(w.held for w in free.weeks) and free.current.step == 12


def test_the_planner_puts_the_allowance_into_its_sessions(twelve_weeks):
    """Week 2 of the shoe: one run left this week; the planner names the shoe for one short easy session."""
    today = MONDAY + timedelta(weeks=1, days=1)         # the Tuesday of week 2: one of two runs done
    past = [(a, g) for a, g in twelve_weeks if a.start_time.date() <= today]
    body = BodyContext({a.source: g for a, g in past}, GEAR)
    result = plan([a for a, _ in past], CONFIG, today, body=body)
    in_shoe = [w for w in result.workouts if w.shoe == "Vivobarefoot Primus"]
    this_week = [w for w in in_shoe if w.scheduled_date <= today + timedelta(days=5)]
    assert len(this_week) == 1 and this_week[0].tags == ("drills_easy",)
    assert all(w.shoe is None for w in result.workouts if w.tags[0] in ("long", "intervals", "strides"))
    assert any("min in Vivobarefoot Primus (minimalist plan week 2: about 2." in n for n in result.notes)
    # with pain above 5/10, no minimalist sessions at all
    hurt = BodyContext({a.source: g for a, g in past}, GEAR, (PainReport(today, "achilles", 6.0),))
    assert all(w.shoe is None for w in plan([a for a, _ in past], CONFIG, today, body=hurt).workouts)
