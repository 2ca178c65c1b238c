"""The embedded store: SQLite (WAL) for runs and state, content-addressed raw files.

One :class:`Store` per process or thread (sqlite3 connections are not shared
across threads). Every multi-row change happens inside :meth:`Store.transaction`
so that a crash leaves either the old state or the new one, never half of each.

Layout of the data directory::

    pose-sync.sqlite3          runs, sources, cursors, ledger, queue
    blobs/ab/abcdef....fit     raw FIT files, named by their SHA-256
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from pose_sync.errors import ConfigError
from pose_sync.files import make_private_dirs, secure_data_dir, write_atomic
from pose_sync.model import RunAnalysis, Samples, SourceRef
from pose_sync.pain import PainReport
from pose_sync.store.codec import analysis_from_json, analysis_to_json
from pose_sync.store.samples import samples_from_bytes, samples_to_bytes
from pose_sync.store.schema import MIGRATIONS

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


def _set_wal(conn: sqlite3.Connection, patience_s: float = 30.0) -> None:
    """Switch a connection to WAL, waiting for others that are doing the same.

    Changing the journal mode takes an exclusive lock, and SQLite answers
    "database is locked" at once instead of calling the busy handler when
    several connections open a new store together; so wait here.
    """
    deadline = time.monotonic() + patience_s
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


class Store:
    """Runs, their sources, raw files, cursors and the write-back ledger."""

    def __init__(self, data_dir: Path, conn: sqlite3.Connection, *, scratch: bool = False) -> None:
        self.data_dir = data_dir
        self.conn = conn
        self.scratch = scratch  # an in-memory copy for a dry run: nothing reaches the disk
        self._depth = 0

    # --- lifecycle -----------------------------------------------------------

    @classmethod
    def open(cls, data_dir: Path | str) -> Store:
        """Open (creating and migrating if needed) the store in ``data_dir``."""
        data_dir = Path(data_dir).expanduser()
        try:
            secure_data_dir(data_dir)
            make_private_dirs(data_dir / "blobs")
        except OSError as exc:
            raise ConfigError(f"data directory {data_dir} is not writable: {exc.strerror}",
                              hint="pass --data-dir or set POSE_SYNC_HOME to a writable folder") from exc
        db_path = data_dir / DB_NAME
        new = not db_path.exists()
        try:
            conn = sqlite3.connect(db_path, timeout=30.0, isolation_level=None, check_same_thread=False)
            if new:
                os.chmod(db_path, 0o600)
            _set_wal(conn)
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
        except sqlite3.Error as exc:
            raise ConfigError(f"cannot open the store at {db_path}: {exc}",
                              hint="a read-only data folder? `pose-sync report` and `doctor` work on one;"
                                   " import, sync and rescore need to write to it") from exc
        conn.row_factory = sqlite3.Row
        store = cls(data_dir, conn)
        store._migrate()
        return store

    @classmethod
    def snapshot(cls, data_dir: Path | str) -> Store:
        """An in-memory copy of the store in ``data_dir`` (empty when there is none), for a dry run.

        The same pipeline runs on it and shows exactly what a real run would do,
        while the data folder, the store and the cursors stay byte for byte as they were.
        """
        data_dir = Path(data_dir).expanduser().absolute()   # a relative --data-dir has no file URI
        db_path = data_dir / DB_NAME
        memory = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        if db_path.exists():
            problem: sqlite3.Error | None = None
            # as usual first (sees a running sync's last commits); then read-only; then, in a folder nobody can
            # write to (a backup, a read-only mount), immutable: SQLite cannot even make its shared-memory file there
            for target, uri in ((str(db_path), False), (f"{db_path.as_uri()}?mode=ro", True),
                                (f"{db_path.as_uri()}?immutable=1", True)):
                try:
                    source = sqlite3.connect(target, timeout=30.0, uri=uri)  # closing it leaves no -wal behind
                    try:
                        source.backup(memory)
                    finally:
                        source.close()
                    problem = None
                    break
                except sqlite3.Error as exc:
                    problem = exc
            if problem is not None:
                raise ConfigError(f"cannot read the store at {db_path}: {problem}") from problem
        return cls._in_memory(data_dir, memory)

    def scratch_copy(self) -> Store:
        """An in-memory copy of this store (see :meth:`snapshot`)."""
        if self.scratch:
            return self
        memory = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        self.conn.backup(memory)
        return self._in_memory(self.data_dir, memory)

    @classmethod
    def _in_memory(cls, data_dir: Path, memory: sqlite3.Connection) -> Store:
        memory.execute("PRAGMA foreign_keys=ON")
        memory.row_factory = sqlite3.Row
        store = cls(data_dir, memory, scratch=True)
        store._migrate()
        return store

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _migrate(self) -> None:
        """Apply missing migrations, one transaction each, under the write lock.

        The version is read inside ``BEGIN IMMEDIATE``, so two processes (or
        threads) opening a new store at once apply each migration exactly once.
        """
        while True:
            with self.transaction():
                version = self.conn.execute("PRAGMA user_version").fetchone()[0]
                if version > len(MIGRATIONS):
                    raise ConfigError(
                        f"the store at {self.data_dir} was written by a newer pose-sync (schema {version})",
                        hint="upgrade pose-sync",
                    )
                if version == len(MIGRATIONS):
                    return
                for statement in _split_sql(MIGRATIONS[version]):
                    self.conn.execute(statement)
                self.conn.execute(f"PRAGMA user_version = {version + 1}")

    @property
    def schema_version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT``; nested calls join the outer one."""
        if self._depth:
            self._depth += 1
            try:
                yield self.conn
            finally:
                self._depth -= 1
            return
        self.conn.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield self.conn
        except BaseException:
            self._depth = 0
            self.conn.execute("ROLLBACK")
            raise
        self._depth = 0
        self.conn.execute("COMMIT")

    # --- raw files -----------------------------------------------------------

    def blob_path(self, sha256: str, suffix: str = ".fit") -> Path:
        return self.data_dir / "blobs" / sha256[:2] / f"{sha256}{suffix}"

    def put_blob(self, data: bytes, sha256: str, suffix: str = ".fit") -> None:
        """Keep raw bytes under their hash (atomic: temp file, fsync, rename)."""
        path = self.blob_path(sha256, suffix)
        if not path.exists() and not self.scratch:
            write_atomic(path, data)
        self.conn.execute(
            "INSERT OR IGNORE INTO blobs (sha256, size, stored_at) VALUES (?, ?, ?)",
            (sha256, len(data), utc_now()),
        )

    def get_blob(self, sha256: str, suffix: str = ".fit") -> bytes:
        return self.blob_path(sha256, suffix).read_bytes()

    def put_samples(self, samples: Samples) -> str:
        """Keep an activity's columnar samples (for runs with no original file); returns their hash."""
        data = samples_to_bytes(samples)
        sha = hashlib.sha256(data).hexdigest()
        self.put_blob(data, sha, ".npz")
        return sha

    def get_samples(self, sha256: str) -> Samples:
        return samples_from_bytes(self.get_blob(sha256, ".npz"))

    # --- runs ------------------------------------------------------------------

    def find_source(self, ref: SourceRef) -> int | None:
        """The run a platform activity (or file session) was already stored as."""
        row = self.conn.execute(
            "SELECT run_id FROM run_sources WHERE platform=? AND remote_id=? AND member=? AND session_index=?",
            (ref.platform, ref.remote_id, ref.member or "", ref.session_index),
        ).fetchone()
        return None if row is None else int(row[0])

    def runs_with_fit(self, sha256: str) -> list[int]:
        rows = self.conn.execute(
            "SELECT DISTINCT run_id FROM run_sources WHERE fit_sha256=?", (sha256,)
        ).fetchall()
        return [int(r[0]) for r in rows]

    def match_run(self, start_time: datetime, distance_m: float | None,
                  moving_time_s: float | None = None) -> int | None:
        """The stored run that is the same recording.

        Start and distance agree; or, when distance and moving time are known
        and agree closely, the starts differ by a whole number of quarter
        hours up to 14 h: a copy whose writer put local time where UTC
        belongs (every real UTC offset is a multiple of 15 minutes). Such a
        copy is the same recording, so the offset is exact to seconds and
        distance and moving time agree to 0.5 %; a second run the same day
        on the same loop does not start a whole quarter hour later to the
        second with the same moving time.
        """
        start = start_time.timestamp()
        rows = self.conn.execute(
            "SELECT id, start_epoch, distance_m, moving_time_s FROM runs WHERE start_epoch BETWEEN ? AND ?"
            " ORDER BY ABS(start_epoch - ?)",
            (start - MAX_ZONE_OFFSET_S - MATCH_START_S, start + MAX_ZONE_OFFSET_S + MATCH_START_S, start),
        ).fetchall()
        for row in rows:
            if abs(row["start_epoch"] - start) <= MATCH_START_S and distances_agree(distance_m, row["distance_m"]):
                return int(row["id"])
        if not distance_m or not moving_time_s:
            return None
        for row in rows:
            offset = row["start_epoch"] - start
            whole = round(offset / ZONE_STEP_S) * ZONE_STEP_S
            if (whole and abs(offset - whole) <= SHIFTED_START_S
                    and abs(distance_m - row["distance_m"]) <= SHIFTED_MATCH_FRACTION * distance_m
                    and abs(moving_time_s - row["moving_time_s"]) <= SHIFTED_MATCH_FRACTION * moving_time_s):
                return int(row["id"])
        return None

    def save_run(self, analysis: RunAnalysis, *, fit_sha256: str | None, quality: int,
                 gear_id: str | None = None, samples_sha256: str | None = None) -> SaveResult:
        """Store an analysed run, recognising one already stored from elsewhere.

        The same recording arriving again (same source, or another platform's
        copy: start and distance agree) is linked, not stored twice. A richer
        source (an original FIT where we only had platform streams, or a copy
        with the watch's native running dynamics where we had a copy with
        fewer form inputs) replaces the analysis; an equal or poorer one does
        not.
        """
        ref = analysis.source
        with self.transaction():
            run_id = self.find_source(ref)
            outcome = "unchanged"
            if run_id is None:
                run_id = self.match_run(analysis.start_time, analysis.distance_m, analysis.moving_time_s)
                outcome = "linked"
            if run_id is None:
                run_id = self._insert_run(analysis, fit_sha256, quality, gear_id)
                outcome = "created"
            else:
                row = self.conn.execute("SELECT quality, gear_id, analysis_json FROM runs WHERE id=?",
                                        (run_id,)).fetchone()
                richer = quality == row["quality"] and outcome == "linked" and \
                    richness(analysis) > richness(analysis_from_json(row["analysis_json"]))
                if quality > row["quality"] or richer:
                    self._update_run(run_id, analysis, fit_sha256, quality, gear_id or row["gear_id"])
                    outcome = "upgraded"
                else:
                    samples_sha256 = None  # the stored analysis keeps its own material
                    if gear_id and not row["gear_id"]:
                        self.conn.execute("UPDATE runs SET gear_id=? WHERE id=?", (gear_id, run_id))
            if samples_sha256 is not None:
                self.conn.execute("UPDATE runs SET samples_sha256=? WHERE id=?", (samples_sha256, run_id))
            self._put_source(run_id, ref, fit_sha256, "REPLACE")
        return SaveResult(run_id, outcome)

    def replace_analysis(self, run_id: int, analysis: RunAnalysis) -> None:
        """Re-scoring: a new analysis of the same source for a stored run."""
        with self.transaction():
            self.conn.execute(
                "UPDATE runs SET analysis_json=?, analysis_version=?, form_score=?, distance_m=?, moving_time_s=?,"
                " updated_at=? WHERE id=?",
                (analysis_to_json(analysis), analysis.analysis_version, analysis.form.score,
                 analysis.distance_m, analysis.moving_time_s, utc_now(), run_id),
            )

    def _insert_run(self, analysis: RunAnalysis, fit_sha256: str | None, quality: int, gear_id: str | None) -> int:
        now = utc_now()
        cursor = self.conn.execute(
            "INSERT INTO runs (start_time, start_epoch, distance_m, moving_time_s, sport, form_score, analysis_version,"
            " analysis_json, fit_sha256, quality, gear_id, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (analysis.start_time.isoformat(), analysis.start_time.timestamp(), analysis.distance_m,
             analysis.moving_time_s, analysis.sport, analysis.form.score, analysis.analysis_version,
             analysis_to_json(analysis), fit_sha256, quality, gear_id, now, now),
        )
        return int(cursor.lastrowid or 0)

    def _update_run(self, run_id: int, analysis: RunAnalysis, fit_sha256: str | None, quality: int,
                    gear_id: str | None) -> None:
        self.conn.execute(
            "UPDATE runs SET start_time=?, start_epoch=?, distance_m=?, moving_time_s=?, sport=?, form_score=?,"
            " analysis_version=?, analysis_json=?, fit_sha256=?, quality=?, gear_id=?, updated_at=? WHERE id=?",
            (analysis.start_time.isoformat(), analysis.start_time.timestamp(), analysis.distance_m,
             analysis.moving_time_s, analysis.sport, analysis.form.score, analysis.analysis_version,
             analysis_to_json(analysis), fit_sha256, quality, gear_id, utc_now(), run_id),
        )

    def get_run(self, run_id: int) -> StoredRun:
        row = self.conn.execute("SELECT * FROM runs WHERE id=?", (run_id,)).fetchone()
        if row is None:
            raise KeyError(run_id)
        return self._stored(row, self._sources([run_id]).get(run_id, ()))

    def list_runs(self, since: datetime | None = None, until: datetime | None = None) -> list[StoredRun]:
        """Stored runs in start order, optionally within [since, until)."""
        lo = since.timestamp() if since else float("-inf")
        hi = until.timestamp() if until else float("inf")
        rows = self.conn.execute(
            "SELECT * FROM runs WHERE start_epoch >= ? AND start_epoch < ? ORDER BY start_epoch", (lo, hi)
        ).fetchall()
        sources = self._sources([int(r["id"]) for r in rows] if len(rows) < 500 else None)
        return [self._stored(row, sources.get(int(row["id"]), ())) for row in rows]

    def run_gear(self) -> dict[int, str | None]:
        """The shoe (gear id) of every stored run, by run id."""
        return {int(r[0]): r[1] for r in self.conn.execute("SELECT id, gear_id FROM runs").fetchall()}

    def count_runs(self) -> int:
        return int(self.conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0])

    def _sources(self, run_ids: list[int] | None) -> dict[int, tuple[SourceRef, ...]]:
        if run_ids is None:
            rows = self.conn.execute("SELECT * FROM run_sources ORDER BY seen_at").fetchall()
        elif not run_ids:
            return {}
        else:
            marks = ",".join("?" * len(run_ids))
            rows = self.conn.execute(
                f"SELECT * FROM run_sources WHERE run_id IN ({marks}) ORDER BY seen_at", run_ids
            ).fetchall()
        found: dict[int, list[SourceRef]] = {}
        for r in rows:
            found.setdefault(int(r["run_id"]), []).append(
                SourceRef(r["platform"], r["remote_id"], r["member"] or None, int(r["session_index"]))
            )
        return {k: tuple(v) for k, v in found.items()}

    @staticmethod
    def _stored(row: sqlite3.Row, sources: tuple[SourceRef, ...]) -> StoredRun:
        return StoredRun(
            id=int(row["id"]),
            analysis=analysis_from_json(row["analysis_json"]),
            sources=sources,
            fit_sha256=row["fit_sha256"],
            quality=int(row["quality"]),
            gear_id=row["gear_id"],
            samples_sha256=row["samples_sha256"],
        )

    def link_source(self, run_id: int, ref: SourceRef, fit_sha256: str | None = None) -> None:
        """Record that a platform activity is a run we already have (no new analysis)."""
        self._put_source(run_id, ref, fit_sha256, "IGNORE")

    def _put_source(self, run_id: int, ref: SourceRef, fit_sha256: str | None, on_conflict: str) -> None:
        self.conn.execute(
            f"INSERT OR {on_conflict} INTO run_sources"
            " (platform, remote_id, member, session_index, run_id, fit_sha256, seen_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (ref.platform, ref.remote_id, ref.member or "", ref.session_index, run_id, fit_sha256, utc_now()),
        )

    def run_quality(self, run_id: int) -> int:
        return int(self.conn.execute("SELECT quality FROM runs WHERE id=?", (run_id,)).fetchone()[0])

    # --- pipeline state ------------------------------------------------------

    def get_item(self, platform: str, remote_id: str) -> SyncItem | None:
        row = self.conn.execute(
            "SELECT * FROM sync_items WHERE platform=? AND remote_id=?", (platform, remote_id)
        ).fetchone()
        return None if row is None else _item(row)

    def put_item(self, platform: str, remote_id: str, state: str, *, start_epoch: float | None = None,
                 run_id: int | None = None, summary: dict[str, Any] | None = None,
                 error: str | None = None, attempt: bool = False, uploaded_epoch: float | None = None,
                 now: float | None = None) -> None:
        """Create or advance an item; fields left as None keep their stored value.

        A new item records when it was first seen (``now``, default the clock).
        """
        self.conn.execute(
            "INSERT INTO sync_items (platform, remote_id, state, start_epoch, run_id, summary_json, attempts,"
            " last_error, updated_at, first_seen_epoch, uploaded_epoch) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (platform, remote_id) DO UPDATE SET state=excluded.state,"
            " start_epoch=COALESCE(excluded.start_epoch, start_epoch), run_id=COALESCE(excluded.run_id, run_id),"
            " summary_json=COALESCE(excluded.summary_json, summary_json),"
            " attempts=attempts + excluded.attempts, last_error=excluded.last_error, updated_at=excluded.updated_at,"
            " uploaded_epoch=COALESCE(excluded.uploaded_epoch, uploaded_epoch)",
            (platform, remote_id, state, start_epoch, run_id,
             json.dumps(summary, sort_keys=True, default=str) if summary is not None else None,
             1 if attempt else 0, error, utc_now(), time.time() if now is None else now, uploaded_epoch),
        )

    def set_uploaded(self, platform: str, remote_id: str, uploaded_epoch: float) -> None:
        """The platform said when an activity was uploaded (a webhook's create event)."""
        self.conn.execute("UPDATE sync_items SET uploaded_epoch=? WHERE platform=? AND remote_id=?",
                          (uploaded_epoch, platform, remote_id))

    def request_note_refresh(self, run_id: int, platform: str, remote_id: str) -> list[tuple[str, str]]:
        """A better analysis of a run: its finished notes on other platforms are to be written again.

        Their items go back to ``stored`` (note pending); the next pass over each
        platform renders the note from the new analysis and writes it if it differs.
        """
        with self.transaction():
            rows = self.conn.execute(
                "SELECT platform, remote_id FROM sync_items WHERE run_id=? AND state='done'"
                " AND NOT (platform=? AND remote_id=?)", (run_id, platform, remote_id)).fetchall()
            self.conn.execute(
                "UPDATE sync_items SET state='stored', updated_at=? WHERE run_id=? AND state='done'"
                " AND NOT (platform=? AND remote_id=?)", (utc_now(), run_id, platform, remote_id))
        return [(r["platform"], r["remote_id"]) for r in rows]

    # --- claims: one process at a time per activity --------------------------------

    def claim(self, platform: str, remote_id: str, holder: str, lease_s: float, now: float | None = None) -> bool:
        """Take (or renew) the lease on one activity; False while another live holder has it.

        A lease ends by itself (a holder killed -9 blocks nobody for long), and
        at once when its holder was a process on this machine that no longer runs.
        """
        now = time.time() if now is None else now
        with self.transaction():
            row = self.conn.execute("SELECT holder, expires_epoch FROM claims WHERE platform=? AND remote_id=?",
                                    (platform, remote_id)).fetchone()
            if row is not None and row["holder"] != holder and row["expires_epoch"] > now \
                    and _holder_alive(row["holder"]):
                return False
            self.conn.execute(
                "INSERT INTO claims (platform, remote_id, holder, expires_epoch) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (platform, remote_id) DO UPDATE SET holder=excluded.holder,"
                " expires_epoch=excluded.expires_epoch", (platform, remote_id, holder, now + lease_s))
        return True

    def release(self, platform: str, remote_id: str, holder: str) -> None:
        self.conn.execute("DELETE FROM claims WHERE platform=? AND remote_id=? AND holder=?",
                          (platform, remote_id, holder))

    # --- note checks: the read-back pass after a write ----------------------------

    def get_note_check(self, platform: str, remote_id: str) -> NoteCheck | None:
        row = self.conn.execute("SELECT * FROM note_checks WHERE platform=? AND remote_id=?",
                                (platform, remote_id)).fetchone()
        return None if row is None else _note_check(row)

    def schedule_note_check(self, platform: str, remote_id: str, *, written_epoch: float, due_epoch: float,
                            restored: bool = False) -> None:
        """After a write: check it again from ``due_epoch`` (a respected removal stays respected)."""
        self.conn.execute(
            "INSERT INTO note_checks (platform, remote_id, state, due_epoch, written_epoch, restores, updated_at)"
            " VALUES (?, ?, 'verify', ?, ?, ?, ?) ON CONFLICT (platform, remote_id) DO UPDATE SET"
            " state=CASE WHEN state='respected' THEN state ELSE 'verify' END, due_epoch=excluded.due_epoch,"
            " written_epoch=excluded.written_epoch, restores=restores + excluded.restores,"
            " updated_at=excluded.updated_at",
            (platform, remote_id, due_epoch, written_epoch, 1 if restored else 0, utc_now()))

    def set_note_check(self, platform: str, remote_id: str, state: str, due_epoch: float | None = None) -> None:
        self.conn.execute("UPDATE note_checks SET state=?, due_epoch=?, updated_at=? WHERE platform=? AND remote_id=?",
                          (state, due_epoch, utc_now(), platform, remote_id))

    def note_checks_due(self, platform: str, now: float | None = None) -> list[NoteCheck]:
        rows = self.conn.execute(
            "SELECT * FROM note_checks WHERE platform=? AND state='verify' AND due_epoch <= ? ORDER BY due_epoch",
            (platform, time.time() if now is None else now)).fetchall()
        return [_note_check(r) for r in rows]

    def items(self, platform: str, states: tuple[str, ...] | None = None) -> list[SyncItem]:
        sql, args = "SELECT * FROM sync_items WHERE platform=?", [platform]
        if states:
            sql += f" AND state IN ({','.join('?' * len(states))})"
            args += list(states)
        return [_item(r) for r in self.conn.execute(sql + " ORDER BY start_epoch, remote_id", args).fetchall()]

    def start_sync_run(self, connector: str) -> int:
        cursor = self.conn.execute(
            "INSERT INTO sync_runs (connector, started_at) VALUES (?, ?)", (connector, utc_now()))
        return int(cursor.lastrowid or 0)

    def finish_sync_run(self, sync_run_id: int, outcome: str, summary: dict[str, Any]) -> None:
        self.conn.execute(
            "UPDATE sync_runs SET finished_at=?, outcome=?, summary_json=? WHERE id=?",
            (utc_now(), outcome, json.dumps(summary, sort_keys=True), sync_run_id),
        )

    def last_sync_run(self, connector: str) -> dict[str, Any] | None:
        row = self.conn.execute(
            "SELECT * FROM sync_runs WHERE connector=? ORDER BY id DESC LIMIT 1", (connector,)).fetchone()
        if row is None:
            return None
        return {"started_at": row["started_at"], "finished_at": row["finished_at"], "outcome": row["outcome"],
                "summary": json.loads(row["summary_json"] or "{}")}

    # --- webhook events (a durable queue) ----------------------------------------

    def enqueue_event(self, platform: str, payload: dict[str, Any], *, object_key: str | None = None,
                      due_epoch: float | None = None, alone_state: str = "pending",
                      fold: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]] | None = None,
                      ) -> tuple[int, str]:
        """Queue an event durably; returns its id and what became of it.

        With an ``object_key``, an event for an object that already has a pending
        one is folded into it (``fold(old, new)`` gives the payload; the later due
        time wins) instead of being queued again: ``"folded"``. Otherwise it is
        stored with ``alone_state`` (``"pending"``, or e.g. ``"ignored"`` for an
        event that needs no work on its own).
        """
        with self.transaction():
            if object_key is not None and fold is not None:
                row = self.conn.execute(
                    "SELECT id, payload_json, due_epoch FROM events WHERE platform=? AND object_key=?"
                    " AND state='pending' ORDER BY id LIMIT 1", (platform, object_key)).fetchone()
                if row is not None:
                    merged = fold(json.loads(row["payload_json"]), payload)
                    due = max((d for d in (row["due_epoch"], due_epoch) if d is not None), default=None)
                    self.conn.execute("UPDATE events SET payload_json=?, due_epoch=? WHERE id=?",
                                      (json.dumps(merged, sort_keys=True), due, row["id"]))
                    return int(row["id"]), "folded"
            cursor = self.conn.execute(
                "INSERT INTO events (platform, payload_json, received_at, state, object_key, due_epoch)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (platform, json.dumps(payload, sort_keys=True), utc_now(), alone_state, object_key, due_epoch))
        return int(cursor.lastrowid or 0), alone_state

    def pending_events(self, platform: str, now: float | None = None) -> list[tuple[int, dict[str, Any], int]]:
        """(id, payload, attempts so far) of the platform's pending events, oldest first.

        With ``now``, only those that are due (a delayed job waits in the queue until then).
        """
        sql = "SELECT id, payload_json, attempts FROM events WHERE platform=? AND state='pending'"
        args: list[Any] = [platform]
        if now is not None:
            sql += " AND (due_epoch IS NULL OR due_epoch <= ?)"
            args.append(now)
        rows = self.conn.execute(sql + " ORDER BY id", args).fetchall()
        return [(int(r["id"]), json.loads(r["payload_json"]), int(r["attempts"])) for r in rows]

    def next_event_due(self, platform: str) -> float | None:
        """When the earliest pending event falls due (None: none is waiting for a time)."""
        row = self.conn.execute("SELECT MIN(due_epoch) FROM events WHERE platform=? AND state='pending'",
                                (platform,)).fetchone()
        return None if row[0] is None else float(row[0])

    def finish_event(self, event_id: int, state: str, error: str | None = None) -> None:
        self.conn.execute("UPDATE events SET state=?, attempts=attempts+1, last_error=?, processed_at=? WHERE id=?",
                          (state, error, utc_now(), event_id))

    def postpone_event(self, event_id: int, due_epoch: float, error: str | None = None) -> None:
        """Leave an event pending until ``due_epoch``, without counting an attempt."""
        self.conn.execute("UPDATE events SET due_epoch=?, last_error=? WHERE id=?", (due_epoch, error, event_id))

    def requeue_failed_events(self, platform: str) -> int:
        """Give failed events another chance (after the athlete authorised again)."""
        cursor = self.conn.execute(
            "UPDATE events SET state='pending', attempts=0, due_epoch=NULL WHERE platform=? AND state='failed'",
            (platform,))
        return int(cursor.rowcount or 0)

    def events_waiting(self, now: float | None = None) -> EventsWaiting:
        now = time.time() if now is None else now
        row = self.conn.execute(
            "SELECT SUM(state='pending'), SUM(state='pending' AND due_epoch > ?), SUM(state='failed')"
            " FROM events", (now,)).fetchone()
        reason = self.conn.execute("SELECT last_error FROM events WHERE state='pending' AND last_error IS NOT NULL"
                                   " ORDER BY id DESC LIMIT 1").fetchone()
        return EventsWaiting(int(row[0] or 0), int(row[1] or 0), int(row[2] or 0), reason[0] if reason else None)

    # --- gear ------------------------------------------------------------------

    def has_gear(self, platform: str, gear_id: str) -> bool:
        return self.conn.execute("SELECT 1 FROM gear WHERE platform=? AND gear_id=?",
                                 (platform, gear_id)).fetchone() is not None

    def put_gear(self, platform: str, gear_id: str, name: str | None, kind: str | None,
                 distance_m: float | None, retired: bool = False) -> None:
        self.conn.execute(
            "INSERT INTO gear (platform, gear_id, name, kind, distance_m, retired, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (platform, gear_id) DO UPDATE SET name=excluded.name, kind=excluded.kind,"
            " distance_m=excluded.distance_m, retired=excluded.retired, updated_at=excluded.updated_at",
            (platform, gear_id, name, kind, distance_m, int(retired), utc_now()))

    def gear_names(self) -> dict[str, tuple[str | None, float | None]]:
        rows = self.conn.execute("SELECT gear_id, name, distance_m FROM gear").fetchall()
        return {r["gear_id"]: (r["name"], r["distance_m"]) for r in rows}

    # --- the runner's pain and drills ----------------------------------------------

    def put_description_reports(self, platform: str, remote_id: str, pain: Sequence[PainReport],
                                drill_minutes: float | None, day: date) -> bool:
        """What one activity's description says now replaces what it said before; True when that changed."""
        with self.transaction():
            before = self._description_rows(platform, remote_id)
            self.conn.execute("DELETE FROM pain_reports WHERE source='description' AND platform=? AND remote_id=?",
                              (platform, remote_id))
            self.conn.execute("DELETE FROM drill_reports WHERE platform=? AND remote_id=?", (platform, remote_id))
            for report in pain:
                self._insert_pain(report)
            if drill_minutes:
                self.conn.execute("INSERT INTO drill_reports (platform, remote_id, day, minutes, recorded_at)"
                                  " VALUES (?, ?, ?, ?, ?)", (platform, remote_id, day.isoformat(), drill_minutes,
                                                            utc_now()))
            return self._description_rows(platform, remote_id) != before

    def _description_rows(self, platform: str, remote_id: str) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        pain = self.conn.execute("SELECT day, site, score, timing FROM pain_reports WHERE source='description'"
                                 " AND platform=? AND remote_id=? ORDER BY id", (platform, remote_id)).fetchall()
        drills = self.conn.execute("SELECT day, minutes FROM drill_reports WHERE platform=? AND remote_id=?",
                                   (platform, remote_id)).fetchall()
        return [tuple(r) for r in pain], [tuple(r) for r in drills]

    def add_pain(self, report: PainReport) -> None:
        """A report from ``pose-sync log pain``: the same site, day and timing logged again replaces it."""
        with self.transaction():
            self.conn.execute("DELETE FROM pain_reports WHERE source='log' AND day=? AND site=? AND timing=?",
                              (report.day.isoformat(), report.site, report.timing))
            self._insert_pain(report)

    def _insert_pain(self, report: PainReport) -> None:
        self.conn.execute(
            "INSERT INTO pain_reports (day, site, score, timing, source, platform, remote_id, text, recorded_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (report.day.isoformat(), report.site, report.score, report.timing, report.source, report.platform,
             report.remote_id, report.text, utc_now()))

    def pain_reports(self) -> list[PainReport]:
        rows = self.conn.execute("SELECT * FROM pain_reports ORDER BY day, id").fetchall()
        return [PainReport(date.fromisoformat(r["day"]), r["site"], float(r["score"]), r["timing"], r["source"],
                           r["platform"], r["remote_id"], r["text"]) for r in rows]

    def drill_minutes_by_day(self) -> dict[date, float]:
        rows = self.conn.execute("SELECT day, SUM(minutes) AS minutes FROM drill_reports GROUP BY day").fetchall()
        return {date.fromisoformat(r["day"]): float(r["minutes"]) for r in rows}

    # --- cursors -------------------------------------------------------------

    def get_cursor(self, connector: str) -> str | None:
        row = self.conn.execute("SELECT value FROM cursors WHERE connector=?", (connector,)).fetchone()
        return None if row is None else str(row[0])

    def set_cursor(self, connector: str, value: str) -> None:
        self.conn.execute(
            "INSERT INTO cursors (connector, value, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT (connector) DO UPDATE SET value=excluded.value, updated_at=excluded.updated_at",
            (connector, value, utc_now()),
        )

    # --- write-back ledger ---------------------------------------------------

    def record_write(self, platform: str, remote_id: str, kind: str, content_sha256: str,
                     detail: dict[str, Any] | None = None) -> None:
        self.conn.execute(
            "INSERT INTO ledger (platform, remote_id, kind, content_sha256, detail, written_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (platform, remote_id, kind, content_sha256, json.dumps(detail or {}, sort_keys=True), utc_now()),
        )

    def last_write(self, platform: str, remote_id: str, kind: str) -> LedgerEntry | None:
        row = self.conn.execute(
            "SELECT * FROM ledger WHERE platform=? AND remote_id=? AND kind=? ORDER BY id DESC LIMIT 1",
            (platform, remote_id, kind),
        ).fetchone()
        return None if row is None else _ledger(row)

    def ledger(self, platform: str | None = None, kind: str | None = None) -> list[LedgerEntry]:
        sql, args = "SELECT * FROM ledger WHERE 1=1", list[str]()
        if platform:
            sql, args = sql + " AND platform=?", [*args, platform]
        if kind:
            sql, args = sql + " AND kind=?", [*args, kind]
        return [_ledger(r) for r in self.conn.execute(sql + " ORDER BY id", args).fetchall()]


