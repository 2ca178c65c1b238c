"""Damaged and glitched files: read as far as they can be, never a traceback, never an absurd number.

One minimal reproducer per defect class the fuzzer found (issue 14), built
byte by byte (:mod:`tests.fit.handmade`), with the FIT SDK encoder
(:mod:`sim.fitfile`) or by mutating a shared sample; where the two decoders
could disagree the reference (fitparse) reading is asserted.
"""

from __future__ import annotations

import json
import struct
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest

from pose_sync.cli import main
from pose_sync.fit import decode_tables
from pose_sync.fit.crc import crc_python
from pose_sync.fit.fast import FastPathUnsupported, decode_fast
from pose_sync.fit.reference import decode_reference
from sim.fitfile import write_fit
from tests.conftest import sample
from tests.fit.handmade import (
    BYTE,
    DEV_ID,
    FIELD_DESC,
    FIT_TIME,
    FLOAT32,
    RECORD,
    SESSION,
    STRING,
    UINT8,
    UINT16,
    UINT32,
    FitWriter,
    file_id,
    session,
)
from tests.fit.test_fast_decoder import assert_same

START = datetime(2026, 4, 1, 7, 0, tzinfo=timezone.utc)
FENIX = "dtcooper_python-fitparse/garmin-fenix-5-run.fit"


def analyze_json(path: Path, capsys: pytest.CaptureFixture[str], *options: str) -> tuple[int, list[dict], str]:
    with pytest.raises(SystemExit) as exit_info:
        main([*options, "analyze", "--json", str(path)])
    out, err = capsys.readouterr()
    return int(exit_info.value.code or 0), [json.loads(line) for line in out.splitlines() if line.strip()], err


def steady_run(n: int = 1200, speed: float = 3.0) -> dict[str, np.ndarray]:
    t = np.arange(n, dtype=float)
    return {"speed_mps": np.full(n, speed), "distance_m": speed * t, "cadence_spm": np.full(n, 172.0),
            "heart_rate_bpm": np.full(n, 150.0), "stance_time_ms": np.full(n, 245.0)}


def with_crc(body_writer: FitWriter, cut_body: int | None = None) -> bytes:
    """Encode, optionally cutting the body short, with header and file CRCs that match (a writer's bug)."""
    body = bytes(body_writer.body if cut_body is None else body_writer.body[:cut_body])
    header = struct.pack("<BBHI4s", 14, 0x20, 2132, len(body), b".FIT")
    header += struct.pack("<H", crc_python(header))
    data = header + body
    return data + struct.pack("<H", crc_python(data))


# --- decoders: the fast path declines what it cannot read exactly, fitparse reads it ---------------


def test_a_definition_running_past_the_end_is_declined_not_a_crash():
    w = file_id(FitWriter())
    w.define(1, RECORD, [(253, 4, UINT32), (3, 1, UINT8)])
    for i in range(10):
        w.data(1, FIT_TIME + i, 140)
    w.define(2, RECORD, [(253, 4, UINT32), (3, 1, UINT8), (6, 2, UINT16), (5, 4, UINT32)])
    for cut in (3, 8, 10):  # inside the fixed part, inside the field list, inside a field triple
        data = with_crc(w, cut_body=len(w.body) - cut)
        with pytest.raises(FastPathUnsupported, match="past the end"):
            decode_fast(data)
        tables = decode_tables(data)
        assert tables.error == decode_reference(data).error is not None
        assert len(tables.records["heart_rate"]) == 10  # what precedes the break is kept


def test_developer_fields_of_two_apps_sharing_a_field_number_are_not_mixed_up():
    w = file_id(FitWriter())
    w.define(3, DEV_ID, [(3, 1, UINT8), (1, 16, BYTE)])
    w.data(3, 0, tuple(range(16))).data(3, 1, tuple(range(16, 32)))       # Stryd, and a Connect IQ app
    w.define(4, FIELD_DESC, [(0, 1, UINT8), (1, 1, UINT8), (2, 1, UINT8), (3, 32, STRING), (8, 8, STRING)])
    w.data(4, 0, 0, UINT16, b"Power", b"Watts")
    w.data(4, 1, 0, FLOAT32, b"Instantaneous Pace/Speed", b"m/s")
    w.define(5, RECORD, [(253, 4, UINT32), (3, 1, UINT8)], dev_fields=[(0, 2, 0), (0, 4, 1)],
             dev_formats=["H", "f"])
    for i in range(20):
        w.data(5, FIT_TIME + i, 150, 250, 3.25)
    data = session(w).encode()
    fast = decode_fast(data)
    assert_same(decode_reference(data), fast)
    np.testing.assert_array_equal(fast.records["dev:Power"], np.full(20, 250.0))
    np.testing.assert_array_equal(fast.records["dev:Instantaneous Pace/Speed"], np.full(20, 3.25))


