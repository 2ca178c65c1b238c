"""Easy versus hard running per week (target about 80 % easy, Seiler 2010).

Computed from each run's stored heart-rate or speed histogram, so the zone
boundary can change in the config without re-analysing a single run. Heart
rate decides for runs that have it (it reflects effort, also uphill); pace
decides otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from pose_sync.config import Config
from pose_sync.model import RunAnalysis
from pose_sync.progression.load import HeartRateAnchors, week_start

EASY_SHARE_OF_MAX_HR = 0.82         # first ventilatory threshold for most runners
EASY_SHARE_OF_THRESHOLD_PACE = 1.15  # 15 % slower than threshold pace


@dataclass(frozen=True)
class Boundaries:
    easy_max_hr_bpm: float
    easy_max_speed_mps: float


@dataclass(frozen=True)
class WeekIntensity:
    week: date
    easy_s: float
    hard_s: float

    @property
    def easy_share(self) -> float | None:
        total = self.easy_s + self.hard_s
        return self.easy_s / total if total > 0 else None


def boundaries(config: Config, hr: HeartRateAnchors, threshold_mps: float) -> Boundaries:
    zones = config.zones
    easy_hr = zones.easy_max_heart_rate_bpm or EASY_SHARE_OF_MAX_HR * hr.max_bpm
    easy_speed = 1000.0 / zones.easy_min_pace_s_per_km if zones.easy_min_pace_s_per_km \
        else threshold_mps / EASY_SHARE_OF_THRESHOLD_PACE
    return Boundaries(float(easy_hr), float(easy_speed))


def split(run: RunAnalysis, bounds: Boundaries) -> tuple[float, float]:
    """(easy seconds, hard seconds) of one run's moving time."""
    if run.hr_histogram:
        easy = sum(s for bpm, s in run.hr_histogram.items() if bpm <= bounds.easy_max_hr_bpm)
        hard = sum(s for bpm, s in run.hr_histogram.items() if bpm > bounds.easy_max_hr_bpm)
        return easy, hard
    easy = sum(s for speed, s in run.speed_histogram.items() if speed < bounds.easy_max_speed_mps)
    hard = sum(s for speed, s in run.speed_histogram.items() if speed >= bounds.easy_max_speed_mps)
    return easy, hard


def weekly(runs: Sequence[RunAnalysis], bounds: Boundaries) -> dict[date, WeekIntensity]:
    totals: dict[date, list[float]] = {}
    for run in runs:
        easy, hard = split(run, bounds)
        week = totals.setdefault(week_start(run.start_time.date()), [0.0, 0.0])
        week[0] += easy
        week[1] += hard
    return {week: WeekIntensity(week, easy, hard) for week, (easy, hard) in sorted(totals.items())}
