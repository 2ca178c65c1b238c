"""The CLI as a user meets it: reports, JSON Lines, exit codes, one-line errors, idempotent import."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile

import pytest

from pose_sync.cli import main
from tests.conftest import ROOT, SAMPLES, sample

RUN = "jimmykane_fit-parser/running-with-developer-data.fit"
REQUIRED_KEYS = {"source", "status", "reason", "sport", "start_time", "moving_time_s", "distance_m",
                 "averages", "form", "economy", "warnings"}
AVERAGE_KEYS = {"speed_mps", "heart_rate_bpm", "cadence_spm", "stance_time_ms", "stance_time_balance_pct",
                "vertical_oscillation_cm", "vertical_ratio_pct", "step_length_m"}


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    out, err = capsys.readouterr()
    return int(exit_info.value.code or 0), out, err


def json_lines(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_analyze_prints_a_report(data_dir, capsys):
    code, out, err = run_cli(["analyze", str(sample(RUN))], capsys)
    assert code == 0
    assert re.search(r"Form \d+/100", out) and "ground contact" in out and "Economy" in out
    assert not data_dir.exists(), "analyze must not create a store"


def test_analyze_json_lines_over_all_samples(data_dir, capsys):
    code, out, err = run_cli(["analyze", "--json", str(SAMPLES)], capsys)
    records = json_lines(out)
    assert code == 1  # the COROS file (or any unreadable input) makes it 1; the rest still ran
    assert len(records) == 19  # one per running session, or per input that has none
    for record in records:
        assert set(record) >= REQUIRED_KEYS
        assert record["status"] in {"ok", "skipped", "error"}
        if record["status"] == "ok":
            assert set(record["averages"]) >= AVERAGE_KEYS
            assert record["start_time"].endswith("Z")
            assert {"score", "confidence", "components"} <= set(record["form"])
            assert record["reason"] is None
        else:
            assert record["reason"]
    statuses = [r["status"] for r in records]
    assert statuses.count("ok") == 13 and statuses.count("skipped") >= 5
    member = next(r for r in records if r["source"]["path"].endswith("sample_mulitple_header.fit"))
    assert member["source"]["session"] == 4


def test_zip_members_are_named_in_the_source(tmp_path, data_dir, capsys):
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(sample(RUN), "activities/run.fit")
        z.write(sample("dtcooper_python-fitparse/garmin-fenix-5-bike.fit"), "activities/ride.fit")
        z.writestr("notes.txt", "not a fit file")
    code, out, _ = run_cli(["analyze", "--json", str(archive)], capsys)
    records = json_lines(out)
    assert code == 0
    assert [(r["source"]["member"], r["status"]) for r in records] == [
        ("activities/ride.fit", "skipped"), ("activities/run.fit", "ok")]


def test_import_is_idempotent_and_recognises_a_copy(tmp_path, data_dir, capsys):
    code, out, _ = run_cli(["import", "--json", str(sample(RUN))], capsys)
    assert code == 0 and json_lines(out)[0]["stored"] == "created"
    code, out, _ = run_cli(["import", "--json", str(sample(RUN))], capsys)
    assert json_lines(out)[0]["stored"] == "unchanged"
    copy = tmp_path / "renamed.fit"
    shutil.copy(sample(RUN), copy)
    code, out, _ = run_cli(["import", "--json", str(copy)], capsys)
    assert json_lines(out)[0]["stored"] == "unchanged"
    from pose_sync.store import Store
    with Store.open(data_dir) as store:
        assert store.count_runs() == 1
        [run] = store.list_runs()
        assert {s.remote_id for s in run.sources} == {str(sample(RUN)), str(copy)}
        assert store.get_blob(run.fit_sha256) == sample(RUN).read_bytes()


def test_import_batch_goes_on_after_failures(tmp_path, data_dir, capsys):
    broken = tmp_path / "broken.fit"
    broken.write_bytes(b"this is not a FIT file at all")
    code, out, err = run_cli(["import", str(broken), str(tmp_path / "missing.fit"), str(sample(RUN))], capsys)
    assert code == 1
    assert f"error: {broken}: not a FIT file" in err  # text, not a damaged FIT file
    assert "missing.fit: no such file or folder" in err
    assert "1 run(s) analysed" in err and "2 failed" in err
    assert "Traceback" not in out + err


def test_bad_config_is_a_one_line_error_with_exit_code_2(tmp_path, data_dir, capsys):
    config = tmp_path / "bad.toml"
    config.write_text("[athlete]\nmax_heart_rate_bpm = 'high'\n", encoding="utf-8")
    code, out, err = run_cli(["--config", str(config), "import", str(sample(RUN))], capsys)
    assert code == 2
    assert err.strip().count("\n") == 0
    assert "athlete.max_heart_rate_bpm" in err and "integer" in err
    config.write_text("[athlete]\nmax_hr = 190\n", encoding="utf-8")
    code, _, err = run_cli(["--config", str(config), "import", str(sample(RUN))], capsys)
    assert code == 2 and "athlete.max_hr: unknown key" in err


def test_usage_errors_exit_2(capsys, data_dir):
    code, _, err = run_cli(["analyze"], capsys)
    assert code == 2 and "Missing argument" in err


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pose_sync", *args], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=120)


def test_no_traceback_reaches_the_user_but_debug_shows_it(tmp_path):
    env = {**os.environ, "POSE_SYNC_HOME": str(tmp_path / "data"), "POSE_SYNC_CONFIG": str(tmp_path / "none.toml")}
    (tmp_path / "none.toml").write_text("")
    # The data directory is a file: opening the store fails.
    blocker = tmp_path / "data"
    blocker.write_text("in the way")
    result = _cli("import", str(sample(RUN)), env=env)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and result.stderr.strip().count("\n") == 0
    assert "not writable" in result.stderr and "POSE_SYNC_HOME" in result.stderr
    debug = _cli("--debug", "import", str(sample(RUN)), env=env)
    assert debug.returncode == 2 and "Traceback" in debug.stderr


def test_import_prints_a_table_of_the_runs_it_found(data_dir, capsys):
    code, out, err = run_cli(["import", str(sample(RUN))], capsys)
    assert code == 0 and "Runs" in out and "2018-06-14" in out and "new" in out
    assert re.search(r"\b\d+ \([01]\.\d\)", out)  # form score (confidence)
    assert "1 run(s) analysed" in err
    code, out, _ = run_cli(["import", str(sample(RUN))], capsys)
    assert "known" in out  # importing again changes nothing, and says so
