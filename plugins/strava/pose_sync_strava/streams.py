"""Strava streams into the activity model.

Strava resamples the recording and serves it as streams: ``time`` (s from the
start), ``distance`` (m), ``velocity_smooth`` (m/s), ``heartrate``,
``cadence`` (per leg for runs, like FIT: doubled here to steps/min),
``altitude``, ``grade_smooth`` (%), ``moving`` (bool), ``watts``, ``latlng``.
Streams the activity lacks are simply absent.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import numpy as np

from pose_sync.model import Activity, DeviceSummary, Samples, SourceRef

STREAM_TYPES = ["time", "distance", "velocity_smooth", "heartrate", "cadence", "altitude", "grade_smooth", "moving",
                "watts", "latlng"]
CHANNELS = {"distance": "distance_m", "velocity_smooth": "speed_mps", "heartrate": "heart_rate_bpm",
            "altitude": "altitude_m", "grade_smooth": "grade_pct", "watts": "power_w"}

SPORTS = {"Run": "running", "TrailRun": "running", "VirtualRun": "running", "Ride": "cycling",
          "MountainBikeRide": "cycling", "GravelRide": "cycling", "VirtualRide": "cycling", "EBikeRide": "cycling",
          "Walk": "walking", "Hike": "hiking", "Swim": "swimming"}
SUB_SPORTS = {"TrailRun": "trail", "VirtualRun": "treadmill"}


def sport_of(sport_type: str | None) -> str:
    return SPORTS.get(sport_type or "", (sport_type or "unknown").lower())


def _data(streams: Mapping[str, Any], key: str) -> list[Any] | None:
    stream = streams.get(key)
    if stream is None:
        return None
    return list(getattr(stream, "data", None) or (stream.get("data") if isinstance(stream, dict) else []) or [])


def activity_from_streams(streams: Mapping[str, Any], *, activity_id: str, sport_type: str | None,
                          start: datetime, summary: Mapping[str, Any]) -> Activity:
    time_ = _data(streams, "time")
    if not time_:
        raise ValueError("no time stream")
    n = len(time_)
    channels: dict[str, np.ndarray] = {}
    for key, name in CHANNELS.items():
        values = _data(streams, key)
        if values is not None and len(values) == n:
            channels[name] = np.array([np.nan if v is None else v for v in values], dtype=float)
    sport = sport_of(sport_type)
    cadence = _data(streams, "cadence")
    if cadence is not None and len(cadence) == n:
        per_leg = np.array([np.nan if v is None else v for v in cadence], dtype=float)
        channels["cadence_spm"] = per_leg * 2 if sport == "running" else per_leg
    moving = _data(streams, "moving")
    if moving is not None and len(moving) == n:
        channels["moving"] = np.array([1.0 if v else 0.0 for v in moving])
    latlng = _data(streams, "latlng")
    if latlng is not None and len(latlng) == n:
        pairs = np.array([p if p else [np.nan, np.nan] for p in latlng], dtype=float)
        channels["lat_deg"], channels["lon_deg"] = pairs[:, 0], pairs[:, 1]
    average_cadence = summary.get("average_cadence")
    platform = DeviceSummary(
        total_timer_time_s=summary.get("moving_time"), total_elapsed_time_s=summary.get("elapsed_time"),
        total_distance_m=summary.get("distance"), avg_speed_mps=summary.get("average_speed"),
        avg_heart_rate_bpm=summary.get("average_heartrate"),
        avg_cadence_spm=average_cadence * 2 if average_cadence and sport == "running" else average_cadence,
        avg_power_w=summary.get("average_watts"),
    )
    return Activity(
        source=SourceRef("strava", activity_id), sport=sport, sub_sport=SUB_SPORTS.get(sport_type or ""),
        start_time=start, samples=Samples(np.array(time_, dtype=float), channels), device=summary.get("device_name"),
        device_summary=platform, gear_id=summary.get("gear_id"), name=summary.get("name"),
        warnings=["analysed from Strava's streams (resampled; no original file)"],
        averages_over="moving",
        sources={name: "strava" for name in ("cadence_spm", "power_w") if name in channels},
    )
