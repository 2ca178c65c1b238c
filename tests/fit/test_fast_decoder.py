"""The columnar fast path equals fitparse, value for value, or hands the file to fitparse."""

from __future__ import annotations

import numpy as np
import pytest

from pose_sync.fit import decode_fit, decode_tables
from pose_sync.fit.crc import crc16, crc_python
from pose_sync.fit.fast import FastPathUnsupported, decode_fast
from pose_sync.fit.reference import FIT_EPOCH_OFFSET_S, decode_reference
from pose_sync.fit.tables import FitTables
from pose_sync.model import SourceRef
from tests.conftest import SAMPLES
from tests.fit.handmade import (
    BYTE,
    DEV_ID,
    ENUM,
    EVENT,
    FIELD_DESC,
    FIT_TIME,
    FLOAT32,
    RECORD,
    SINT32,
    STRING,
    UINT8,
    UINT16,
    UINT32,
    FitWriter,
    file_id,
    session,
)
from tests.fitgen import Segment, SyntheticRun

BROKEN = {"activity-filecrc.fit", "activity-settings-corruptheader.fit", "activity-unexpected-eof.fit",
          "strava-android-app-201.10-b1218918.fit", "coros-pace-2-cycling-misaligned-fields.fit"}
ALL_SAMPLES = sorted(SAMPLES.rglob("*.fit"))


def assert_same(reference: FitTables, fast: FitTables) -> None:
    assert set(fast.records) == set(reference.records)
    for name, values in reference.records.items():
        np.testing.assert_array_equal(fast.records[name], values, err_msg=name)  # NaN == NaN here
    assert fast.messages == reference.messages
    assert fast.record_units == reference.record_units
    assert fast.relative_time == reference.relative_time
    assert reference.error is None and fast.error is None


@pytest.mark.parametrize("path", ALL_SAMPLES, ids=lambda p: p.name)
def test_every_sample_file_decodes_identically_or_falls_back(path):
    data = path.read_bytes()
    reference = decode_reference(data)
    if path.name in BROKEN:
        with pytest.raises(FastPathUnsupported):
            decode_fast(data)
        chosen = decode_tables(data)
        assert chosen.error == reference.error and chosen.error
        for name, values in reference.records.items():
            np.testing.assert_array_equal(chosen.records[name], values)
    else:
        assert_same(reference, decode_fast(data))


@pytest.mark.parametrize("path", [p for p in ALL_SAMPLES if p.name not in BROKEN], ids=lambda p: p.name)
def test_activities_are_the_same_whichever_decoder_read_the_file(path):
    from pose_sync.fit.activity import activities_from_tables

    data = path.read_bytes()
    source = SourceRef("file", path.name)
    via_fast = decode_fit(data, source).activities
    via_reference = activities_from_tables(decode_reference(data), source).activities
    assert len(via_fast) == len(via_reference)
    for a, b in zip(via_fast, via_reference, strict=True):
        assert (a.sport, a.start_time, a.device_summary, a.timer_pauses) == \
               (b.sport, b.start_time, b.device_summary, b.timer_pauses)
        assert a.samples.channels.keys() == b.samples.channels.keys()
        for name in a.samples.channels:
            np.testing.assert_array_equal(a.samples.channels[name], b.samples.channels[name])


def _both(data: bytes) -> FitTables:
    fast = decode_fast(data)
    assert_same(decode_reference(data), fast)
    return fast


def test_big_endian_definitions():
    w = file_id(FitWriter(), big_endian=True)
    w.define(2, RECORD, [(253, 4, UINT32), (3, 1, UINT8), (6, 2, UINT16), (5, 4, UINT32), (0, 4, SINT32)],
             big_endian=True)
    for i in range(50):
        w.data(2, FIT_TIME + i, 140 + i % 5, 3000 + i, 300 * i, -123456789 + i)
    fast = _both(session(w).encode())
    assert fast.records["speed"][1] == 3.001 and fast.records["position_lat"][0] == -123456789
    assert fast.records["timestamp"][0] == FIT_TIME + FIT_EPOCH_OFFSET_S


def test_compressed_timestamps_roll_over_like_fitparse():
    w = file_id(FitWriter())
    w.define(1, RECORD, [(253, 4, UINT32), (3, 1, UINT8)])
    w.define(2, RECORD, [(3, 1, UINT8)])
    w.data(1, FIT_TIME + 30, 120)                 # full timestamp, low 5 bits = 30 + (FIT_TIME & 31)
    expected = [FIT_TIME + 30]
    current = FIT_TIME + 30
    for step in (1, 1, 3, 7, 2, 20, 1, 31, 5):     # crosses the 32-second boundary several times
        current += step
        w.data(2, 130, time_offset=current & 0x1F)
        expected.append(current)
    w.define(3, EVENT, [(253, 4, UINT32), (0, 1, ENUM), (1, 1, ENUM)])
    w.data(3, current + 40, 0, 4)                 # another message type resets the base
    current += 40
    for step in (2, 9):
        current += step
        w.data(2, 131, time_offset=current & 0x1F)
        expected.append(current)
    fast = _both(w.encode())
    np.testing.assert_array_equal(fast.records["timestamp"], np.array(expected, dtype=float) + FIT_EPOCH_OFFSET_S)


