"""Starting the CLI imports only what the command needs (issue 11): `--help` and a sync with nothing to do
must not pay for stravalib, numpy, matplotlib and the rest. Timings are in `make bench`; this checks the cause."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import ROOT, sample

HEAVY = ("stravalib", "pint", "flask", "garminconnect", "numpy", "jinja2", "garmin_fit_sdk", "matplotlib",
         "fitparse", "pose_sync.analysis", "pose_sync.fit", "pose_sync.progression")

PROBE = """
import json, sys
sys.argv = ['pose-sync', *json.loads(sys.argv[1])]
try:
    from pose_sync.cli import main
    main()
except SystemExit:
    pass
print('\\nLOADED ' + json.dumps(sorted(m for m in {HEAVY} if m in sys.modules)), file=sys.stderr)
"""


def loaded(args: list[str], env: dict[str, str]) -> tuple[int, list[str], str]:
    probe = PROBE.replace("{HEAVY}", repr(HEAVY))
    done = subprocess.run([sys.executable, "-c", probe, json.dumps(args)], env=env, capture_output=True, text=True,
                          cwd=ROOT)
    marker = done.stderr.rsplit("LOADED ", 1)
    assert len(marker) == 2, done.stderr
    code = int(done.returncode)
    return code, json.loads(marker[1]), done.stdout


def test_help_imports_no_heavy_library_and_still_lists_the_plugin_commands(data_dir):
    code, heavy, out = loaded(["--help"], dict(os.environ))
    assert code == 0 and heavy == []
    assert all(name in out for name in ("analyze", "report", "sync", "serve", "strava", "doctor"))


def test_importing_the_cli_imports_no_plugin_or_heavy_library():
    done = subprocess.run([sys.executable, "-c", "import sys, pose_sync.cli; print(sorted(m for m in sys.modules"
                           " if m.split('.')[0] in ('stravalib', 'numpy', 'pydantic', 'rich', 'flask',"
                           " 'garminconnect', 'pose_sync_strava', 'pose_sync_garmin', 'matplotlib')))"],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0 and done.stdout.strip() == "[]", done.stdout + done.stderr


def test_a_sync_with_nothing_to_do_decodes_and_analyses_nothing(tmp_path, data_dir):
    folder = tmp_path / "watch"
    folder.mkdir()
    (folder / "run.fit").write_bytes(sample("jimmykane_fit-parser/running-with-developer-data.fit").read_bytes())
    config = tmp_path / "config.toml"
    config.write_text(f"[connectors.local]\nfolders = [{str(folder)!r}]\n[notes]\nsettle_minutes = 0\n")
    env = {**os.environ, "POSE_SYNC_CONFIG": str(config)}
    code, heavy, out = loaded(["sync"], env)
    assert code == 0 and "1 new" in out and "numpy" in heavy            # the first sync analyses the run
    code, heavy, out = loaded(["sync"], env)
    assert code == 0 and "0 new" in out and heavy == [], heavy


def test_auth_lists_the_plugins_login_commands(data_dir):
    done = subprocess.run([sys.executable, "-m", "pose_sync", "auth", "--help"], capture_output=True, text=True,
                          cwd=ROOT)
    assert done.returncode == 0 and "strava" in done.stdout and "garmin" in done.stdout


def test_help_opens_no_database_library():
    """SQLAlchemy and Alembic come in with a store, the service's libraries with the service: --help needs neither."""
    probe = ("import runpy, sys; sys.argv = ['pose-sync', '--help']\ntry:\n    runpy.run_module('pose_sync', "
             "run_name='__main__')\nexcept SystemExit:\n    pass\nprint(sorted({m.split('.')[0] for m in sys.modules}"
             " & {'sqlalchemy', 'alembic', 'procrastinate', 'psycopg', 'cryptography', 'waitress'}),"
             " file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT)
    assert done.stderr.strip().splitlines()[-1] == "[]", done.stderr
