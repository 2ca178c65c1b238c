"""The columnar fast path: every record message of a definition decoded at once with numpy.

fitparse decodes message by message in Python (a few thousand records per
second); almost all of an import's time goes there. Here:

1. one pass over the message headers (normal and compressed-timestamp,
   definitions with either byte order, developer fields, chained files)
   notes for each data message its definition and byte offset;
2. the CRC is checked at numpy speed (:mod:`pose_sync.fit.crc`);
3. for each record definition, its messages are gathered into one array and
   viewed through a structured dtype built once from the definition, so each
   field is a column: invalid values, scale and offset, enum rendering,
   component expansion (speed -> enhanced_speed, compressed speed/distance
   with its accumulating distance) and compressed timestamps are all array
   operations;
4. the few other messages the analysis reads (session, lap, event, ...) are
   decoded by fitparse itself, from a small FIT file holding only their
   definitions and data: fitparse stays the reference for metadata.

Names, types, scales and offsets come from fitparse's own profile, so the two
decoders cannot disagree about the FIT profile. The result must equal
:func:`pose_sync.fit.reference.decode_reference` value for value (a test
checks every sample file); anything this path does not reproduce exactly
raises :class:`FastPathUnsupported` and the caller uses fitparse.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from fitparse.profile import MESSAGE_TYPES
from fitparse.records import BASE_TYPE_BYTE, BASE_TYPES

from pose_sync.fit.crc import crc16
from pose_sync.fit.reference import FIT_EPOCH_OFFSET_S, RELATIVE_TIME_LIMIT, decode_reference
from pose_sync.fit.tables import META_MESSAGES, UNDOCUMENTED_FIELDS, FitTables

RECORD = 20
TIMESTAMP_FIELD = 253
MESSAGE_NUMBERS = {mt.name: num for num, mt in MESSAGE_TYPES.items()}
DEV_MESSAGES = frozenset({"developer_data_id", "field_description"})
METADATA_NUMBERS = frozenset(MESSAGE_NUMBERS[name] for name in META_MESSAGES | DEV_MESSAGES)

# numpy dtype and the value fitparse treats as "no value", per FIT base type.
_NUMPY = {
    "enum": ("u1", 0xFF), "sint8": ("i1", 0x7F), "uint8": ("u1", 0xFF), "sint16": ("i2", 0x7FFF),
    "uint16": ("u2", 0xFFFF), "sint32": ("i4", 0x7FFFFFFF), "uint32": ("u4", 0xFFFFFFFF),
    "float32": ("f4", None), "float64": ("f8", None), "uint8z": ("u1", 0), "uint16z": ("u2", 0),
    "uint32z": ("u4", 0), "sint64": ("i8", 0x7FFFFFFFFFFFFFFF), "uint64": ("u8", 0xFFFFFFFFFFFFFFFF),
    "uint64z": ("u8", 0),
}


class FastPathUnsupported(Exception):
    """This file needs the reference decoder (broken, or something the fast path does not do)."""


@dataclass
class _Definition:
    index: int
    global_num: int
    big_endian: bool
    fields: list[tuple[int, int, int]]       # (field number, size, base type id)
    dev_fields: list[tuple[int, int, int]]   # (field number, size, developer data index)
    size: int                                # bytes of a data message after its header byte
    at_message: int                          # data messages seen before this definition
    raw: bytes                               # the definition message itself (for the metadata file)


@dataclass
class _Walk:
    definitions: list[_Definition] = field(default_factory=list)
    message_def: list[int] = field(default_factory=list)
    message_pos: list[int] = field(default_factory=list)     # offset of the message content
    compressed_at: list[int] = field(default_factory=list)   # message indices with a compressed header
    compressed_offset: list[int] = field(default_factory=list)
    part_starts: list[int] = field(default_factory=list)     # message index where each chained file starts
    protocol: int = 0x20
    profile: int = 2100


def _definition(data: bytes, p: int, header: int, index: int, at_message: int,
                end: int) -> tuple[_Definition, int]:
    if p + 6 > end:
        raise FastPathUnsupported("a definition runs past the end of the data")
    # The architecture byte: the FIT protocol defines 0 (little-endian) and 1 (big-endian) and nothing
    # else; fitparse (base.py, _parse_definition_message) and the Garmin FIT SDK's own decoder
    # (garmin_fit_sdk/decoder.py: "LITTLE if architecture == 0 else BIG") read every other value as
    # big-endian, and so do we.
    big = data[p + 2] != 0
    global_num, count = struct.unpack_from(">HB" if big else "<HB", data, p + 3)
    q = p + 6
    if q + 3 * count > end:
        raise FastPathUnsupported("a definition runs past the end of the data")
    fields = [(data[q + 3 * i], data[q + 3 * i + 1], data[q + 3 * i + 2]) for i in range(count)]
    q += 3 * count
    dev_fields: list[tuple[int, int, int]] = []
    if header & 0x20:
        if q >= end:
            raise FastPathUnsupported("a definition runs past the end of the data")
        dev_count = data[q]
        q += 1
        if q + 3 * dev_count > end:
            raise FastPathUnsupported("a definition runs past the end of the data")
        dev_fields = [(data[q + 3 * i], data[q + 3 * i + 1], data[q + 3 * i + 2]) for i in range(dev_count)]
        q += 3 * dev_count
    size = sum(f[1] for f in fields) + sum(f[1] for f in dev_fields)
    return _Definition(index, global_num, big, fields, dev_fields, size, at_message, data[p:q]), q


def _walk(data: bytes) -> _Walk:
    """One pass over every message header of every chained file; checks structure and CRCs."""
    walk = _Walk()
    n = len(data)
    pos = 0
    while pos < n:
        if n - pos < 12:
            raise FastPathUnsupported("trailing bytes after the last FIT file")
        header_size = data[pos]
        if data[pos + 8:pos + 12] != b".FIT" or header_size < 12:
            raise FastPathUnsupported("not a FIT header")
        data_size = int.from_bytes(data[pos + 4:pos + 8], "little")
        if pos == 0:
            walk.protocol, walk.profile = data[1], int.from_bytes(data[2:4], "little")
        if header_size >= 14:
            header_crc = int.from_bytes(data[pos + 12:pos + 14], "little")
            if header_crc and header_crc != crc16(data[pos:pos + 12]):
                raise FastPathUnsupported("header CRC mismatch")
        end = pos + header_size + data_size
        if end + 2 > n:
            raise FastPathUnsupported("truncated")
        if crc16(np.frombuffer(data, dtype=np.uint8, count=end - pos, offset=pos)) != \
                int.from_bytes(data[end:end + 2], "little"):
            raise FastPathUnsupported("file CRC mismatch")
        walk.part_starts.append(len(walk.message_def))
        _walk_messages(data, pos + header_size, end, walk)
        pos = end + 2
    return walk


def _walk_messages(data: bytes, p: int, end: int, walk: _Walk) -> None:
    """The hot loop: as little Python per message as possible."""
    local: list[int] = [-1] * 16
    sizes = [0] * 16
    definitions = walk.definitions
    message_def = walk.message_def
    add_def, add_pos = message_def.append, walk.message_pos.append
    while p < end:
        header = data[p]
        if header & 0x80:
            slot = (header >> 5) & 0x3
            if local[slot] < 0:
                raise FastPathUnsupported("data message before its definition")
            walk.compressed_at.append(len(message_def))
            walk.compressed_offset.append(header & 0x1F)
            add_def(local[slot])
            add_pos(p + 1)
            p += 1 + sizes[slot]
        elif header & 0x40:
            definition, p = _definition(data, p, header, len(definitions), len(message_def), end)
            definitions.append(definition)
            local[header & 0x0F] = definition.index
            sizes[header & 0x0F] = definition.size
        else:
            slot = header & 0x0F
            if local[slot] < 0:
                raise FastPathUnsupported("data message before its definition")
            add_def(local[slot])
            add_pos(p + 1)
            p += 1 + sizes[slot]
    if p != end:
        raise FastPathUnsupported("last message runs past the end of the data")


# --- metadata, through fitparse --------------------------------------------------------


def _metadata(data: bytes, walk: _Walk, message_def: np.ndarray) -> FitTables:
    """Decode the metadata messages with fitparse from a FIT file holding only them."""
    wanted_defs = {d.index for d in walk.definitions if d.global_num in METADATA_NUMBERS}
    compressed = set(walk.compressed_at)
    pieces: list[tuple[int, int, bytes]] = [(d.at_message, 0, d.raw) for d in walk.definitions]
    for index in np.flatnonzero(np.isin(message_def, list(wanted_defs))).tolist():
        if index in compressed:
            raise FastPathUnsupported("metadata message with a compressed timestamp")
        pos = walk.message_pos[index]
        size = walk.definitions[message_def[index]].size
        pieces.append((index, 1, data[pos - 1:pos + size]))
    pieces.sort(key=lambda piece: (piece[0], piece[1]))
    body = b"".join(piece[2] for piece in pieces)
    header = struct.pack("<BBHI4sH", 14, walk.protocol, walk.profile, len(body), b".FIT", 0)
    mini = header + body + b"\0\0"  # its CRC is not checked: we just built it from checked bytes
    tables = decode_reference(mini, keep=META_MESSAGES | DEV_MESSAGES, check_crc=False)
    if tables.error:
        raise FastPathUnsupported(f"metadata: {tables.error}")
    return tables


def _whole_number(message: dict[str, Any], name: str) -> int:
    """A developer registry key as fitparse reads it (its raw value); anything but one integer declines."""
    value = message.get(name)
    if not isinstance(value, int):
        raise FastPathUnsupported(f"{name} is {value!r}, not one number")
    return value


def _developer_fields(walk: _Walk, message_def: np.ndarray,
                      meta: FitTables) -> dict[tuple[int, int, int], Any]:
    """Developer field descriptions in force at each definition,
    keyed (definition index, developer data index, field number)."""
    ids = meta.messages.get("developer_data_id", [])
    descriptions = meta.messages.get("field_description", [])
    id_num, desc_num = MESSAGE_NUMBERS["developer_data_id"], MESSAGE_NUMBERS["field_description"]
    id_defs = {d.index for d in walk.definitions if d.global_num == id_num}
    desc_defs = {d.index for d in walk.definitions if d.global_num == desc_num}
    events: list[tuple[int, int, str, dict[str, Any]]] = []
    for index, message in zip(np.flatnonzero(np.isin(message_def, list(id_defs))).tolist(), ids, strict=True):
        events.append((index, 1, "id", message))
    for index, message in zip(np.flatnonzero(np.isin(message_def, list(desc_defs))).tolist(), descriptions,
                              strict=True):
        events.append((index, 1, "field", message))
    for definition in walk.definitions:
        if definition.dev_fields:
            events.append((definition.at_message, 0, "def", {"index": definition.index}))
    events.sort(key=lambda e: (e[0], e[1]))
    registry: dict[int | None, dict[int, dict[str, Any]]] = {}
    resolved: dict[tuple[int, int, int], Any] = {}
    for _, _, kind, message in events:
        if kind == "id":
            # fitparse registers an id without an index under None, which no field can refer to
            missing = message.get("developer_data_index") is None
            registry[None if missing else _whole_number(message, "developer_data_index")] = {}
        elif kind == "field":
            index = _whole_number(message, "developer_data_index")
            if index not in registry:
                raise FastPathUnsupported("developer field description before its developer id")
            registry[index][_whole_number(message, "field_definition_number")] = message
        else:
            definition = walk.definitions[message["index"]]
            for number, _, dev_index in definition.dev_fields:
                found = registry.get(dev_index, {}).get(number)
                if found is None:
                    raise FastPathUnsupported("developer field without a description")
                # Two developer apps (Stryd and a Connect IQ field, say) may both number a field 0:
                # a description is only found by its developer data index and its number together.
                resolved[(definition.index, dev_index, number)] = found
    return resolved


# --- records, columnar -----------------------------------------------------------------


@dataclass
class _Column:
    """One contribution to a record column from one definition, in message field order."""

    name: str
    values: np.ndarray   # float64, NaN where there is no number
    counts: np.ndarray   # bool: fitparse would create the column for this message (a non-string value)
    units: str | None


def _render(values: np.ndarray, raw: np.ndarray, invalid: np.ndarray, field_type: Any) -> np.ndarray:
    """fitparse's render: enum values with a profile name become strings (no number)."""
    names = getattr(field_type, "values", None)
    if names:
        named = np.isin(raw, np.fromiter(names.keys(), dtype=np.int64))
        return named & ~invalid
    return np.zeros(len(values), dtype=bool)


