"""The yardstick for the form score: the population at a reference speed, and how speed moves each metric.

Raw averages mislead because cadence rises and contact time falls with speed.
So every sample is first brought to a reference speed along the runner's own
speed curve, and only then compared with the population:

    expected(metric, v) = population level at v_ref x (v / v_ref) ** b

**Population level.** Garmin's published running-dynamics colour zones (from
its population of runners) give, for cadence, ground contact time (GCT),
vertical oscillation (VO) and vertical ratio (VR), the top 5 % and bottom 5 %
limits: cadence >= 183 / < 153 spm, GCT < 218 / > 308 ms, VO < 6.4 / > 11.5 cm,
VR < 6.1 / > 10.1 %. Read as a normal distribution, the midpoint is the median
and the half-range is 1.645 standard deviations. They describe the population
at its typical training speed, taken as :data:`REFERENCE_SPEED_MPS` (3.0 m/s,
5:33 min/km). GCT balance within 49.3-50.7 % is "even" (the median absolute
asymmetry is taken as 0.7 %).

**Speed curve (b).** Across runners, faster runners differ in many ways, so
the cross-sectional slopes of the biomechanics literature (cadence ~ v^0.2,
contact ~ v^-0.6) overstate how much *one* runner changes with pace: with
them a runner whose form does not change scored about 40 at 2.4 m/s and 11 at
4.6 m/s in the same run. The exponents here were fitted *within* runners
(per-run log-log slopes over steady speed bands of 26 real runs from public
FIT test suites): cadence +0.134, contact time -0.40, vertical oscillation
+0.16. Vertical ratio is not free: watches compute it as VO / step length,
and step length is speed / cadence, so its exponent is
0.16 - (1 - 0.134) = -0.706. (The same audit's separate fit of ratio gave
-0.49, which no runner can have alongside the other three; the pooled
within-run slopes of the bundled sample runs, cadence 0.124, VO 0.21,
ratio -0.65, obey the identity.) They are the prior; once a runner has history,
:mod:`pose_sync.analysis.speed_curve` fits their own exponents and shrinks
them towards these while the history is thin.

The spread scales with the expected value (constant coefficient of
variation). These are documented modelling choices, not laws.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

REFERENCE_SPEED_MPS = 3.0
# Speeds outside this range are clamped before predicting: the curves are
# fitted to endurance running, not to walking or sprinting.
MODEL_SPEED_RANGE_MPS = (1.8, 6.5)
Z_5_PERCENT = 1.6449


@dataclass(frozen=True)
class MetricModel:
    """Population median at the reference speed, prior within-runner exponent, spread, direction."""

    name: str
    label: str
    unit: str
    median_at_reference: float
    speed_exponent: float
    coefficient_of_variation: float
    higher_is_better: bool
    weight: float

    def speed_factor(self, speed_mps: np.ndarray | float, exponent: float | None = None) -> np.ndarray:
        """(v / v_ref) ** b: how much the runner's value at ``v`` differs from theirs at the reference speed."""
        v = np.clip(speed_mps, *MODEL_SPEED_RANGE_MPS)
        b = self.speed_exponent if exponent is None else exponent
        return (v / REFERENCE_SPEED_MPS) ** b

    def expected(self, speed_mps: np.ndarray | float, exponent: float | None = None) -> np.ndarray:
        """The population median brought to ``speed_mps`` along the speed curve."""
        return self.median_at_reference * self.speed_factor(speed_mps, exponent)

    def z(self, value: np.ndarray | float, speed_mps: np.ndarray | float,
          exponent: float | None = None) -> np.ndarray:
        """Residual in population standard deviations at that speed; positive is better."""
        at_reference = np.asarray(value) / self.speed_factor(speed_mps, exponent)
        z = (at_reference - self.median_at_reference) / (self.coefficient_of_variation * self.median_at_reference)
        return z if self.higher_is_better else -z


def _from_zones(name: str, label: str, unit: str, good: float, poor: float, exponent: float,
                higher_is_better: bool, weight: float) -> MetricModel:
    median = (good + poor) / 2.0
    sigma = abs(good - poor) / 2.0 / Z_5_PERCENT
    return MetricModel(name, label, unit, median, exponent, sigma / median, higher_is_better, weight)


