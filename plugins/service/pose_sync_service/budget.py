"""One Strava request budget for every worker: kept in the database, taken before each request.

Strava's limits are per API application, shared by all its athletes. Every
response's ``X-RateLimit-*`` headers are recorded in ``rate_budgets`` (the
largest count seen in the current window wins, so a slow answer never lowers
it), and each request *takes* one unit from the row under a row lock before
it is sent, so two workers can never both spend the last one: the count
includes requests still in flight.

Priorities share the window: a webhook's new run may use all of it (less
the reserve), a backfill of recent runs three quarters, older backfill half,
so new runs always find room and old history fills the quiet hours.
"""

from __future__ import annotations

import math
import time
from contextvars import ContextVar
from datetime import datetime, timezone
from typing import Any

import requests
import sqlalchemy as sa
from pose_sync_strava.ratelimit import Budget
from stravalib.util.limiter import get_rates_from_response_headers

from pose_sync.errors import RateLimited
from pose_sync.store import database as dbm
from pose_sync.store import tables as t
from pose_sync.store import utc_now

PLATFORM = "strava"
SHARES = {"webhook": 1.0, "recent": 0.75, "old": 0.5}
DEFAULT_LIMITS = (200, 2000, 100, 1000)   # Strava's defaults until the first answer says otherwise
QUARTER_S, DAY_S = 900.0, 86400.0
priority: ContextVar[str] = ContextVar("strava_priority", default="webhook")


def _windows(now: float) -> tuple[float, float]:
    return math.floor(now / QUARTER_S) * QUARTER_S, math.floor(now / DAY_S) * DAY_S


