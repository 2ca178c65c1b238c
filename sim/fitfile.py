"""Per-second channels (our units) to a FIT activity file, with the official FIT SDK encoder.

Written the way a Garmin watch writes it: per-leg cadence plus fractional
cadence, stance time in ms, vertical oscillation and step length in mm,
positions in semicircles, a timer start/stop pair and a session message with
the device's own totals. Optionally the running dynamics come from a Stryd pod
as developer fields instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

import numpy as np
from garmin_fit_sdk import Encoder, Profile
from garmin_fit_sdk import fit as FIT

MESG = Profile["mesg_num"]
# Fields Garmin writes outside the published profile (step speed loss, HRM 600), as the community
# decoders name them: message -> our key in the message dict -> (field number, scale). The SDK encoder
# writes only profile fields, so these go into the message definition by hand (RawFieldEncoder).
RAW_FIELDS: dict[int, dict[str, tuple[int, float]]] = {
    MESG["RECORD"]: {"step_speed_loss": (146, 100.0), "step_speed_loss_percent": (147, 100.0)},
    MESG["SESSION"]: {"avg_step_speed_loss": (222, 100.0), "avg_step_speed_loss_percent": (223, 100.0)},
}


class RawFieldEncoder(Encoder):
    """The FIT SDK encoder, plus :data:`RAW_FIELDS` written as uint16 fields in the message definition."""

    def _create_mesg_definition(self, mesg_num, mesg):  # type: ignore[no-untyped-def]
        definition = super()._create_mesg_definition(mesg_num, mesg)
        uint16 = FIT.FIELD_TYPE_TO_BASE_TYPE["uint16"]
        for key, (number, scale) in RAW_FIELDS.get(mesg_num, {}).items():
            if mesg.get(key) is not None:
                definition.field_definitions.append({
                    "name": key, "num": number, "size": 2, "base_type": uint16,
                    "base_type_endian_flag": FIT.BASE_TYPE_DEFINITIONS[uint16]["endian_flag"], "type": "uint16",
                    "scale": scale, "offset": 0, "components": []})
        return definition
_LAT0 = 51.5 * 2**31 / 180
_LON0 = -0.12 * 2**31 / 180

STRYD_FIELDS = {
    0: ("Power", "Watts"),
    1: ("Ground Time", "Milliseconds"),
}


def _descriptions() -> dict[int, dict]:
    developer = {"mesg_num": MESG["DEVELOPER_DATA_ID"], "developer_data_index": 0, "application_id": list(range(16))}
    return {number: {"developer_data_id_mesg": developer,
                     "field_description_mesg": {"mesg_num": MESG["FIELD_DESCRIPTION"], "developer_data_index": 0,
                                                "field_definition_number": number, "fit_base_type_id": 0x84,
                                                "field_name": name, "units": units}}
            for number, (name, units) in STRYD_FIELDS.items()}


def _finite(values: np.ndarray | None, i: int) -> float | None:
    if values is None:
        return None
    value = float(values[i])
    return value if np.isfinite(value) else None


def write_fit(columns: Mapping[str, np.ndarray], start: datetime, *, sport: str = "running",
              sub_sport: str = "generic", stryd: bool = False, gps: bool = False,
              session_avg_speed: float | None = None, session_fields: Mapping[str, object] | None = None) -> bytes:
    """A FIT activity file from 1 Hz ``columns`` (our channel names and units).

    ``columns`` needs ``speed_mps`` and ``distance_m``; every other channel
    (``heart_rate_bpm``, ``cadence_spm``, ``stance_time_ms``,
    ``stance_time_balance_pct``, ``vertical_oscillation_cm``,
    ``vertical_ratio_pct``, ``step_length_m``, ``power_w``, ``altitude_m``,
    ``step_speed_loss_cm_s``, ``step_speed_loss_pct``) is written where present
    and finite (step speed loss as the undocumented record fields 146/147 and
    session fields 222/223, the way an HRM 600 run is recorded). With ``stryd`` power and ground time
    go into Stryd-style developer fields and no native dynamics are written.
    ``gps`` adds positions along the route (and temperature), as a watch does.
    ``session_fields`` overrides or adds session message fields (FIT SDK names and units).
    """
    speed = np.asarray(columns["speed_mps"], dtype=float)
    distance = np.asarray(columns["distance_m"], dtype=float)
    n = len(speed)
    col = {k: np.asarray(v, dtype=float) for k, v in columns.items()}
    descriptions = _descriptions() if stryd else None
    enc = RawFieldEncoder(field_descriptions=descriptions)
    enc.write_mesg({"mesg_num": MESG["FILE_ID"], "type": "activity", "manufacturer": "development",
                    "product": 1, "serial_number": 12345, "time_created": start})
    if descriptions:
        enc.write_mesg(descriptions[0]["developer_data_id_mesg"])
        for d in descriptions.values():
            enc.write_mesg(d["field_description_mesg"])
    enc.write_mesg({"mesg_num": MESG["EVENT"], "timestamp": start, "event": "timer", "event_type": "start"})
    for i in range(n):
        record: dict = {"mesg_num": MESG["RECORD"], "timestamp": start + timedelta(seconds=i),
                        "distance": float(distance[i]), "speed": float(speed[i]), "enhanced_speed": float(speed[i])}
        if gps:
            record["position_lat"] = int(_LAT0 + distance[i] * 1e-5 * 2**31 / 180)
            record["position_long"] = int(_LON0 + distance[i] * 0.5e-5 * 2**31 / 180)
            record["temperature"] = 18
        altitude = _finite(col.get("altitude_m"), i)
        if altitude is not None:
            record["enhanced_altitude"] = altitude
        cadence = _finite(col.get("cadence_spm"), i)
        if cadence is not None:
            per_leg = cadence / 2.0
            record["cadence"] = int(per_leg)
            record["fractional_cadence"] = float(per_leg - int(per_leg))
            step = _finite(col.get("step_length_m"), i)
            if step is not None:
                record["step_length"] = step * 1000.0
        hr = _finite(col.get("heart_rate_bpm"), i)
        if hr is not None:
            record["heart_rate"] = int(round(hr))
        gct = _finite(col.get("stance_time_ms"), i)
        power = _finite(col.get("power_w"), i)
        if stryd:
            record["developer_fields"] = {}
            if power is not None:
                record["developer_fields"][0] = int(round(power))
            if gct is not None:
                record["developer_fields"][1] = int(round(gct))
        else:
            if gct is not None:
                record["stance_time"] = gct
                balance = _finite(col.get("stance_time_balance_pct"), i)
                if balance is not None:
                    record["stance_time_balance"] = balance
            vo = _finite(col.get("vertical_oscillation_cm"), i)
            if vo is not None:
                record["vertical_oscillation"] = vo * 10.0
                ratio = _finite(col.get("vertical_ratio_pct"), i)
                if ratio is not None:
                    record["vertical_ratio"] = ratio
            if power is not None:
                record["power"] = int(round(power))
            for channel, key in (("step_speed_loss_cm_s", "step_speed_loss"),
                                 ("step_speed_loss_pct", "step_speed_loss_percent")):
                value = _finite(col.get(channel), i)
                if value is not None:
                    record[key] = value
        enc.write_mesg(record)
    end = start + timedelta(seconds=n)
    enc.write_mesg({"mesg_num": MESG["EVENT"], "timestamp": end, "event": "timer", "event_type": "stop_all"})
    session = {
        "mesg_num": MESG["SESSION"], "timestamp": end, "start_time": start, "sport": sport, "sub_sport": sub_sport,
        "total_elapsed_time": float(n), "total_timer_time": float(n), "total_distance": float(distance[-1]),
        "avg_speed": float(session_avg_speed if session_avg_speed is not None else np.nanmean(speed)),
    }
    for channel, key in (("step_speed_loss_cm_s", "avg_step_speed_loss"),
                         ("step_speed_loss_pct", "avg_step_speed_loss_percent")):
        if channel in col and np.isfinite(col[channel]).any() and not stryd:
            session[key] = float(np.nanmean(col[channel]))   # the device's own session average
    session.update(session_fields or {})
    enc.write_mesg(session)
    enc.write_mesg({"mesg_num": MESG["ACTIVITY"], "timestamp": end, "num_sessions": 1, "type": "manual",
                    "event": "activity", "event_type": "stop", "total_timer_time": float(n)})
    return enc.close()