def test_an_array_valued_developer_data_index_is_declined_and_read_by_fitparse():
    w = file_id(FitWriter())
    w.define(3, DEV_ID, [(3, 2, UINT8), (1, 16, BYTE)]).data(3, (0, 1), tuple(range(16)))
    w.define(5, RECORD, [(253, 4, UINT32), (3, 1, UINT8)])
    for i in range(5):
        w.data(5, FIT_TIME + i, 150)
    data = session(w).encode()
    with pytest.raises(FastPathUnsupported, match="not one number"):   # was: int() of a tuple
        decode_fast(data)
    reference = decode_reference(data)
    assert reference.error is None
    assert_same(reference, decode_tables(data))


@pytest.mark.parametrize("architecture", [2, 0x10, 0x80, 0xFF])
def test_an_architecture_byte_other_than_0_or_1_is_big_endian_like_fitparse_and_the_sdk(architecture):
    w = file_id(FitWriter())
    w.define(2, RECORD, [(253, 4, UINT32), (6, 2, UINT16), (5, 4, UINT32)], architecture=architecture)
    for i in range(30):
        w.data(2, FIT_TIME + i, 3000 + i, 300 * i)
    data = session(w).encode()
    fast = decode_fast(data)
    assert_same(decode_reference(data), fast)
    assert fast.records["speed"][0] == 3.0 and fast.records["distance"][2] == 6.0


def test_a_definition_listing_a_field_twice_is_read_as_fitparse_reads_it():
    w = file_id(FitWriter())
    w.define(1, RECORD, [(253, 4, UINT32), (18, 1, UINT8), (18, 1, UINT8), (3, 1, UINT8)])
    for i in range(40):
        w.data(1, FIT_TIME + i, (i * 10) % 256, (i * 10 + 3) % 256, 150)   # cycles accumulate into total_cycles
    data = session(w).encode()
    with pytest.raises(FastPathUnsupported, match="twice"):
        decode_fast(data)
    reference = decode_reference(data)
    chosen = decode_tables(data)
    assert chosen.records.keys() == reference.records.keys()
    for name, values in reference.records.items():
        np.testing.assert_array_equal(chosen.records[name], values)


def test_array_valued_times_do_not_stop_the_file():
    """A session start time and a record timestamp of two values each (a damaged size byte)."""
    w = file_id(FitWriter())
    w.define(1, RECORD, [(253, 4, UINT32), (3, 1, UINT8)])
    for i in range(30):
        w.data(1, FIT_TIME + i, 150)
    w.define(2, RECORD, [(253, 8, UINT32), (3, 1, UINT8)])
    w.data(2, (FIT_TIME + 30, FIT_TIME + 31), 151)
    w.define(3, SESSION, [(253, 4, UINT32), (2, 8, UINT32), (5, 1, 0x00), (7, 4, UINT32)])
    w.data(3, FIT_TIME + 31, (FIT_TIME, FIT_TIME), 1, 31_000)
    w.define(4, 34, [(253, 4, UINT32), (5, 8, UINT32)])                 # activity: local_timestamp x2
    w.data(4, FIT_TIME + 31, (FIT_TIME + 3600, FIT_TIME + 3600))
    data = w.encode()
    reference = decode_reference(data)
    assert reference.error is None                                        # was: TypeError, nothing read
    assert np.isfinite(reference.records["timestamp"][:30]).all() and np.isnan(reference.records["timestamp"][30])
    assert decode_tables(data).records.keys() == reference.records.keys()


def test_a_compressed_timestamp_after_an_array_timestamp_keeps_what_was_read():
    """fitparse itself fails here (it adds to a tuple); the records before are kept and the break named."""
    w = file_id(FitWriter())
    w.define(1, RECORD, [(253, 4, UINT32), (3, 1, UINT8)])
    for i in range(10):
        w.data(1, FIT_TIME + i, 150)
    w.define(2, RECORD, [(253, 8, UINT32), (3, 1, UINT8)]).data(2, (FIT_TIME + 10, 0), 151)
    w.define(3, RECORD, [(3, 1, UINT8)]).data(3, 152, time_offset=11)
    data = w.encode()
    tables = decode_tables(data)
    assert tables.error == decode_reference(data).error
    assert tables.error.startswith("unreadable FIT data") and "\n" not in tables.error
    assert len(tables.records["heart_rate"]) == 11


def test_an_empty_file_is_not_a_fit_file_on_both_paths(tmp_path, data_dir, capsys):
    with pytest.raises(FastPathUnsupported, match="empty"):
        decode_fast(b"")
    assert decode_reference(b"").error == "not a FIT file: it is empty (0 bytes)"
    assert decode_tables(b"").error == decode_reference(b"").error
    assert "not a FIT file" in decode_tables(b"\x0e\x20").error
    empty = tmp_path / "empty.fit"
    empty.write_bytes(b"")
    code, records, err = analyze_json(empty, capsys)
    assert code == 1 and records[0]["status"] == "error" and "empty" in records[0]["reason"]
    assert "Traceback" not in err


