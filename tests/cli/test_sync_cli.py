"""`pose-sync sync` as cron runs it: one at a time, a summary line, documented exit codes."""

from __future__ import annotations

import configparser
import hashlib
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from pose_sync.lock import sync_lock
from tests.conftest import ROOT, sample

RUN = "jimmykane_fit-parser/running-with-developer-data.fit"
BIN = Path(sys.executable).parent


def setup_folder(tmp_path: Path, *names: str) -> tuple[dict[str, str], Path]:
    watch = tmp_path / "watch"
    watch.mkdir()
    for name in names:
        shutil.copy(sample(name), watch / Path(name).name)
    config = tmp_path / "config.toml"
    config.write_text(f'[connectors.local]\nfolders = ["{watch}"]\n', encoding="utf-8")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "POSE_SYNC_CONFIG": str(config),
           "POSE_SYNC_HOME": str(tmp_path / "data")}
    return env, watch


def pose_sync(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "pose-sync"), *args], env=env, capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)


def test_cron_style_run_prints_only_its_summary(tmp_path):
    env, _ = setup_folder(tmp_path, RUN, "dtcooper_python-fitparse/garmin-fenix-5-bike.fit")
    first = pose_sync(env, "sync")
    assert first.returncode == 0, first.stderr
    assert first.stderr == ""
    assert first.stdout == "local: 1 new, 1 skipped, 0 failed, 0 note(s) written\n"
    second = pose_sync(env, "sync")
    assert second.stdout == "local: 0 new, 0 skipped, 0 failed, 0 note(s) written\n" and second.stderr == ""
    quiet = pose_sync(env, "sync", "--quiet")
    assert quiet.returncode == 0 and quiet.stdout == "" and quiet.stderr == ""


def test_a_second_sync_exits_at_once_while_one_runs(tmp_path):
    env, _ = setup_folder(tmp_path, RUN)
    with sync_lock(Path(env["POSE_SYNC_HOME"])):
        started = time.monotonic()
        busy = pose_sync(env, "sync")
        assert time.monotonic() - started < 30
    assert busy.returncode == 3
    assert re.fullmatch(r"error: another pose-sync sync is running \(pid \d+ since .+ UTC\) \(this run exits; "
                        r"the running one finishes the work\)\n", busy.stderr), busy.stderr
    assert pose_sync(env, "sync").returncode == 0  # released: the next one runs


def test_two_overlapping_sync_processes(tmp_path):
    """A real second process while a first holds the lock, then the first is killed -9: no stuck lock."""
    env, _ = setup_folder(tmp_path, RUN)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pathlib import Path; from pose_sync.lock import sync_lock\n"
         "with sync_lock(Path(sys.argv[1])):\n    print('held', flush=True); time.sleep(60)",
         env["POSE_SYNC_HOME"]], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        second = pose_sync(env, "sync")
        assert second.returncode == 3 and f"pid {holder.pid}" in second.stderr
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    after_crash = pose_sync(env, "sync")
    assert after_crash.returncode == 0 and "1 new" in after_crash.stdout


def test_partial_failure_exits_1_and_names_the_file(tmp_path):
    env, watch = setup_folder(tmp_path, RUN)
    (watch / "broken.fit").write_bytes(sample(RUN).read_bytes()[:10])
    result = pose_sync(env, "sync")
    assert result.returncode == 1
    assert result.stdout == "local: 1 new, 0 skipped, 1 failed, 0 note(s) written\n"
    assert re.fullmatch(r"error: file:.*broken\.fit: .*\n", result.stderr)


def test_config_errors_exit_2(tmp_path):
    env, _ = setup_folder(tmp_path, RUN)
    Path(env["POSE_SYNC_CONFIG"]).write_text('[connectors.local]\nfolder = "/x"\n', encoding="utf-8")
    result = pose_sync(env, "sync")
    assert result.returncode == 2 and "connectors.local.folder: unknown key" in result.stderr
    Path(env["POSE_SYNC_CONFIG"]).write_text("", encoding="utf-8")
    result = pose_sync(env, "sync")
    assert result.returncode == 2 and "no platform to sync" in result.stderr


def _readme_block(language: str, first_line: str | None = None) -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for block in re.findall(rf"```{language}\n(.*?)```", readme, re.DOTALL):
        if first_line is None or block.startswith(first_line):
            return block
    raise AssertionError(f"no ```{language} block starting with {first_line!r} in README.md")