# Weights: the Pose cues are quick contact and high cadence first, low bounce
# second (vertical oscillation and ratio share the bounce weight), symmetry last.
CADENCE = _from_zones("cadence_spm", "cadence", "spm", 183.0, 153.0, 0.134, True, 0.30)
STANCE_TIME = _from_zones("stance_time_ms", "contact", "ms", 218.0, 308.0, -0.40, False, 0.30)
VERTICAL_OSCILLATION = _from_zones("vertical_oscillation_cm", "bounce", "cm", 6.4, 11.5, 0.16, False, 0.15)
VERTICAL_RATIO = _from_zones("vertical_ratio_pct", "vertical ratio", "%", 6.1, 10.1,
                             VERTICAL_OSCILLATION.speed_exponent - (1.0 - CADENCE.speed_exponent), False, 0.15)

# Step speed loss (Garmin HRM 600): how much speed each foot contact costs, a braking measure (lower is
# better). Garmin publishes no population zones for it, so it is scored with weight 0: shown as a form
# component (value, speed-normalised expectation, percentile) but not in the 0-100 score, and trended
# against the runner's own runs on the same sensor at matched pace. The reference (8 % of speed at
# 3.0 m/s, 24 cm/s; spread 30 %) is provisional: the speed fluctuation of the centre of mass during
# stance is of that order at endurance paces (Cavagna et al. 1976, J Physiol 262:639). Within a runner
# the percentage is taken as independent of speed (prior exponent 0); the cm/s value is the percentage
# times speed, so its exponent is 1 + that. The athlete's own speed curve replaces both with history.
STEP_SPEED_LOSS_PCT = MetricModel("step_speed_loss_pct", "step speed loss", "%", 8.0, 0.0, 0.30, False, 0.0)
STEP_SPEED_LOSS = MetricModel("step_speed_loss_cm_s", "step speed loss", "cm/s",
                              8.0 * REFERENCE_SPEED_MPS, 1.0 + STEP_SPEED_LOSS_PCT.speed_exponent, 0.30, False, 0.0)

SPEED_MODELS: dict[str, MetricModel] = {
    m.name: m for m in (CADENCE, STANCE_TIME, VERTICAL_OSCILLATION, VERTICAL_RATIO, STEP_SPEED_LOSS,
                        STEP_SPEED_LOSS_PCT)
}
PRIOR_EXPONENTS: dict[str, float] = {m.name: m.speed_exponent for m in SPEED_MODELS.values()}

# Ground contact time balance: absolute asymmetry |balance - 50| is half-normal;
# 0.7 % is the population median, so sigma = 0.7 / 0.6745.
BALANCE_NAME = "stance_time_balance_pct"
BALANCE_MEDIAN_ASYMMETRY_PCT = 0.7
BALANCE_SIGMA_PCT = BALANCE_MEDIAN_ASYMMETRY_PCT / 0.6745
BALANCE_WEIGHT = 0.10

# The metrics the score is built from (a run without one of these says so); weight-0 metrics are shown only.
ALL_WEIGHTS: dict[str, float] = {**{m.name: m.weight for m in SPEED_MODELS.values() if m.weight > 0},
                                 BALANCE_NAME: BALANCE_WEIGHT}


def normal_cdf(z: float) -> float:
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


def balance_score(mean_balance_pct: float) -> tuple[float, float]:
    """(score 0-100, z) for a mean GCT balance: 100 is perfectly even, 50 the population median."""
    asymmetry = abs(mean_balance_pct - 50.0)
    score = 100.0 * 2.0 * (1.0 - normal_cdf(asymmetry / BALANCE_SIGMA_PCT))
    z = (BALANCE_MEDIAN_ASYMMETRY_PCT - asymmetry) / BALANCE_SIGMA_PCT
    return score, z


def expected_step_length_m(speed_mps: np.ndarray | float, cadence_exponent: float | None = None) -> np.ndarray:
    """Step length the population takes at this speed (speed / expected cadence)."""
    return np.asarray(speed_mps) * 60.0 / CADENCE.expected(speed_mps, cadence_exponent)
