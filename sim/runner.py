"""One simulated runner and one simulated run, with the truth that made them.

A runner's form is given at a reference speed (3.0 m/s) and follows, within
that runner, power laws of speed with the exponents fitted within real runners
(``../shared/DESIGN.md``, Form): cadence ~ v^0.134, contact time ~ v^-0.40,
vertical oscillation ~ v^0.16. Step length follows from speed and cadence,
and vertical ratio from oscillation and step length, as a watch computes
them. Each run has its own small day-to-day offsets (a runner is never
identical twice) and per-second sensor noise.

Heart rate follows effort, not speed: the steady-state heart rate rises
linearly with grade-adjusted speed (the speed on the flat that costs the same
energy, Minetti et al. 2002, J Appl Physiol 93:1039: cost of running per metre
as a polynomial of the gradient), reaches it with a first-order lag, and can
drift upwards over the run (cardiac drift: the "decoupling" a runner should
see). On a hill the runner holds the effort, so the speed falls uphill and
rises downhill.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

import numpy as np

from sim.fitfile import write_fit

REFERENCE_SPEED_MPS = 3.0
EXPONENTS = {"cadence_spm": 0.134, "stance_time_ms": -0.40, "vertical_oscillation_cm": 0.16}


def minetti_cost(grade: np.ndarray | float) -> np.ndarray:
    """Energy cost of running, J/kg/m, at a gradient (rise/run), Minetti et al. 2002, valid -0.45..0.45."""
    i = np.clip(np.asarray(grade, dtype=float), -0.45, 0.45)
    return 155.4 * i**5 - 30.4 * i**4 - 43.3 * i**3 + 46.3 * i**2 + 19.5 * i + 3.6


@dataclass(frozen=True)
class Runner:
    """Form at the reference speed, within-runner speed exponents, and a heart-rate model."""

    cadence_spm: float = 168.0
    stance_time_ms: float = 258.0
    vertical_oscillation_cm: float = 8.8
    stance_time_balance_pct: float = 50.4
    exponents: Mapping[str, float] = field(default_factory=lambda: dict(EXPONENTS))
    hr_at_reference_bpm: float = 148.0
    hr_per_mps: float = 20.0          # steady-state bpm per m/s of grade-adjusted speed
    hr_lag_s: float = 30.0
    hr_max_bpm: float = 190.0
    hr_rest_bpm: float = 52.0
    power_w_per_mps: float = 78.0     # running power on the flat ~ mass x cost x speed
    # Step speed loss (% of speed lost per contact) as an HRM 600 records it; None: no such sensor.
    # Taken as independent of pace within a runner (the cm/s value is this percentage of the speed).
    step_speed_loss_pct: float | None = None
    day_sd: Mapping[str, float] = field(default_factory=lambda: {
        "cadence_spm": 1.5, "stance_time_ms": 4.0, "vertical_oscillation_cm": 0.2,
        "stance_time_balance_pct": 0.2, "hr": 2.0})
    sample_noise: float = 0.015       # relative SD of per-second sensor noise

    def level(self, metric: str) -> float:
        return float(getattr(self, metric))

    def expected(self, metric: str, speed_mps: np.ndarray | float) -> np.ndarray:
        """This runner's value of ``metric`` at ``speed_mps``: the truth a speed model should recover."""
        v = np.asarray(speed_mps, dtype=float)
        if metric == "step_length_m":
            return v * 60.0 / self.expected("cadence_spm", v)
        if metric == "vertical_ratio_pct":
            return self.expected("vertical_oscillation_cm", v) / self.expected("step_length_m", v)
        return self.level(metric) * (v / REFERENCE_SPEED_MPS) ** self.exponents[metric]

    def shifted(self, **deltas: float) -> Runner:
        """The same runner with form levels moved (a technique change)."""
        return replace(self, **{k: getattr(self, k) + v for k, v in deltas.items()})


@dataclass(frozen=True)
class Leg:
    """A stretch of a run at a constant effort: grade-adjusted speed and gradient (%)."""

    duration_s: int
    speed_mps: float
    grade_pct: float = 0.0


@dataclass
class SimulatedRun:
    """The per-second channels of a run (our units), the FIT file, and the truth behind them."""

    start: datetime
    columns: dict[str, np.ndarray]
    runner: Runner                      # the runner on the day (day-to-day offsets applied)
    legs: tuple[Leg, ...]
    drift_pct: float
    fit: bytes = b""

    @property
    def duration_s(self) -> int:
        return len(self.columns["speed_mps"])


def _smooth_steps(values: np.ndarray, seconds: int) -> np.ndarray:
    """Soften steps between legs (nobody changes pace in one second)."""
    if seconds <= 1:
        return values
    kernel = np.ones(seconds) / seconds
    padded = np.concatenate((np.full(seconds, values[0]), values, np.full(seconds, values[-1])))
    return np.convolve(padded, kernel, mode="same")[seconds:-seconds]


