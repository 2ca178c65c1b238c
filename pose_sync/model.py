"""The activity model every source lands in and every analysis reads.

A FIT file, a Strava stream set and a Garmin download all become the same
:class:`Activity`: metadata plus columnar samples (numpy arrays on one time
base, NaN where the source had no value). Everything downstream is
source-agnostic, so a fix to the analysis is a fix for every platform.

Units live in the channel names (``speed_mps``, ``stance_time_ms``) and are
converted once, at the edge, by the decoder that knows the source's
conventions (FIT running cadence is strides/min per leg; Strava's run cadence
stream is per leg too; positions arrive in semicircles).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Mapping

if TYPE_CHECKING:  # numpy is imported by the code that fills and reads samples, not by every command
    import numpy as np

# Canonical channel names and their units. A decoder may add others (developer
# fields arrive as ``dev:<field name>`` with their units in ``Samples.units``).
CHANNELS: dict[str, str] = {
    "elapsed_s": "s since the activity's start (the time base)",
    "distance_m": "m, cumulative",
    "speed_mps": "m/s",
    "heart_rate_bpm": "beats/min",
    "cadence_spm": "steps/min, both legs (FIT/Strava per-leg cadence x 2 + fractional)",
    "stance_time_ms": "ground contact time, ms",
    "stance_time_balance_pct": "ground contact time balance, % left",
    "vertical_oscillation_cm": "cm",
    "vertical_ratio_pct": "% (vertical oscillation / step length)",
    "step_length_m": "m",
    "power_w": "W (running power, native or Stryd)",
    "altitude_m": "m",
    "grade_pct": "%",
    "lat_deg": "degrees",
    "lon_deg": "degrees",
    "moving": "1.0 moving, 0.0 stopped, NaN unknown (timer pauses are 0)",
    "form_power_w": "W (Stryd Form Power)",
    "leg_spring_stiffness_knm": "kN/m (Stryd Leg Spring Stiffness)",
    "step_speed_loss_cm_s": "cm/s: speed lost on each foot contact (Garmin HRM 600, record field 146)",
    "step_speed_loss_pct": "% of speed lost on each foot contact (record field 147)",
}

RUNNING_SPORTS = frozenset({"running"})


@dataclass(frozen=True)
class SourceRef:
    """Where an activity came from: enough to find it again and to name it to a user.

    ``platform`` is ``"file"`` for local files, else a connector name
    (``"strava"``, ``"garmin"``). ``remote_id`` is the platform's activity id;
    for files it is the path, plus ``member`` for a file inside a zip.
    ``session_index`` tells apart the legs of a multisport file.
    """

    platform: str
    remote_id: str
    member: str | None = None
    session_index: int = 0

    def label(self) -> str:
        base = f"{self.remote_id}!{self.member}" if self.member else self.remote_id
        return base if self.platform == "file" else f"{self.platform}:{base}"


@dataclass
class Samples:
    """Columnar samples on one time base.

    ``elapsed_s`` is seconds since the activity's start and strictly
    increasing. Every array in ``channels`` has the same length; missing values
    are NaN. Developer fields keep their own names under ``dev:``.
    """

    elapsed_s: np.ndarray
    channels: dict[str, np.ndarray] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.elapsed_s)
        for name, values in self.channels.items():
            if len(values) != n:
                raise ValueError(f"channel {name!r} has {len(values)} samples, time base has {n}")

    def __len__(self) -> int:
        return len(self.elapsed_s)

    def get(self, name: str) -> np.ndarray:
        """The channel, or an all-NaN array when the source did not have it."""
        values = self.channels.get(name)
        if values is None:
            import numpy as np

            return np.full(len(self.elapsed_s), np.nan)
        return values

    def has(self, name: str) -> bool:
        """True when the channel exists and holds at least one real value."""
        import numpy as np

        values = self.channels.get(name)
        return values is not None and bool(np.isfinite(values).any())


@dataclass(frozen=True)
class DeviceSummary:
    """What the recording device itself wrote in its session message.

    These are the device's own averages, kept verbatim (converted to our
    units) so that our decoding can be checked against them.
    """

    total_timer_time_s: float | None = None
    total_elapsed_time_s: float | None = None
    total_distance_m: float | None = None
    avg_speed_mps: float | None = None
    avg_heart_rate_bpm: float | None = None
    avg_cadence_spm: float | None = None
    avg_stance_time_ms: float | None = None
    avg_stance_time_balance_pct: float | None = None
    avg_vertical_oscillation_cm: float | None = None
    avg_vertical_ratio_pct: float | None = None
    avg_step_length_m: float | None = None
    avg_power_w: float | None = None
    total_calories_kcal: float | None = None
    avg_step_speed_loss_cm_s: float | None = None   # session field 222 (not in the FIT profile)
    avg_step_speed_loss_pct: float | None = None    # session field 223


@dataclass
class Activity:
    """One activity (one session of a multisport file) in our units.

    ``start_time`` is timezone-aware UTC. ``fit_sha256`` is the content hash of
    the original FIT file when there was one (the raw bytes are kept in the
    store under that hash so history can be re-scored without re-downloading).
    ``timer_pauses`` are (from, to) elapsed seconds when the timer was stopped.
    ``averages_over`` is how the source computes its own averages: over
    ``timer`` time (devices) or ``moving`` time (Strava), so ours can match.
    ``sources`` names the kind of sensor behind each form channel (``strap``,
    ``stryd``, ``footpod``, ``wrist``, ``strava``): see
    :func:`pose_sync.fit.activity.sensor_sources`.
    """

    source: SourceRef
    sport: str
    sub_sport: str | None
    start_time: datetime
    samples: Samples
    device: str | None = None
    device_summary: DeviceSummary | None = None
    gear_id: str | None = None
    name: str | None = None
    fit_sha256: str | None = None
    timer_pauses: tuple[tuple[float, float], ...] = ()
    warnings: list[str] = field(default_factory=list)
    averages_over: str = "timer"
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def is_run(self) -> bool:
        return self.sport in RUNNING_SPORTS


# --- analysis results ------------------------------------------------------


@dataclass(frozen=True)
class Averages:
    """Moving averages (time-weighted over moving time); None when absent."""

    speed_mps: float | None = None
    heart_rate_bpm: float | None = None
    cadence_spm: float | None = None
    stance_time_ms: float | None = None
    stance_time_balance_pct: float | None = None
    vertical_oscillation_cm: float | None = None
    vertical_ratio_pct: float | None = None
    step_length_m: float | None = None
    power_w: float | None = None
    step_speed_loss_cm_s: float | None = None
    step_speed_loss_pct: float | None = None


@dataclass(frozen=True)
class ComponentScore:
    """One metric's contribution to the form score.

    ``expected`` is the population value at the run's speed, ``z`` the
    residual in population standard deviations (positive is better form), and
    ``score`` the percentile (0-100) that residual represents.
    """

    metric: str
    value: float
    expected: float
    z: float
    score: float
    weight: float


@dataclass(frozen=True)
class MetricAtSpeed:
    """A metric's steady-running mean within one speed band, and what the speed model expects there."""

    value: float
    expected: float