class SharedBudget(Budget):
    def __init__(self, database_url: str, reserve: int = 5) -> None:
        super().__init__(None, reserve)
        self.database_url = database_url

    def _row(self, db: sa.Connection, now: float) -> dict[str, Any]:
        """The budget row, locked, with windows that have passed reset."""
        quarter, day = _windows(now)
        row = db.execute(sa.select(t.rate_budgets).where(t.rate_budgets.c.platform == PLATFORM)
                         .with_for_update()).mappings().first()
        if row is None:
            short, daily, read_short, read_daily = DEFAULT_LIMITS
            from sqlalchemy.dialects.postgresql import insert

            db.execute(insert(t.rate_budgets).values(  # two workers' first requests: one row
                platform=PLATFORM, short_limit=short, daily_limit=daily, read_short_limit=read_short,
                read_daily_limit=read_daily, read_short_usage=0, read_daily_usage=0, window_epoch=quarter,
                day_epoch=day).on_conflict_do_nothing())
            row = db.execute(sa.select(t.rate_budgets).where(t.rate_budgets.c.platform == PLATFORM)
                             .with_for_update()).mappings().one()
        values = dict(row)
        if values["window_epoch"] < quarter:
            values.update(short_usage=0, read_short_usage=0, window_epoch=quarter)
        if values["day_epoch"] < day:
            values.update(daily_usage=0, read_daily_usage=0, day_epoch=day)
        return values

    def _save(self, db: sa.Connection, values: dict[str, Any]) -> None:
        db.execute(sa.update(t.rate_budgets).where(t.rate_budgets.c.platform == PLATFORM)
                   .values({k: v for k, v in values.items() if k != "platform"}))

    def _locked(self) -> Any:
        db = dbm.connect(dbm.url_engine(self.database_url))
        db.exec_driver_sql("BEGIN")
        return db

    def take(self, method: str, now: float | None = None) -> RateLimited | None:
        """Take one request for the current priority; the RateLimited to raise when there is none to take."""
        now = time.time() if now is None else now
        share = SHARES.get(priority.get(), SHARES["old"])
        db = self._locked()
        try:
            values = self._row(db, now)
            groups = [("", "overall")]
            if method == "GET" and values["read_short_limit"]:
                groups.append(("read_", "read"))
            for prefix, label in groups:
                for window, reset in (("daily", values["day_epoch"] + DAY_S),
                                      ("short", values["window_epoch"] + QUARTER_S)):
                    limit = int(values[f"{prefix}{window}_limit"])
                    allowed = math.floor(limit * share) - self.reserve
                    if int(values[f"{prefix}{window}_usage"] or 0) + 1 > allowed:
                        values["refused"] = int(values["refused"]) + 1
                        self._save(db, values)
                        db.exec_driver_sql("COMMIT")
                        what = "15-minute" if window == "short" else "daily"
                        return RateLimited(PLATFORM, datetime.fromtimestamp(reset, timezone.utc),
                                           f"{what} {label} budget for {priority.get()} work used"
                                           f" ({values[f'{prefix}{window}_usage']}/{limit})")
            for prefix, _ in groups:
                values[f"{prefix}short_usage"] = int(values[f"{prefix}short_usage"] or 0) + 1
                values[f"{prefix}daily_usage"] = int(values[f"{prefix}daily_usage"] or 0) + 1
            self._save(db, values)
            db.exec_driver_sql("COMMIT")
            return None
        except BaseException:
            db.exec_driver_sql("ROLLBACK")
            raise
        finally:
            db.close()

    # --- the Budget interface the strava plugin calls ------------------------------

    def check(self, method: str) -> None:
        problem = self.take(method)
        if problem is not None:
            raise problem

    def record(self, headers: Any, method: str) -> None:
        overall = get_rates_from_response_headers(dict(headers), "POST")
        if overall is None:
            return
        read = get_rates_from_response_headers(dict(headers), "GET") if method == "GET" else None
        db = self._locked()
        try:
            values = self._row(db, time.time())
            values.update(short_limit=overall.short_limit, daily_limit=overall.long_limit, reported_at=utc_now(),
                          short_usage=max(int(values["short_usage"]), overall.short_usage),
                          daily_usage=max(int(values["daily_usage"]), overall.long_usage))
            if read is not None and read != overall:
                values.update(read_short_limit=read.short_limit, read_daily_limit=read.long_limit,
                              read_short_usage=max(int(values["read_short_usage"] or 0), read.short_usage),
                              read_daily_usage=max(int(values["read_daily_usage"] or 0), read.long_usage))
            self._save(db, values)
            db.exec_driver_sql("COMMIT")
        except BaseException:
            db.exec_driver_sql("ROLLBACK")
            raise
        finally:
            db.close()

    def exhausted(self, method: str, margin: int | None = None) -> RateLimited | None:
        state = self.state()
        if state is None:
            return None
        if state["short_usage"] >= state["short_limit"] - (self.reserve if margin is None else margin):
            return RateLimited(PLATFORM, datetime.fromtimestamp(state["window_epoch"] + QUARTER_S, timezone.utc),
                               "15-minute budget used")
        return None

    def after_429(self, response: requests.Response | None, method: str) -> RateLimited:
        if response is not None:
            self.record(response.headers, method)
        quarter, _ = _windows(time.time())
        return RateLimited(PLATFORM, datetime.fromtimestamp(quarter + QUARTER_S, timezone.utc), "Strava answered 429")

    def state(self) -> dict[str, Any] | None:
        """The budget as the admin page shows it (windows that have passed read as reset)."""
        db = self._locked()
        try:
            row = db.execute(sa.select(t.rate_budgets).where(t.rate_budgets.c.platform == PLATFORM)).mappings().first()
            if row is None:
                return None
            values = dict(row)
            quarter, day = _windows(time.time())
            if values["window_epoch"] < quarter:
                values.update(short_usage=0, read_short_usage=0, window_epoch=quarter)
            if values["day_epoch"] < day:
                values.update(daily_usage=0, read_daily_usage=0, day_epoch=day)
            return values
        finally:
            db.exec_driver_sql("ROLLBACK")
            db.close()
