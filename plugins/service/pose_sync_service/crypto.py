"""Tokens at rest: Fernet (AES-128-CBC + HMAC-SHA256) with the operator's key; the plain text only in memory."""

from __future__ import annotations

import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from pose_sync.errors import ConfigError
from pose_sync.secrets import register_secret


class TokenCipher:
    def __init__(self, key: str) -> None:
        try:
            self._fernet = Fernet(key.encode())
        except ValueError:
            raise ConfigError("POSE_SYNC_TOKEN_KEY is not a Fernet key (32 url-safe base64 bytes)") from None

    def seal(self, data: dict[str, Any]) -> str:
        return self._fernet.encrypt(json.dumps(data, sort_keys=True).encode()).decode()

    def open(self, sealed: str) -> dict[str, Any]:
        try:
            data = json.loads(self._fernet.decrypt(sealed.encode()))
        except InvalidToken:
            raise ConfigError("stored tokens cannot be decrypted: POSE_SYNC_TOKEN_KEY changed?") from None
        for key in ("access_token", "refresh_token"):
            if data.get(key):
                register_secret(str(data[key]))
        return data
