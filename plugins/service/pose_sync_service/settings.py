"""The service's configuration: from the environment (containers), validated once at start-up.

Secrets may come from a file instead (``..._FILE``, as Docker and systemd
credentials provide them). Nothing here is ever logged: the secrets are
registered with :func:`pose_sync.secrets.register_secret`, which scrubs them
from every log line and error.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from pose_sync.errors import ConfigError
from pose_sync.secrets import register_secret

PREFIX = "POSE_SYNC_"


def _value(name: str, default: str | None = None, *, secret: bool = False) -> str | None:
    """``POSE_SYNC_<name>``, or the contents of the file ``POSE_SYNC_<name>_FILE`` names."""
    value = os.environ.get(PREFIX + name)
    path = os.environ.get(PREFIX + name + "_FILE")
    if value is None and path:
        try:
            value = Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"{PREFIX}{name}_FILE: cannot read {path} ({exc.strerror})") from None
    if value and secret:
        register_secret(value)
    return value if value else default


def _required(name: str, hint: str, *, secret: bool = False) -> str:
    value = _value(name, secret=secret)
    if not value:
        raise ConfigError(f"the service needs {PREFIX}{name} (or {PREFIX}{name}_FILE)", hint=hint)
    return value


@dataclass(frozen=True)
class ServiceSettings:
    database_url: str            # PostgreSQL: the store, the queue and the shared budget
    data_dir: Path               # blobs when kept in a folder; the operator's config
    blobs: str                   # "folder" (shared volume) or "database"
    secret_key: str              # signs session cookies
    token_key: str               # Fernet key: athletes' tokens at rest
    public_url: str              # where athletes reach the web app (OAuth redirect, webhook callback)
    strava_authorize_url: str    # the page Strava's approval happens on
    admin_password: str | None   # the operator's page (HTTP basic, user "admin"); None: no admin page
    cookie_secure: bool          # session cookie only over HTTPS (off for http://localhost)
    settle_minutes: float | None  # overrides [notes] settle_minutes for every athlete
    worker_concurrency: int
    strava_subscription_id: str | None = None  # events for another subscription are refused

    @classmethod
    def from_env(cls) -> ServiceSettings:
        url = _required("DATABASE_URL", "e.g. postgresql://pose:secret@db:5432/pose", secret=False)
        if not url.startswith(("postgresql://", "postgresql+psycopg://")):
            raise ConfigError(f"{PREFIX}DATABASE_URL must be a postgresql:// URL (the service runs on PostgreSQL)")
        blobs = _value("BLOBS", "folder") or "folder"
        if blobs not in ("folder", "database"):
            raise ConfigError(f"{PREFIX}BLOBS must be folder or database, not {blobs!r}")
        public = (_value("PUBLIC_URL", "http://127.0.0.1:8080") or "").rstrip("/")
        settle = _value("SETTLE_MINUTES")
        try:
            settle_minutes = float(settle) if settle is not None else None
            concurrency = int(_value("WORKER_CONCURRENCY", "4") or 4)
        except ValueError:
            raise ConfigError(f"{PREFIX}SETTLE_MINUTES and {PREFIX}WORKER_CONCURRENCY must be numbers") from None
        return cls(
            database_url=url,
            data_dir=Path(_value("HOME", "/var/lib/pose-sync") or ".").expanduser(),
            blobs=blobs,
            secret_key=_required("SECRET_KEY", "a long random string: python -c 'import secrets;"
                                 " print(secrets.token_urlsafe(32))'", secret=True),
            token_key=_required("TOKEN_KEY", "a Fernet key: python -c 'from cryptography.fernet import Fernet;"
                                " print(Fernet.generate_key().decode())'", secret=True),
            public_url=public,
            strava_authorize_url=_value("STRAVA_AUTHORIZE_URL", "https://www.strava.com/oauth/authorize") or "",
            admin_password=_value("ADMIN_PASSWORD", secret=True),
            cookie_secure=public.startswith("https://"),
            settle_minutes=settle_minutes,
            worker_concurrency=concurrency,
            strava_subscription_id=_value("STRAVA_SUBSCRIPTION_ID"),
        )

    def athlete_dir(self, athlete_id: int) -> Path:
        """An athlete's folder: their blobs (folder mode); removed with them."""
        return self.data_dir / "athletes" / str(athlete_id)
