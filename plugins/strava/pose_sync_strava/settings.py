"""``[connectors.strava]``: the app's credentials, the webhook, and how far back a first sync looks."""

from __future__ import annotations

import os

from pydantic import BaseModel, ConfigDict, Field

from pose_sync.errors import ConfigError
from pose_sync.secrets import register_secret


class StravaSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    client_id: int | None = None
    client_secret: str | None = None
    redirect_port: int = Field(8731, ge=1024, le=65535)
    verify_token: str | None = None
    callback_url: str | None = None
    listen_host: str = "127.0.0.1"
    listen_port: int = Field(8732, ge=1, le=65535)
    backfill_days: int = Field(365, ge=0)
    budget_reserve: int = Field(5, ge=0, le=50)

    def credentials(self) -> tuple[int, str]:
        """Client id and secret from the config, else STRAVA_CLIENT_ID / STRAVA_CLIENT_SECRET."""
        client_id = self.client_id or os.environ.get("STRAVA_CLIENT_ID")
        secret = self.client_secret or os.environ.get("STRAVA_CLIENT_SECRET")
        if not client_id or not secret:
            raise ConfigError("strava: no API application credentials",
                              hint="set client_id and client_secret in [connectors.strava] or STRAVA_CLIENT_ID and"
                                   " STRAVA_CLIENT_SECRET (create an app at https://www.strava.com/settings/api)")
        try:
            number = int(client_id)
        except ValueError:
            raise ConfigError("strava: client_id must be a number (STRAVA_CLIENT_ID)") from None
        register_secret(secret)
        return number, secret

    def webhook_token(self) -> str:
        token = self.verify_token or os.environ.get("STRAVA_VERIFY_TOKEN")
        if not token:
            raise ConfigError("strava: no webhook verify token",
                              hint="set verify_token in [connectors.strava] or STRAVA_VERIFY_TOKEN to a random string")
        register_secret(token)
        return token
