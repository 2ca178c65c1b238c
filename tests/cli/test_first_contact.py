"""A newcomer's first hour with the CLI: numbers that agree, windows with runs in them, read-only stores,
options where people type them, and nothing said as nothing (issue 11)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import stat
import subprocess

import pytest

from pose_sync.cli import main
from tests.conftest import SAMPLES


def cli(args: list[str], capsys) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    out, err = capsys.readouterr()
    return int(exit_info.value.code or 0), out, err


def seconds(clock: str) -> int:
    parts = [int(p) for p in clock.split(":")]
    return parts[0] * 3600 + parts[1] * 60 + parts[2] if len(parts) == 3 else parts[0] * 60 + parts[1]


@pytest.fixture
def imported(data_dir, capsys):
    code, out, err = cli(["import", str(SAMPLES)], capsys)
    assert code == 1  # the COROS file cannot be read
    return out, err


def test_the_import_table_pace_is_its_distance_over_its_moving_time(imported, data_dir, capsys):
    out, err = imported
    rows = [line.split() for line in out.splitlines() if re.match(r"\s*\d{4}-\d\d-\d\d ", line)]
    checked = 0
    for row in rows:
        km, moving, pace = float(row[2]), seconds(row[3]), row[4]
        if pace == "-":
            continue
        # the table shows km to 0.1 km: the pace agrees with moving / km within that rounding (and 1 s)
        per_km = seconds(pace.removesuffix("/km"))
        assert abs(moving / km - per_km) <= per_km * 0.05 / km + 1, row
        checked += 1
    assert checked >= 8
    row = next(r for r in rows if r[0] == "2013-02-06")
    assert row[2:5] == ["4.8", "35:34", "7:21/km"]     # not 9:03/km from the timer time


def test_an_impossible_run_is_named_at_import_and_left_out_of_the_weekly_km(imported, capsys):
    _, err = imported
    assert "2021-09-27" in err and "11.3 km in 5:14" in err and "left out of weekly sums" in err
    code, out, _ = cli(["report", "--json", "--weeks", "12", "--today", "2021-10-03"], capsys)
    data = json.loads(out)
    assert code == 0 and all(w["distance_km"] == 0 for w in data["weeks"])
    assert any("11.3 km in 5:14" in w for w in data["warnings"])


def test_the_first_report_after_importing_the_samples_is_not_blank(imported, tmp_path, capsys):
    png, html = tmp_path / "r.png", tmp_path / "r.html"
    code, out, err = cli(["report", "--today", "2026-12-03", "--png", str(png), "--html", str(html)], capsys)
    assert code == 0, err
    assert "your last run was on 2026-05-14" in out and "--weeks" in out
    assert "11.2" in out                                    # the last run's week is in the table
    assert png.exists() and "Form at your usual pace, by week" in html.read_text()


def test_an_empty_window_draws_no_plot_and_says_why(imported, tmp_path, capsys):
    png = tmp_path / "r.png"
    code, out, err = cli(["report", "--weeks", "4", "--today", "2026-12-03", "--png", str(png)], capsys)
    assert code == 0 and not png.exists()
    assert f"not written: {png}: nothing to plot" in err and "your last run was on 2026-05-14" in err
    assert "Weeks" not in out                               # no table of empty weeks


@contextlib.contextmanager
def read_only(folder):
    """``folder`` and everything in it read-only, for root too (immutable) or by permissions otherwise."""
    paths = [folder, *folder.rglob("*")]
    if os.geteuid() == 0:
        if shutil.which("chattr") is None or subprocess.run(["chattr", "-R", "+i", str(folder)]).returncode:
            pytest.skip("running as root without chattr +i: nothing here can make a folder read-only")
        try:
            yield
        finally:
            subprocess.run(["chattr", "-R", "-i", str(folder)], check=True)
        return
    modes = {p: stat.S_IMODE(p.stat().st_mode) for p in paths}
    try:
        for p in sorted(paths, key=lambda p: -len(p.parts)):
            os.chmod(p, modes[p] & ~0o222)
        yield
    finally:
        for p, mode in modes.items():
            os.chmod(p, mode)


def test_report_and_doctor_work_on_a_read_only_data_folder(imported, data_dir, capsys):
    before = {p: p.read_bytes() for p in data_dir.rglob("*") if p.is_file()}
    with read_only(data_dir):
        code, out, err = cli(["report", "--today", "2026-12-03"], capsys)
        assert code == 0, err
        assert "Weeks" in out and "11.2" in out and "error" not in err
        code, out, err = cli(["doctor"], capsys)
        assert "not writable (report works" in out and "unexpected" not in out + err
    assert {p: p.read_bytes() for p in data_dir.rglob("*") if p.is_file()} == before


def test_rescore_and_import_on_a_read_only_data_folder_fail_in_one_clean_line(imported, data_dir, capsys):
    with read_only(data_dir):
        code, _, err = cli(["rescore", "--all"], capsys)
        assert code == 2 and err.count("\n") == 1 and f"error: data directory {data_dir} is not writable" in err
        assert "unexpected" not in err and "Traceback" not in err
        code, _, err = cli(["import", str(SAMPLES / "jimmykane_fit-parser/running-with-developer-data.fit")], capsys)
        assert code == 2 and err.count("\n") == 1 and "report` and `doctor` work on one" in err


def test_report_with_a_relative_data_dir(imported, data_dir, capsys, monkeypatch):
    monkeypatch.chdir(data_dir.parent)
    code, out, err = cli(["report", "--data-dir", data_dir.name, "--today", "2026-12-03"], capsys)
    assert code == 0, err
    assert "Weeks" in out


def test_report_on_a_fresh_machine_creates_no_data_folder(data_dir, capsys):
    code, _, err = cli(["report"], capsys)
    assert code == 0 and "no runs stored yet" in err and not data_dir.exists()


# --- options where users type them ------------------------------------------------------------


def test_global_options_work_after_the_subcommand(data_dir, tmp_path, capsys):
    elsewhere = tmp_path / "elsewhere"
    run = str(SAMPLES / "jimmykane_fit-parser/running-with-developer-data.fit")
    code, _, err = cli(["import", run, "--data-dir", str(elsewhere), "--debug", "-v"], capsys)
    assert code == 0, err
    assert (elsewhere / "pose-sync.sqlite3").exists()
    assert not data_dir.exists()                            # the default data folder was not used
    config = tmp_path / "c.toml"
    config.write_text("[athlete]\nmax_heartrate = 180\n")
    code, _, err = cli(["report", "--config", str(config)], capsys)
    assert code == 2 and "max_heartrate" in err and "No such option" not in err
    code, _, err = cli(["analyze", "--debug", str(tmp_path / "missing.fit")], capsys)
    assert code == 1 and "no such file" in err and "No such option" not in err


def test_every_subcommand_help_shows_the_global_options(data_dir, capsys):
    from pose_sync.cli import cli as root

    ctx = root.make_context("pose-sync", ["--help"], resilient_parsing=True)
    names = root.list_commands(ctx)
    assert {"analyze", "import", "sync", "report", "plan", "doctor", "rescore", "serve", "strava"} <= set(names)
    paths = [[n] for n in names] + [["auth", "strava"], ["auth", "garmin"], ["strava", "subscribe"]]
    for path in paths:
        code, out, _ = cli([*path, "--help"], capsys)
        assert code == 0, path
        for option in ("--config FILE", "--data-dir DIR", "-v, --verbose", "--debug"):
            assert option in out, (path, option)


def test_an_unknown_config_key_suggests_the_nearest_real_one(data_dir, tmp_path, capsys):
    config = tmp_path / "c.toml"
    for text, key, meant in [("[athlete]\nmax_heartrate = 180\n", "athlete.max_heartrate", "max_heart_rate_bpm"),
                             ("[connectors.local]\nfolder = ['/tmp']\n", "connectors.local.folder", "folders"),
                             ("[sync]\nlookback = 3\n", "sync.lookback", "lookback_days")]:
        config.write_text(text)
        code, _, err = cli(["--config", str(config), "sync"], capsys)
        assert code == 2 and f"{key}: unknown key: did you mean {meant!r}?" in err, err
    config.write_text("[athlete]\nzzzz = 1\n")
    code, _, err = cli(["--config", str(config), "report"], capsys)
    assert code == 2 and "did you mean" not in err and "config.example.toml" in err


def test_since_shows_date_as_its_metavar(capsys):
    for command in ("sync", "report"):
        _, out, _ = cli([command, "--help"], capsys)
        assert "--since DATE" in out and "%Y" not in out


# --- nothing found is said, by name ------------------------------------------------------------

RUN = SAMPLES / "jimmykane_fit-parser/running-with-developer-data.fit"


def test_a_folder_or_zip_with_no_fit_file_gets_its_own_line_naming_it(data_dir, tmp_path, capsys):
    import zipfile

    empty = tmp_path / "empty-export"
    empty.mkdir()
    (empty / "notes.txt").write_text("hello")
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("activities/readme.txt", "no runs here")
    code, out, err = cli(["analyze", str(empty), str(archive)], capsys)
    assert code == 1
    assert f"error: {empty}: no FIT files in this folder (1 other file(s)" in err
    assert f"error: {archive}: no FIT files in this zip (1 other file(s)" in err
    code, out, _ = cli(["import", "--json", str(empty)], capsys)
    lines = [json.loads(line) for line in out.splitlines() if line.strip()]
    assert code == 1 and len(lines) == 1
    assert lines[0]["status"] == "error" and lines[0]["source"]["path"] == str(empty)
    assert lines[0]["reason"].startswith("no FIT files in this folder")


def test_a_text_file_is_not_a_fit_file_rather_than_a_truncated_one(data_dir, tmp_path, capsys):
    text = tmp_path / "x.fit"
    text.write_bytes(b"hi\n")
    code, _, err = cli(["analyze", str(text)], capsys)
    assert code == 1 and f"error: {text}: not a FIT file" in err and "truncated" not in err


def test_hidden_files_and_macos_resource_forks_are_not_inputs(data_dir, tmp_path, capsys):
    watch = tmp_path / "watch"
    (watch / ".Trashes").mkdir(parents=True)
    (watch / "run.fit").write_bytes(RUN.read_bytes())
    (watch / "._run.fit").write_bytes(b"\x00\x05\x16\x07Mac OS X        ")
    (watch / ".Trashes" / "old.fit").write_bytes(b"junk")
    code, out, err = cli(["import", "--json", str(watch)], capsys)
    lines = [json.loads(line) for line in out.splitlines() if line.strip()]
    assert code == 0, err
    assert [line["source"]["path"] for line in lines] == [str(watch / "run.fit")]


def test_a_file_that_keeps_failing_in_a_watched_folder_is_reported_once_then_by_doctor(data_dir, tmp_path, capsys,
                                                                                        monkeypatch):
    monkeypatch.setenv("COLUMNS", "400")  # doctor's table, unwrapped
    watch = tmp_path / "watch"
    watch.mkdir()
    (watch / "run.fit").write_bytes(RUN.read_bytes())
    (watch / "broken.fit").write_bytes(RUN.read_bytes()[:14] + b"\xff" * 40)
    config = tmp_path / "c.toml"
    config.write_text(f"[connectors.local]\nfolders = [{str(watch)!r}]\n[notes]\nsettle_minutes = 0\n")
    code, out, err = cli(["--config", str(config), "sync"], capsys)
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert code == 1 and len(errors) == 1 and "broken.fit" in errors[0] and "local: 1 new" in out
    for _ in range(2):
        code, out, err = cli(["--config", str(config), "sync"], capsys)
        assert code == 0 and "broken.fit" not in err, err
        assert "1 still failing as before (`pose-sync doctor` lists them)" in out
    code, out, _ = cli(["--config", str(config), "doctor"], capsys)
    assert "failing" in out and "broken.fit" in out


# --- doctor --------------------------------------------------------------------------------------------


def test_doctor_with_nothing_configured_names_the_next_step(data_dir, capsys):
    code, out, _ = cli(["doctor"], capsys)
    assert "next step" in out and "warn" in out
    assert "[connectors.local]" in out and "pose-sync auth strava" in out and "pose-sync auth garmin" in out
    code_sync, _, err = cli(["sync"], capsys)
    assert code_sync == 2 and "no platform to sync" in err
    assert not data_dir.exists()                            # doctor created nothing


def test_doctor_exits_2_on_a_bad_connector_section_as_its_help_says(data_dir, tmp_path, capsys):
    config = tmp_path / "c.toml"
    config.write_text("[connectors.local]\nfolders = 3\n")
    code, out, _ = cli(["--config", str(config), "doctor"], capsys)
    assert code == 2 and "connectors.local.folders" in out
    _, help_text, _ = cli(["doctor", "--help"], capsys)
    assert "2 when\n" in help_text or "2 when" in help_text.replace("\n", " ")


def test_a_mistyped_command_suggests_the_real_one(capsys):
    code, _, err = cli(["repot"], capsys)
    assert code == 2 and "Did you mean 'report'?" in err


# --- installing is quiet -------------------------------------------------------------------------------


def test_every_pyproject_declares_its_licence_as_an_spdx_string_and_a_plain_editable_layout():
    import tomllib

    from tests.conftest import ROOT

    for path in [ROOT / "pyproject.toml", *sorted((ROOT / "plugins").glob("*/pyproject.toml"))]:
        data = tomllib.loads(path.read_text())
        assert data["project"]["license"] == "MIT", path            # a table is deprecated (setuptools warns)
        assert any(r.startswith("setuptools>=77") for r in data["build-system"]["requires"]), path
        assert data["tool"]["setuptools"]["package-dir"] == {"": "."}, path   # a .pth editable install, no warning