@dataclass(frozen=True)
class BandForm:
    """Form within one 0.25 m/s band of a run's own (not grade-adjusted) speed.

    ``score`` is computed exactly as the run's score, on this band's samples
    only: for a runner whose form does not change it is the same at every
    pace, which is what the speed model is for. The per-band values also let
    the athlete's own speed curve be fitted later (``analysis.speed_curve``).
    """

    speed_mps: float
    seconds: float
    score: float | None
    metrics: Mapping[str, MetricAtSpeed]


@dataclass(frozen=True)
class FormScore:
    """Speed-normalised form score: 0-100, with what it was built from.

    ``confidence`` is 0-1 (steady time, sample coverage and inputs available);
    ``inputs`` names the metrics that were present; ``missing`` those that were
    not, so a cadence-only run says so. ``speed_curve`` says which speed curve
    normalised it (the population prior, or the athlete's own fitted from N
    runs) and ``exponents`` its exponents, so a stored score is reproducible.
    """

    score: float | None
    confidence: float
    components: Mapping[str, ComponentScore]
    inputs: tuple[str, ...]
    missing: tuple[str, ...]
    by_speed: tuple[BandForm, ...] = ()
    speed_curve: str = "population prior"
    exponents: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Drift:
    """Late-vs-early form within one run (fatigue shows as longer contact, lower cadence).

    ``deltas`` maps a metric to (late - early) in the metric's unit, both
    halves normalised to the run's mean speed so a faster finish is not
    mistaken for better form.
    """

    early_window_s: tuple[float, float]
    late_window_s: tuple[float, float]
    deltas: Mapping[str, float]


@dataclass(frozen=True)
class Economy:
    """Efficiency factor and aerobic decoupling on steady running.

    ``efficiency_factor`` is speed per heartbeat (m/min per bpm) or, when
    power exists, speed per watt (m/min per W), as ``basis`` says.
    ``decoupling_pct`` is (EF first half - EF second half) / EF first half.
    ``speed`` says which speed: grade-adjusted, or flat where there was no
    altitude to adjust with (treadmill, no altimeter).
    """

    basis: str
    efficiency_factor: float
    decoupling_pct: float | None
    speed: str = "grade-adjusted"


@dataclass(frozen=True)
class SpeedBand:
    """Form metrics of one run within one speed band, for matched-pace trends.

    Bands are ``lo_mps`` to ``lo_mps + width``; ``seconds`` is steady running
    time spent there; ``metrics`` maps metric name to its time-weighted mean.
    """

    lo_mps: float
    seconds: float
    metrics: Mapping[str, float]


@dataclass(frozen=True)
class RunAnalysis:
    """Everything we conclude about one running session, and what progression stores.

    It is a pure function of the activity: no history and no configuration
    beyond the analysis constants, so re-scoring is reproducible. Histograms of
    heart rate and speed over moving time let progression compute load (TRIMP)
    and intensity split for any zone configuration without the samples.
    """

    source: SourceRef
    sport: str
    sub_sport: str | None
    start_time: datetime
    device: str | None
    moving_time_s: float
    elapsed_time_s: float
    distance_m: float
    steady_time_s: float
    walking_time_s: float
    stopped_time_s: float
    averages: Averages
    device_summary: DeviceSummary | None
    form: FormScore
    drift: Drift | None
    economy: Economy | None
    speed_bands: tuple[SpeedBand, ...]
    hr_histogram: Mapping[int, float]
    speed_histogram: Mapping[float, float]
    extras: Mapping[str, float]
    warnings: tuple[str, ...]
    analysis_version: int
    sources: Mapping[str, str] = field(default_factory=dict)
    averages_over: str = "timer"
