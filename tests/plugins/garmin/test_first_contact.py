"""A newcomer's first Garmin sync against the fake Garmin Connect: it says how far back it looked and how to go
further, and someone who never connected is told to connect, not to connect "again" (issue 11)."""

from __future__ import annotations

import pytest

from pose_sync.cli import main
from tests.conftest import NO_SETTLE_TOML


def cli(args: list[str], capsys) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(args)
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


def test_a_first_sync_says_how_far_back_it_looked_and_how_to_go_further(garmin, capsys):
    garmin.config_path.write_text(NO_SETTLE_TOML + "[connectors.garmin]\nbackfill_days = 365\n", encoding="utf-8")
    code, out, err = cli(["sync", "--platform", "garmin"], capsys)
    assert code == 0, err
    assert "garmin: 0 new" in out                               # the runs are from 2018
    assert "a first sync looks back 365 days" in out and "backfill_days" in out
    assert "pose-sync sync --platform garmin --since YYYY-MM-DD" in out
    code, out, err = cli(["sync", "--platform", "garmin", "--since", "2018-01-01"], capsys)
    assert code == 0 and "garmin: 2 new" in out and "looks back" not in out
    code, out, _ = cli(["sync", "--platform", "garmin"], capsys)
    assert code == 0 and "looks back" not in out                # no longer a first sync


def test_never_connected_is_told_to_connect_not_to_connect_again(garmin, capsys):
    garmin.token_file.unlink()
    code, out, err = cli(["sync", "--platform", "garmin"], capsys)
    assert code == 1 and "run `pose-sync auth garmin` to connect" in err + out
    assert "again" not in err + out
