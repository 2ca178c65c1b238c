"""Training load and how fast it is rising: TRIMP, ACWR, fitness/fatigue, weekly volume.

Technique and shoe changes load tissues the runner has not trained (calf,
Achilles, plantar fascia); a steep ramp on top of that is the classic route to
injury. So the ramp is the number to watch, and its thresholds tighten while
a change is under way.

* **Load per run**: Banister's TRIMP (Banister 1991; Morton et al. 1990),
  summed over the run's heart-rate histogram:
  ``minutes x HRr x k x exp(c x HRr)`` with ``HRr = (HR - rest) / (max - rest)``,
  k, c = 0.64, 1.92 (male) or 0.86, 1.67 (female; the mean of both when not
  set). Without heart rate: duration x intensity^2, with intensity the speed
  over threshold speed, scaled so that an hour at threshold pace counts as an
  hour at threshold heart rate, so the two kinds of runs add up sensibly.
* **ACWR**: exponentially weighted acute (7-day) over chronic (28-day) load,
  ``EWMA_t = l x load_t + (1 - l) x EWMA_(t-1)`` with ``l = 2 / (N + 1)``
  (Williams et al. 2017, Br J Sports Med 51:209). Caution above ~1.3, danger
  above ~1.5 (Gabbett 2016).
* **Fitness / fatigue / form**: exponentially weighted load with 42- and 7-day
  time constants, ``F_t = F_(t-1) + (load_t - F_(t-1)) / T``; form = fitness -
  fatigue (Banister's impulse-response model as popularised by Coggan).
* **Weekly volume**: distance per ISO week and its change; >30 % week on week
  was associated with injury in novice runners (Nielsen et al. 2014, JOSPT 44:739).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from pose_sync.config import Config
from pose_sync.model import RunAnalysis

ACUTE_DAYS = 7
CHRONIC_DAYS = 28
FITNESS_DAYS = 42
FATIGUE_DAYS = 7
DEFAULT_RESTING_HR = 60.0
TRIMP_WEIGHTS = {"male": (0.64, 1.92), "female": (0.86, 1.67), None: (0.75, 1.795)}


@dataclass(frozen=True)
class HeartRateAnchors:
    """Max, resting and threshold heart rate, and which were estimated rather than configured."""

    max_bpm: float
    resting_bpm: float
    threshold_bpm: float
    estimated: tuple[str, ...]


@dataclass(frozen=True)
class DailyLoad:
    day: date
    load: float
    acute: float
    chronic: float
    acwr: float | None
    fitness: float
    fatigue: float

    @property
    def form(self) -> float:
        return self.fitness - self.fatigue


@dataclass(frozen=True)
class RampState:
    """The ramp on a day: ACWR, its verdict (safe, caution, danger) and the thresholds used."""

    day: date
    acwr: float | None
    level: str
    caution: float
    danger: float
    reason: str


def anchors(runs: Sequence[RunAnalysis], config: Config) -> HeartRateAnchors:
    """Configured heart-rate anchors, else estimates from the history (and say which)."""
    athlete = config.athlete
    estimated = []
    if athlete.max_heart_rate_bpm is not None:
        maximum = float(athlete.max_heart_rate_bpm)
    else:
        observed = [r.extras["max_heart_rate_bpm"] for r in runs if r.extras.get("max_heart_rate_bpm")]
        maximum = float(max(observed)) if observed else 190.0
        estimated.append("max")
    if athlete.resting_heart_rate_bpm is not None:
        resting = float(athlete.resting_heart_rate_bpm)
    else:
        resting = DEFAULT_RESTING_HR
        estimated.append("resting")
    if athlete.threshold_heart_rate_bpm is not None:
        threshold = float(athlete.threshold_heart_rate_bpm)
    else:
        threshold = resting + 0.85 * (maximum - resting)
        estimated.append("threshold")
    return HeartRateAnchors(maximum, resting, threshold, tuple(estimated))


def trimp_per_minute(hr_bpm: np.ndarray | float, hr: HeartRateAnchors, sex: str | None) -> np.ndarray:
    k, c = TRIMP_WEIGHTS[sex]
    reserve = np.clip((np.asarray(hr_bpm, dtype=float) - hr.resting_bpm) / (hr.max_bpm - hr.resting_bpm), 0.0, 1.2)
    return reserve * k * np.exp(c * reserve)


def threshold_speed_mps(runs: Sequence[RunAnalysis], config: Config) -> float:
    """Configured threshold pace, else the 90th percentile of steady speeds in the history."""
    pace = config.athlete.threshold_pace_s_per_km
    if pace:
        return 1000.0 / pace
    speeds = [r.extras["steady_speed_mps"] for r in runs if r.extras.get("steady_speed_mps")]
    return float(np.percentile(speeds, 90)) if speeds else 3.3


def run_load(run: RunAnalysis, hr: HeartRateAnchors, threshold_mps: float, sex: str | None) -> float:
    """TRIMP from the heart-rate histogram; duration x intensity^2 when there is no heart rate."""
    if run.hr_histogram:
        bpm = np.fromiter(run.hr_histogram.keys(), dtype=float)
        seconds = np.fromiter(run.hr_histogram.values(), dtype=float)
        return float(np.sum(seconds / 60.0 * trimp_per_minute(bpm, hr, sex)))
    threshold_hour = 60.0 * float(trimp_per_minute(hr.threshold_bpm, hr, sex))
    speed = run.averages.speed_mps or 0.0
    intensity = speed / threshold_mps if threshold_mps else 0.0
    return run.moving_time_s / 3600.0 * intensity**2 * threshold_hour


def ewma_weight(days: int) -> float:
    return 2.0 / (days + 1.0)


def daily_series(loads_by_day: dict[date, float], first: date, last: date) -> list[DailyLoad]:
    """ACWR and fitness/fatigue for every day from ``first`` to ``last`` (rest days load 0)."""
    acute_w, chronic_w = ewma_weight(ACUTE_DAYS), ewma_weight(CHRONIC_DAYS)
    acute = chronic = fitness = fatigue = 0.0
    series = []
    day = first
    while day <= last:
        load = loads_by_day.get(day, 0.0)
        acute = acute_w * load + (1 - acute_w) * acute
        chronic = chronic_w * load + (1 - chronic_w) * chronic
        fitness += (load - fitness) / FITNESS_DAYS
        fatigue += (load - fatigue) / FATIGUE_DAYS
        acwr = acute / chronic if chronic > 1e-9 else None
        series.append(DailyLoad(day, load, acute, chronic, acwr, fitness, fatigue))
        day += timedelta(days=1)
    return series


def ramp_thresholds(config: Config) -> tuple[float, float, str]:
    """(caution, danger, why) — stricter while a technique or shoe change is under way."""
    load, program = config.load, config.program
    changes = [name for name, on in (("technique", program.technique_change), ("shoe", program.shoe_change)) if on]
    if not changes:
        return load.acwr_caution, load.acwr_danger, ""
    factor = load.change_factor ** len(changes)
    return (round(load.acwr_caution * factor, 3), round(load.acwr_danger * factor, 3),
            f"stricter while a {' and '.join(changes)} change is under way")


def ramp_state(day: DailyLoad, config: Config, history_days: int) -> RampState:
    caution, danger, why = ramp_thresholds(config)
    if day.acwr is None or history_days < CHRONIC_DAYS // 2:
        return RampState(day.day, day.acwr, "unknown", caution, danger,
                         "not enough history yet (needs two weeks) to judge the ramp")
    level = "danger" if day.acwr > danger else "caution" if day.acwr > caution else "safe"
    return RampState(day.day, day.acwr, level, caution, danger, why)


@dataclass(frozen=True)
class LoadHistory:
    """Everything load-related for a history: per-run loads, the daily series, the anchors used."""

    run_loads: tuple[tuple[RunAnalysis, float], ...]
    days: tuple[DailyLoad, ...]
    anchors: HeartRateAnchors
    threshold_mps: float

    def on(self, day: date) -> DailyLoad | None:
        if not self.days or day < self.days[0].day or day > self.days[-1].day:
            return None
        return self.days[(day - self.days[0].day).days]


def load_history(runs: Sequence[RunAnalysis], config: Config, until: date | None = None) -> LoadHistory:
    hr = anchors(runs, config)
    threshold = threshold_speed_mps(runs, config)
    per_run = tuple((r, run_load(r, hr, threshold, config.athlete.sex)) for r in runs)
    if not runs:
        return LoadHistory(per_run, (), hr, threshold)
    by_day: dict[date, float] = {}
    for run, load in per_run:
        day = run.start_time.date()
        by_day[day] = by_day.get(day, 0.0) + load
    first = min(by_day)
    last = max(max(by_day), until or first)
    return LoadHistory(per_run, tuple(daily_series(by_day, first, last)), hr, threshold)


def week_start(day: date) -> date:
    """Monday of the ISO week."""
    return day - timedelta(days=day.weekday())


def percent_change(new: float, old: float) -> float | None:
    return None if old <= 0 else (new - old) / old * 100.0


def weeks_between(first: date, last: date) -> list[date]:
    start = week_start(first)
    return [start + timedelta(weeks=k) for k in range(math.floor((week_start(last) - start).days / 7) + 1)]
