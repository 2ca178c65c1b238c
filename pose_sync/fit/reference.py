"""The reference FIT decoder: ``fitparse``, read into :class:`FitTables`.

fitparse is slow (a few thousand records per second) but well known; it stays
the arbiter of correctness that the columnar fast path is checked against, and
the fallback for anything the fast path declines.

Two fitparse behaviours are handled here rather than downstream:

* it yields every message read before a break (truncation, bad CRC, corrupt
  chained header, undefined local message) and then raises; we keep what was
  read and record the break as ``FitTables.error``;
* its developer-field registry is module-global, so descriptions from one file
  would leak into the next; it is reset per file under a lock.
"""

from __future__ import annotations

import io
import struct
import threading
from typing import Any

import numpy as np
from fitparse import FitFile
from fitparse import records as fit_records
from fitparse.processors import FitFileDataProcessor
from fitparse.utils import FitCRCError, FitEOFError, FitHeaderError, FitParseError

from pose_sync.fit.tables import META_MESSAGES, UNDOCUMENTED_FIELDS, FitTables

FIT_EPOCH_OFFSET_S = 631065600  # 1989-12-31T00:00:00Z in Unix seconds
RELATIVE_TIME_LIMIT = 0x10000000  # FIT date_time values below this are device-relative

EMPTY = "not a FIT file: it is empty (0 bytes)"

_DEV_REGISTRY_LOCK = threading.Lock()


class _EpochSeconds(FitFileDataProcessor):
    """Keep timestamps as numbers: Unix seconds, or the raw relative value.

    A damaged definition can make a time field an array (a tuple of values);
    that is no time, so it is left as it is and reads as no value (NaN)
    downstream, like any other array-valued field, instead of stopping the file.
    """

    def process_type_date_time(self, field_data: Any) -> None:
        value = field_data.value
        if isinstance(value, (int, float)) and value >= RELATIVE_TIME_LIMIT:
            field_data.value = float(value + FIT_EPOCH_OFFSET_S)

    def process_type_local_date_time(self, field_data: Any) -> None:
        value = field_data.value
        if isinstance(value, (int, float)):
            field_data.value = float(value + FIT_EPOCH_OFFSET_S)

    def process_type_localtime_into_day(self, field_data: Any) -> None:
        if isinstance(field_data.value, int):
            super().process_type_localtime_into_day(field_data)


def describe_fit_error(exc: BaseException) -> str:
    """One line a user can act on, for each way fitparse reports a broken file.

    Damage fitparse does not anticipate (an array where it expects one number,
    a struct it cannot unpack) surfaces as a plain Python error inside it; that
    is the same break in the file and is described the same way.
    """
    if isinstance(exc, FitEOFError):
        return "truncated FIT file (it ends in the middle of a message)"
    if isinstance(exc, FitCRCError):
        return f"FIT checksum mismatch ({exc})"
    if isinstance(exc, FitHeaderError):
        return f"corrupt FIT header ({exc})"
    if isinstance(exc, FitParseError):
        return f"unreadable FIT data ({exc})"
    return f"unreadable FIT data ({type(exc).__name__}: {exc})"


def _number(value: Any) -> float:
    if value is None or isinstance(value, (str, bytes, tuple, list)):
        return np.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return np.nan


def _undocumented(message: str, fd: Any) -> tuple[str, float, str] | None:
    """Our name for a field the FIT profile does not know (see ``tables.UNDOCUMENTED_FIELDS``)."""
    number = getattr(fd.field_def, "def_num", None) if fd.field_def is not None else None
    return UNDOCUMENTED_FIELDS.get(message, {}).get(number) if number is not None else None


def decode_reference(data: bytes, keep: frozenset[str] = META_MESSAGES, check_crc: bool = True) -> FitTables:
    """Decode every message with fitparse into :class:`FitTables`.

    ``keep`` names the non-record messages kept as dicts (the fast path also
    asks for the developer field descriptions, and skips the CRC of the small
    file it builds itself).
    """
    tables = FitTables()
    if not data:
        tables.error = EMPTY
        return tables
    if len(data) < 12 or data[8:12] != b".FIT":
        tables.error = (f"not a FIT file: {len(data)} bytes, shorter than a FIT file header" if len(data) < 12
                        else 'not a FIT file: its header lacks the ".FIT" signature')
        return tables
    columns: dict[str, list[float]] = {}
    n_records = 0
    relative = False

    with _DEV_REGISTRY_LOCK:
        fit_records.DEV_TYPES.clear()
        try:
            fit = FitFile(io.BytesIO(data), check_crc=check_crc, data_processor=_EpochSeconds())
            for message in fit.get_messages():
                name = message.name
                if name == "record":
                    for fd in message.fields:
                        if isinstance(fd.value, str):
                            continue  # enums (activity_type) carry nothing we analyse
                        value = _number(fd.value)
                        if fd.field_def is not None and getattr(fd.field_def, "dev_data_index", None) is not None:
                            key = f"dev:{fd.name}"
                        else:
                            key = fd.name
                        units = fd.units
                        if key.startswith("unknown_"):
                            named = _undocumented("record", fd)
                            if named is None:
                                continue
                            key, scale, units = named
                            value = value / scale
                        if key == "compressed_speed_distance":
                            continue
                        col = columns.get(key)
                        if col is None:
                            col = columns[key] = [np.nan] * n_records
                            if units:
                                tables.record_units[key] = units
                        elif len(col) > n_records:
                            # A component expanded into a field the message also
                            # carries (e.g. speed from compressed_speed_distance).
                            if np.isnan(col[-1]):
                                col[-1] = value
                            continue
                        col.append(value)
                    n_records += 1
                    for col in columns.values():
                        if len(col) < n_records:
                            col.append(np.nan)
                elif name in keep:
                    values: dict[str, Any] = {}
                    for fd in message.fields:
                        if fd.value is None:
                            continue
                        if not fd.name.startswith("unknown_"):
                            values.setdefault(fd.name, fd.value)
                        elif (named := _undocumented(name, fd)) is not None and np.isfinite(_number(fd.value)):
                            values.setdefault(named[0], _number(fd.value) / named[1])
                    tables.messages.setdefault(name, []).append(values)
        except (FitParseError, OSError, EOFError, ValueError, KeyError, IndexError, TypeError, struct.error,
                ArithmeticError) as exc:
            tables.error = describe_fit_error(exc)
        finally:
            fit_records.DEV_TYPES.clear()

    tables.records = {k: np.asarray(v, dtype=np.float64) for k, v in columns.items()}
    ts = tables.records.get("timestamp")
    if ts is not None and np.isfinite(ts).any() and np.nanmax(ts) < RELATIVE_TIME_LIMIT:
        relative = True
    tables.relative_time = relative
    return tables
