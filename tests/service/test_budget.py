"""One Strava budget for every worker, in the database: old backfill stops at half the window, recent backfill at
three quarters, webhook work at the limit less the reserve; two processes taking at once never overspend it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests import pg

HEADERS = {"X-RateLimit-Limit": "100,1000", "X-RateLimit-Usage": "0,0",
           "X-ReadRateLimit-Limit": "100,1000", "X-ReadRateLimit-Usage": "0,0"}


@pytest.fixture
def database_url():
    with pg.fresh_schema() as url:
        from pose_sync.store import database

        db = database.connect(database.url_engine(url))
        database.migrate(db, "test")
        db.close()
        yield url


def _take_all(budget, tier: str) -> int:
    from pose_sync_service import budget as module

    token = module.priority.set(tier)
    try:
        taken = 0
        while budget.take("GET") is None:
            taken += 1
        return taken
    finally:
        module.priority.reset(token)


def test_priorities_share_the_window(database_url):
    from pose_sync_service.budget import SharedBudget

    budget = SharedBudget(database_url, reserve=5)
    budget.record(HEADERS, "GET")
    assert _take_all(budget, "old") == 45          # half of 100, less the reserve
    assert _take_all(budget, "recent") == 70 - 45  # three quarters
    assert _take_all(budget, "webhook") == 95 - 70  # the rest, less the reserve
    state = budget.state()
    assert state["short_usage"] == 95 and state["refused"] == 3
    budget.record({**HEADERS, "X-RateLimit-Usage": "99,99"}, "GET")  # Strava counts more: its count wins
    assert budget.state()["short_usage"] == 99


TAKER = """
import sys
from pose_sync_service.budget import SharedBudget
budget = SharedBudget(sys.argv[1], reserve=5)
print(sum(1 for _ in range(200) if budget.take("POST") is None))
"""


def test_two_processes_never_overspend(database_url):
    from pose_sync_service.budget import SharedBudget

    SharedBudget(database_url, reserve=5).record(HEADERS, "POST")
    runs = [subprocess.Popen([sys.executable, "-c", TAKER, database_url], stdout=subprocess.PIPE, text=True)
            for _ in range(2)]
    taken = [int(p.communicate(timeout=120)[0]) for p in runs]
    assert sum(taken) == 95   # together exactly the allowance, however their takes interleave
