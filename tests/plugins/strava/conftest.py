"""A fake Strava behind the TLS proxy, a data folder with saved tokens, and a config for it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pytest
from pose_sync_strava.connector import StravaConnector
from pose_sync_strava.settings import StravaSettings
from pose_sync_strava.tokens import StravaTokens, TokenStore

from pose_sync.config import load_config
from tests.conftest import NO_SETTLE_TOML, sample
from tests.fakes.proxy import PlatformProxy, platform_proxy
from tests.fakes.strava_app import FakeActivity, StravaState, create_app

SECRET_STRINGS = ("access-token-", "refresh-token-", "fake-client-secret", "verify-me-please")
ATHLETE_TEXT = "Track session with the club.\r\nLegs heavy after Sunday."


@dataclass
class FakeStrava:
    state: StravaState
    proxy: PlatformProxy
    data_dir: Path
    config_path: Path

    @property
    def settings(self) -> StravaSettings:
        settings = load_config(self.config_path).connector_settings("strava")
        assert isinstance(settings, StravaSettings)
        return settings

    def connector(self) -> StravaConnector:
        return StravaConnector(self.settings, self.data_dir)

    def tokens(self) -> StravaTokens | None:
        return TokenStore(self.data_dir).load()

    def save_tokens(self, access: str = "access-token-1", refresh: str = "refresh-token-1",
                    expires_in: int = 6 * 3600) -> None:
        TokenStore(self.data_dir).save(StravaTokens(access, refresh, int(time.time()) + expires_in, 134815,
                                                    "Sam Runner", "read,activity:write,activity:read_all"))


def standard_activities(state: StravaState) -> None:
    state.add(FakeActivity(101, sample("jimmykane_fit-parser/running-with-developer-data.fit"),
                           datetime(2018, 6, 14, 14, 55, 22, tzinfo=timezone.utc), description=ATHLETE_TEXT))
    state.add(FakeActivity(102, sample("roznet_FitFileParser/running.fit"),
                           datetime(2018, 10, 20, 14, 46, 25, tzinfo=timezone.utc), name="Long run"))
    state.add(FakeActivity(103, sample("dtcooper_python-fitparse/garmin-fenix-5-bike.fit"),
                           datetime(2018, 10, 21, 9, 0, tzinfo=timezone.utc), sport_type="Ride", name="Commute",
                           description="Commute"))


def strava_config(state: StravaState) -> str:
    """The [connectors.strava] section that points pose-sync at the fake's application."""
    return NO_SETTLE_TOML + f"""
[connectors.strava]
client_id = {state.client_id}
client_secret = "{state.client_secret}"
verify_token = "verify-me-please"
backfill_days = 0
budget_reserve = 0
"""


@pytest.fixture
def strava(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeStrava]:
    state = StravaState()
    standard_activities(state)
    data_dir = tmp_path / "data"
    config = tmp_path / "config.toml"
    config.write_text(strava_config(state), encoding="utf-8")
    monkeypatch.setenv("POSE_SYNC_HOME", str(data_dir))
    monkeypatch.setenv("POSE_SYNC_CONFIG", str(config))
    for name in ("STRAVA_CLIENT_ID", "STRAVA_CLIENT_SECRET", "STRAVA_VERIFY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    with platform_proxy({"www.strava.com": create_app(state)}, tmp_path) as proxy:
        for key, value in proxy.env().items():
            monkeypatch.setenv(key, value)
        fake = FakeStrava(state, proxy, data_dir, config)
        fake.save_tokens()
        yield fake


def assert_no_secrets(*texts: str) -> None:
    for text in texts:
        for secret in SECRET_STRINGS:
            assert secret not in text, f"{secret!r} leaked"