def test_developer_fields_are_named_by_their_descriptions():
    w = file_id(FitWriter())
    w.define(3, DEV_ID, [(3, 1, UINT8), (1, 16, BYTE)]).data(3, 0, tuple(range(16)))
    w.define(4, FIELD_DESC, [(0, 1, UINT8), (1, 1, UINT8), (2, 1, UINT8), (3, 16, STRING), (8, 8, STRING)])
    w.data(4, 0, 0, UINT16, b"Power", b"Watts").data(4, 0, 1, FLOAT32, b"Leg Spring", b"kN/m")
    w.define(5, RECORD, [(253, 4, UINT32), (3, 1, UINT8)], dev_fields=[(0, 2, 0), (1, 4, 0)],
             dev_formats=["H", "f"])
    for i in range(20):
        w.data(5, FIT_TIME + i, 150, 250 + i if i != 7 else 0xFFFF, 9.5 + i / 4)
    fast = _both(session(w).encode())
    assert fast.record_units["dev:Power"] == "Watts"
    assert np.isnan(fast.records["dev:Power"][7]) and fast.records["dev:Leg Spring"][2] == 10.0


def test_chained_files_and_local_redefinitions():
    first = file_id(FitWriter())
    first.define(1, RECORD, [(253, 4, UINT32), (3, 1, UINT8)])
    for i in range(10):
        first.data(1, FIT_TIME + i, 100 + i)
    first.define(1, RECORD, [(253, 4, UINT32), (6, 2, UINT16), (3, 1, UINT8)])  # same local number, new layout
    for i in range(10, 20):
        first.data(1, FIT_TIME + i, 2500 + i, 100 + i)
    second = file_id(FitWriter(), local=3)
    second.define(0, RECORD, [(3, 1, UINT8), (253, 4, UINT32)])
    for i in range(20, 30):
        second.data(0, 100 + i, FIT_TIME + i)
    session(second, local=5, elapsed_ms=30_000)
    fast = _both(first.encode() + second.encode())
    np.testing.assert_array_equal(fast.records["heart_rate"], np.arange(100, 130, dtype=float))
    assert np.isnan(fast.records["speed"][:10]).all() and fast.records["speed"][10] == 2.51


def test_unknown_enum_values_are_numbers_like_in_fitparse():
    w = file_id(FitWriter())
    w.define(1, RECORD, [(253, 4, UINT32), (42, 1, ENUM)])
    for i, activity_type in enumerate((1, 1, 99, 0xFF, 1)):   # running, running, unknown, invalid, running
        w.data(1, FIT_TIME + i, activity_type)
    fast = _both(w.encode())
    np.testing.assert_array_equal(fast.records["activity_type"], [np.nan, np.nan, 99, np.nan, np.nan])


def test_broken_files_fall_back_to_fitparse_with_what_was_read():
    w = file_id(FitWriter())
    w.define(1, RECORD, [(253, 4, UINT32), (3, 1, UINT8)])
    for i in range(30):
        w.data(1, FIT_TIME + i, 140)
    data = session(w).encode()
    for broken in (data[:-40], data[:-2] + b"\0\0", data[:20] + b"X" + data[21:]):
        with pytest.raises(FastPathUnsupported):
            decode_fast(broken)
        assert decode_tables(broken).error == decode_reference(broken).error is not None


def test_synthetic_runs_with_the_sdk_encoder_decode_identically():
    run = SyntheticRun([Segment(300, 3.0), Segment(60, 1.2, cadence_spm=110)], gps=True)
    _both(run.encode())
    stryd = SyntheticRun([Segment(300, 3.1, power_w=260)], stryd=True)
    _both(stryd.encode())


@pytest.mark.parametrize("size", [0, 1, 511, 512, 513, 4096, 70001])
def test_vectorised_crc_equals_the_byte_loop(size):
    data = np.random.default_rng(size).integers(0, 256, size, dtype=np.uint8).tobytes()
    assert crc16(data) == crc_python(data)
    assert crc16(data, 0xBEEF) == crc_python(data, 0xBEEF)


def test_an_unexpected_fast_path_failure_falls_back_to_fitparse(monkeypatch, caplog):
    import pose_sync.fit as fit

    def broken(data: bytes):
        raise IndexError("a bug in the fast path")

    monkeypatch.setattr(fit, "decode_fast", broken)
    data = next(SAMPLES.rglob("garmin-fenix-5-run.fit")).read_bytes()
    assert_same(decode_reference(data), fit.decode_tables(data))
    assert "fast FIT decoder failed unexpectedly" in caplog.text