def simulate_run(runner: Runner, legs: Sequence[Leg], start: datetime, *, seed: int = 0, drift_pct: float = 0.0,
                 dynamics: bool = True, heart_rate: bool = True, power: bool = False, stryd: bool = False,
                 day_effects: bool = True, sport: str = "running") -> SimulatedRun:
    """Simulate ``legs`` for ``runner`` and write the FIT file.

    ``drift_pct``: cardiac drift, heart rate rising linearly above what the
    effort alone gives, so that the second half averages ``drift_pct`` more
    than the first (the aerobic decoupling a runner would read). ``dynamics`` False
    writes cadence only (a watch without a strap or pod); ``stryd`` writes
    power and ground time as Stryd developer fields instead of native dynamics.
    """
    rng = np.random.default_rng(seed)
    day = runner
    if day_effects:
        day = runner.shifted(**{m: float(rng.normal(0.0, sd)) for m, sd in runner.day_sd.items() if m != "hr"})
    hr_offset = float(rng.normal(0.0, runner.day_sd.get("hr", 0.0))) if day_effects else 0.0

    gap = np.concatenate([np.full(leg.duration_s, leg.speed_mps) for leg in legs])
    grade = np.concatenate([np.full(leg.duration_s, leg.grade_pct / 100.0) for leg in legs])
    gap = _smooth_steps(gap, 6)
    grade = _smooth_steps(grade, 20)
    # the runner holds the effort: the actual speed costs the same energy on the slope
    speed = gap * minetti_cost(0.0) / minetti_cost(grade)
    n = len(speed)
    noise = runner.sample_noise

    def noisy(values: np.ndarray, relative: float = noise) -> np.ndarray:
        return values * (1.0 + rng.normal(0.0, relative, n))

    measured_speed = noisy(speed, noise / 2)
    distance = np.concatenate(([0.0], np.cumsum(measured_speed[:-1])))
    altitude = 100.0 + np.concatenate(([0.0], np.cumsum((speed * grade / np.sqrt(1 + grade**2))[:-1])))
    columns: dict[str, np.ndarray] = {"speed_mps": measured_speed, "distance_m": distance, "altitude_m": altitude}

    cadence = noisy(day.expected("cadence_spm", speed))
    columns["cadence_spm"] = cadence
    columns["step_length_m"] = measured_speed * 60.0 / cadence
    if dynamics or stryd:
        columns["stance_time_ms"] = noisy(day.expected("stance_time_ms", speed))
    if dynamics and not stryd:
        columns["vertical_oscillation_cm"] = noisy(day.expected("vertical_oscillation_cm", speed))
        columns["vertical_ratio_pct"] = columns["vertical_oscillation_cm"] / columns["step_length_m"]
        columns["stance_time_balance_pct"] = day.stance_time_balance_pct + rng.normal(0.0, 0.3, n)
    if day.step_speed_loss_pct is not None and dynamics and not stryd:
        columns["step_speed_loss_pct"] = noisy(np.full(n, day.step_speed_loss_pct))
        columns["step_speed_loss_cm_s"] = columns["step_speed_loss_pct"] * measured_speed   # % of m/s = cm/s
    if heart_rate:
        target = runner.hr_at_reference_bpm + hr_offset + runner.hr_per_mps * (gap - REFERENCE_SPEED_MPS)
        target = target * (1.0 + 2.0 * drift_pct / 100.0 * np.arange(n) / max(n - 1, 1))
        hr = np.empty(n)
        level = runner.hr_rest_bpm + 0.6 * (target[0] - runner.hr_rest_bpm)
        alpha = 1.0 - np.exp(-1.0 / runner.hr_lag_s)
        for i in range(n):  # first-order lag; a loop over one run is cheap
            level += alpha * (target[i] - level)
            hr[i] = level
        columns["heart_rate_bpm"] = np.clip(hr + rng.normal(0.0, 1.0, n), 40, runner.hr_max_bpm)
    if power or stryd:
        columns["power_w"] = noisy(runner.power_w_per_mps * gap)
    run = SimulatedRun(start, columns, day, tuple(legs), drift_pct)
    run.fit = write_fit(columns, start, sport=sport, stryd=stryd, gps=True)
    return run


# --- common sessions ---------------------------------------------------------------

def steady(speed_mps: float, minutes: float, grade_pct: float = 0.0) -> list[Leg]:
    return [Leg(int(minutes * 60), speed_mps, grade_pct)]


def intervals(work_mps: float, reps: int = 6, work_s: int = 180, recovery_s: int = 120,
              easy_mps: float = 2.7, warmup_min: float = 12) -> list[Leg]:
    """Warm-up, ``reps`` x work/recovery, cool-down."""
    legs = [Leg(int(warmup_min * 60), easy_mps)]
    for _ in range(reps):
        legs += [Leg(work_s, work_mps), Leg(recovery_s, easy_mps * 0.9)]
    return legs + [Leg(600, easy_mps)]


def paces_ladder(speeds: Sequence[float], minutes_each: float = 5.0) -> list[Leg]:
    """One run through several paces, each held long enough to be steady."""
    return [Leg(int(minutes_each * 60), s) for s in speeds]


def hill_out_and_back(speed_mps: float, minutes: float, grade_pct: float = 4.0) -> list[Leg]:
    """Up a steady slope for the first half, back down it in the second: the classic confound."""
    half = int(minutes * 30)
    return [Leg(half, speed_mps, grade_pct), Leg(half, speed_mps, -grade_pct)]
