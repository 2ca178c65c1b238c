"""What the running population does at a given speed: the yardstick for the form score.

Raw averages mislead because cadence rises and contact time falls with speed.
So each metric is compared with what the population shows *at that speed*,
and the residual is scored.

Anchors. Garmin's published running-dynamics colour zones (from its
population of runners) give, for cadence, ground contact time (GCT), vertical
oscillation (VO) and vertical ratio (VR), the top 5 % and bottom 5 % limits:
cadence >= 183 / < 153 spm, GCT < 218 / > 308 ms, VO < 6.4 / > 11.5 cm,
VR < 6.1 / > 10.1 %. Read as a normal distribution, the midpoint is the median
and the half-range is 1.645 standard deviations. GCT balance within
49.3-50.7 % is "even" (the median absolute asymmetry is taken as 0.7 %).

Speed dependence. The zones describe the population at its typical training
speed, taken as :data:`REFERENCE_SPEED_MPS` (3.0 m/s, 5:33 min/km). Away from
it, expected values follow power laws of speed with exponents from the
biomechanics literature (cadence rises slowly with speed, contact time falls
roughly with speed^-0.6 over endurance paces; vertical oscillation barely
changes, so vertical ratio falls as step length grows; see e.g. Weyand et al.
2000, J Appl Physiol 89:1991; Dicharry 2012; Heiderscheit et al. 2011).
The spread scales with the expected value (constant coefficient of
variation). These are documented modelling choices, not laws: the
per-athlete history (progression) is what a runner should trust over time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

REFERENCE_SPEED_MPS = 3.0
# Speeds outside this range are clamped before predicting: the power laws are
# fitted to endurance running, not to walking or sprinting.
MODEL_SPEED_RANGE_MPS = (1.8, 6.5)
Z_5_PERCENT = 1.6449


@dataclass(frozen=True)
class MetricModel:
    """Population median at the reference speed, speed exponent, spread, direction."""

    name: str
    label: str
    unit: str
    median_at_reference: float
    speed_exponent: float
    coefficient_of_variation: float
    higher_is_better: bool
    weight: float

    def expected(self, speed_mps: np.ndarray | float) -> np.ndarray:
        v = np.clip(speed_mps, *MODEL_SPEED_RANGE_MPS)
        return self.median_at_reference * (v / REFERENCE_SPEED_MPS) ** self.speed_exponent

    def z(self, value: np.ndarray | float, speed_mps: np.ndarray | float) -> np.ndarray:
        """Residual in population standard deviations at that speed; positive is better."""
        expected = self.expected(speed_mps)
        z = (np.asarray(value) - expected) / (self.coefficient_of_variation * expected)
        return z if self.higher_is_better else -z


def _from_zones(name: str, label: str, unit: str, good: float, poor: float, exponent: float,
                higher_is_better: bool, weight: float) -> MetricModel:
    median = (good + poor) / 2.0
    sigma = abs(good - poor) / 2.0 / Z_5_PERCENT
    return MetricModel(name, label, unit, median, exponent, sigma / median, higher_is_better, weight)


# Weights: the Pose cues are quick contact and high cadence first, low bounce
# second (vertical oscillation and ratio share the bounce weight), symmetry last.
CADENCE = _from_zones("cadence_spm", "cadence", "spm", 183.0, 153.0, 0.20, True, 0.30)
STANCE_TIME = _from_zones("stance_time_ms", "contact", "ms", 218.0, 308.0, -0.60, False, 0.30)
VERTICAL_OSCILLATION = _from_zones("vertical_oscillation_cm", "bounce", "cm", 6.4, 11.5, 0.0, False, 0.15)
VERTICAL_RATIO = _from_zones("vertical_ratio_pct", "vertical ratio", "%", 6.1, 10.1, -0.80, False, 0.15)

SPEED_MODELS: dict[str, MetricModel] = {
    m.name: m for m in (CADENCE, STANCE_TIME, VERTICAL_OSCILLATION, VERTICAL_RATIO)
}

# Ground contact time balance: absolute asymmetry |balance - 50| is half-normal;
# 0.7 % is the population median, so sigma = 0.7 / 0.6745.
BALANCE_NAME = "stance_time_balance_pct"
BALANCE_MEDIAN_ASYMMETRY_PCT = 0.7
BALANCE_SIGMA_PCT = BALANCE_MEDIAN_ASYMMETRY_PCT / 0.6745
BALANCE_WEIGHT = 0.10

ALL_WEIGHTS: dict[str, float] = {**{m.name: m.weight for m in SPEED_MODELS.values()}, BALANCE_NAME: BALANCE_WEIGHT}


def normal_cdf(z: float) -> float:
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


def balance_score(mean_balance_pct: float) -> tuple[float, float]:
    """(score 0-100, z) for a run's mean GCT balance: 100 is perfectly even, 50 the population median."""
    asymmetry = abs(mean_balance_pct - 50.0)
    score = 100.0 * 2.0 * (1.0 - normal_cdf(asymmetry / BALANCE_SIGMA_PCT))
    z = (BALANCE_MEDIAN_ASYMMETRY_PCT - asymmetry) / BALANCE_SIGMA_PCT
    return score, z


def expected_step_length_m(speed_mps: np.ndarray | float) -> np.ndarray:
    """Step length the population takes at this speed (speed / expected cadence)."""
    return np.asarray(speed_mps) * 60.0 / CADENCE.expected(speed_mps)