def test_a_fast_path_failure_is_one_line_and_the_traceback_only_with_debug(monkeypatch, tmp_path, data_dir):
    import pose_sync.fit as fit
    from fuzz.run import analyze_in_process  # the CLI in-process, its logging on the captured stderr

    def broken(data: bytes):
        raise IndexError("a bug in the fast path")

    monkeypatch.setattr(fit, "decode_fast", broken)
    path = tmp_path / "run.fit"
    path.write_bytes(sample(FENIX).read_bytes())
    env = {"POSE_SYNC_HOME": str(data_dir)}
    code, out, err = analyze_in_process(path, env)
    assert code == 0 and json.loads(out)["status"] == "ok"
    assert "Traceback" not in err and "fast FIT decoder failed unexpectedly (IndexError" in err
    code, out, err = analyze_in_process(path, env, ("--debug",))
    assert code == 0 and "Traceback" in err


# --- plausibility: a glitched record or session value is dropped, never averaged in ----------------


def test_one_glitched_distance_record_is_dropped_with_a_warning(tmp_path, data_dir, capsys):
    columns = steady_run()
    columns["distance_m"][600] = 42_949_672.8
    path = tmp_path / "glitch.fit"
    # the device's own total is right here, so check what the records give: no session distance
    path.write_bytes(write_fit(columns, START, session_fields={"total_distance": None}))
    code, (record,), _ = analyze_json(path, capsys)
    assert code == 0 and record["status"] == "ok"
    assert record["distance_m"] == pytest.approx(3.0 * 1199, rel=0.001)
    assert record["averages"]["speed_mps"] == pytest.approx(3.0, rel=0.01)
    assert any("glitch.fit" in w and "distance" in w for w in record["warnings"])


def test_a_glitched_session_total_and_last_record_give_the_records_distance(tmp_path, data_dir, capsys):
    columns = steady_run()
    columns["distance_m"][-1] = 42_949_672.8           # the watch's total is taken from the same counter
    path = tmp_path / "total.fit"
    path.write_bytes(write_fit(columns, START))
    code, (record,), _ = analyze_json(path, capsys)
    assert code == 0
    assert record["distance_m"] == pytest.approx(3.0 * 1198, rel=0.001)
    assert record["averages"]["speed_mps"] == pytest.approx(3.0, rel=0.01)
    assert record["device_averages"]["total_distance_m"] is None
    assert any("total.fit" in w and "session distance" in w for w in record["warnings"])


def test_absurd_elapsed_time_and_cadence_are_dropped(tmp_path, data_dir, capsys):
    columns = steady_run()
    columns["cadence_spm"][100:110] = 508.0             # 254 strides/min per leg
    path = tmp_path / "absurd.fit"
    path.write_bytes(write_fit(columns, START, session_fields={"total_elapsed_time": 4_000_000.0,
                                                         "avg_running_cadence": 254}))
    code, (record,), _ = analyze_json(path, capsys)
    assert code == 0
    assert record["elapsed_time_s"] == pytest.approx(1199, abs=2)
    assert record["averages"]["cadence_spm"] == pytest.approx(172.0, abs=0.5)
    assert record["device_averages"]["total_elapsed_time_s"] is None
    assert record["device_averages"]["avg_cadence_spm"] is None
    said = " ".join(record["warnings"])
    assert "absurd.fit" in said and "cadence" in said and "elapsed time" in said


def test_a_plausible_run_is_left_alone(tmp_path, data_dir, capsys):
    path = tmp_path / "fine.fit"
    path.write_bytes(write_fit(steady_run(), START))
    code, (record,), _ = analyze_json(path, capsys)
    assert code == 0 and not any("implausible" in w for w in record["warnings"])
    assert record["distance_m"] == pytest.approx(3.0 * 1199, rel=0.001)


def test_a_glitched_distance_in_a_real_file_with_a_valid_crc(tmp_path, data_dir, capsys):
    """The fuzzer's case: one distance field of a real watch file overwritten, CRC re-made."""
    from fuzz.mutate import fix_crcs, layout

    data = bytearray(sample(FENIX).read_bytes())
    records = [m for m in layout(bytes(data)).data if len(m.layout) > 5]
    # distance is the 5th field of this watch's record definition (timestamp, lat, long, distance, ...)
    tables = decode_reference(bytes(data))
    assert np.nanmax(tables.records["distance"]) < 1000
    target = records[len(records) // 2]
    for offset, size in target.layout:
        value = int.from_bytes(data[offset:offset + size], "little") if size == 4 else None
        if value is not None and abs(value / 100 - np.nanmedian(tables.records["distance"])) < 200:
            data[offset:offset + 4] = (0xFFFFFFF0).to_bytes(4, "little")
            break
    else:
        pytest.fail("no distance field found")
    path = tmp_path / "fenix-glitch.fit"
    path.write_bytes(fix_crcs(bytes(data)))
    code, (record,), _ = analyze_json(path, capsys)
    clean = tmp_path / "fenix.fit"
    clean.write_bytes(sample(FENIX).read_bytes())
    _, (truth,), _ = analyze_json(clean, capsys)
    assert code == 0 and record["distance_m"] == pytest.approx(truth["distance_m"], rel=0.02)
    assert record["averages"]["speed_mps"] == pytest.approx(truth["averages"]["speed_mps"], rel=0.05)