def _home_with_checkout(tmp_path: Path) -> Path:
    """A HOME where ~/pose-sync/.venv is the venv running these tests."""
    home = tmp_path / "home"
    (home / "pose-sync").mkdir(parents=True)
    (home / "pose-sync" / ".venv").symlink_to(BIN.parent)
    return home


CRON_FIELD = r"(\*|\d+(-\d+)?)(/\d+)?(,(\*|\d+(-\d+)?)(/\d+)?)*"


def test_readme_crontab_line_is_valid_and_runs(tmp_path):
    [line] = [text for text in _readme_block("crontab").splitlines() if text.strip() and not text.startswith("#")]
    fields = line.split(None, 5)
    assert len(fields) == 6 and all(re.fullmatch(CRON_FIELD, f) for f in fields[:5]), line
    env, _ = setup_folder(tmp_path, RUN)
    env["HOME"] = str(_home_with_checkout(tmp_path))
    result = subprocess.run(["/bin/sh", "-c", fields[5]], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stdout == "" and result.stderr == ""  # --quiet under cron


def test_readme_systemd_units_parse_and_run(tmp_path):
    service = configparser.ConfigParser(strict=True, interpolation=None)
    service.read_string(_readme_block("ini", "# ~/.config/systemd/user/pose-sync.service"))
    timer = configparser.ConfigParser(strict=True, interpolation=None)
    timer.read_string(_readme_block("ini", "# ~/.config/systemd/user/pose-sync.timer"))
    assert service["Service"]["Type"] == "oneshot"
    assert timer["Install"]["WantedBy"] == "timers.target" and timer["Timer"]["Persistent"] == "true"
    calendar = timer["Timer"]["OnCalendar"]
    if shutil.which("systemd-analyze"):
        check = subprocess.run(["systemd-analyze", "calendar", calendar], capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
    else:
        assert re.fullmatch(r"\*:0/\d+", calendar)
    env, _ = setup_folder(tmp_path, RUN)
    home = _home_with_checkout(tmp_path)
    command = service["Service"]["ExecStart"].replace("%h", str(home)).split()
    result = subprocess.run(command, env=env | {"HOME": str(home)}, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stdout.startswith("local: 1 new")


MORE_RUNS = ("dtcooper_python-fitparse/2013-02-06-12-11-14.fit", "roznet_FitFileParser/running.fit")


def _store_and_folder(data_dir: Path) -> tuple[str, dict[str, str]]:
    """A dump of the SQLite store, and every other file of the data folder with a hash of its bytes."""
    conn = sqlite3.connect(data_dir / "pose-sync.sqlite3")
    try:
        dump = "\n".join(conn.iterdump())
    finally:
        conn.close()
    files = {str(p.relative_to(data_dir)): hashlib.sha256(p.read_bytes()).hexdigest()
             for p in sorted(data_dir.rglob("*")) if p.is_file() and not p.name.startswith("pose-sync.sqlite3")}
    return dump, files


def test_a_dry_run_writes_nothing_to_the_store_the_cursors_or_the_data_folder(tmp_path):
    env, watch = setup_folder(tmp_path, RUN)
    assert pose_sync(env, "sync").returncode == 0  # a store with one run, a cursor, a finished sync
    for name in MORE_RUNS:
        shutil.copy(sample(name), watch / Path(name).name)
    data_dir = Path(env["POSE_SYNC_HOME"])
    before = _store_and_folder(data_dir)
    dry = pose_sync(env, "sync", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout == "dry run: local: 2 new, 0 skipped, 0 failed, 0 note(s) written\n"
    after = _store_and_folder(data_dir)
    assert after[0] == before[0]  # the store, row for row
    assert after[1] == before[1]  # and every file beside it, byte for byte
    real = pose_sync(env, "sync")
    assert real.stdout == "local: 2 new, 0 skipped, 0 failed, 0 note(s) written\n"


def test_a_dry_run_on_a_fresh_machine_creates_nothing(tmp_path):
    env, _ = setup_folder(tmp_path, *MORE_RUNS)
    dry = pose_sync(env, "sync", "--dry-run")
    assert dry.returncode == 0 and dry.stdout.startswith("dry run: local: 2 new"), dry.stderr
    assert not Path(env["POSE_SYNC_HOME"]).exists()
    assert pose_sync(env, "sync").stdout.startswith("local: 2 new")
