"""Seeded mutations of real FIT files: the damage phones, watches and half-finished uploads do.

Every mutant is a pure function of (sample bytes, seed): the same seed gives
the same bytes, so a failure found in a long ``make fuzz`` run is reproduced
by its seed alone. The kinds follow what broken files in the wild look like:

* ``truncate``: the upload or the copy stopped early;
* ``flip``: a few bytes changed anywhere after the header (a bad sector, a bad copy);
* ``glitch``: one field of one data message overwritten (a sensor or firmware
  glitch: the file is otherwise perfect, so its CRC is usually re-made);
* ``header``: the 12/14-byte file header damaged (size, protocol, profile, ".FIT", CRC);
* ``definition``: one definition message damaged (architecture byte, field count,
  a field's size or base type, the global message number, a field listed twice,
  the developer-field count);
* ``size255``: one field of a definition given the size 255;
* ``data_size``: the header's data size set to 0, to 0xFFFFFFFF, or off by some bytes;
* ``duplicate``: a run of messages written twice (a writer retrying a block);
* ``concat``: another sample (or the same one, or a cut piece) appended, as chained
  FIT files or as trailing garbage.

About half of the mutants get their CRCs recomputed so that the damage reaches
the decoders' inner loops instead of stopping at the checksum (a firmware bug
writes a valid CRC over wrong data).
"""

from __future__ import annotations

import random
import struct
from dataclasses import dataclass, field

from pose_sync.fit.crc import crc16

KINDS = ("truncate", "flip", "glitch", "header", "definition", "size255", "data_size", "duplicate", "concat")


@dataclass
class Message:
    offset: int                 # of the header byte
    length: int                 # header byte included
    definition: bool
    field_offset: int = 0       # definitions: where the (number, size, base) triples start
    n_fields: int = 0
    layout: tuple[tuple[int, int], ...] = ()  # data messages: (offset, size) of each field


@dataclass
class Layout:
    """The message structure of the first FIT file in the bytes, as far as it can be walked."""

    header_size: int = 0
    data_size: int = 0
    messages: list[Message] = field(default_factory=list)

    @property
    def definitions(self) -> list[Message]:
        return [m for m in self.messages if m.definition]

    @property
    def data(self) -> list[Message]:
        return [m for m in self.messages if not m.definition and m.layout]


def layout(data: bytes) -> Layout:
    """Walk the first file's messages; stop quietly at the first thing that does not parse."""
    out = Layout()
    if len(data) < 12 or data[8:12] != b".FIT":
        return out
    out.header_size, out.data_size = data[0], int.from_bytes(data[4:8], "little")
    p, end = out.header_size, min(len(data), out.header_size + out.data_size)
    fields: dict[int, list[int]] = {}
    while p < end:
        header = data[p]
        if header & 0x80 == 0 and header & 0x40:
            if p + 6 > end:
                break
            count = data[p + 5]
            q = p + 6 + 3 * count
            sizes = [data[p + 6 + 3 * i + 1] for i in range(count) if p + 6 + 3 * i + 1 < end]
            if header & 0x20:
                if q >= end:
                    break
                dev = data[q]
                sizes += [data[q + 1 + 3 * i + 1] for i in range(dev) if q + 1 + 3 * i + 1 < end]
                q += 1 + 3 * dev
            if q > end:
                break
            fields[header & 0x0F] = sizes
            out.messages.append(Message(p, q - p, True, p + 6, count))
            p = q
        else:
            local = (header >> 5) & 0x3 if header & 0x80 else header & 0x0F
            defined = fields.get(local)
            if defined is None:
                break
            at, spans = p + 1, []
            for size in defined:
                spans.append((at, size))
                at += size
            if at > end:
                break
            out.messages.append(Message(p, at - p, False, layout=tuple(spans)))
            p = at
    return out


def fix_crcs(data: bytes) -> bytes:
    """Recompute the header CRC and the first file's CRC, where the header still allows it."""
    if len(data) < 14 or data[0] < 14:
        return data
    buf = bytearray(data)
    buf[12:14] = struct.pack("<H", crc16(bytes(buf[:12])))
    end = buf[0] + int.from_bytes(buf[4:8], "little")
    if end + 2 <= len(buf):
        buf[end:end + 2] = struct.pack("<H", crc16(bytes(buf[:end])))
    return bytes(buf)


def _set_data_size(buf: bytearray, size: int) -> None:
    if len(buf) >= 8:
        buf[4:8] = struct.pack("<I", size & 0xFFFFFFFF)


@dataclass(frozen=True)
class Mutant:
    data: bytes
    kind: str
    sample: str
    seed: int
    what: str

    @property
    def name(self) -> str:
        return f"mutant-{self.seed}-{self.kind}.fit"


