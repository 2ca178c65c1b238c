"""A fake Garmin Connect behind the TLS proxy, and a data folder with a saved token store."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pose_sync_garmin.connector import GarminConnector
from pose_sync_garmin.settings import GarminSettings

from pose_sync.config import load_config
from pose_sync.secrets import write_secret_json
from tests.conftest import NO_SETTLE_TOML, sample
from tests.fakes.garmin_app import (
    RECORDED_ZIP,
    FakeGarminActivity,
    GarminState,
    create_app,
    create_diauth_app,
    gear_item,
    jwt,
    utc,
)
from tests.fakes.proxy import PlatformProxy, platform_proxy

ATHLETE_TEXT = "Intervals with the club.\nFelt quick."
SHOE = "4f5119d6a65d47b9b0123456789abcde"


@dataclass
class FakeGarmin:
    state: GarminState
    proxy: PlatformProxy
    data_dir: Path
    config_path: Path

    @property
    def token_file(self) -> Path:
        return self.data_dir / "tokens" / "garmin" / "garmin_tokens.json"

    @property
    def settings(self) -> GarminSettings:
        settings = load_config(self.config_path).connector_settings("garmin")
        assert isinstance(settings, GarminSettings)
        return settings

    def connector(self) -> GarminConnector:
        return GarminConnector(self.settings, self.data_dir)

    def save_tokens(self, expires_in: float = 3600, refresh: str = "di-refresh-1") -> str:
        token = jwt(time.time() + expires_in)
        self.state.access_tokens = {token}
        write_secret_json(self.token_file, {"di_token": token, "di_refresh_token": refresh,
                                            "di_client_id": "GARMIN_CONNECT_MOBILE_ANDROID_DI"})
        return token

    def tokens(self) -> dict:
        return json.loads(self.token_file.read_text())


def standard_activities(state: GarminState) -> None:
    state.gear[SHOE] = gear_item(SHOE, "Xero HFS")
    state.add(FakeGarminActivity(201, utc(2018, 6, 14, 14, 55, 22),
                                 fit_path=sample("jimmykane_fit-parser/running-with-developer-data.fit"),
                                 description=ATHLETE_TEXT, distance=5383.19, gear_uuid=SHOE))
    state.add(FakeGarminActivity(202, utc(2018, 10, 20, 14, 46, 25),
                                 fit_path=sample("roznet_FitFileParser/running.fit"), distance=18658.57,
                                 type_key="trail_running", gear_uuid=SHOE))
    state.add(FakeGarminActivity(203, utc(2023, 10, 3, 6, 0), zip_bytes=RECORDED_ZIP, type_key="yoga", name="Yoga"))


@pytest.fixture
def garmin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGarmin]:
    state = GarminState()
    standard_activities(state)
    data_dir = tmp_path / "data"
    config = tmp_path / "config.toml"
    config.write_text(NO_SETTLE_TOML + "[connectors.garmin]\nbackfill_days = 0\n", encoding="utf-8")
    monkeypatch.setenv("POSE_SYNC_HOME", str(data_dir))
    monkeypatch.setenv("POSE_SYNC_CONFIG", str(config))
    monkeypatch.delenv("GARMINTOKENS", raising=False)
    apps = {"connectapi.garmin.com": create_app(state), "diauth.garmin.com": create_diauth_app(state)}
    with platform_proxy(apps, tmp_path) as proxy:
        for key, value in proxy.env().items():
            monkeypatch.setenv(key, value)
        fake = FakeGarmin(state, proxy, data_dir, config)
        fake.save_tokens()
        yield fake
