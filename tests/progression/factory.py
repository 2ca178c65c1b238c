"""Stored-run analyses made by hand, for histories whose numbers a test can work out on paper."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from pose_sync.model import Averages, FormScore, RunAnalysis, SourceRef, SpeedBand

_COUNTER = iter(range(10**9))


def run(day: date, *, minutes: float = 40.0, speed: float = 3.0, hr: float | None = 150.0,
        cadence: float | None = 170.0, contact: float | None = 250.0, oscillation: float | None = 8.5,
        score: float | None = 50.0, bands: dict[float, float] | None = None, steady_speed: float | None = None,
        hour: int = 7) -> RunAnalysis:
    """One run: ``minutes`` at constant ``speed`` and heart rate, form metrics in the band of that speed
    (or in ``bands``: band lower edge -> seconds, all with the same metrics)."""
    seconds = minutes * 60.0
    metrics = {k: v for k, v in (("cadence_spm", cadence), ("stance_time_ms", contact),
                                 ("vertical_oscillation_cm", oscillation), ("heart_rate_bpm", hr)) if v is not None}
    band_seconds = bands or {round(int(speed / 0.25) * 0.25, 2): seconds}
    return RunAnalysis(
        source=SourceRef("test", f"run-{next(_COUNTER)}"),
        sport="running", sub_sport=None,
        start_time=datetime.combine(day, time(hour), tzinfo=timezone.utc),
        device="test", moving_time_s=seconds, elapsed_time_s=seconds, distance_m=speed * seconds,
        steady_time_s=seconds, walking_time_s=0.0, stopped_time_s=0.0,
        averages=Averages(speed_mps=speed, heart_rate_bpm=hr, cadence_spm=cadence, stance_time_ms=contact,
                          vertical_oscillation_cm=oscillation),
        device_summary=None,
        form=FormScore(score, 1.0 if score is not None else 0.0, {}, (), ()),
        drift=None, economy=None,
        speed_bands=tuple(SpeedBand(lo, s, metrics) for lo, s in band_seconds.items()),
        hr_histogram={int(hr): seconds} if hr is not None else {},
        speed_histogram={round(int(speed / 0.1) * 0.1, 1): seconds},
        extras={"steady_speed_mps": steady_speed or speed, **({"max_heart_rate_bpm": hr + 20} if hr else {})},
        warnings=(), analysis_version=1,
    )


def program_history(start: date, weeks: int = 12, runs_per_week: int = 4) -> list[RunAnalysis]:
    """A plausible retraining block: volume builds, a hard week, cadence rises and contact shortens."""
    history = []
    for week in range(weeks):
        for k, weekday in enumerate((1, 3, 5, 6)[:runs_per_week]):
            day = start + timedelta(weeks=week, days=weekday)
            long_run = weekday == 6
            minutes = (30 + 2 * week) * (1.8 if long_run else 1.0) * (1.5 if week == 8 else 1.0)
            speed = 2.9 + 0.3 * (k == 1) + 0.01 * week
            history.append(run(day, minutes=minutes, speed=speed, hr=140 + 15 * (k == 1) + (week % 3),
                               cadence=164 + 1.1 * week + 3 * (k == 1), contact=268 - 2.2 * week - 8 * (k == 1),
                               oscillation=9.4 - 0.05 * week, score=38 + 2 * week))
    return history
