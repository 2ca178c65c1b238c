"""The store: runs and state in SQLite (WAL; the default, no server) or PostgreSQL, content-addressed raw files.

The tables are :mod:`pose_sync.store.tables` (SQLAlchemy Core), migrated by
Alembic (:mod:`pose_sync.store.database`); :class:`Store` itself lives in
:mod:`pose_sync.store.core` and is imported on first use, so commands that
open no store never import SQLAlchemy.

Layout of the data directory::

    pose-sync.sqlite3          runs, sources, cursors, ledger, queue
    blobs/ab/abcdef....fit     raw FIT files, named by their SHA-256
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from pose_sync.model import RunAnalysis, SourceRef

if TYPE_CHECKING:
    from pose_sync.store.core import Store as Store

DB_NAME = "pose-sync.sqlite3"

# Two recordings are one run when they start within this many seconds and
# their distances agree within this fraction (platforms recompute distance from
# GPS, so a few percent differ) or this many metres, whichever is larger.
MATCH_START_S = 120.0
MAX_ZONE_OFFSET_S = 14 * 3600.0      # the widest UTC offset (UTC+14)
ZONE_STEP_S = 900.0                  # UTC offsets are whole quarter hours
SHIFTED_START_S = 5.0                # a time-shifted copy is the same recording: its offset is exact
SHIFTED_MATCH_FRACTION = 0.005       # ... and it agrees this closely on distance and moving time
MATCH_DISTANCE_FRACTION = 0.10
MATCH_DISTANCE_M = 150.0

QUALITY_FIT = 2
QUALITY_STREAMS = 1


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True)
class StoredRun:
    """A run as the store holds it: its analysis and every place it was seen."""

    id: int
    analysis: RunAnalysis
    sources: tuple[SourceRef, ...]
    fit_sha256: str | None
    quality: int
    gear_id: str | None
    samples_sha256: str | None = None


@dataclass(frozen=True)
class SaveResult:
    """What :meth:`Store.save_run` did: ``created`` a run, ``upgraded`` its
    analysis from a richer source, or ``linked`` a new source to a run it
    already had (``unchanged`` when the source was known)."""

    run_id: int
    outcome: str


@dataclass(frozen=True)
class SyncItem:
    """One platform activity's progress through the pipeline (see :mod:`pose_sync.sync`)."""

    platform: str
    remote_id: str
    state: str
    start_epoch: float | None
    run_id: int | None
    summary: dict[str, Any]
    attempts: int
    last_error: str | None
    first_seen_epoch: float | None = None  # when pose-sync first listed it
    uploaded_epoch: float | None = None    # when the platform says it was uploaded, if it does


@dataclass(frozen=True)
class NoteCheck:
    """The read-back pass after a note was written (see :mod:`pose_sync.sync`)."""

    platform: str
    remote_id: str
    state: str            # verify (due_epoch says when), ok, expired, gone, respected
    due_epoch: float | None
    written_epoch: float
    restores: int


@dataclass(frozen=True)
class EventsWaiting:
    """What doctor says about the webhook queue."""

    pending: int
    later: int                 # pending but not due yet (settle delay)
    failed: int
    last_error: str | None     # why a pending event waits (access refused, ...)


@dataclass(frozen=True)
class LedgerEntry:
    platform: str
    remote_id: str
    kind: str
    content_sha256: str
    detail: dict[str, Any]
    written_at: str


HOST = socket.gethostname()


def claim_holder() -> str:
    """Who holds a claim: this machine, this process, and a random part (several pipelines per process)."""
    return f"{HOST}:{os.getpid()}:{os.urandom(4).hex()}"


def _holder_alive(holder: str) -> bool:
    """False only when the holder was a process on this machine that is gone (killed -9, say)."""
    host, _, rest = holder.partition(":")
    pid_text = rest.partition(":")[0]
    if host != HOST or not pid_text.isdigit():
        return True  # cannot tell: its lease decides
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def richness(analysis: RunAnalysis) -> tuple[int, int]:
    """How much form a copy of a run carries: scored form inputs, then measured form channels."""
    return len(analysis.form.components), len(analysis.sources)


def distances_agree(a: float | None, b: float | None) -> bool:
    """Platform copies of one run differ by a few percent of distance; tiny runs by metres."""
    if not a or not b:
        return True
    return abs(a - b) <= max(MATCH_DISTANCE_FRACTION * max(a, b), MATCH_DISTANCE_M)


def __getattr__(name: str) -> Any:
    """``Store`` on first use: importing it brings in SQLAlchemy."""
    if name == "Store":
        from pose_sync.store.core import Store

        return Store
    raise AttributeError(name)
