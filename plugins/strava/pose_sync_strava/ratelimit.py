"""Strava's request budget: read from every response, checked before every request.

Strava allows so many requests per 15 minutes and per day, overall and for
reads (``X-RateLimit-*`` and ``X-ReadRateLimit-*``, "usage" and "limit", each
"15-minute,daily"). stravalib's own limiter sleeps when the budget runs out,
up to 15 minutes, silently. Here the budget is recorded from each response's
headers (persisted, so the next run knows it too) and checked before each
request: when it is spent, :class:`~pose_sync.errors.RateLimited` stops the
sync cleanly with the time it resets; the cursor makes the next run resume.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import requests
from stravalib.util.limiter import RateLimiter, get_rates_from_response_headers

from pose_sync.errors import RateLimited
from pose_sync.files import write_atomic


def next_quarter(moment: datetime) -> datetime:
    base = moment.replace(minute=moment.minute - moment.minute % 15, second=0, microsecond=0)
    return base + timedelta(minutes=15)


def next_midnight(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)


@dataclass
class Window:
    usage: int
    limit: int


@dataclass
class Snapshot:
    """The budget as last reported: overall and read, 15-minute and daily, and when."""

    at: str
    overall: tuple[Window, Window]
    read: tuple[Window, Window] | None


class Budget:
    """Records usage from response headers; refuses requests the budget cannot afford."""

    def __init__(self, state_path: Path | None, reserve: int = 5) -> None:
        self.state_path = state_path
        self.reserve = reserve
        self.snapshot: Snapshot | None = self._load()

    def _load(self) -> Snapshot | None:
        if self.state_path is None or not self.state_path.exists():
            return None
        try:
            data = json.loads(self.state_path.read_text())
            return Snapshot(data["at"], tuple(Window(**w) for w in data["overall"]),  # type: ignore[arg-type]
                            tuple(Window(**w) for w in data["read"]) if data.get("read") else None)  # type: ignore[arg-type]
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def record(self, headers: Any, method: str) -> None:
        """stravalib's rate_limiter hook: called with every API response's headers; never sleeps."""
        overall = get_rates_from_response_headers(dict(headers), "POST")  # POST: the overall headers
        if overall is None:
            return
        read = get_rates_from_response_headers(dict(headers), "GET") if method == "GET" else None
        previous = self.snapshot
        read_windows = None
        if read is not None and read != overall:
            read_windows = (Window(read.short_usage, read.short_limit), Window(read.long_usage, read.long_limit))
        elif previous is not None and previous.read is not None and self._current(previous):
            read_windows = previous.read
        self.snapshot = Snapshot(datetime.now(timezone.utc).isoformat(),
                                 (Window(overall.short_usage, overall.short_limit),
                                  Window(overall.long_usage, overall.long_limit)), read_windows)
        if self.state_path is not None:
            write_atomic(self.state_path, json.dumps(asdict(self.snapshot)).encode(), mode=0o600)

    @staticmethod
    def _current(snapshot: Snapshot) -> bool:
        at = datetime.fromisoformat(snapshot.at)
        return datetime.now(timezone.utc) < next_quarter(at)

    def exhausted(self, method: str, margin: int | None = None) -> RateLimited | None:
        """The RateLimited a request would hit now, or None when it can be afforded."""
        snapshot = self.snapshot
        if snapshot is None:
            return None
        at = datetime.fromisoformat(snapshot.at)
        now = datetime.now(timezone.utc)
        reserve = self.reserve if margin is None else margin
        groups = [("overall", snapshot.overall)]
        if method == "GET" and snapshot.read is not None:
            groups.append(("read", snapshot.read))
        for label, (short, daily) in groups:
            if now < next_midnight(at) and daily.usage >= daily.limit - reserve:
                return RateLimited("strava", next_midnight(at),
                                   f"daily {label} budget used ({daily.usage}/{daily.limit})")
            if now < next_quarter(at) and short.usage >= short.limit - reserve:
                return RateLimited("strava", next_quarter(at),
                                   f"15-minute {label} budget used ({short.usage}/{short.limit})")
        return None

    def check(self, method: str) -> None:
        problem = self.exhausted(method)
        if problem is not None:
            raise problem

    def after_429(self, response: requests.Response | None, method: str) -> RateLimited:
        """The 429 itself carries the headers; whichever window is spent says when to come back."""
        if response is not None:
            self.record(response.headers, method)
        found = self.exhausted(method, margin=0)
        return found or RateLimited("strava", next_quarter(datetime.now(timezone.utc)), "Strava answered 429")


class Recorder(RateLimiter):
    """stravalib's rate-limiter slot, filled with one that records and never sleeps."""

    def __init__(self, budget: Budget) -> None:
        super().__init__()
        self.budget = budget

    def __call__(self, args: dict[str, str], method: Any) -> None:
        self.budget.record(args, method)


class BudgetedSession(requests.Session):
    """The requests session stravalib uses: checks the budget before anything is sent.

    Standard proxy and CA-bundle environment variables apply as in any
    requests session (HTTPS_PROXY, REQUESTS_CA_BUNDLE, ...)."""

    def __init__(self, budget: Budget) -> None:
        super().__init__()
        self.budget = budget

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        verb = (method.decode() if isinstance(method, bytes) else method).upper()
        text_url = url.decode() if isinstance(url, bytes) else url
        if "/api/v3/" in text_url and "/push_subscriptions" not in text_url:
            self.budget.check(verb)
        return super().request(verb, text_url, *args, **kwargs)
