"""Shared fixtures: the bundled sample files, a temporary data directory, the CLI."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from pose_sync.config import Config

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples" / "fit"


def sample(name: str) -> Path:
    """A bundled real FIT file by its path under samples/fit (see MANIFEST.tsv)."""
    path = SAMPLES / name
    assert path.exists(), path
    return path


def manifest() -> list[dict[str, str]]:
    with open(SAMPLES / "MANIFEST.tsv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty data directory, and no user config leaking into tests."""
    home = tmp_path / "data"
    monkeypatch.setenv("POSE_SYNC_HOME", str(home))
    monkeypatch.setenv("POSE_SYNC_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.delenv("POSE_SYNC_DEBUG", raising=False)
    (tmp_path / "no-config.toml").write_text("", encoding="utf-8")
    return home


# Tests about something other than the settle delay write notes at once; the delay has its own tests.
NO_SETTLE_TOML = "[notes]\nsettle_minutes = 0\n"
NO_SETTLE = Config.model_validate({"notes": {"settle_minutes": 0}})
