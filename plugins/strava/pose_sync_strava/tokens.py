"""The athlete's Strava tokens, at rest in an owner-only file and fresh when used.

stravalib can refresh an expired token by itself only when the app's
credentials are in the environment, and it never saves the new tokens; the
refresh token rotates, so a lost one means asking the athlete to authorise
again. Here the access token is refreshed a few minutes before it expires
and the new pair is written to disk before it is used.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path

from pose_sync.files import secure_data_dir
from pose_sync.secrets import read_secret_json, register_secret, tokens_dir, write_secret_json

REFRESH_MARGIN_S = 300


@dataclass(frozen=True)
class StravaTokens:
    access_token: str
    refresh_token: str
    expires_at: int
    athlete_id: int | None = None
    athlete_name: str | None = None
    scope: str | None = None

    def expires_soon(self, now: float | None = None) -> bool:
        return (now or time.time()) >= self.expires_at - REFRESH_MARGIN_S


class TokenStore:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.path = tokens_dir(data_dir) / "strava.json"

    def load(self) -> StravaTokens | None:
        data = read_secret_json(self.path)
        if not data or "access_token" not in data or "refresh_token" not in data:
            return None
        tokens = StravaTokens(**{k: data.get(k) for k in StravaTokens.__dataclass_fields__})  # type: ignore[arg-type]
        register_secret(tokens.access_token)
        register_secret(tokens.refresh_token)
        return tokens

    def save(self, tokens: StravaTokens) -> None:
        register_secret(tokens.access_token)
        register_secret(tokens.refresh_token)
        secure_data_dir(self.data_dir)
        write_secret_json(self.path, asdict(tokens))

    def delete(self) -> bool:
        existed = self.path.exists()
        self.path.unlink(missing_ok=True)
        return existed
