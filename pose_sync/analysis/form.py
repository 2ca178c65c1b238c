"""Form metrics of one run: moving averages, speed-normalised score, drift, speed bands.

All functions take arrays and a :class:`Segmentation` and return dataclasses;
none of them look at history or configuration, so a run's analysis is
reproducible and re-scoring is a pure recomputation.
"""

from __future__ import annotations

import numpy as np

from pose_sync.analysis.population import (
    ALL_WEIGHTS,
    BALANCE_NAME,
    BALANCE_WEIGHT,
    SPEED_MODELS,
    balance_score,
    expected_step_length_m,
    normal_cdf,
)
from pose_sync.analysis.segments import Segmentation
from pose_sync.model import Averages, ComponentScore, Drift, FormScore, SpeedBand

MIN_SCORED_STEADY_S = 120.0     # less steady running than this is not scored
MIN_COVERAGE = 0.5              # a metric must be present on half the steady time
FULL_CONFIDENCE_STEADY_S = 1200.0
MIN_DRIFT_STEADY_S = 600.0
SPEED_BAND_WIDTH_MPS = 0.25
MIN_BAND_S = 30.0

# Metrics kept per speed band for matched-pace trends.
BAND_METRICS = (
    "cadence_spm", "stance_time_ms", "stance_time_balance_pct", "vertical_oscillation_cm",
    "vertical_ratio_pct", "step_length_m", "heart_rate_bpm", "power_w", "form_power_w",
    "leg_spring_stiffness_knm",
)
DRIFT_METRICS = ("cadence_spm", "stance_time_ms", "vertical_oscillation_cm", "vertical_ratio_pct",
                 "step_length_m", "stance_time_balance_pct")


def weighted_mean(values: np.ndarray, weights: np.ndarray) -> float | None:
    """Time-weighted mean over finite values, or None when there are none."""
    valid = np.isfinite(values) & (weights > 0)
    total = float(weights[valid].sum())
    if total <= 0:
        return None
    return float(np.dot(values[valid], weights[valid]) / total)


def session_averages(raw: dict[str, np.ndarray], weight_s: np.ndarray, distance_m: float | None) -> Averages:
    """Averages over timer-running time, computed the way a device computes its session averages.

    Timer pauses are excluded (they carry no weight); standing still with the
    timer running counts, and a sensor's zero reading counts (cadence 0 while
    standing), exactly as current Garmin firmware averages: its session values
    are reproduced from the records to a fraction of a percent (see the
    per-file tests). Speed is distance over timer time, the device's own
    definition. ``raw`` holds the channels with only the FIT invalid values
    removed; plausibility filtering is for form analysis, not for these.
    """
    timer_s = float(weight_s.sum())

    def avg(name: str) -> float | None:
        return weighted_mean(raw[name], weight_s)

    speed = distance_m / timer_s if distance_m and timer_s > 0 else avg("speed_mps")
    return Averages(
        speed_mps=speed,
        heart_rate_bpm=avg("heart_rate_bpm"),
        cadence_spm=avg("cadence_spm"),
        stance_time_ms=avg("stance_time_ms"),
        stance_time_balance_pct=avg("stance_time_balance_pct"),
        vertical_oscillation_cm=avg("vertical_oscillation_cm"),
        vertical_ratio_pct=avg("vertical_ratio_pct"),
        step_length_m=avg("step_length_m"),
        power_w=avg("power_w"),
    )


def _coverage(values: np.ndarray, weights: np.ndarray) -> float:
    total = float(weights.sum())
    return float(weights[np.isfinite(values)].sum()) / total if total > 0 else 0.0


def form_score(channels: dict[str, np.ndarray], seg: Segmentation,
               sources: dict[str, str] | None = None) -> FormScore:
    """Speed-normalised form score (0-100) from whatever form metrics the run has.

    Each metric's residual against the population at the sample's own speed
    is averaged over steady running (so a run mixing paces is judged pace by
    pace), turned into a percentile, and the percentiles are combined with the
    weights in :mod:`pose_sync.analysis.population`, renormalised over the
    metrics present. Confidence falls with little steady running, gaps in the
    data and missing metrics.
    """
    steady_w = np.where(seg.steady, seg.weight_s, 0.0)
    steady_s = float(steady_w.sum())
    components: dict[str, ComponentScore] = {}
    coverages: dict[str, float] = {}
    speed = seg.speed_mps

    for name, model in SPEED_MODELS.items():
        values = channels[name]
        coverage = _coverage(values, steady_w)
        if steady_s < MIN_SCORED_STEADY_S or coverage < MIN_COVERAGE:
            continue
        z = weighted_mean(model.z(values, speed), steady_w)
        value = weighted_mean(values, steady_w)
        expected = weighted_mean(np.where(np.isfinite(values), model.expected(speed), np.nan), steady_w)
        if z is None or value is None or expected is None:
            continue
        components[name] = ComponentScore(name, value, expected, z, 100.0 * normal_cdf(z), model.weight)
        coverages[name] = coverage

    balance = channels[BALANCE_NAME]
    coverage = _coverage(balance, steady_w)
    mean_balance = weighted_mean(balance, steady_w)
    if steady_s >= MIN_SCORED_STEADY_S and coverage >= MIN_COVERAGE and mean_balance is not None:
        score, z = balance_score(mean_balance)
        components[BALANCE_NAME] = ComponentScore(BALANCE_NAME, mean_balance, 50.0, z, score, BALANCE_WEIGHT)
        coverages[BALANCE_NAME] = coverage

    inputs = tuple(components)
    missing = tuple(name for name in ALL_WEIGHTS if name not in components)
    if not components:
        return FormScore(None, 0.0, {}, (), missing)
    weight_total = sum(c.weight for c in components.values())
    score = sum(c.score * c.weight for c in components.values()) / weight_total
    input_share = weight_total / sum(ALL_WEIGHTS.values())
    mean_coverage = sum(coverages[n] * components[n].weight for n in components) / weight_total
    duration = min(1.0, steady_s / FULL_CONFIDENCE_STEADY_S) ** 0.5
    confidence = duration * mean_coverage * input_share ** 0.5
    labelled = tuple(f"{n} ({sources[n]})" if sources and n in sources else n for n in inputs)
    return FormScore(round(score, 1), round(confidence, 2), components, labelled, missing)


