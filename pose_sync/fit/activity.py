"""Turn decoded FIT tables into activities, one per session, in our units.

This is the one place that knows FIT's conventions: running cadence is
strides/min per leg plus a fractional part (we store steps/min, both legs),
vertical oscillation and step length are mm, positions are semicircles,
timestamps are seconds since 1989-12-31 UTC (or device-relative on old
watches), and a multisport file holds one session per leg.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import numpy as np

from pose_sync.fit.tables import FitTables
from pose_sync.model import Activity, DeviceSummary, Samples, SourceRef

SEMICIRCLE_TO_DEG = 180.0 / 2**31
TIMER_STOPS = frozenset({"stop", "stop_all", "stop_disable", "stop_disable_all"})

# Developer fields we understand, by the names their field descriptions give
# (Stryd and the Garmin Running Power app use these), mapped onto our channels.
DEVELOPER_CHANNELS: dict[str, tuple[str, float]] = {
    "Power": ("power_w", 1.0),
    "Form Power": ("form_power_w", 1.0),
    "Leg Spring Stiffness": ("leg_spring_stiffness_knm", 1.0),
    "Ground Time": ("stance_time_ms", 1.0),
    "Vertical Oscillation": ("vertical_oscillation_cm", 1.0),
    "Cadence": ("cadence_spm", 2.0),
}


# Garmin sensors that measure running dynamics on the body (chest straps, the
# Running Dynamics Pod); fitparse names them by these product names.
DYNAMICS_SENSORS = ("hrm_run", "hrm_tri", "hrm_pro", "hrm4_run", "hrm_600", "hrm_fit", "running_dynamics_pod",
                    "hrm_dual")
RUNNING_DYNAMICS_ANT_TYPE = 30  # ANT+ device type the HRM-Run/Pro report their dynamics channel as


def sensor_sources(tables: FitTables, channel_units: dict[str, str]) -> dict[str, str]:
    """Which kind of sensor measured each form channel: strap, footpod, stryd, or wrist.

    From the file's device_info messages (the sensors paired during the run)
    and the developer fields. Contact time from a chest strap, from Stryd and
    from the wrist are different measurements with different scales, so a
    trend must compare each with itself.
    """
    strap = footpod = stryd = False
    for info in tables.messages.get("device_info", []):
        product = str(info.get("garmin_product") or info.get("product_name") or "").lower()
        maker = str(info.get("manufacturer") or "").lower()
        kind = info.get("antplus_device_type") or info.get("ble_device_type")
        if product.startswith(DYNAMICS_SENSORS) or kind == RUNNING_DYNAMICS_ANT_TYPE:
            strap = True
        elif kind == "stride_speed_distance":
            stryd = stryd or maker == "stryd"
            footpod = footpod or maker != "stryd"
    worn = "strap" if strap else "stryd" if stryd else "footpod" if footpod else "wrist"
    sources = {}
    for channel in ("cadence_spm", "stance_time_ms", "stance_time_balance_pct", "vertical_oscillation_cm",
                    "vertical_ratio_pct", "step_length_m", "power_w", "step_speed_loss_cm_s", "step_speed_loss_pct"):
        unit = channel_units.get(channel, "")
        if unit.startswith("from developer field"):
            sources[channel] = "stryd" if stryd else "developer field"
        elif channel == "cadence_spm":
            sources[channel] = worn
        elif channel == "power_w":
            sources[channel] = "stryd" if stryd else "wrist"
        else:
            sources[channel] = "strap" if strap else "wrist"
    return sources


@dataclass
class DecodedFit:
    """Every session of a FIT file as an activity, plus what went wrong reading it."""

    activities: list[Activity]
    file_type: str | None
    error: str | None
    warnings: list[str] = field(default_factory=list)


def _f(value: Any) -> float | None:
    if value is None or isinstance(value, (str, bytes, tuple, list)):
        return None
    number = float(value)
    return number if np.isfinite(number) else None


def _scaled(value: Any, factor: float) -> float | None:
    number = _f(value)
    return None if number is None else number * factor


def _device_name(tables: FitTables) -> str | None:
    file_id = tables.first("file_id") or {}
    maker = file_id.get("manufacturer")
    product = file_id.get("garmin_product") or file_id.get("product")
    parts = [str(p) for p in (maker, product) if p is not None]
    return " ".join(parts) or None


def _device_summary(session: dict[str, Any], running: bool) -> DeviceSummary:
    cadence = _f(session.get("avg_running_cadence"))
    if cadence is None:
        cadence = _f(session.get("avg_cadence"))
    if cadence is not None:
        cadence += _f(session.get("avg_fractional_cadence")) or 0.0
        if running:
            cadence *= 2.0
    speed = _f(session.get("enhanced_avg_speed"))
    if speed is None:
        speed = _f(session.get("avg_speed"))
    return DeviceSummary(
        total_timer_time_s=_f(session.get("total_timer_time")),
        total_elapsed_time_s=_f(session.get("total_elapsed_time")),
        total_distance_m=_f(session.get("total_distance")),
        avg_speed_mps=speed,
        avg_heart_rate_bpm=_f(session.get("avg_heart_rate")),
        avg_cadence_spm=cadence,
        avg_stance_time_ms=_f(session.get("avg_stance_time")),
        avg_stance_time_balance_pct=_f(session.get("avg_stance_time_balance")),
        avg_vertical_oscillation_cm=_scaled(session.get("avg_vertical_oscillation"), 0.1),
        avg_vertical_ratio_pct=_f(session.get("avg_vertical_ratio")),
        avg_step_length_m=_scaled(session.get("avg_step_length"), 0.001),
        avg_power_w=_f(session.get("avg_power")),
        avg_step_speed_loss_cm_s=_f(session.get("avg_step_speed_loss")),
        avg_step_speed_loss_pct=_f(session.get("avg_step_speed_loss_percent")),
        total_calories_kcal=_f(session.get("total_calories")),
    )


def _timer_pauses(tables: FitTables, start: float, end: float) -> tuple[tuple[float, float], ...]:
    """Intervals (elapsed seconds) during which the timer was stopped."""
    pauses: list[tuple[float, float]] = []
    stopped_at: float | None = None
    for event in tables.messages.get("event", []):
        if event.get("event") != "timer" or _f(event.get("timestamp")) is None:
            continue
        t = float(event["timestamp"])
        if event.get("event_type") in TIMER_STOPS:
            stopped_at = t if stopped_at is None else stopped_at
        elif event.get("event_type") == "start" and stopped_at is not None:
            if t > stopped_at and stopped_at < end and t > start:
                pauses.append((max(stopped_at, start) - start, min(t, end) - start))
            stopped_at = None
    return tuple(pauses)


def _channels(records: dict[str, np.ndarray], units: dict[str, str],
              running: bool) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Map FIT record columns (profile units) onto our channels (names carry units)."""
    n = len(records["timestamp"])
    nan = np.full(n, np.nan)

    def col(*names: str) -> np.ndarray | None:
        """First column among ``names`` that has any value, else None."""
        for name in names:
            values = records.get(name)
            if values is not None and np.isfinite(values).any():
                return values
        return None

    out: dict[str, np.ndarray] = {}
    out_units: dict[str, str] = {}

    def put(name: str, values: np.ndarray | None, scale: float = 1.0) -> None:
        if values is not None:
            out[name] = values * scale if scale != 1.0 else values.copy()

    put("distance_m", col("distance"))
    put("speed_mps", col("enhanced_speed", "speed"))
    put("heart_rate_bpm", col("heart_rate"))
    cadence = col("cadence")
    if cadence is not None:
        fractional = records.get("fractional_cadence", nan)
        cadence = cadence + np.where(np.isfinite(fractional), fractional, 0.0)
        put("cadence_spm", cadence, 2.0 if running else 1.0)
    put("stance_time_ms", col("stance_time"))
    put("stance_time_balance_pct", col("stance_time_balance"))
    put("vertical_oscillation_cm", col("vertical_oscillation"), 0.1)
    put("vertical_ratio_pct", col("vertical_ratio"))
    put("step_length_m", col("step_length"), 0.001)
    put("power_w", col("power"))
    put("step_speed_loss_cm_s", col("step_speed_loss"))
    put("step_speed_loss_pct", col("step_speed_loss_percent"))
    put("altitude_m", col("enhanced_altitude", "altitude"))
    put("grade_pct", col("grade"))
    put("lat_deg", col("position_lat"), SEMICIRCLE_TO_DEG)
    put("lon_deg", col("position_long"), SEMICIRCLE_TO_DEG)

    for key, values in records.items():
        if not key.startswith("dev:") or not np.isfinite(values).any():
            continue
        out[key] = values.copy()
        out_units[key] = units.get(key, "")
        mapped = DEVELOPER_CHANNELS.get(key[4:])
        if mapped is None:
            continue
        channel, scale = mapped
        if channel == "cadence_spm" and not running:
            scale = 1.0
        if channel not in out:  # native fields win over developer fields
            out[channel] = values * scale
            out_units[channel] = f"from developer field {key[4:]!r}"
    return out, out_units


