"""The decoded contents of one FIT file, before any interpretation.

Two decoders produce this: the reference decoder (``fitparse``, slow, the
arbiter of correctness) and the columnar fast path. Both must give the same
``FitTables`` for the same bytes; ``pose_sync.fit.activity`` then turns it into
:class:`~pose_sync.model.Activity` objects. Keeping this seam raw (FIT profile
names and units, no unit conversion) is what lets the two decoders be compared
value for value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

# The non-record messages the analysis reads. Everything else is skipped by
# both decoders (hrv, gps_metadata, laps and unknown messages can be thousands,
# and fitparse decodes each field by field). device_info says which sensor
# measured the running dynamics (a chest strap, a pod, Stryd, or the wrist).
META_MESSAGES = frozenset({"file_id", "session", "event", "sport", "activity", "device_info"})

# Fields Garmin writes that the published FIT profile does not name (fitparse shows them as
# unknown_N). Step speed loss (HRM 600 and recent watches): how much speed each step loses on
# contact, named by the community decoders (tcgoetz/Fit, Gadgetbridge). Both decoders read
# exactly these, as (name, scale, units): value = raw / scale. Laps are not decoded (not in META_MESSAGES).
UNDOCUMENTED_FIELDS: dict[str, dict[int, tuple[str, float, str]]] = {
    "record": {146: ("step_speed_loss", 100.0, "cm/s"), 147: ("step_speed_loss_percent", 100.0, "%")},
    "lap": {164: ("avg_step_speed_loss", 100.0, "cm/s"), 165: ("avg_step_speed_loss_percent", 100.0, "%")},
    "session": {222: ("avg_step_speed_loss", 100.0, "cm/s"), 223: ("avg_step_speed_loss_percent", 100.0, "%")},
}


@dataclass
class FitTables:
    """All record messages as columns, and the few other messages as dicts.

    ``records`` maps a record field name (profile name, or ``dev:<name>`` for a
    developer field named by its field description) to a float64 array, one
    entry per record message in file order; NaN where a record lacked the field
    or held the field's invalid value. ``timestamp`` is seconds since the Unix
    epoch (UTC) when the device knew absolute time, else the raw FIT value
    (seconds since device power-on, below 0x10000000); ``relative_time`` says
    which. Values are in FIT profile units after scale and offset (cadence
    rpm per leg, stance time ms, vertical oscillation and step length mm,
    positions semicircles).

    ``messages`` maps a message name in :data:`META_MESSAGES` to its messages
    in file order, each a dict of field name to value (enums as profile
    strings, timestamps as epoch seconds like records).

    ``error`` is the one-line reason decoding stopped early (truncation, CRC,
    corrupt header); what was read before the break is kept.
    """

    records: dict[str, np.ndarray] = field(default_factory=dict)
    record_units: dict[str, str] = field(default_factory=dict)
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    relative_time: bool = False
    error: str | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def n_records(self) -> int:
        ts = self.records.get("timestamp")
        return 0 if ts is None else len(ts)

    def first(self, message: str) -> dict[str, Any] | None:
        found = self.messages.get(message)
        return found[0] if found else None