def _scaled(values: np.ndarray, scale: Any, offset: Any) -> np.ndarray:
    if scale:
        values = values / scale
    if offset:
        values = values - offset
    return values


def _processed(values: np.ndarray, type_name: str, strings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The reference's data processor (date_time as Unix seconds, ...); returns (values, string mask)."""
    if type_name == "date_time":
        values = np.where(values >= RELATIVE_TIME_LIMIT, values + FIT_EPOCH_OFFSET_S, values)
    elif type_name == "local_date_time":
        values = values + FIT_EPOCH_OFFSET_S
    elif type_name == "bool":
        values = np.where(np.isnan(values), np.nan, values != 0).astype(np.float64)
    elif type_name == "localtime_into_day":
        values = np.full(len(values), np.nan)  # a time of day: no number, but not a string either
    return values, strings


def _accumulate(raw: np.ndarray, valid: np.ndarray, message_index: np.ndarray, resets: np.ndarray,
                bits: int) -> np.ndarray:
    """fitparse's rolling accumulation of a ``bits``-wide counter, restarting at 0 at each reset point."""
    out = np.full(len(raw), np.nan)
    rows = np.flatnonzero(valid)
    if not len(rows):
        return out
    values = raw[rows].astype(np.int64)
    segment = np.searchsorted(resets, message_index[rows], side="right")
    previous = np.concatenate(([0], values[:-1]))
    first = np.concatenate(([True], segment[1:] != segment[:-1]))
    previous[first] = 0
    delta = (values - previous) % (1 << bits)
    total = np.cumsum(delta)
    start = np.maximum.accumulate(np.where(first, np.arange(len(rows)), 0))
    base = total[start] - delta[start]
    out[rows] = (total - base).astype(np.float64)
    return out


def _columns(definition: _Definition, block: np.ndarray, message_index: np.ndarray,
             walk: _Walk, dev_fields: dict[tuple[int, int, int], Any]) -> Iterator[_Column]:
    """The contributions of one record definition, in the order fitparse emits them per message."""
    message_type = MESSAGE_TYPES[RECORD]
    order = ">" if definition.big_endian else "<"
    offset = 0
    numbers = [f[0] for f in definition.fields]
    if len(set(numbers)) != len(numbers):
        # fitparse reads every copy, and an accumulating field (cycles -> total_cycles) accumulates
        # once per copy; its reading is the reference, so it reads such a file.
        raise FastPathUnsupported("a record definition lists a field twice")
    layout: list[tuple[int, int, Any, int]] = []  # (field number, offset, base type, count)
    for number, size, base_id in definition.fields:
        base = BASE_TYPES.get(base_id, BASE_TYPE_BYTE)
        if size % base.size:
            raise FastPathUnsupported(f"field size {size} is not a multiple of {base.name}")
        layout.append((number, offset, base, size // base.size))
        offset += size

    for number, start, base, count in layout:
        profile = message_type.fields.get(number)
        if profile is None:
            named = UNDOCUMENTED_FIELDS["record"].get(number)
            if named is not None and base.name != "string":   # Garmin writes it outside the profile
                yield _undocumented_column(named, block, start, base, count, order)
            continue  # other unknown_N: the reference skips them too
        if profile.subfields:
            raise FastPathUnsupported(f"record field {profile.name} has subfields")
        is_byte = base.name == "byte" or base.name not in _NUMPY and base.name != "string"
        raw, invalid = _raw(block, start, base, count, order, is_byte)
        if profile.components:
            yield from _components(profile, raw, invalid, base, count, is_byte, definition, message_index, walk,
                                   block, start)
        if is_byte or count > 1:
            yield _Column(profile.name, np.full(len(block), np.nan), np.ones(len(block), dtype=bool), profile.units)
            continue
        if base.name == "string":
            empty = block[:, start] == 0
            yield _Column(profile.name, np.full(len(block), np.nan), empty, profile.units)
            continue
        values = np.where(invalid, np.nan, raw.astype(np.float64))
        strings = _render(values, raw, invalid, profile.type)
        values = _scaled(values, profile.scale, profile.offset)
        values, strings = _processed(values, profile.type.name, strings)
        yield _Column(profile.name, np.where(strings, np.nan, values), ~strings, profile.units)
    for number, size, dev_index in definition.dev_fields:
        description = dev_fields[(definition.index, dev_index, number)]
        yield _dev_column(description, block, offset, size, order)
        offset += size


def _undocumented_column(named: tuple[str, float, str], block: np.ndarray, start: int, base: Any, count: int,
                         order: str) -> _Column:
    """A field of ``tables.UNDOCUMENTED_FIELDS``: raw / scale, as the reference reads it."""
    name, scale, units = named
    is_byte = base.name == "byte" or base.name not in _NUMPY
    if is_byte or count > 1:
        return _Column(name, np.full(len(block), np.nan), np.ones(len(block), dtype=bool), units)
    raw, invalid = _raw(block, start, base, count, order, is_byte)
    return _Column(name, np.where(invalid, np.nan, raw.astype(np.float64) / scale), np.ones(len(block), dtype=bool),
                   units)


def _raw(block: np.ndarray, start: int, base: Any, count: int, order: str,
         is_byte: bool) -> tuple[np.ndarray, np.ndarray]:
    """Raw integer/float values of a single-valued field, and fitparse's invalid mask."""
    if is_byte or count > 1 or base.name == "string":
        width = base.size * count
        raw = block[:, start:start + width]
        return raw, np.all(raw == 0xFF, axis=1) if is_byte else np.zeros(len(block), dtype=bool)
    code, invalid_value = _NUMPY[base.name]
    raw = np.ascontiguousarray(block[:, start:start + base.size]).view(order + code).reshape(len(block))
    invalid = np.isnan(raw) if invalid_value is None else raw == invalid_value
    return raw, invalid


def _components(profile: Any, raw: np.ndarray, invalid: np.ndarray, base: Any, count: int, is_byte: bool,
                definition: _Definition, message_index: np.ndarray, walk: _Walk, block: np.ndarray,
                start: int) -> Iterator[_Column]:
    message_type = MESSAGE_TYPES[RECORD]
    if count > 1 and not is_byte:
        raise FastPathUnsupported(f"components of an array field ({profile.name})")
    if is_byte:
        width = raw.shape[1]
        packed = np.zeros(len(raw), dtype=np.uint64)
        for k in reversed(range(width)):
            packed = (packed << np.uint64(8)) + raw[:, k].astype(np.uint64)
        number = packed
        bit_width = width * 8
    else:
        number = raw.astype(np.uint64)
        bit_width = 64
    for component in profile.components:
        if is_byte and component.bit_offset and component.bit_offset >= bit_width:
            continue  # fitparse skips components beyond the bytes present
        target = message_type.fields[component.def_num]
        if target.subfields:
            raise FastPathUnsupported(f"component target {target.name} has subfields")
        bits = (number >> np.uint64(component.bit_offset)) & np.uint64((1 << component.bits) - 1)
        values = np.where(invalid, np.nan, bits.astype(np.float64))
        if component.accumulate:
            resets = _accumulator_resets(walk, profile.def_num)
            values = _accumulate(bits, ~invalid, message_index, resets, component.bits)
        strings = _render(values, bits.astype(np.int64), invalid, target.type)
        values = _scaled(values, component.scale, component.offset)
        values, strings = _processed(values, target.type.name, strings)
        yield _Column(target.name, np.where(strings, np.nan, values), ~strings, target.units)


def _accumulator_resets(walk: _Walk, field_number: int) -> np.ndarray:
    """Message positions where fitparse restarts a record accumulator: each record definition
    carrying the field, and each chained file (its header clears all accumulators).

    The accumulator is shared by all record definitions; when two of them carry
    the field, their messages interleave through one counter, which this
    per-definition computation does not model: those files use fitparse."""
    carrying = [d for d in walk.definitions
                if d.global_num == RECORD and any(f[0] == field_number for f in d.fields)]
    if len(carrying) > 1 and _interleaved(walk, carrying):
        raise FastPathUnsupported("an accumulating field in interleaved record definitions")
    points = [d.at_message for d in carrying]
    return np.unique(np.array(points + walk.part_starts, dtype=np.int64))


def _interleaved(walk: _Walk, definitions: list[_Definition]) -> bool:
    """True when messages of one definition follow the definition message of another."""
    ids = np.asarray(walk.message_def)
    for later in definitions[1:]:
        after = ids[later.at_message:]
        if np.isin(after, [d.index for d in definitions if d.index != later.index]).any():
            return True
    return False


def _dev_column(description: dict[str, Any], block: np.ndarray, start: int, size: int, order: str) -> _Column:
    name = description.get("field_name") or f"unnamed_dev_field_{description.get('field_definition_number')}"
    base_name = description.get("fit_base_type_id")
    base = next((b for b in BASE_TYPES.values() if b.name == base_name), None) if isinstance(base_name, str) \
        else BASE_TYPES.get(base_name)
    if base is None:
        raise FastPathUnsupported(f"developer field {name!r} has an unknown base type")
    units = description.get("units")
    n = len(block)
    if base.name == "string":
        return _Column(f"dev:{name}", np.full(n, np.nan), block[:, start] == 0, units)
    if size % base.size:
        raise FastPathUnsupported(f"developer field {name!r} has a misaligned size")
    if size != base.size or base.name == "byte":
        return _Column(f"dev:{name}", np.full(n, np.nan), np.ones(n, dtype=bool), units)
    raw, invalid = _raw(block, start, base, 1, order, False)
    return _Column(f"dev:{name}", np.where(invalid, np.nan, raw.astype(np.float64)), np.ones(n, dtype=bool), units)


def _compressed_timestamps(walk: _Walk, message_def: np.ndarray, message_pos: np.ndarray,
                           data: np.ndarray) -> np.ndarray:
    """Resolve compressed-timestamp headers like fitparse: a 5-bit offset rolling over the last
    full timestamp seen in any message (or the last resolved one). Returns values per message index."""
    n = len(message_def)
    full = np.full(n, -1, dtype=np.int64)
    for definition in walk.definitions:
        offset = 0
        for number, size, _ in definition.fields:
            if number == TIMESTAMP_FIELD:
                if size != 4:
                    raise FastPathUnsupported("timestamp field of unusual size")
                rows = np.flatnonzero(message_def == definition.index)
                at = message_pos[rows][:, None] + offset + np.arange(4)
                raw = np.ascontiguousarray(data[at]).view(">u4" if definition.big_endian else "<u4").reshape(-1)
                full[rows] = np.where(raw == 0xFFFFFFFF, -1, raw.astype(np.int64))
            offset += size
    compressed = np.full(n, -1, dtype=np.int64)
    compressed[walk.compressed_at] = walk.compressed_offset
    if (full[walk.compressed_at] >= 0).any():
        raise FastPathUnsupported("a compressed header on a message that carries its own timestamp")
    involved = np.flatnonzero((full >= 0) | (compressed >= 0))
    # A chained file's header resets the accumulator to 0: a virtual full timestamp 0.
    resets = np.asarray(walk.part_starts, dtype=np.int64)
    order = np.concatenate((resets.astype(np.float64) - 0.5, involved.astype(np.float64)))
    kind = np.concatenate((np.zeros(len(resets), dtype=np.int64), full[involved]))
    is_reset = np.concatenate((np.ones(len(resets), dtype=bool), np.zeros(len(involved), dtype=bool)))
    offsets = np.concatenate((np.full(len(resets), -1, dtype=np.int64), compressed[involved]))
    sort = np.argsort(order, kind="stable")
    kind, is_reset, offsets = kind[sort], is_reset[sort], offsets[sort]
    is_full = is_reset | (offsets < 0)
    low = np.where(is_full, kind & 0x1F, offsets)
    previous_low = np.concatenate(([0], low[:-1]))
    delta = np.where(is_full, 0, (offsets - previous_low) % 32)
    total = np.cumsum(delta)
    start = np.maximum.accumulate(np.where(is_full, np.arange(len(kind)), 0))
    value = kind[start] + total - total[start]
    result = np.full(n, np.nan)
    positions = order[sort]
    real = ~is_reset & (offsets >= 0)
    result[positions[real].astype(np.int64)] = value[real]
    return result


def _records(data: bytes, walk: _Walk, message_def: np.ndarray, message_pos: np.ndarray,
             dev_fields: dict[tuple[int, int, int], Any]) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    record_defs = [d for d in walk.definitions if d.global_num == RECORD]
    if not record_defs:
        return {}, {}
    buffer = np.frombuffer(data, dtype=np.uint8)
    is_record = np.isin(message_def, [d.index for d in record_defs])
    record_messages = np.flatnonzero(is_record)
    n = len(record_messages)
    compressed_ts = _compressed_timestamps(walk, message_def, message_pos, buffer) if walk.compressed_at else None
    columns: dict[str, np.ndarray] = {}
    units: dict[str, tuple[int, str | None]] = {}   # units of the column's first contribution
    for definition in record_defs:
        messages = np.flatnonzero(message_def == definition.index)
        if not len(messages):
            continue
        rows = np.searchsorted(record_messages, messages)
        gather = message_pos[messages][:, None] + np.arange(definition.size)
        block = buffer[gather] if definition.size else np.zeros((len(messages), 0), dtype=np.uint8)
        contributions = list(_columns(definition, block, messages, walk, dev_fields))
        if compressed_ts is not None:
            stamps = compressed_ts[messages]
            has = ~np.isnan(stamps)
            if has.any():
                values = np.where(stamps >= RELATIVE_TIME_LIMIT, stamps + FIT_EPOCH_OFFSET_S, stamps)
                contributions.append(_Column("timestamp", values, has, "s"))
        for contribution in contributions:
            if not contribution.counts.any():
                continue
            column = columns.get(contribution.name)
            if column is None:
                column = columns[contribution.name] = np.full(n, np.nan)
            current = column[rows]
            take = np.isnan(current) & contribution.counts
            column[rows] = np.where(take, contribution.values, current)
            first = int(messages[np.argmax(contribution.counts)])
            if contribution.name not in units or first < units[contribution.name][0]:
                units[contribution.name] = (first, contribution.units)
    return columns, {name: unit for name, (_, unit) in units.items() if unit}


def decode_fast(data: bytes) -> FitTables:
    """Decode with the columnar fast path; raises FastPathUnsupported when fitparse must do it."""
    if not data:
        raise FastPathUnsupported("an empty file")
    walk = _walk(data)
    message_def = np.asarray(walk.message_def, dtype=np.int64)
    message_pos = np.asarray(walk.message_pos, dtype=np.int64)
    for definition in walk.definitions:
        for number, _, _ in definition.dev_fields:
            if number == TIMESTAMP_FIELD:
                raise FastPathUnsupported("developer field numbered like the timestamp")
    meta = _metadata(data, walk, message_def)
    dev_fields = _developer_fields(walk, message_def, meta)
    records, units = _records(data, walk, message_def, message_pos, dev_fields)
    records = {k: v for k, v in records.items() if not k.startswith("unknown_") and k != "compressed_speed_distance"}
    tables = FitTables(
        records=records,
        record_units={k: v for k, v in units.items() if k in records},
        messages={k: v for k, v in meta.messages.items() if k in META_MESSAGES},
    )
    ts = records.get("timestamp")
    tables.relative_time = ts is not None and bool(np.isfinite(ts).any()) and bool(np.nanmax(ts) < RELATIVE_TIME_LIMIT)
    return tables