def _start_datetime(tables: FitTables, session_start: float, warnings: list[str]) -> datetime:
    if not tables.relative_time:
        return datetime.fromtimestamp(session_start, tz=timezone.utc)
    # Old watches without a UTC clock: anchor on the activity message's local time.
    activity = tables.first("activity") or {}
    local = _f(activity.get("local_timestamp"))
    stamp = _f(activity.get("timestamp"))
    warnings.append("the device recorded no UTC clock; start time is the watch's local time")
    if local is not None and stamp is not None:
        return datetime.fromtimestamp(local - (stamp - session_start), tz=timezone.utc)
    return datetime.fromtimestamp(0, tz=timezone.utc)


def _merge_same_time(records: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Records in time order, one row per timestamp.

    Some writers (the Strava app) split one second over two record messages,
    position and speed in one, distance in the next; a row per timestamp with
    the last real value of each field rebuilds the second they describe.
    """
    ts_all = records["timestamp"]
    valid = np.isfinite(ts_all)
    order = np.flatnonzero(valid)[np.argsort(ts_all[valid], kind="stable")]
    ts = ts_all[order]
    if len(ts) < 2 or np.all(np.diff(ts) > 0):
        return {k: v[order] for k, v in records.items()}
    unique, group = np.unique(ts, return_inverse=True)
    merged = {"timestamp": unique}
    for key, values in records.items():
        if key == "timestamp":
            continue
        column = values[order]
        rows = np.flatnonzero(np.isfinite(column))
        out = np.full(len(unique), np.nan)
        if len(rows):
            groups = group[rows]
            last_of_group = np.append(groups[1:] != groups[:-1], True)
            out[groups[last_of_group]] = column[rows[last_of_group]]
        merged[key] = out
    return merged


def activities_from_tables(tables: FitTables, source: SourceRef, fit_sha256: str | None = None) -> DecodedFit:
    """One :class:`Activity` per session in the file, records sliced to each session."""
    file_id = tables.first("file_id") or {}
    file_type = file_id.get("type")
    warnings = list(tables.warnings)
    result = DecodedFit(activities=[], file_type=file_type if isinstance(file_type, str) else None,
                        error=tables.error, warnings=warnings)
    if tables.n_records == 0:
        return result

    records = _merge_same_time(tables.records)
    ts = records["timestamp"]

    sessions = [s for s in tables.messages.get("session", []) if _f(s.get("start_time")) is not None]
    if not sessions:
        sport_msg = tables.first("sport") or {}
        if sport_msg.get("sport") is None:
            return result
        warnings.append("no session message (the recording was cut short); analysed from the records")
        sessions = [{"sport": sport_msg.get("sport"), "sub_sport": sport_msg.get("sub_sport"),
                     "start_time": float(ts[0])}]
    sessions.sort(key=lambda s: float(s["start_time"]))

    for index, session in enumerate(sessions):
        start = float(session["start_time"])
        if index + 1 < len(sessions):
            end = float(sessions[index + 1]["start_time"])
            hi = int(np.searchsorted(ts, end, side="left"))
        else:
            elapsed = _f(session.get("total_elapsed_time"))
            end = max(start + (elapsed or 0.0), _f(session.get("timestamp")) or 0.0)
            if elapsed is None and session.get("timestamp") is None:
                end = float(ts[-1])
            hi = int(np.searchsorted(ts, end, side="right"))
        lo = int(np.searchsorted(ts, start, side="left"))
        sport = str(session.get("sport") or "generic")
        sub_sport = session.get("sub_sport")
        running = sport == "running"
        sliced = {k: v[lo:hi] for k, v in records.items()}
        if not len(sliced["timestamp"]):
            continue
        session_warnings: list[str] = []
        channels, channel_units = _channels(sliced, tables.record_units, running)
        samples = Samples(elapsed_s=sliced["timestamp"] - start, channels=channels, units=channel_units)
        result.activities.append(Activity(
            source=SourceRef(source.platform, source.remote_id, source.member, session_index=index),
            sport=sport,
            sub_sport=str(sub_sport) if sub_sport is not None else None,
            start_time=_start_datetime(tables, start, session_warnings),
            samples=samples,
            device=_device_name(tables),
            device_summary=_device_summary(session, running),
            fit_sha256=fit_sha256,
            timer_pauses=_timer_pauses(tables, start, end),
            warnings=session_warnings,
            sources={k: v for k, v in sensor_sources(tables, channel_units).items() if samples.has(k)},
        ))
    return result
