"""Training load and how fast it is rising: load per run, the ramp, fitness/fatigue, weekly volume.

Technique and shoe changes load tissues the runner has not trained (calf,
Achilles, plantar fascia); a steep ramp on top of that is the classic route to
injury. So the ramp is the number to watch, and its thresholds tighten while
a change is under way. It is a guide, not a predictor (Impellizzeri et al.
2020, Int J Sports Physiol Perform 15:907; Lolli et al. 2019, Br J Sports Med
53:921): it must never alarm on steady training, and says when it cannot judge.

* **Load per run** on the familiar training-stress scale, **one hour at
  threshold = 100** (Coggan's TSS; heart-rate TSS as in TrainingPeaks):
  Banister's TRIMP (Banister 1991; Morton et al. 1990) summed over the run's
  heart-rate histogram, ``minutes x HRr x k x exp(c x HRr)`` with
  ``HRr = (HR - rest) / (max - rest)``, k, c = 0.64, 1.92 (male) or 0.86, 1.67
  (female; the mean of both when not set), divided by the TRIMP of an hour at
  threshold heart rate and multiplied by 100. Without heart rate: hours x
  (speed / threshold speed)^2 x 100, the running-TSS form.
* **Ramp (acute:chronic ratio)**: the mean daily load of the last 7 days over
  that of the 28 days before them. Two choices differ from the textbook
  exponentially weighted, coupled ratio (Williams et al. 2017, Br J Sports Med
  51:209), and both are about not crying wolf:
  - *Rolling 7-day acute load.* An EWMA acute load rises on every run day and
    falls on every rest day: for four equal runs a week it swings by +-15 %,
    so steady training crosses the tightened caution line (1.17) on run days.
    A 7-day window holds a whole training week and reads exactly 1.0 for any
    repeated week.
  - *Uncoupled chronic window* (the 28 days *before* the acute week; Windt &
    Gabbett 2019, Br J Sports Med 53:988): a spike is not diluted by being
    part of its own baseline, so a week at twice the volume reads 2.0.
  - *History-aware*: no ratio until the chronic window holds at least
    :data:`MIN_CHRONIC_DAYS` days of history ("building history, N days to
    go"). After :data:`BREAK_DAYS` or more without a run the old baseline is
    gone; the runner is "returning" (build back gradually) until a new
    baseline has been built, instead of reading 3.6 = "danger" for a first
    easy run back.
  Caution above ~1.3, danger above ~1.5 (Gabbett 2016, Br J Sports Med 50:273).
* **Fitness / fatigue / form**: exponentially weighted load with 42- and 7-day
  time constants, ``F_t = F_(t-1) + (load_t - F_(t-1)) / T``, on the TSS
  scale, so they read like TrainingPeaks' CTL and ATL; **form is yesterday's
  fitness minus yesterday's fatigue** (TSB: how fresh you are this morning,
  before today's run). Both start from zero on the first day of history.
* **Weekly volume**: distance per ISO week and its change; >30 % week on week
  was associated with injury in novice runners (Nielsen et al. 2014, JOSPT 44:739).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from pose_sync.config import Config
from pose_sync.model import RunAnalysis
from pose_sync.progression import counted

ACUTE_DAYS = 7
CHRONIC_DAYS = 28
MIN_CHRONIC_DAYS = 21           # history the chronic window must hold before the ratio is shown
BREAK_DAYS = 14                 # this long without a run and the old baseline no longer counts
FITNESS_DAYS = 42
FATIGUE_DAYS = 7
THRESHOLD_HOUR = 100.0          # load of one hour at threshold
DEFAULT_RESTING_HR = 60.0
TRIMP_WEIGHTS = {"male": (0.64, 1.92), "female": (0.86, 1.67), None: (0.75, 1.795)}
BUILDING, RETURNING, BREAK, JUDGED = "building", "returning", "break", "judged"


@dataclass(frozen=True)
class HeartRateAnchors:
    """Max, resting and threshold heart rate, and which were estimated rather than configured."""

    max_bpm: float
    resting_bpm: float
    threshold_bpm: float
    estimated: tuple[str, ...]


@dataclass(frozen=True)
class DailyLoad:
    """One day: its load, the ramp inputs, fitness/fatigue/form, and whether the ramp can be judged.

    ``phase`` is ``building`` (too little history for a chronic load yet),
    ``returning`` (back after a break of ``break_days``, baseline rebuilding),
    ``break`` (``break_days`` without a run so far) or ``judged`` (``acwr`` is
    set). ``days_to_go`` says when a ratio will be shown.
    """

    day: date
    load: float
    acute: float
    chronic: float | None
    acwr: float | None
    fitness: float
    fatigue: float
    form: float
    phase: str = "judged"
    days_to_go: int = 0
    break_days: int = 0


@dataclass(frozen=True)
class RampState:
    """The ramp on a day: its verdict and the thresholds used.

    ``level``: building, returning, break, safe, caution or danger.
    """

    day: date
    acwr: float | None
    level: str
    caution: float
    danger: float
    reason: str
    load: str = "heart-rate"      # which load series: "heart-rate" or "tissue"

    @property
    def label(self) -> str:
        """How messages name this ramp ("load ramp" for heart rate, as before; "tissue load ramp")."""
        return "tissue load ramp" if self.load == "tissue" else "load ramp"

    @property
    def judged(self) -> bool:
        return self.level in ("safe", "caution", "danger")


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
    """Training stress of one run (an hour at threshold = 100): heart-rate TRIMP, or pace when there is no HR."""
    if run.hr_histogram:
        bpm = np.fromiter(run.hr_histogram.keys(), dtype=float)
        seconds = np.fromiter(run.hr_histogram.values(), dtype=float)
        trimp = float(np.sum(seconds / 60.0 * trimp_per_minute(bpm, hr, sex)))
        return trimp / (60.0 * float(trimp_per_minute(hr.threshold_bpm, hr, sex))) * THRESHOLD_HOUR
    speed = run.averages.speed_mps or 0.0
    intensity = speed / threshold_mps if threshold_mps else 0.0
    return run.moving_time_s / 3600.0 * intensity**2 * THRESHOLD_HOUR


def daily_series(loads_by_day: dict[date, float], first: date, last: date) -> list[DailyLoad]:
    """The ramp and fitness/fatigue/form for every day from ``first`` to ``last`` (rest days load 0).

    ``first`` is the first day of history: nothing is known before it.
    """
    n = (last - first).days + 1
    if n <= 0:
        return []
    load = np.array([loads_by_day.get(first + timedelta(days=i), 0.0) for i in range(n)])
    cum = np.concatenate(([0.0], np.cumsum(load)))
    series = []
    fitness = fatigue = 0.0
    baseline_start = 0          # first day of the current stretch of training (after the last break)
    break_before = 0            # length of the break that ended at baseline_start
    last_run: int | None = None
    for i in range(n):
        if load[i] > 0:
            if last_run is not None and i - last_run - 1 >= BREAK_DAYS:
                baseline_start, break_before = i, i - last_run - 1
            last_run = i
        form = fitness - fatigue   # yesterday's, before today's run
        fitness += (load[i] - fitness) / FITNESS_DAYS
        fatigue += (load[i] - fatigue) / FATIGUE_DAYS
        acute = (cum[i + 1] - cum[max(0, i + 1 - ACUTE_DAYS)]) / ACUTE_DAYS
        chronic_hi = i + 1 - ACUTE_DAYS                     # exclusive: the day before the acute week
        chronic_lo = max(baseline_start, chronic_hi - CHRONIC_DAYS)
        chronic_days = chronic_hi - chronic_lo
        idle = i - last_run if last_run is not None else i + 1
        chronic = acwr = None
        phase, to_go, break_days = JUDGED, 0, 0
        if idle > BREAK_DAYS:
            phase, break_days = BREAK, idle
        elif chronic_days >= MIN_CHRONIC_DAYS:
            chronic = (cum[chronic_hi] - cum[chronic_lo]) / chronic_days
            acwr = acute / chronic if chronic > 1e-9 else None
            if acwr is None:
                phase = BUILDING
        else:
            phase = RETURNING if baseline_start > 0 else BUILDING
            to_go = MIN_CHRONIC_DAYS - chronic_days
            break_days = break_before if phase == RETURNING else 0
        series.append(DailyLoad(first + timedelta(days=i), float(load[i]), float(acute), chronic, acwr,
                                fitness, fatigue, form, phase, to_go, break_days))
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


def ramp_state(day: DailyLoad, config: Config) -> RampState:
    """The verdict for one day: building, returning, or the ratio against the (possibly tightened) lines."""
    caution, danger, why = ramp_thresholds(config)
    if day.phase == BUILDING:
        return RampState(day.day, None, BUILDING, caution, danger,
                         f"building history: the ramp is shown in {day.days_to_go} day(s)"
                         if day.days_to_go else "building history")
    if day.phase == RETURNING:
        since = f" after {day.break_days} days off" if day.break_days else ""
        return RampState(day.day, None, RETURNING, caution, danger,
                         f"returning{since}: build back gradually"
                         + (f" (a new baseline in {day.days_to_go} day(s))" if day.days_to_go else ""))
    if day.phase == BREAK:
        return RampState(day.day, None, BREAK, caution, danger,
                         f"{day.break_days} days without a run: when you return, build back gradually")
    assert day.acwr is not None
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


def ramp_days(per_run: Sequence[tuple[RunAnalysis, float]], until: date | None = None,
              extra_by_day: Mapping[date, float] | None = None) -> tuple[DailyLoad, ...]:
    """The daily series (:func:`daily_series`) of any per-run load: heart-rate load, tissue load, ...

    One set of history-aware rules for every load series, so the tissue ramp
    knows building, break and returning exactly as the heart-rate ramp does.
    ``extra_by_day`` is load not tied to a run (drills reported on a day).
    """
    by_day: dict[date, float] = dict(extra_by_day or {})
    for run, load in per_run:
        day = run.start_time.date()
        by_day[day] = by_day.get(day, 0.0) + load
    by_day = {d: v for d, v in by_day.items() if until is None or d <= until}
    if not by_day:
        return ()
    first = min(by_day)
    last = max(max(by_day), until or first)
    return tuple(daily_series(by_day, first, last))


def load_history(runs: Sequence[RunAnalysis], config: Config, until: date | None = None) -> LoadHistory:
    """Load of the runs that count (fragments and implausible totals are left out: ``progression.counted``)."""
    runs = [r for r in runs if counted.counts(r)]
    hr = anchors(runs, config)
    threshold = threshold_speed_mps(runs, config)
    per_run = tuple((r, run_load(r, hr, threshold, config.athlete.sex)) for r in runs)
    return LoadHistory(per_run, ramp_days(per_run, until), hr, threshold)


def week_start(day: date) -> date:
    """Monday of the ISO week."""
    return day - timedelta(days=day.weekday())


def percent_change(new: float, old: float) -> float | None:
    return None if old <= 0 else (new - old) / old * 100.0


def weeks_between(first: date, last: date) -> list[date]:
    start = week_start(first)
    return [start + timedelta(weeks=k) for k in range(math.floor((week_start(last) - start).days / 7) + 1)]
