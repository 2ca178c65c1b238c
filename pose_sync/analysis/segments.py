"""Which parts of an activity are steady running, and how much time each sample stands for.

Form is only comparable on steady running: stops, walking breaks and short
bursts distort every metric. Each sample stands for the time until the next
one (recording may be 1 s or "smart" and irregular), minus any timer pause;
walking and stops are measured and reported rather than silently dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pose_sync.model import Samples

MOVING_SPEED_MPS = 0.5          # below this the runner is standing
RUNNING_CADENCE_SPM = 140.0     # walking cadence rarely exceeds this; running rarely falls below
RUNNING_SPEED_MPS = 1.9         # without cadence: 6.8 km/h, faster than nearly all walking
MAX_SAMPLE_GAP_S = 60.0         # a longer silent gap is a pause the device did not mark
MIN_STEADY_S = 60.0             # a steady stretch lasts at least this long
MAX_BREAK_IN_STEADY_S = 5.0     # a stumble or a kerb does not end a steady stretch
SPEED_SMOOTHING_S = 10.0        # window for the speed used to normalise form
CHANGE_WINDOW_S = 20.0          # speeding up or slowing down is judged over this window...
MAX_STEADY_SPEED_CHANGE_MPS = 0.4  # ...and more change than this (0.02 m/s^2) is a transition, not steady

# Plausible ranges: values outside are sensor glitches (0 while stopped, spikes).
PLAUSIBLE: dict[str, tuple[float, float]] = {
    "speed_mps": (0.0, 12.0),
    "heart_rate_bpm": (30.0, 235.0),
    "cadence_spm": (60.0, 260.0),
    "stance_time_ms": (80.0, 600.0),
    "stance_time_balance_pct": (30.0, 70.0),
    "vertical_oscillation_cm": (1.0, 25.0),
    "vertical_ratio_pct": (1.0, 25.0),
    "step_length_m": (0.2, 3.0),
    "power_w": (20.0, 1500.0),
    "form_power_w": (5.0, 400.0),
    "leg_spring_stiffness_knm": (2.0, 40.0),
    "step_speed_loss_cm_s": (1.0, 150.0),
    "step_speed_loss_pct": (0.3, 40.0),
}


def clean(samples: Samples, name: str) -> np.ndarray:
    """The channel with implausible values set to NaN."""
    values = samples.get(name).astype(np.float64, copy=True)
    bounds = PLAUSIBLE.get(name)
    if bounds is not None:
        with np.errstate(invalid="ignore"):
            values[(values < bounds[0]) | (values > bounds[1])] = np.nan
    return values


@dataclass(frozen=True)
class Segmentation:
    weight_s: np.ndarray       # seconds each sample stands for (pauses removed)
    moving: np.ndarray         # bool
    running: np.ndarray        # bool, moving at running cadence/speed
    walking: np.ndarray        # bool, moving but not running
    steady: np.ndarray         # bool, running within a stretch of at least MIN_STEADY_S
    speed_mps: np.ndarray      # smoothed speed used for normalisation (NaN unknown)

    def seconds(self, mask: np.ndarray) -> float:
        return float(self.weight_s[mask].sum())


def sample_weights(elapsed_s: np.ndarray, pauses: tuple[tuple[float, float], ...]) -> np.ndarray:
    """Forward time differences, capped, with timer pauses cut out."""
    n = len(elapsed_s)
    if n == 0:
        return np.zeros(0)
    dt = np.diff(elapsed_s, append=elapsed_s[-1])
    dt[-1] = 0.0 if n > 1 else 1.0  # the last record marks the end of the recording
    dt = np.clip(dt, 0.0, MAX_SAMPLE_GAP_S)
    end = elapsed_s + dt
    for start_pause, end_pause in pauses:
        overlap = np.clip(np.minimum(end, end_pause) - np.maximum(elapsed_s, start_pause), 0.0, None)
        dt = dt - overlap
    return np.clip(dt, 0.0, None)


def smooth_speed(elapsed_s: np.ndarray, speed: np.ndarray, weight_s: np.ndarray,
                 window_s: float = SPEED_SMOOTHING_S) -> np.ndarray:
    """Time-weighted centred moving average of speed (vectorised with cumulative sums)."""
    valid = np.isfinite(speed)
    w = np.where(valid, weight_s, 0.0)
    sw = np.concatenate(([0.0], np.cumsum(np.where(valid, speed, 0.0) * w)))
    ww = np.concatenate(([0.0], np.cumsum(w)))
    lo = np.searchsorted(elapsed_s, elapsed_s - window_s / 2, side="left")
    hi = np.searchsorted(elapsed_s, elapsed_s + window_s / 2, side="right")
    total = ww[hi] - ww[lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        smoothed = (sw[hi] - sw[lo]) / total
    smoothed[total <= 0] = np.nan
    return np.where(valid | np.isfinite(smoothed), smoothed, np.nan)


def speed_change(elapsed_s: np.ndarray, speed: np.ndarray, window_s: float = CHANGE_WINDOW_S) -> np.ndarray:
    """|speed ahead - speed behind| over a centred window: large while accelerating or slowing.

    Form while speeding up into a repetition or easing out of it is neither
    the faster nor the slower pace (cadence leads, contact lags), so such
    samples are not steady running. NaN speed counts as no change here; it
    is excluded from steady running anyway.
    """
    n = len(elapsed_s)
    if n == 0:
        return np.zeros(0)
    lo = np.searchsorted(elapsed_s, elapsed_s - window_s / 2, side="left")
    hi = np.searchsorted(elapsed_s, elapsed_s + window_s / 2, side="right") - 1
    change = np.abs(speed[np.clip(hi, 0, n - 1)] - speed[np.clip(lo, 0, n - 1)])
    return np.where(np.isfinite(change), change, 0.0)


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (exclusive) indices of each run of True values."""
    padded = np.concatenate(([False], mask, [False]))
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    return edges[0::2], edges[1::2]


