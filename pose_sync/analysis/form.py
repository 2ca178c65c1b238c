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
from pose_sync.analysis.speed_curve import PRIOR, SpeedCurves, evidence_of
from pose_sync.model import BandForm, ComponentScore, Drift, FormScore, MetricAtSpeed, SpeedBand

MIN_SCORED_STEADY_S = 120.0     # less steady running than this is not scored
MIN_COVERAGE = 0.5              # a metric must be present on half the steady time
FULL_CONFIDENCE_STEADY_S = 1200.0
MIN_DRIFT_STEADY_S = 600.0
SPEED_BAND_WIDTH_MPS = 0.25
MIN_BAND_S = 30.0
MIN_BY_SPEED_S = 120.0          # a band in ``form.by_speed`` needs this much steady running

# Metrics kept per speed band for matched-pace trends.
BAND_METRICS = (
    "cadence_spm", "stance_time_ms", "stance_time_balance_pct", "vertical_oscillation_cm",
    "vertical_ratio_pct", "step_length_m", "heart_rate_bpm", "power_w", "form_power_w",
    "leg_spring_stiffness_knm", "step_speed_loss_cm_s", "step_speed_loss_pct",
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


def _coverage(values: np.ndarray, weights: np.ndarray) -> float:
    total = float(weights.sum())
    return float(weights[np.isfinite(values)].sum()) / total if total > 0 else 0.0


def _band_index(seg: Segmentation, mask: np.ndarray) -> np.ndarray:
    return np.floor(np.where(mask, seg.speed_mps, 0.0) / SPEED_BAND_WIDTH_MPS).astype(np.int64)


def _combine(components: dict[str, tuple[float, float]]) -> float | None:
    """Weighted mean of component percentiles (``name -> (score, weight)``), renormalised over those present."""
    total = sum(w for _, w in components.values())
    return sum(s * w for s, w in components.values()) / total if total > 0 else None


def form_score(channels: dict[str, np.ndarray], seg: Segmentation, sources: dict[str, str] | None = None,
               curves: SpeedCurves = PRIOR, unscored: frozenset[str] = frozenset()) -> FormScore:
    """Speed-normalised form score (0-100) from whatever form metrics the run has.

    Every steady sample is brought to the reference speed along the speed
    curve (the athlete's own when ``curves`` holds one, else the population
    prior) and its residual against the population there is taken; residuals
    are averaged over steady running (so a run mixing paces is judged pace by
    pace), turned into a percentile, and the percentiles are combined with
    the weights in :mod:`pose_sync.analysis.population`, renormalised over the
    metrics present. The same is done per 0.25 m/s band (``by_speed``).
    Confidence falls with little steady running, gaps in the data and missing
    metrics. Metrics in ``unscored`` (a sensor whose readings are not on the
    population's scale) are left out and listed as missing.
    """
    steady_w = np.where(seg.steady, seg.weight_s, 0.0)
    steady_s = float(steady_w.sum())
    components: dict[str, ComponentScore] = {}
    coverages: dict[str, float] = {}
    speed = seg.speed_mps
    band = _band_index(seg, seg.steady)
    n_bands = int(band.max()) + 1 if len(band) else 0
    band_seconds = np.bincount(band, weights=steady_w, minlength=n_bands)
    band_speed = np.bincount(band, weights=np.where(seg.steady, speed, 0.0) * steady_w, minlength=n_bands)
    band_parts: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = {}

    def per_band(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        valid = np.isfinite(values)
        w = np.where(valid, steady_w, 0.0)
        covered = np.bincount(band, weights=w, minlength=n_bands)
        total = np.bincount(band, weights=np.where(valid, values, 0.0) * w, minlength=n_bands)
        with np.errstate(invalid="ignore", divide="ignore"):
            return total / covered, covered

    scored = [name for name in SPEED_MODELS if name not in unscored and steady_s >= MIN_SCORED_STEADY_S
              and _coverage(channels[name], steady_w) >= MIN_COVERAGE]
    # The run's own bands are evidence of the runner's speed curve too (see analysis.speed_curve).
    long_bands = np.flatnonzero(band_seconds >= MIN_BY_SPEED_S)
    raw_band = {name: per_band(channels[name]) for name in scored}
    own_bands = [(float(band_speed[i] / band_seconds[i]),
                  {n: float(v[i]) for n, (v, c) in raw_band.items()
                   if c[i] >= MIN_COVERAGE * band_seconds[i] and np.isfinite(v[i])}) for i in long_bands]
    curves = curves + evidence_of(own_bands)

    for name in scored:
        model = SPEED_MODELS[name]
        values = channels[name]
        coverage = _coverage(values, steady_w)
        exponent = curves.exponent(name)
        z_samples = model.z(values, speed, exponent)
        expected_samples = np.where(np.isfinite(values), model.expected(speed, exponent), np.nan)
        z = weighted_mean(z_samples, steady_w)
        value = weighted_mean(values, steady_w)
        expected = weighted_mean(expected_samples, steady_w)
        if z is None or value is None or expected is None:
            continue
        components[name] = ComponentScore(name, value, expected, z, 100.0 * normal_cdf(z), model.weight)
        coverages[name] = coverage
        z_band, covered = per_band(z_samples)
        band_parts[name] = (raw_band[name][0], per_band(expected_samples)[0], z_band, covered)

    balance = channels[BALANCE_NAME]
    coverage = _coverage(balance, steady_w)
    mean_balance = weighted_mean(balance, steady_w)
    balance_band: tuple[np.ndarray, np.ndarray] | None = None
    if (BALANCE_NAME not in unscored and steady_s >= MIN_SCORED_STEADY_S and coverage >= MIN_COVERAGE
            and mean_balance is not None):
        score, z = balance_score(mean_balance)
        components[BALANCE_NAME] = ComponentScore(BALANCE_NAME, mean_balance, 50.0, z, score, BALANCE_WEIGHT)
        coverages[BALANCE_NAME] = coverage
        balance_band = per_band(balance)

    by_speed: list[BandForm] = []
    for i in long_bands:
        seconds = float(band_seconds[i])
        metrics: dict[str, MetricAtSpeed] = {}
        parts: dict[str, tuple[float, float]] = {}
        for name, (band_value, band_expected, z_band, covered) in band_parts.items():
            if covered[i] >= MIN_COVERAGE * seconds and np.isfinite(band_value[i]):
                metrics[name] = MetricAtSpeed(round(float(band_value[i]), 3), round(float(band_expected[i]), 3))
                parts[name] = (100.0 * normal_cdf(float(z_band[i])), SPEED_MODELS[name].weight)
        if balance_band is not None and balance_band[1][i] >= MIN_COVERAGE * seconds:
            mean = float(balance_band[0][i])
            metrics[BALANCE_NAME] = MetricAtSpeed(round(mean, 3), 50.0)
            parts[BALANCE_NAME] = (balance_score(mean)[0], BALANCE_WEIGHT)
        band_score = _combine(parts)
        by_speed.append(BandForm(round(float(band_speed[i]) / seconds, 3), round(seconds, 1),
                                 round(band_score, 1) if band_score is not None else None, metrics))

    inputs = tuple(name for name, c in components.items() if c.weight > 0)   # shown-only metrics are not inputs
    missing = tuple(name for name in ALL_WEIGHTS if name not in components)
    exponents = {name: float(curves.exponent(name) or 0.0) for name in components if name in SPEED_MODELS}
    weight_total = sum(c.weight for c in components.values())
    if not components or weight_total <= 0:
        return FormScore(None, 0.0, components, (), missing, tuple(by_speed), curves.label, exponents)
    score = sum(c.score * c.weight for c in components.values()) / weight_total
    input_share = weight_total / sum(ALL_WEIGHTS.values())
    mean_coverage = sum(coverages[n] * components[n].weight for n in components) / weight_total
    duration = min(1.0, steady_s / FULL_CONFIDENCE_STEADY_S) ** 0.5
    confidence = duration * mean_coverage * input_share ** 0.5
    labelled = tuple(f"{n} ({sources[n]})" if sources and n in sources else n for n in inputs)
    return FormScore(round(score, 1), round(confidence, 2), components, labelled, missing, tuple(by_speed),
                     curves.label, exponents)


def _residual(name: str, values: np.ndarray, speed: np.ndarray, curves: SpeedCurves) -> np.ndarray:
    """Value minus what the speed curve expects at that speed (raw for balance)."""
    if name in SPEED_MODELS:
        return values - SPEED_MODELS[name].expected(speed, curves.exponent(name))
    if name == "step_length_m":
        return values - expected_step_length_m(speed, curves.exponent("cadence_spm"))
    return values


def drift(channels: dict[str, np.ndarray], seg: Segmentation, elapsed_s: np.ndarray,
          curves: SpeedCurves = PRIOR) -> Drift | None:
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
        residual = _residual(name, values, seg.speed_mps, curves)
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


def speed_bands(channels: dict[str, np.ndarray], seg: Segmentation,
                gap_mps: np.ndarray | None = None) -> tuple[SpeedBand, ...]:
    """Per 0.25 m/s band of steady running: time spent and time-weighted metric means.

    Bands are of grade-adjusted speed (``gap_mps``) when given, so that a
    climb is matched with the flat running that costs the same, not with the
    flat running at the same (slower) speed.
    """
    speed = seg.speed_mps if gap_mps is None else gap_mps
    steady = seg.steady & np.isfinite(speed)
    if not steady.any():
        return ()
    index = np.floor(speed[steady] / SPEED_BAND_WIDTH_MPS).astype(np.int64)
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
