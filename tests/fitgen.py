"""Synthetic FIT activities written with Garmin's official FIT SDK encoder.

For exact test cases: a run is a list of segments (duration, speed and form
metrics); records are written at 1 Hz with small deterministic noise, with
the units a Garmin watch uses (per-leg cadence + fractional cadence, stance
time ms, vertical oscillation and step length mm), plus the session message
a watch would write. Optional developer fields reproduce a Stryd pod.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import numpy as np
from garmin_fit_sdk import Encoder, Profile

MESG = Profile["mesg_num"]
DEFAULT_START = datetime(2026, 3, 2, 6, 30, tzinfo=timezone.utc)


@dataclass(frozen=True)
class Segment:
    duration_s: int
    speed_mps: float
    cadence_spm: float | None = 170.0
    stance_time_ms: float | None = 250.0
    vertical_oscillation_cm: float | None = 8.5
    stance_time_balance_pct: float | None = 50.2
    heart_rate_bpm: float | None = 150.0
    power_w: float | None = None


@dataclass
class SyntheticRun:
    segments: list[Segment]
    start: datetime = DEFAULT_START
    sport: str = "running"
    sub_sport: str = "generic"
    noise: float = 0.01          # relative standard deviation of per-second noise
    seed: int = 7
    stryd: bool = False          # write power/ground time as Stryd developer fields instead
    gps: bool = False            # also write position, altitude and temperature, as a watch does
    columns: dict[str, np.ndarray] = field(default_factory=dict, init=False)
    _lat0: float = field(default=51.5 * 2**31 / 180, init=False)
    _lon0: float = field(default=-0.12 * 2**31 / 180, init=False)

    def arrays(self) -> dict[str, np.ndarray]:
        """Per-second values in our units (also what the test compares against)."""
        rng = np.random.default_rng(self.seed)
        parts: dict[str, list[np.ndarray]] = {}
        for seg in self.segments:
            n = seg.duration_s
            for name in ("speed_mps", "cadence_spm", "stance_time_ms", "vertical_oscillation_cm",
                         "stance_time_balance_pct", "heart_rate_bpm", "power_w"):
                base = getattr(seg, name)
                if base is None:
                    values = np.full(n, np.nan)
                elif name == "stance_time_balance_pct":
                    values = base + rng.normal(0, 0.3, n)
                else:
                    values = base * (1 + rng.normal(0, self.noise, n))
                parts.setdefault(name, []).append(values)
        cols = {k: np.concatenate(v) for k, v in parts.items()}
        with np.errstate(invalid="ignore", divide="ignore"):
            step = np.where(cols["cadence_spm"] > 0, cols["speed_mps"] * 60.0 / cols["cadence_spm"], np.nan)
        cols["step_length_m"] = step
        cols["vertical_ratio_pct"] = cols["vertical_oscillation_cm"] / (step * 100.0) * 100.0
        cols["distance_m"] = np.concatenate(([0.0], np.cumsum(cols["speed_mps"][:-1])))
        self.columns = cols
        return cols

    def encode(self) -> bytes:
        cols = self.arrays()
        n = len(cols["speed_mps"])
        descriptions = None
        if self.stryd:
            descriptions = {
                0: {"developer_data_id_mesg": {"mesg_num": MESG["DEVELOPER_DATA_ID"], "developer_data_index": 0,
                                               "application_id": list(range(16))},
                    "field_description_mesg": {"mesg_num": MESG["FIELD_DESCRIPTION"], "developer_data_index": 0,
                                               "field_definition_number": 0, "fit_base_type_id": 0x84,
                                               "field_name": "Power", "units": "Watts"}},
                1: {"developer_data_id_mesg": {"mesg_num": MESG["DEVELOPER_DATA_ID"], "developer_data_index": 0,
                                               "application_id": list(range(16))},
                    "field_description_mesg": {"mesg_num": MESG["FIELD_DESCRIPTION"], "developer_data_index": 0,
                                               "field_definition_number": 1, "fit_base_type_id": 0x84,
                                               "field_name": "Ground Time", "units": "Milliseconds"}},
            }
        enc = Encoder(field_descriptions=descriptions)
        enc.write_mesg({"mesg_num": MESG["FILE_ID"], "type": "activity", "manufacturer": "development",
                        "product": 1, "serial_number": 12345, "time_created": self.start})
        if descriptions:
            enc.write_mesg(descriptions[0]["developer_data_id_mesg"])
            for d in descriptions.values():
                enc.write_mesg(d["field_description_mesg"])
        enc.write_mesg({"mesg_num": MESG["EVENT"], "timestamp": self.start, "event": "timer", "event_type": "start"})
        for i in range(n):
            record: dict = {"mesg_num": MESG["RECORD"], "timestamp": self.start + timedelta(seconds=i),
                            "distance": float(cols["distance_m"][i]), "speed": float(cols["speed_mps"][i]),
                            "enhanced_speed": float(cols["speed_mps"][i])}
            if self.gps:
                record["position_lat"] = int(self._lat0 + cols["distance_m"][i] * 1e-5 * 2**31 / 180)
                record["position_long"] = int(self._lon0 + cols["distance_m"][i] * 0.5e-5 * 2**31 / 180)
                record["enhanced_altitude"] = float(120 + 15 * np.sin(i / 600))
                record["temperature"] = 18
            cadence = cols["cadence_spm"][i]
            if np.isfinite(cadence):
                per_leg = cadence / 2.0
                record["cadence"] = int(per_leg)
                record["fractional_cadence"] = float(per_leg - int(per_leg))
                if np.isfinite(cols["step_length_m"][i]):
                    record["step_length"] = float(cols["step_length_m"][i] * 1000.0)
            hr = cols["heart_rate_bpm"][i]
            if np.isfinite(hr):
                record["heart_rate"] = int(round(hr))
            gct = cols["stance_time_ms"][i]
            vo = cols["vertical_oscillation_cm"][i]
            if np.isfinite(gct) and not self.stryd:
                record["stance_time"] = float(gct)
                record["stance_time_balance"] = float(cols["stance_time_balance_pct"][i])
            if np.isfinite(vo) and not self.stryd:
                record["vertical_oscillation"] = float(vo * 10.0)
                if np.isfinite(cols["vertical_ratio_pct"][i]):
                    record["vertical_ratio"] = float(cols["vertical_ratio_pct"][i])
            power = cols["power_w"][i]
            if self.stryd:
                record["developer_fields"] = {}
                if np.isfinite(power):
                    record["developer_fields"][0] = int(round(power))
                if np.isfinite(gct):
                    record["developer_fields"][1] = int(round(gct))
            elif np.isfinite(power):
                record["power"] = int(round(power))
            enc.write_mesg(record)
        end = self.start + timedelta(seconds=n)
        enc.write_mesg({"mesg_num": MESG["EVENT"], "timestamp": end, "event": "timer", "event_type": "stop_all"})
        session = {
            "mesg_num": MESG["SESSION"], "timestamp": end, "start_time": self.start, "sport": self.sport,
            "sub_sport": self.sub_sport, "total_elapsed_time": float(n), "total_timer_time": float(n),
            "total_distance": float(cols["distance_m"][-1]),
            "avg_speed": float(np.nanmean(cols["speed_mps"])),
        }
        enc.write_mesg(session)
        enc.write_mesg({"mesg_num": MESG["ACTIVITY"], "timestamp": end, "num_sessions": 1, "type": "manual",
                        "event": "activity", "event_type": "stop", "total_timer_time": float(n)})
        return enc.close()


def steady_run(speed_mps: float, duration_s: int = 1800, **metrics: float | None) -> SyntheticRun:
    return SyntheticRun([Segment(duration_s, speed_mps, **metrics)])
