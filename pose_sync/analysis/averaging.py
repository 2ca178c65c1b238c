"""How each recorder computes its session averages, so ours can be checked against theirs.

A run's averages are shown next to the device's own session values; they
must agree, or a runner cannot tell a decoding bug from a real number. Devices
do not all average the same way, and the differences are systematic:

* **Zero readings of running dynamics** (contact time, its balance, vertical
  oscillation and ratio) are not measurements: a strap reports 0 while the
  runner stands. Every device checked leaves them out (FR920XT: contact
  time, bounce and ratio match the device only without them), so they are
  always excluded here.
* **Zero cadence** (standing with the timer running) is *included* by current
  Garmin firmware (fenix 5X, FR965: their session cadence is reproduced to
  0.05 spm only with the zeros), but *excluded* by Suunto and by the old
  FR70.
* **Step length**: the FR920XT reports total distance / total steps; later
  Garmin watches (fenix 5X, FR965) report the mean of the per-record step
  length.
* **Strava** computes its activity averages over *moving* time (its
  ``moving`` stream), not over elapsed or timer time: average speed is
  distance / moving time.

Unknown devices get the current-Garmin rules, which are also what the FIT
profile's field definitions suggest.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pose_sync.analysis.form import weighted_mean
from pose_sync.model import Averages

DYNAMICS = ("stance_time_ms", "stance_time_balance_pct", "vertical_oscillation_cm", "vertical_ratio_pct",
            "step_speed_loss_cm_s", "step_speed_loss_pct")


@dataclass(frozen=True)
class AveragingRules:
    cadence_zeros: bool = True             # zero cadence readings count in the average
    step_length: str = "records"           # "records" (mean of record values) or "distance/steps"
    over: str = "timer"                    # "timer" time, or "moving" time (Strava)


CURRENT_GARMIN = AveragingRules()
# Device name prefixes (as ``Activity.device``: "<manufacturer> <product>") and their rules.
RULES: tuple[tuple[str, AveragingRules], ...] = (
    ("garmin fr70", AveragingRules(cadence_zeros=False)),
    ("garmin fr920xt", AveragingRules(step_length="distance/steps")),
    ("suunto", AveragingRules(cadence_zeros=False)),
)
STRAVA = AveragingRules(over="moving")


def rules_for(device: str | None, averages_over: str = "timer") -> AveragingRules:
    if averages_over == "moving":
        return STRAVA
    name = (device or "").lower()
    for prefix, rules in RULES:
        if name.startswith(prefix):
            return rules
    return CURRENT_GARMIN


def session_averages(raw: dict[str, np.ndarray], weight_s: np.ndarray, distance_m: float | None,
                     rules: AveragingRules = CURRENT_GARMIN, moving: np.ndarray | None = None) -> Averages:
    """Averages computed the way the recorder computes its own session values.

    ``raw`` holds the channels with only the FIT invalid values removed
    (plausibility filtering is for form analysis, not for these);
    ``weight_s`` is the time each sample stands for with timer pauses cut
    out; ``moving`` is used when the rules average over moving time.
    """
    weights = weight_s if rules.over == "timer" or moving is None else np.where(moving, weight_s, 0.0)
    seconds = float(weights.sum())

    def avg(name: str, drop_zeros: bool = False) -> float | None:
        values = raw[name]
        if drop_zeros:
            values = np.where(values > 0, values, np.nan)
        return weighted_mean(values, weights)

    speed = distance_m / seconds if distance_m and seconds > 0 else avg("speed_mps")
    cadence = avg("cadence_spm", drop_zeros=not rules.cadence_zeros)
    step_length = avg("step_length_m", drop_zeros=True)
    if rules.step_length == "distance/steps" and distance_m:
        cad = raw["cadence_spm"]
        steps = float(np.sum(np.where(np.isfinite(cad), cad, 0.0) * weights)) / 60.0
        step_length = distance_m / steps if steps > 0 else step_length
    return Averages(
        speed_mps=speed,
        heart_rate_bpm=avg("heart_rate_bpm"),
        cadence_spm=cadence,
        stance_time_ms=avg("stance_time_ms", drop_zeros=True),
        stance_time_balance_pct=avg("stance_time_balance_pct", drop_zeros=True),
        vertical_oscillation_cm=avg("vertical_oscillation_cm", drop_zeros=True),
        vertical_ratio_pct=avg("vertical_ratio_pct", drop_zeros=True),
        step_length_m=step_length,
        power_w=avg("power_w"),
        step_speed_loss_cm_s=avg("step_speed_loss_cm_s", drop_zeros=True),
        step_speed_loss_pct=avg("step_speed_loss_pct", drop_zeros=True),
    )