def _item(row: sqlite3.Row) -> SyncItem:
    return SyncItem(row["platform"], row["remote_id"], row["state"], row["start_epoch"], row["run_id"],
                    json.loads(row["summary_json"] or "{}"), int(row["attempts"]), row["last_error"],
                    row["first_seen_epoch"], row["uploaded_epoch"])


def _note_check(row: sqlite3.Row) -> NoteCheck:
    return NoteCheck(row["platform"], row["remote_id"], row["state"], row["due_epoch"], float(row["written_epoch"]),
                     int(row["restores"]))


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


def _ledger(row: sqlite3.Row) -> LedgerEntry:
    return LedgerEntry(row["platform"], row["remote_id"], row["kind"], row["content_sha256"],
                       json.loads(row["detail"] or "{}"), row["written_at"])


def richness(analysis: RunAnalysis) -> tuple[int, int]:
    """How much form a copy of a run carries: scored form inputs, then measured form channels."""
    return len(analysis.form.components), len(analysis.sources)


def distances_agree(a: float | None, b: float | None) -> bool:
    """Platform copies of one run differ by a few percent of distance; tiny runs by metres."""
    if not a or not b:
        return True
    return abs(a - b) <= max(MATCH_DISTANCE_FRACTION * max(a, b), MATCH_DISTANCE_M)


def _split_sql(script: str) -> list[str]:
    """Statements of a migration (they contain no literal semicolons)."""
    return [s.strip() for s in script.split(";") if s.strip() and not _only_comments(s)]


def _only_comments(statement: str) -> bool:
    return all(not line.strip() or line.strip().startswith("--") for line in statement.splitlines())