def _cover(n: int, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Boolean mask that is True on every [start, end) range (vectorised)."""
    marks = np.zeros(n + 1, dtype=np.int64)
    np.add.at(marks, starts, 1)
    np.add.at(marks, ends, -1)
    return np.cumsum(marks[:n]) > 0


def _stretches(mask: np.ndarray, weight_s: np.ndarray, fill_gaps_s: float, min_length_s: float) -> np.ndarray:
    """``mask`` with short False gaps bridged, keeping only stretches lasting ``min_length_s``."""
    n = len(mask)
    cumulative = np.concatenate(([0.0], np.cumsum(weight_s)))
    gap_starts, gap_ends = _runs(~mask)
    bridge = (gap_starts > 0) & (gap_ends < n) & ((cumulative[gap_ends] - cumulative[gap_starts]) <= fill_gaps_s)
    bridged = mask | _cover(n, gap_starts[bridge], gap_ends[bridge])
    starts, ends = _runs(bridged)
    long_enough = (cumulative[ends] - cumulative[starts]) >= min_length_s
    return _cover(n, starts[long_enough], ends[long_enough]) & mask


def segment(samples: Samples, pauses: tuple[tuple[float, float], ...] = ()) -> Segmentation:
    elapsed = samples.elapsed_s
    weight = sample_weights(elapsed, pauses)
    speed = clean(samples, "speed_mps")
    if not np.isfinite(speed).any() and samples.has("distance_m"):
        distance = samples.get("distance_m")
        with np.errstate(invalid="ignore", divide="ignore"):
            speed = np.gradient(distance, elapsed) if len(elapsed) > 1 else np.full(len(elapsed), np.nan)
    cadence = clean(samples, "cadence_spm")

    if samples.has("moving"):
        moving = samples.get("moving") > 0.5
    else:
        moving = np.where(np.isfinite(speed), speed >= MOVING_SPEED_MPS, np.isfinite(cadence) & (cadence > 0))
    moving &= weight > 0

    speed_smooth = smooth_speed(elapsed, speed, weight)
    by_cadence = cadence >= RUNNING_CADENCE_SPM
    by_speed = speed_smooth >= RUNNING_SPEED_MPS
    running = moving & np.where(np.isfinite(cadence), by_cadence, by_speed)
    walking = moving & ~running
    changing = speed_change(elapsed, speed_smooth) > MAX_STEADY_SPEED_CHANGE_MPS
    steady = _stretches(running & ~changing, weight, MAX_BREAK_IN_STEADY_S, MIN_STEADY_S) & np.isfinite(speed_smooth)
    return Segmentation(weight, moving, running, walking, steady, speed_smooth)
