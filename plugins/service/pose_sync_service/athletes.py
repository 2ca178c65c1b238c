"""The athletes of a service: who they are, their settings, their tokens (encrypted), their store.

This is the operator-level part of the database: the only queries here that
are not scoped to one athlete list athletes themselves. Everything an
athlete owns is reached through :meth:`Athletes.store`, a
:class:`~pose_sync.store.core.Store` bound to that athlete.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from pose_sync_strava.tokens import StravaTokens
from sqlalchemy.dialects.postgresql import insert

from pose_sync.config import Config
from pose_sync.errors import ConfigError
from pose_sync.store import database as dbm
from pose_sync.store import tables as t
from pose_sync.store import utc_now
from pose_sync.store.core import Store
from pose_sync_service.crypto import TokenCipher
from pose_sync_service.settings import ServiceSettings

HEART_RATES = ("max_heart_rate_bpm", "resting_heart_rate_bpm", "threshold_heart_rate_bpm")


@dataclass(frozen=True)
class AthleteSettings:
    """What an athlete sets on their page (the rest of the config is the operator's)."""

    program_start: date | None = None
    minimalist: tuple[str, ...] = ()
    heart_rates: dict[str, int] = field(default_factory=dict)
    notes: bool = True
    share_token: str | None = None   # the coach link, when the athlete made one

    @classmethod
    def from_json(cls, text: str) -> AthleteSettings:
        data = json.loads(text or "{}")
        return cls(date.fromisoformat(data["program_start"]) if data.get("program_start") else None,
                   tuple(data.get("minimalist", ())), {k: int(v) for k, v in data.get("heart_rates", {}).items()},
                   bool(data.get("notes", True)), data.get("share_token"))

    def to_json(self) -> str:
        return json.dumps({"program_start": self.program_start.isoformat() if self.program_start else None,
                           "minimalist": list(self.minimalist), "heart_rates": self.heart_rates,
                           "notes": self.notes, "share_token": self.share_token}, sort_keys=True)


@dataclass(frozen=True)
class Athlete:
    id: int
    strava_id: int | None
    name: str | None
    settings: AthleteSettings
    connected: bool          # holds Strava tokens
    created_at: str


def _athlete(row: Any) -> Athlete:
    return Athlete(int(row["id"]), row["strava_id"], row["name"], AthleteSettings.from_json(row["settings_json"]),
                   row["strava_tokens"] is not None, row["created_at"])


class AthleteTokens:
    """The strava plugin's TokenStore, kept encrypted in the athlete's row instead of a file."""

    def __init__(self, athletes: Athletes, athlete_id: int) -> None:
        self.athletes = athletes
        self.athlete_id = athlete_id
        self.path = f"the service database (athlete {athlete_id})"

    def load(self) -> StravaTokens | None:
        with self.athletes.db() as db:
            sealed = db.execute(sa.select(t.athletes.c.strava_tokens).where(t.athletes.c.id == self.athlete_id)
                                ).scalar()
        if not sealed:
            return None
        data = self.athletes.cipher.open(sealed)
        return StravaTokens(**{k: data.get(k) for k in StravaTokens.__dataclass_fields__})  # type: ignore[arg-type]

    def save(self, tokens: StravaTokens) -> None:
        sealed = self.athletes.cipher.seal(tokens.__dict__)
        with self.athletes.db() as db:
            db.execute(sa.update(t.athletes).where(t.athletes.c.id == self.athlete_id)
                       .values(strava_tokens=sealed, updated_at=utc_now()))

    def delete(self) -> bool:
        with self.athletes.db() as db:
            result = db.execute(sa.update(t.athletes).where(t.athletes.c.id == self.athlete_id,
                                                            t.athletes.c.strava_tokens.is_not(None))
                                .values(strava_tokens=None, updated_at=utc_now()))
        return bool(result.rowcount)


class Athletes:
    def __init__(self, settings: ServiceSettings) -> None:
        self.settings = settings
        self.cipher = TokenCipher(settings.token_key)
        self._migrated = False

    @contextmanager
    def db(self) -> Iterator[sa.Connection]:
        connection = dbm.connect(dbm.url_engine(self.settings.database_url))
        try:
            if not self._migrated:
                dbm.migrate(connection, "the service database")
                self._migrated = True
            yield connection
        finally:
            connection.close()

    def store(self, athlete_id: int) -> Store:
        """The athlete's own store: every query in it is scoped to them."""
        return Store.open_database(self.settings.database_url, athlete_id=athlete_id,
                                   data_dir=self.settings.athlete_dir(athlete_id), blobs=self.settings.blobs)

    def connect_strava(self, tokens: StravaTokens) -> Athlete:
        """The athlete who just approved on Strava: created on first connection, tokens replaced after."""
        if tokens.athlete_id is None:
            raise ConfigError("strava: the token answer did not say which athlete approved")
        now = utc_now()
        sealed = self.cipher.seal(tokens.__dict__)
        with self.db() as db:
            row = db.execute(insert(t.athletes).values(
                strava_id=tokens.athlete_id, name=tokens.athlete_name, strava_tokens=sealed, settings_json="{}",
                created_at=now, updated_at=now).on_conflict_do_update(
                index_elements=["strava_id"], set_={"strava_tokens": sealed, "name": tokens.athlete_name,
                                                    "updated_at": now}).returning(t.athletes)).mappings().one()
        return _athlete(row)

    def get(self, athlete_id: int) -> Athlete | None:
        with self.db() as db:
            row = db.execute(sa.select(t.athletes).where(t.athletes.c.id == athlete_id, t.athletes.c.id != 0)
                             ).mappings().first()
        return None if row is None else _athlete(row)

    def by_strava(self, strava_id: int) -> Athlete | None:
        with self.db() as db:
            row = db.execute(sa.select(t.athletes).where(t.athletes.c.strava_id == strava_id)).mappings().first()
        return None if row is None else _athlete(row)

    def by_share_token(self, token: str) -> Athlete | None:
        """The athlete whose coach link this is (compared in constant time)."""
        import hmac

        for athlete in self.all():
            if athlete.settings.share_token and hmac.compare_digest(athlete.settings.share_token, token):
                return athlete
        return None

    def all(self) -> list[Athlete]:
        with self.db() as db:
            rows = db.execute(sa.select(t.athletes).where(t.athletes.c.strava_id.is_not(None))
                              .order_by(t.athletes.c.id)).mappings().all()
        return [_athlete(r) for r in rows]

    def save_settings(self, athlete_id: int, settings: AthleteSettings) -> None:
        self.config(settings)  # refuse what the config would refuse
        with self.db() as db:
            db.execute(sa.update(t.athletes).where(t.athletes.c.id == athlete_id)
                       .values(settings_json=settings.to_json(), updated_at=utc_now()))

    def tokens(self, athlete_id: int) -> AthleteTokens:
        return AthleteTokens(self, athlete_id)

    def delete(self, athlete_id: int) -> dict[str, int]:
        """Everything the athlete owns, then the athlete: their tokens go with the row."""
        with self.store(athlete_id) as store:
            counts = store.delete_everything()
        with self.db() as db:
            counts["athletes"] = int(db.execute(sa.delete(t.athletes).where(t.athletes.c.id == athlete_id,
                                                                            t.athletes.c.id != 0)).rowcount or 0)
        import shutil

        shutil.rmtree(self.settings.athlete_dir(athlete_id), ignore_errors=True)
        return counts

    def config(self, settings: AthleteSettings) -> Config:
        """The pipeline's config for one athlete: the operator's defaults with the athlete's own values."""
        notes: dict[str, Any] = {"enabled": settings.notes}
        if self.settings.settle_minutes is not None:
            notes["settle_minutes"] = self.settings.settle_minutes
        raw: dict[str, Any] = {"notes": notes, "athlete": dict(settings.heart_rates),
                               "shoes": {"minimalist": list(settings.minimalist)},
                               "program": {"start_date": settings.program_start}}
        try:
            return Config.model_validate(raw)
        except ValueError as exc:
            first = str(exc).splitlines()
            raise ConfigError(f"settings refused: {first[2].strip() if len(first) > 2 else first[0]}") from None
