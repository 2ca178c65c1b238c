"""A minimal FIT writer for byte-exact test cases the SDK encoder cannot make.

Layout (FIT protocol 2.0): a 14-byte header (size, protocol, profile, data
size, ".FIT", header CRC), then messages, then the file CRC. A definition
message is header byte 0x40|local (0x60 with developer fields), reserved,
architecture (0 little-, 1 big-endian), global number, field count, then
(number, size, base type) per field and, with developer fields, their count
and (number, size, developer data index). A data message is header byte
``local`` (or 0x80 | local << 5 | time offset for a compressed timestamp)
followed by the field values in definition order and byte order.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from pose_sync.fit.crc import crc_python

FORMATS = {0x00: "B", 0x01: "b", 0x02: "B", 0x83: "h", 0x84: "H", 0x85: "i", 0x86: "I", 0x07: "s",
           0x88: "f", 0x89: "d", 0x0A: "B", 0x8B: "H", 0x8C: "I", 0x0D: "B"}


@dataclass
class FitWriter:
    body: bytearray = field(default_factory=bytearray)
    layouts: dict[int, tuple[str, list[int]]] = field(default_factory=dict)

    def define(self, local: int, global_num: int, fields: list[tuple[int, int, int]],
               dev_fields: list[tuple[int, int, int]] = (), big_endian: bool = False,
               dev_formats: list[str] = (), architecture: int | None = None) -> FitWriter:
        """``architecture`` writes another architecture byte than 0/1 (read as big-endian when not 0)."""
        big_endian = big_endian or bool(architecture)
        order = ">" if big_endian else "<"
        header = 0x40 | local | (0x20 if dev_fields else 0)
        arch = architecture if architecture is not None else 1 if big_endian else 0
        self.body += struct.pack(order + "BBBHB", header, 0, arch, global_num, len(fields))
        for number, size, base in fields:
            self.body += bytes((number, size, base))
        formats = [f"{size // struct.calcsize(FORMATS[base])}{FORMATS[base]}" if base != 0x07 else f"{size}s"
                   for _, size, base in fields]
        if dev_fields:
            self.body += bytes((len(dev_fields),))
            for number, size, index in dev_fields:
                self.body += bytes((number, size, index))
            formats += list(dev_formats)
        self.layouts[local] = (order, formats)
        return self

    def data(self, local: int, *values: object, time_offset: int | None = None) -> FitWriter:
        order, formats = self.layouts[local]
        header = local if time_offset is None else 0x80 | (local << 5) | (time_offset & 0x1F)
        self.body += bytes((header,))
        for fmt, value in zip(formats, values, strict=True):
            parts = value if isinstance(value, tuple) else (value,)
            self.body += struct.pack(order + fmt, *parts)
        return self

    def encode(self) -> bytes:
        header = struct.pack("<BBHI4s", 14, 0x20, 2132, len(self.body), b".FIT")
        header += struct.pack("<H", crc_python(header))
        data = header + bytes(self.body)
        return data + struct.pack("<H", crc_python(data))


# FIT global message numbers and base type ids used by the tests
FILE_ID, SESSION, RECORD, EVENT, DEV_ID, FIELD_DESC = 0, 18, 20, 21, 207, 206
ENUM, UINT8, SINT16, UINT16, SINT32, UINT32 = 0x00, 0x02, 0x83, 0x84, 0x85, 0x86
STRING, FLOAT32, BYTE = 0x07, 0x88, 0x0D
FIT_TIME = 1_000_000_000  # 2021-09-09T01:46:40Z in FIT seconds (since 1989-12-31)


def file_id(writer: FitWriter, local: int = 0, big_endian: bool = False) -> FitWriter:
    writer.define(local, FILE_ID, [(0, 1, ENUM), (1, 2, UINT16), (4, 4, UINT32)], big_endian=big_endian)
    return writer.data(local, 4, 1, FIT_TIME)  # type activity, manufacturer garmin, time_created


def session(writer: FitWriter, local: int = 1, start: int = FIT_TIME, elapsed_ms: int = 60_000) -> FitWriter:
    writer.define(local, SESSION, [(253, 4, UINT32), (2, 4, UINT32), (5, 1, ENUM), (7, 4, UINT32)])
    return writer.data(local, start + elapsed_ms // 1000, start, 1, elapsed_ms)  # sport running
