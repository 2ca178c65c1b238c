"""The FIT CRC-16 at numpy speed.

FIT uses CRC-16/ARC (reflected polynomial 0xA001, initial value 0). A byte
loop in Python costs ~0.4 s for a 2-hour file, more than decoding it. The CRC
is linear, so the data is cut into equal blocks whose CRCs are computed side
by side (one numpy step per byte position, all blocks at once), then chained:
the state after block j is ``Z^L(state) xor crc(block j)``, where ``Z^L``
(feeding L zero bytes) is a fixed linear map applied with two 256-entry
tables.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

BLOCK = 512


def _byte_table() -> np.ndarray:
    """CRC-16/ARC table, built from the nibble algorithm in the FIT SDK so the two cannot differ."""
    nibble = [0x0000, 0xCC01, 0xD801, 0x1400, 0xF001, 0x3C00, 0x2800, 0xE401,
              0xA001, 0x6C00, 0x7800, 0xB401, 0x5000, 0x9C01, 0x8801, 0x4400]
    table = np.zeros(256, dtype=np.uint32)
    for byte in range(256):
        crc = 0
        for part in (byte & 0xF, byte >> 4):
            tmp = nibble[crc & 0xF]
            crc = (crc >> 4) & 0x0FFF
            crc = crc ^ tmp ^ nibble[part]
        table[byte] = crc
    return table


TABLE = _byte_table()


def crc_python(data: bytes, crc: int = 0) -> int:
    """Reference byte loop (for short inputs and for tests)."""
    table = TABLE
    for byte in data:
        crc = int(table[(crc ^ byte) & 0xFF]) ^ (crc >> 8)
    return crc


@lru_cache(maxsize=4)
def _zero_feed_tables(length: int) -> tuple[np.ndarray, np.ndarray]:
    """Tables applying Z^length: the state after ``length`` zero bytes, by low and high byte."""
    basis = np.array([1 << k for k in range(16)], dtype=np.uint32)
    state = basis.copy()
    for _ in range(length):
        state = TABLE[state & 0xFF] ^ (state >> 8)
    low = np.zeros(256, dtype=np.uint32)
    high = np.zeros(256, dtype=np.uint32)
    for value in range(256):
        bits = [k for k in range(8) if value >> k & 1]
        low[value] = np.bitwise_xor.reduce(state[bits]) if bits else 0
        high[value] = np.bitwise_xor.reduce(state[[k + 8 for k in bits]]) if bits else 0
    return low, high


def crc16(data: bytes | np.ndarray, crc: int = 0) -> int:
    """CRC-16 of ``data`` continuing from ``crc``."""
    buf = np.frombuffer(data, dtype=np.uint8) if isinstance(data, (bytes, bytearray, memoryview)) else data
    n_blocks = len(buf) // BLOCK
    if n_blocks < 4:
        return crc_python(buf.tobytes(), crc)
    blocks = buf[: n_blocks * BLOCK].reshape(n_blocks, BLOCK)
    states = np.zeros(n_blocks, dtype=np.uint32)
    for column in range(BLOCK):
        states = TABLE[(states ^ blocks[:, column]) & 0xFF] ^ (states >> 8)
    low, high = _zero_feed_tables(BLOCK)
    for block_crc in states.tolist():
        crc = int(low[crc & 0xFF] ^ high[crc >> 8]) ^ block_crc
    return crc_python(buf[n_blocks * BLOCK:].tobytes(), crc)