def mutate(sample: str, data: bytes, seed: int, others: dict[str, bytes], kind: str | None = None) -> Mutant:
    """One mutant of ``data`` (the sample called ``sample``), fully determined by ``seed``."""
    rng = random.Random(seed)
    kind = kind or rng.choice(KINDS)
    structure = layout(data)
    buf = bytearray(data)
    body_start = structure.header_size or 12
    what = kind
    resize = True  # the header's data size follows insertions (a writer that counted what it wrote)

    if kind == "truncate":
        cut = rng.randrange(0, len(buf)) if buf else 0
        buf, what = buf[:cut], f"cut at {cut} of {len(data)}"
    elif kind == "flip":
        n = rng.choice((1, 1, 2, 4, 8))
        spots = [rng.randrange(min(body_start, len(buf) - 1), len(buf)) for _ in range(n)] if len(buf) > 1 else []
        for spot in spots:
            buf[spot] = rng.randrange(256) if rng.random() < 0.5 else buf[spot] ^ (1 << rng.randrange(8))
        what = f"{n} byte(s) changed at {spots}"
    elif kind == "glitch" and structure.data:
        message = rng.choice(structure.data)
        offset, size = rng.choice(message.layout)
        if size:
            fill = rng.choice(("random", "max", "high", "zero"))
            value = {"random": bytes(rng.randrange(256) for _ in range(size)), "max": b"\xfe" * size,
                     "high": bytes([rng.randrange(256)] * (size - 1) + [rng.randrange(0x80, 0xFF)]),
                     "zero": b"\0" * size}[fill]
            buf[offset:offset + size] = value
        what = f"field at {offset} ({size} bytes) overwritten"
    elif kind == "header" and len(buf) >= 12:
        part = rng.choice(("size", "protocol", "profile", "magic", "crc"))
        if part == "size":
            buf[0] = rng.choice((0, 1, 11, 12, 13, 15, 16, 64, 255))
        elif part == "protocol":
            buf[1] = rng.randrange(256)
        elif part == "profile":
            buf[2:4] = bytes((rng.randrange(256), rng.randrange(256)))
        elif part == "magic":
            buf[8 + rng.randrange(4)] = rng.randrange(256)
        elif len(buf) >= 14:
            buf[12:14] = bytes((rng.randrange(256), rng.randrange(256)))
        what = f"header {part}"
    elif kind in ("definition", "size255") and structure.definitions:
        d = rng.choice(structure.definitions)
        triple = d.field_offset + 3 * rng.randrange(d.n_fields) if d.n_fields else None
        part = "size255" if kind == "size255" else rng.choice(
            ("architecture", "count", "size", "base", "global", "twice", "dev_count"))
        if part == "architecture":
            buf[d.offset + 2] = rng.choice((2, 3, 0x10, 0x80, 0xFF, rng.randrange(2, 256)))
        elif part == "count":
            buf[d.offset + 5] = max(0, min(255, d.n_fields + rng.choice((-3, -1, 1, 2, 50, 255))))
        elif part == "global":
            buf[d.offset + 3:d.offset + 5] = bytes((rng.randrange(256), rng.randrange(256)))
        elif part == "dev_count":
            buf[d.offset] |= 0x20
            if d.offset + d.length < len(buf):
                buf[d.offset + d.length] = rng.choice((1, 2, 255))
        elif triple is not None and part == "twice":
            buf[triple:triple] = buf[triple:triple + 3]
            buf[d.offset + 5] = min(255, d.n_fields + 1)
        elif triple is not None and part == "size":
            buf[triple + 1] = rng.choice((0, 1, 3, 5, 7, 16, 200, rng.randrange(256)))
        elif triple is not None and part == "size255":
            buf[triple + 1] = 255
        elif triple is not None:
            buf[triple + 2] = rng.choice((0x00, 0x07, 0x0D, 0x84, 0x86, 0x88, 0x89, 0x8E, rng.randrange(256)))
        what = f"definition at {d.offset}: {part}"
    elif kind == "data_size" and len(buf) >= 8:
        size = rng.choice((0, 0xFFFFFFFF, 0x7FFFFFFF, structure.data_size + rng.randrange(-64, 64),
                           structure.data_size * 2))
        _set_data_size(buf, size)
        resize, what = False, f"data size {size}"
    elif kind == "duplicate" and len(structure.messages) > 1:
        i = rng.randrange(len(structure.messages))
        j = min(len(structure.messages), i + rng.choice((1, 2, 5, 20, 200)))
        start = structure.messages[i].offset
        stop = structure.messages[j - 1].offset + structure.messages[j - 1].length
        at = stop if rng.random() < 0.7 else rng.randrange(body_start, len(buf))
        buf[at:at] = buf[start:stop]
        what = f"messages {i}..{j} repeated at {at}"
    elif kind == "concat":
        name, other = rng.choice(sorted(others.items())) if others and rng.random() < 0.6 else (sample, data)
        piece = other if rng.random() < 0.6 else other[:rng.randrange(1, max(2, len(other)))]
        buf += piece
        resize, what = False, f"+ {len(piece)} bytes of {name}"
    else:
        kind, what = "flip", "1 byte changed (no structure for the chosen kind)"
        if len(buf) > 1:
            spot = rng.randrange(1, len(buf))
            buf[spot] ^= 0xFF

    if resize and structure.header_size and len(buf) != len(data) and kind not in ("truncate",):
        _set_data_size(buf, structure.data_size + len(buf) - len(data))
    out = bytes(buf)
    if kind not in ("header",) and rng.random() < 0.5:
        out, what = fix_crcs(out), what + ", CRCs re-made"
    return Mutant(out, kind, sample, seed, what)
