"""Tissue (mechanical) load and its ramp, against numbers worked out by hand; the stricter ramp binds."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest

from pose_sync.analysis.population import CADENCE
from pose_sync.config import Config
from pose_sync.progression.body import BodyContext
from pose_sync.progression.load import load_history, ramp_state
from pose_sync.progression.planner import plan
from pose_sync.progression.tissue import (
    drill_load,
    run_tissue_load,
    stricter,
    tissue_history,
    tissue_ramp_state,
)
from tests.progression.factory import run

D0 = date(2026, 9, 7)       # a Monday
CONFIG = Config.model_validate({
    "program": {"start_date": (D0 + timedelta(weeks=2)).isoformat(), "run_days": ["mon", "wed", "fri", "sun"]},
    "athlete": {"max_heart_rate_bpm": 190, "resting_heart_rate_bpm": 60, "threshold_heart_rate_bpm": 170,
                "threshold_pace_s_per_km": 250},
    "shoes": {"minimalist": ["Vivobarefoot Primus"]}})


def test_a_run_counts_its_steps_weighted_by_speed_in_easy_kilometres():
    # 40 min at 3.0 m/s and 170 spm: 6800 steps; the speed bin 3.0-3.1 m/s is taken at 3.05 m/s
    steps, impact = 40 * 170, 3.05 / 3.0
    plain = run(D0, minutes=40, speed=3.0, cadence=170)
    assert run_tissue_load(plain) == pytest.approx(steps * impact / (170 * 1000 / 180))   # 7.32 easy km
    assert run_tissue_load(plain, minimalist=True, config=CONFIG) == pytest.approx(1.25 * run_tissue_load(plain))
    # faster is heavier per step: the same 40 min at 4.0 m/s (bin 4.0-4.1) with the same cadence
    fast = run(D0, minutes=40, speed=4.0, cadence=170)
    assert run_tissue_load(fast) / run_tissue_load(plain) == pytest.approx(4.05 / 3.05)
    # no cadence recorded: the population's cadence at that speed
    bare = run(D0, minutes=40, speed=3.0, cadence=None)
    assert run_tissue_load(bare) == pytest.approx(2400 * float(CADENCE.expected(3.05)) / 60 * impact / (17000 / 18))
    # ten minutes of drills: 1.8 km at the reference pace, times 1.5
    assert drill_load(10, CONFIG) == pytest.approx(1.8 * 1.5)


def _weeks(normal: int, slow_minimalist: bool) -> tuple[list, dict]:
    """``normal`` weeks of four equal runs (Mon, Wed, Fri, Sun), then one week of slow runs, maybe in new shoes.

    The slow runs are longer at a lower heart rate, chosen so that their heart-rate load equals a normal run's.
    """
    def trimp_per_min(hr: float) -> float:
        reserve = (hr - 60) / (190 - 60)
        return reserve * 0.75 * math.exp(1.795 * reserve)

    slow_minutes = 40 * trimp_per_min(150) / trimp_per_min(140)          # 51.7 min
    runs, gear = [], {}
    for week in range(normal + 1):
        for weekday in (0, 2, 4, 6):
            day = D0 + timedelta(weeks=week, days=weekday)
            if week < normal:
                r = run(day, minutes=40, speed=3.0, hr=150)
                gear[r.source] = "g-daily"
            else:
                r = run(day, minutes=slow_minutes, speed=2.6, hr=140)
                gear[r.source] = "g-vivo" if slow_minimalist else "g-daily"
            runs.append(r)
    return runs, gear


GEAR_NAMES = {"g-vivo": ("Vivobarefoot Primus", None), "g-daily": ("Daily trainer", None)}


def test_a_week_of_slow_runs_in_new_minimalist_shoes_raises_the_tissue_ramp_not_the_heart_rate_ramp():
    runs, gear = _weeks(4, slow_minimalist=True)
    today = D0 + timedelta(days=34)                       # the Sunday of the fifth week
    heart = load_history(runs, CONFIG, until=today).on(today)
    tissue = tissue_history(runs, CONFIG, until=today, gear=gear, gear_names=GEAR_NAMES).on(today)
    assert heart is not None and tissue is not None
    # the acute week holds four runs, the 28 days before it sixteen: equal heart-rate load reads 1.0
    assert heart.acwr == pytest.approx(1.0)
    slow_minutes = runs[-1].moving_time_s / 60
    by_hand = (slow_minutes / 40) * (2.65 / 3.05) * 1.25   # more steps, lighter steps, minimalist shoes
    assert tissue.acwr == pytest.approx(by_hand)          # 1.40
    assert by_hand == pytest.approx(1.40, abs=0.01)
    # the same week in the usual shoes: the tissue ramp hardly moves (slow steps are lighter)
    runs2, gear2 = _weeks(4, slow_minimalist=False)
    plain = tissue_history(runs2, CONFIG, until=today, gear=gear2, gear_names=GEAR_NAMES).on(today)
    assert plain is not None and plain.acwr == pytest.approx(by_hand / 1.25)
    assert ramp_state(heart, CONFIG).level == "safe"
    assert tissue_ramp_state(tissue, CONFIG).level == "danger"      # above 1.35 (technique change under way)


def test_the_tissue_ramp_keeps_the_history_rules():
    runs, gear = _weeks(1, slow_minimalist=True)
    today = D0 + timedelta(days=13)
    day = tissue_history(runs, CONFIG, until=today, gear=gear, gear_names=GEAR_NAMES).on(today)
    assert day is not None and day.acwr is None and day.phase == "building" and day.days_to_go == 21 - 7
    back = runs + [run(D0 + timedelta(days=40), minutes=30)]           # 26 days without a run, then one
    later = tissue_history(back, CONFIG, until=D0 + timedelta(days=40), gear=gear, gear_names=GEAR_NAMES)
    assert later.on(D0 + timedelta(days=30)).phase == "break"
    assert later.on(D0 + timedelta(days=40)).phase == "returning"


def test_the_planner_follows_the_stricter_ramp_and_says_it_was_tissue():
    runs, gear = _weeks(4, slow_minimalist=True)
    today = D0 + timedelta(days=34)
    body = BodyContext(gear=gear, gear_names=GEAR_NAMES)
    result = plan(runs, CONFIG, today, body=body)
    assert result.heart_ramp is not None and result.heart_ramp.level == "safe"
    assert result.ramp is result.tissue_ramp and result.ramp.load == "tissue" and result.ramp.level == "danger"
    assert any("the tissue load ramp binds (danger); the load ramp is 1.00 (safe)" in n for n in result.notes)
    kinds = [w.tags[0] for w in result.workouts]
    assert "intervals" not in kinds and "tempo" not in kinds
    assert any("tissue load ramp 1.40 is above the danger line (1.35)" in n for n in result.notes)
    # without the shoes (no body context), the heart-rate ramp alone plans the week as written
    unaware = plan(runs, CONFIG, today)
    assert unaware.ramp is not None and unaware.ramp.level in ("safe", "caution")
    assert "intervals" in [w.tags[0] for w in unaware.workouts]


def test_stricter_prefers_the_worse_verdict_then_the_one_nearer_danger():
    runs, gear = _weeks(4, slow_minimalist=True)
    today = D0 + timedelta(days=34)
    heart = ramp_state(load_history(runs, CONFIG, until=today).on(today), CONFIG)
    tissue = tissue_ramp_state(tissue_history(runs, CONFIG, until=today, gear=gear,
                                              gear_names=GEAR_NAMES).on(today), CONFIG)
    assert stricter(heart, tissue) is tissue and stricter(tissue, heart) is tissue
    assert stricter(heart, None) is heart and stricter(None, None) is None


def test_reported_drill_minutes_add_to_the_day_they_were_done():
    runs, gear = _weeks(4, slow_minimalist=False)
    today = D0 + timedelta(days=34)
    plain = tissue_history(runs, CONFIG, until=today, gear=gear, gear_names=GEAR_NAMES)
    drilled = tissue_history(runs, CONFIG, until=today, gear=gear, gear_names=GEAR_NAMES, drills={today: 12.0})
    assert drilled.on(today).load - plain.on(today).load == pytest.approx(12 * 60 * 3.0 / 1000 * 1.5)
    assert drilled.on(today).acute - plain.on(today).acute == pytest.approx(drill_load(12, CONFIG) / 7)


def test_the_note_names_the_tissue_ramp_when_it_binds():
    from pose_sync.notes.render import render_note

    runs, gear = _weeks(4, slow_minimalist=True)
    note = render_note(runs[-1], runs[:-1], CONFIG, body=BodyContext(gear=gear, gear_names=GEAR_NAMES))
    assert "tissue load ramp 1.40 (danger; heart-rate 1.00)" in note.split("\n")[2]
    assert "load ramp 1.00 (safe)" in render_note(runs[-1], runs[:-1], CONFIG)   # without the shoes