def _residual(name: str, values: np.ndarray, speed: np.ndarray) -> np.ndarray:
    """Value minus what the population shows at that speed (raw for balance)."""
    if name in SPEED_MODELS:
        return values - SPEED_MODELS[name].expected(speed)
    if name == "step_length_m":
        return values - expected_step_length_m(speed)
    return values


def drift(channels: dict[str, np.ndarray], seg: Segmentation, elapsed_s: np.ndarray) -> Drift | None:
    """Late third against early third of the steady running, speed-normalised.

    Comparing residuals (not raw values) means a faster finish does not look
    like better form, nor a slower one like fatigue.
    """
    steady_w = np.where(seg.steady, seg.weight_s, 0.0)
    total = float(steady_w.sum())
    if total < MIN_DRIFT_STEADY_S:
        return None
    position = np.cumsum(steady_w) - steady_w / 2
    early = seg.steady & (position <= total / 3)
    late = seg.steady & (position >= 2 * total / 3)
    deltas: dict[str, float] = {}
    for name in DRIFT_METRICS:
        values = channels[name]
        if _coverage(values, steady_w) < MIN_COVERAGE:
            continue
        residual = _residual(name, values, seg.speed_mps)
        e = weighted_mean(residual, np.where(early, seg.weight_s, 0.0))
        la = weighted_mean(residual, np.where(late, seg.weight_s, 0.0))
        if e is not None and la is not None:
            deltas[name] = round(la - e, 4)
    if not deltas:
        return None
    early_t = elapsed_s[early]
    late_t = elapsed_s[late]
    return Drift(
        early_window_s=(float(early_t.min()), float(early_t.max())),
        late_window_s=(float(late_t.min()), float(late_t.max())),
        deltas=deltas,
    )


def speed_bands(channels: dict[str, np.ndarray], seg: Segmentation) -> tuple[SpeedBand, ...]:
    """Per 0.25 m/s band of steady running: time spent and time-weighted metric means."""
    steady = seg.steady & np.isfinite(seg.speed_mps)
    if not steady.any():
        return ()
    index = np.floor(seg.speed_mps[steady] / SPEED_BAND_WIDTH_MPS).astype(np.int64)
    weights = seg.weight_s[steady]
    n = int(index.max()) + 1
    seconds = np.bincount(index, weights=weights, minlength=n)
    means: dict[str, np.ndarray] = {}
    for name in BAND_METRICS:
        values = channels.get(name)
        if values is None:
            continue
        v = values[steady]
        valid = np.isfinite(v)
        if not valid.any():
            continue
        w = np.where(valid, weights, 0.0)
        covered = np.bincount(index, weights=w, minlength=n)
        total = np.bincount(index, weights=np.where(valid, v, 0.0) * w, minlength=n)
        with np.errstate(invalid="ignore", divide="ignore"):
            means[name] = np.where(covered >= 0.5 * seconds, total / covered, np.nan)
    bands = []
    for i in np.flatnonzero(seconds >= MIN_BAND_S):
        metrics = {k: round(float(v[i]), 4) for k, v in means.items() if np.isfinite(v[i])}
        bands.append(SpeedBand(round(i * SPEED_BAND_WIDTH_MPS, 2), round(float(seconds[i]), 1), metrics))
    return tuple(bands)


def histogram(values: np.ndarray, weights: np.ndarray, bin_width: float) -> dict[float, float]:
    """Seconds per bin (keyed by the bin's lower edge), for load and intensity later."""
    valid = np.isfinite(values) & (weights > 0)
    if not valid.any():
        return {}
    index = np.floor(values[valid] / bin_width).astype(np.int64)
    offset = int(index.min())
    counts = np.bincount(index - offset, weights=weights[valid])
    return {round((i + offset) * bin_width, 3): round(float(c), 2) for i, c in enumerate(counts) if c > 0}
