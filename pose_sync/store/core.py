"""The store on SQLAlchemy Core: one athlete's runs, sources, blobs, cursors, ledger, pipeline state and queue.

A :class:`Store` is bound to one athlete when it is opened, and every query it
runs is scoped to that athlete (``athlete_id`` in every WHERE and every row it
writes), so the pipeline above it needs no notion of tenancy and cannot see
another athlete's rows. One :class:`Store` per process or thread; every
multi-row change happens inside :meth:`Store.transaction`, so a crash leaves
either the old state or the new one, never half of each.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from pose_sync.errors import ConfigError
from pose_sync.files import make_private_dirs, secure_data_dir
from pose_sync.model import RunAnalysis, Samples, SourceRef
from pose_sync.pain import PainReport
from pose_sync.store import (
    DB_NAME,
    MATCH_START_S,
    MAX_ZONE_OFFSET_S,
    SHIFTED_MATCH_FRACTION,
    SHIFTED_START_S,
    ZONE_STEP_S,
    EventsWaiting,
    LedgerEntry,
    NoteCheck,
    SaveResult,
    StoredRun,
    SyncItem,
    _holder_alive,
    distances_agree,
    richness,
    utc_now,
)
from pose_sync.store import database as dbm
from pose_sync.store import tables as t
from pose_sync.store.blobs import Blobs, DatabaseBlobs, FolderBlobs
from pose_sync.store.codec import analysis_from_json, analysis_to_json
from pose_sync.store.samples import samples_from_bytes, samples_to_bytes
from pose_sync.store.tables import LOCAL_ATHLETE


class Store:
    """Runs, their sources, raw files, cursors and the write-back ledger of one athlete."""

    def __init__(self, data_dir: Path, db: Connection, *, athlete_id: int = LOCAL_ATHLETE,
                 blobs: str = "folder", scratch: bool = False) -> None:
        self.data_dir = data_dir
        self.db = db
        self.athlete_id = athlete_id
        self.scratch = scratch  # an in-memory copy for a dry run: nothing reaches the disk
        self.blobs: Blobs = DatabaseBlobs(db, athlete_id) if blobs == "database" else \
            FolderBlobs(data_dir / "blobs", scratch=scratch)
        self.conn = dbm.RawSQL(db)
        self._depth = 0
        self._postgres = dbm.is_postgres(db)

    # --- lifecycle -----------------------------------------------------------

    @classmethod
    def open(cls, data_dir: Path | str) -> Store:
        """Open (creating and migrating if needed) the store in ``data_dir``.

        With ``POSE_SYNC_DATABASE_URL`` set, the tables live in that database,
        owned by the athlete whose home is this data folder (each folder its
        own, as each folder has its own SQLite file), and the files stay in ``data_dir``.
        """
        data_dir = Path(data_dir).expanduser()
        try:
            secure_data_dir(data_dir)
            make_private_dirs(data_dir / "blobs")
        except OSError as exc:
            raise ConfigError(f"data directory {data_dir} is not writable: {exc.strerror}",
                              hint="pass --data-dir or set POSE_SYNC_HOME to a writable folder") from exc
        url = os.environ.get(dbm.ENV_URL)
        if url:
            return cls.open_database(url, home=str(data_dir.resolve()), data_dir=data_dir)
        db_path = data_dir / DB_NAME
        new = not db_path.exists()
        try:
            db = dbm.connect(dbm.sqlite_engine(db_path))
            if new:
                os.chmod(db_path, 0o600)
        except (sa.exc.DBAPIError, ConfigError) as exc:
            raise ConfigError(f"cannot open the store at {db_path}: {exc}",
                              hint="a read-only data folder? `pose-sync report` and `doctor` work on one;"
                                   " import, sync and rescore need to write to it") from exc
        return cls._migrated(cls(data_dir, db), str(data_dir))

    @classmethod
    def open_database(cls, url: str, *, data_dir: Path, athlete_id: int | None = None, home: str | None = None,
                      blobs: str = "folder") -> Store:
        """One athlete's store in a shared database (PostgreSQL): the athlete by id, or the one whose home is
        a data folder. The database is migrated once per process."""
        db = dbm.connect(dbm.url_engine(url))
        try:
            if url not in _migrated_urls:
                dbm.migrate(db, url.rpartition("@")[2].partition("?")[0])
                _migrated_urls.add(url)
            if athlete_id is None:
                assert home is not None
                athlete_id = _home_athlete(db, home)
        except BaseException:
            db.close()
            raise
        return cls(data_dir, db, athlete_id=athlete_id, blobs=blobs)

    @classmethod
    def _migrated(cls, store: Store, where: str) -> Store:
        try:
            dbm.migrate(store.db, where)
        except BaseException:
            store.close()
            raise
        return store

    @classmethod
    def snapshot(cls, data_dir: Path | str) -> Store:
        """An in-memory copy of the store in ``data_dir`` (empty when there is none), for a dry run.

        The same pipeline runs on it and shows exactly what a real run would do,
        while the data folder, the store and the cursors stay byte for byte as they were.
        """
        data_dir = Path(data_dir).expanduser().absolute()   # a relative --data-dir has no file URI
        if os.environ.get(dbm.ENV_URL):
            with cls.open(data_dir) as real:
                return real.scratch_copy()
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
        return cls._in_memory(data_dir, memory, LOCAL_ATHLETE)

    def scratch_copy(self) -> Store:
        """An in-memory copy of this store (see :meth:`snapshot`): on PostgreSQL, this athlete's rows."""
        if self.scratch:
            return self
        memory = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        if not self._postgres:
            self.db.connection.dbapi_connection.backup(memory)  # type: ignore[union-attr]
            return self._in_memory(self.data_dir, memory, self.athlete_id)
        copy = self._in_memory(self.data_dir, memory, self.athlete_id)
        for table in t.OWNED:
            rows = [dict(r) for r in self.db.execute(sa.select(table).where(table.c.athlete_id == self.athlete_id))
                    .mappings()]
            if rows:
                copy.db.execute(sa.insert(table), rows)
        return copy

    @classmethod
    def _in_memory(cls, data_dir: Path, memory: sqlite3.Connection, athlete_id: int) -> Store:
        store = cls(data_dir, dbm.connect(dbm.memory_engine(memory)), athlete_id=athlete_id, scratch=True)
        return cls._migrated(store, "memory")

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        """The number of the SQLite store's pre-Alembic migrations it has (all of them, once Alembic manages it)."""
        if self._postgres:
            from pose_sync.store.schema import MIGRATIONS

            return len(MIGRATIONS) if dbm.revision(self.db) == dbm.HEAD else 0
        return dbm.legacy_version(self.db)

    @property
    def revision(self) -> str | None:
        return dbm.revision(self.db)

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """``BEGIN`` (this athlete's write lock) ... ``COMMIT``; nested calls join the outer one."""
        if self._depth:
            self._depth += 1
            try:
                yield self.db
            finally:
                self._depth -= 1
            return
        dbm.begin(self.db, self.athlete_id)
        self._depth = 1
        try:
            yield self.db
        except BaseException:
            self._depth = 0
            try:
                self.db.exec_driver_sql("ROLLBACK")
            except (sa.exc.DBAPIError, sa.exc.InvalidRequestError):
                self.db.rollback()  # the connection was lost: the server rolled back already
            raise
        self._depth = 0
        self.db.exec_driver_sql("COMMIT")

    # --- small helpers: every statement scoped to the athlete ---------------------

    def _mine(self, table: sa.Table) -> sa.ColumnElement[bool]:
        return table.c.athlete_id == self.athlete_id

    def _x(self, statement: Any, params: Any = None) -> Any:
        return self.db.execute(statement, params) if params is not None else self.db.execute(statement)

    def _one(self, statement: Any) -> RowMapping | None:
        return self.db.execute(statement).mappings().first()

    def _all(self, statement: Any) -> list[RowMapping]:
        return list(self.db.execute(statement).mappings())

    def _insert(self, table: sa.Table) -> Any:
        """The dialect's INSERT, which knows ON CONFLICT (both SQLite and PostgreSQL have it)."""
        from sqlalchemy.dialects import postgresql, sqlite

        return postgresql.insert(table) if self._postgres else sqlite.insert(table)

    def _upsert(self, table: sa.Table, values: dict[str, Any], keys: list[str],
                update: dict[str, Any] | None = None) -> None:
        """Insert, or on a key conflict update ``update`` (default: every non-key column from the new row)."""
        statement = self._insert(table).values(athlete_id=self.athlete_id, **values)
        if update is None:
            update = {k: statement.excluded[k] for k in values if k not in keys}
        self.db.execute(statement.on_conflict_do_update(index_elements=["athlete_id", *keys], set_=update))

    def _insert_ignore(self, table: sa.Table, values: dict[str, Any]) -> None:
        self.db.execute(self._insert(table).values(athlete_id=self.athlete_id, **values).on_conflict_do_nothing())

    # --- the athlete's data as a whole ----------------------------------------------

    def delete_everything(self) -> dict[str, int]:
        """Every row this athlete owns, in one transaction (rows per table); their folder blobs too."""
        counts: dict[str, int] = {}
        with self.transaction():
            for table in reversed(t.OWNED):
                counts[table.name] = int(self._x(sa.delete(table).where(self._mine(table))).rowcount or 0)
        if isinstance(self.blobs, FolderBlobs) and self.athlete_id != LOCAL_ATHLETE and self.blobs.root.exists():
            import shutil

            shutil.rmtree(self.blobs.root, ignore_errors=True)
        return counts

    def rows_owned(self) -> int:
        """How many rows this athlete owns across every table (0 after :meth:`delete_everything`)."""
        return sum(int(self.db.execute(sa.select(sa.func.count()).select_from(table).where(self._mine(table)))
                       .scalar() or 0) for table in t.OWNED)

    # --- raw files -----------------------------------------------------------

    def blob_path(self, sha256: str, suffix: str = ".fit") -> Path:
        return self.data_dir / "blobs" / sha256[:2] / f"{sha256}{suffix}"

    def put_blob(self, data: bytes, sha256: str, suffix: str = ".fit") -> None:
        """Keep raw bytes under their hash (a folder: atomic temp file, fsync, rename)."""
        self.blobs.put(f"{sha256}{suffix}", data)
        self._insert_ignore(t.blobs, {"sha256": sha256, "size": len(data), "stored_at": utc_now()})

    def get_blob(self, sha256: str, suffix: str = ".fit") -> bytes:
        return self.blobs.get(f"{sha256}{suffix}")

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
        s = t.run_sources.c
        return self.db.execute(sa.select(s.run_id).where(
            self._mine(t.run_sources), s.platform == ref.platform, s.remote_id == ref.remote_id,
            s.member == (ref.member or ""), s.session_index == ref.session_index)).scalar()

    def runs_with_fit(self, sha256: str) -> list[int]:
        s = t.run_sources.c
        return [int(r[0]) for r in self._x(sa.select(s.run_id).distinct().where(
            self._mine(t.run_sources), s.fit_sha256 == sha256))]

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
        r = t.runs.c
        rows = self._all(sa.select(r.id, r.start_epoch, r.distance_m, r.moving_time_s).where(
            self._mine(t.runs), r.start_epoch.between(start - MAX_ZONE_OFFSET_S - MATCH_START_S,
                                                      start + MAX_ZONE_OFFSET_S + MATCH_START_S))
            .order_by(sa.func.abs(r.start_epoch - start), r.id))
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
        r = t.runs.c
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
                row = self._one(sa.select(r.quality, r.gear_id, r.analysis_json).where(
                    self._mine(t.runs), r.id == run_id))
                assert row is not None
                richer = quality == row["quality"] and outcome == "linked" and \
                    richness(analysis) > richness(analysis_from_json(row["analysis_json"]))
                if quality > row["quality"] or richer:
                    self._update_run(run_id, analysis, fit_sha256, quality, gear_id or row["gear_id"])
                    outcome = "upgraded"
                else:
                    samples_sha256 = None  # the stored analysis keeps its own material
                    if gear_id and not row["gear_id"]:
                        self._x(sa.update(t.runs).where(self._mine(t.runs), r.id == run_id).values(gear_id=gear_id))
            if samples_sha256 is not None:
                self._x(sa.update(t.runs).where(self._mine(t.runs), r.id == run_id)
                        .values(samples_sha256=samples_sha256))
            self._put_source(run_id, ref, fit_sha256, replace=True)
        return SaveResult(run_id, outcome)

    def replace_analysis(self, run_id: int, analysis: RunAnalysis) -> None:
        """Re-scoring: a new analysis of the same source for a stored run."""
        with self.transaction():
            self._x(sa.update(t.runs).where(self._mine(t.runs), t.runs.c.id == run_id).values(
                analysis_json=analysis_to_json(analysis), analysis_version=analysis.analysis_version,
                form_score=analysis.form.score, distance_m=analysis.distance_m,
                moving_time_s=analysis.moving_time_s, updated_at=utc_now()))

    @staticmethod
    def _run_values(analysis: RunAnalysis, fit_sha256: str | None, quality: int, gear_id: str | None
                    ) -> dict[str, Any]:
        return {"start_time": analysis.start_time.isoformat(), "start_epoch": analysis.start_time.timestamp(),
                "distance_m": analysis.distance_m, "moving_time_s": analysis.moving_time_s,
                "sport": analysis.sport, "form_score": analysis.form.score,
                "analysis_version": analysis.analysis_version, "analysis_json": analysis_to_json(analysis),
                "fit_sha256": fit_sha256, "quality": quality, "gear_id": gear_id}

    def _insert_run(self, analysis: RunAnalysis, fit_sha256: str | None, quality: int, gear_id: str | None) -> int:
        now = utc_now()
        values = self._run_values(analysis, fit_sha256, quality, gear_id)
        return int(self.db.execute(sa.insert(t.runs).values(
            athlete_id=self.athlete_id, created_at=now, updated_at=now, **values).returning(t.runs.c.id)).scalar_one())

    def _update_run(self, run_id: int, analysis: RunAnalysis, fit_sha256: str | None, quality: int,
                    gear_id: str | None) -> None:
        self._x(sa.update(t.runs).where(self._mine(t.runs), t.runs.c.id == run_id).values(
            updated_at=utc_now(), **self._run_values(analysis, fit_sha256, quality, gear_id)))

    def get_run(self, run_id: int) -> StoredRun:
        row = self._one(sa.select(t.runs).where(self._mine(t.runs), t.runs.c.id == run_id))
        if row is None:
            raise KeyError(run_id)  # not stored, or another athlete's
        return self._stored(row, self._sources([run_id]).get(run_id, ()))

    def list_runs(self, since: datetime | None = None, until: datetime | None = None) -> list[StoredRun]:
        """Stored runs in start order, optionally within [since, until)."""
        query = sa.select(t.runs).where(self._mine(t.runs))
        if since is not None:
            query = query.where(t.runs.c.start_epoch >= since.timestamp())
        if until is not None:
            query = query.where(t.runs.c.start_epoch < until.timestamp())
        rows = self._all(query.order_by(t.runs.c.start_epoch, t.runs.c.id))
        sources = self._sources([int(r["id"]) for r in rows] if len(rows) < 500 else None)
        return [self._stored(row, sources.get(int(row["id"]), ())) for row in rows]

    def run_gear(self) -> dict[int, str | None]:
        """The shoe (gear id) of every stored run, by run id."""
        r = t.runs.c
        return {int(x["id"]): x["gear_id"] for x in self._all(sa.select(r.id, r.gear_id).where(self._mine(t.runs)))}

    def count_runs(self) -> int:
        return int(self.db.execute(sa.select(sa.func.count()).select_from(t.runs).where(self._mine(t.runs)))
                   .scalar() or 0)

    def _sources(self, run_ids: list[int] | None) -> dict[int, tuple[SourceRef, ...]]:
        s = t.run_sources.c
        query = sa.select(t.run_sources).where(self._mine(t.run_sources))
        if run_ids is not None:
            if not run_ids:
                return {}
            query = query.where(s.run_id.in_(run_ids))
        found: dict[int, list[SourceRef]] = {}
        for r in self._all(query.order_by(s.seen_at, s.platform, s.remote_id)):
            found.setdefault(int(r["run_id"]), []).append(
                SourceRef(r["platform"], r["remote_id"], r["member"] or None, int(r["session_index"])))
        return {k: tuple(v) for k, v in found.items()}

    @staticmethod
    def _stored(row: RowMapping, sources: tuple[SourceRef, ...]) -> StoredRun:
        return StoredRun(id=int(row["id"]), analysis=analysis_from_json(row["analysis_json"]), sources=sources,
                         fit_sha256=row["fit_sha256"], quality=int(row["quality"]), gear_id=row["gear_id"],
                         samples_sha256=row["samples_sha256"])

    def run_materials(self) -> list[tuple[int, str | None, str | None, str, int]]:
        """(id, fit sha, samples sha, analysis json, analysis version) of every run, in start order (re-scoring)."""
        r = t.runs.c
        return [(int(x["id"]), x["fit_sha256"], x["samples_sha256"], x["analysis_json"], int(x["analysis_version"]))
                for x in self._all(sa.select(r.id, r.fit_sha256, r.samples_sha256, r.analysis_json,
                                             r.analysis_version).where(self._mine(t.runs)).order_by(r.start_epoch))]

    def link_source(self, run_id: int, ref: SourceRef, fit_sha256: str | None = None) -> None:
        """Record that a platform activity is a run we already have (no new analysis)."""
        self._put_source(run_id, ref, fit_sha256, replace=False)

    def _put_source(self, run_id: int, ref: SourceRef, fit_sha256: str | None, *, replace: bool) -> None:
        values = {"platform": ref.platform, "remote_id": ref.remote_id, "member": ref.member or "",
                  "session_index": ref.session_index, "run_id": run_id, "fit_sha256": fit_sha256, "seen_at": utc_now()}
        if replace:
            self._upsert(t.run_sources, values, ["platform", "remote_id", "member", "session_index"])
        else:
            self._insert_ignore(t.run_sources, values)

    def forget_source(self, platform: str, remote_id: str) -> bool:
        """An activity deleted on its platform: its copy, its pipeline state and its note checks go; the run
        goes too unless another source (the watch's file, another platform) still has it. True if it had one."""
        s, i = t.run_sources.c, t.sync_items.c
        with self.transaction():
            runs = [int(r[0]) for r in self._x(sa.select(s.run_id).where(
                self._mine(t.run_sources), s.platform == platform, s.remote_id == remote_id))]
            self._x(sa.delete(t.run_sources).where(self._mine(t.run_sources), s.platform == platform,
                                                   s.remote_id == remote_id))
            for table in (t.sync_items, t.note_checks, t.claims):
                self._x(sa.delete(table).where(self._mine(table), table.c.platform == platform,
                                               table.c.remote_id == remote_id))
            for run_id in runs:
                left = self.db.execute(sa.select(sa.func.count()).select_from(t.run_sources).where(
                    self._mine(t.run_sources), s.run_id == run_id)).scalar()
                if not left:
                    self._x(sa.update(t.sync_items).where(self._mine(t.sync_items), i.run_id == run_id)
                            .values(run_id=None))
                    self._x(sa.delete(t.runs).where(self._mine(t.runs), t.runs.c.id == run_id))
        return bool(runs)

    def run_quality(self, run_id: int) -> int:
        return int(self.db.execute(sa.select(t.runs.c.quality).where(self._mine(t.runs), t.runs.c.id == run_id))
                   .scalar_one())

    # --- pipeline state ------------------------------------------------------

    def get_item(self, platform: str, remote_id: str) -> SyncItem | None:
        c = t.sync_items.c
        row = self._one(sa.select(t.sync_items).where(self._mine(t.sync_items), c.platform == platform,
                                                      c.remote_id == remote_id))
        return None if row is None else _item(row)

    def put_item(self, platform: str, remote_id: str, state: str, *, start_epoch: float | None = None,
                 run_id: int | None = None, summary: dict[str, Any] | None = None,
                 error: str | None = None, attempt: bool = False, uploaded_epoch: float | None = None,
                 now: float | None = None) -> None:
        """Create or advance an item; fields left as None keep their stored value.

        A new item records when it was first seen (``now``, default the clock).
        """
        c = t.sync_items.c
        statement = self._insert(t.sync_items).values(
            athlete_id=self.athlete_id, platform=platform, remote_id=remote_id, state=state, start_epoch=start_epoch,
            run_id=run_id, summary_json=json.dumps(summary, sort_keys=True, default=str) if summary is not None
            else None, attempts=1 if attempt else 0, last_error=error, updated_at=utc_now(),
            first_seen_epoch=time.time() if now is None else now, uploaded_epoch=uploaded_epoch)
        new = statement.excluded
        self._x(statement.on_conflict_do_update(index_elements=["athlete_id", "platform", "remote_id"], set_={
            "state": new.state, "start_epoch": sa.func.coalesce(new.start_epoch, c.start_epoch),
            "run_id": sa.func.coalesce(new.run_id, c.run_id),
            "summary_json": sa.func.coalesce(new.summary_json, c.summary_json),
            "attempts": c.attempts + new.attempts, "last_error": new.last_error, "updated_at": new.updated_at,
            "uploaded_epoch": sa.func.coalesce(new.uploaded_epoch, c.uploaded_epoch)}))

    def set_uploaded(self, platform: str, remote_id: str, uploaded_epoch: float) -> None:
        """The platform said when an activity was uploaded (a webhook's create event)."""
        c = t.sync_items.c
        self._x(sa.update(t.sync_items).where(self._mine(t.sync_items), c.platform == platform,
                                              c.remote_id == remote_id).values(uploaded_epoch=uploaded_epoch))

    def request_note_refresh(self, run_id: int, platform: str, remote_id: str) -> list[tuple[str, str]]:
        """A better analysis of a run: its finished notes on other platforms are to be written again.

        Their items go back to ``stored`` (note pending); the next pass over each
        platform renders the note from the new analysis and writes it if it differs.
        """
        c = t.sync_items.c
        where = (self._mine(t.sync_items), c.run_id == run_id, c.state == "done",
                 sa.not_(sa.and_(c.platform == platform, c.remote_id == remote_id)))
        with self.transaction():
            rows = self._all(sa.select(c.platform, c.remote_id).where(*where))
            self._x(sa.update(t.sync_items).where(*where).values(state="stored", updated_at=utc_now()))
        return [(r["platform"], r["remote_id"]) for r in rows]

    # --- claims: one process at a time per activity --------------------------------

    def claim(self, platform: str, remote_id: str, holder: str, lease_s: float, now: float | None = None) -> bool:
        """Take (or renew) the lease on one activity; False while another live holder has it.

        A lease ends by itself (a holder killed -9 blocks nobody for long), and
        at once when its holder was a process on this machine that no longer runs.
        """
        now = time.time() if now is None else now
        c = t.claims.c
        with self.transaction():
            row = self._one(sa.select(c.holder, c.expires_epoch).where(
                self._mine(t.claims), c.platform == platform, c.remote_id == remote_id))
            if row is not None and row["holder"] != holder and row["expires_epoch"] > now \
                    and _holder_alive(row["holder"]):
                return False
            self._upsert(t.claims, {"platform": platform, "remote_id": remote_id, "holder": holder,
                                    "expires_epoch": now + lease_s}, ["platform", "remote_id"])
        return True

    def release(self, platform: str, remote_id: str, holder: str) -> None:
        c = t.claims.c
        self._x(sa.delete(t.claims).where(self._mine(t.claims), c.platform == platform, c.remote_id == remote_id,
                                          c.holder == holder))

    def claims_held(self) -> int:
        return int(self.db.execute(sa.select(sa.func.count()).select_from(t.claims).where(self._mine(t.claims)))
                   .scalar() or 0)

    # --- note checks: the read-back pass after a write ----------------------------

    def get_note_check(self, platform: str, remote_id: str) -> NoteCheck | None:
        c = t.note_checks.c
        row = self._one(sa.select(t.note_checks).where(self._mine(t.note_checks), c.platform == platform,
                                                       c.remote_id == remote_id))
        return None if row is None else _note_check(row)

    def schedule_note_check(self, platform: str, remote_id: str, *, written_epoch: float, due_epoch: float,
                            restored: bool = False) -> None:
        """After a write: check it again from ``due_epoch`` (a respected removal stays respected)."""
        c = t.note_checks.c
        statement = self._insert(t.note_checks).values(
            athlete_id=self.athlete_id, platform=platform, remote_id=remote_id, state="verify", due_epoch=due_epoch,
            written_epoch=written_epoch, restores=1 if restored else 0, updated_at=utc_now())
        new = statement.excluded
        self._x(statement.on_conflict_do_update(index_elements=["athlete_id", "platform", "remote_id"], set_={
            "state": sa.case((c.state == "respected", c.state), else_=sa.literal("verify")),
            "due_epoch": new.due_epoch, "written_epoch": new.written_epoch, "restores": c.restores + new.restores,
            "updated_at": new.updated_at}))

    def set_note_check(self, platform: str, remote_id: str, state: str, due_epoch: float | None = None) -> None:
        c = t.note_checks.c
        self._x(sa.update(t.note_checks).where(self._mine(t.note_checks), c.platform == platform,
                                               c.remote_id == remote_id)
                .values(state=state, due_epoch=due_epoch, updated_at=utc_now()))

    def note_checks_due(self, platform: str, now: float | None = None) -> list[NoteCheck]:
        c = t.note_checks.c
        rows = self._all(sa.select(t.note_checks).where(
            self._mine(t.note_checks), c.platform == platform, c.state == "verify",
            c.due_epoch <= (time.time() if now is None else now)).order_by(c.due_epoch, c.remote_id))
        return [_note_check(r) for r in rows]

    def items(self, platform: str, states: tuple[str, ...] | None = None) -> list[SyncItem]:
        c = t.sync_items.c
        query = sa.select(t.sync_items).where(self._mine(t.sync_items), c.platform == platform)
        if states:
            query = query.where(c.state.in_(states))
        return [_item(r) for r in self._all(query.order_by(c.start_epoch, c.remote_id))]

    def start_sync_run(self, connector: str) -> int:
        return int(self.db.execute(sa.insert(t.sync_runs).values(
            athlete_id=self.athlete_id, connector=connector, started_at=utc_now()).returning(t.sync_runs.c.id))
            .scalar_one())

    def finish_sync_run(self, sync_run_id: int, outcome: str, summary: dict[str, Any]) -> None:
        self._x(sa.update(t.sync_runs).where(self._mine(t.sync_runs), t.sync_runs.c.id == sync_run_id).values(
            finished_at=utc_now(), outcome=outcome, summary_json=json.dumps(summary, sort_keys=True)))

    def last_sync_run(self, connector: str) -> dict[str, Any] | None:
        c = t.sync_runs.c
        row = self._one(sa.select(t.sync_runs).where(self._mine(t.sync_runs), c.connector == connector)
                        .order_by(c.id.desc()).limit(1))
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
        c = t.events.c
        with self.transaction():
            if object_key is not None and fold is not None:
                row = self._one(sa.select(c.id, c.payload_json, c.due_epoch).where(
                    self._mine(t.events), c.platform == platform, c.object_key == object_key,
                    c.state == "pending").order_by(c.id).limit(1))
                if row is not None:
                    merged = fold(json.loads(row["payload_json"]), payload)
                    due = max((d for d in (row["due_epoch"], due_epoch) if d is not None), default=None)
                    self._x(sa.update(t.events).where(self._mine(t.events), c.id == row["id"]).values(
                        payload_json=json.dumps(merged, sort_keys=True), due_epoch=due))
                    return int(row["id"]), "folded"
            event_id = self.db.execute(sa.insert(t.events).values(
                athlete_id=self.athlete_id, platform=platform, payload_json=json.dumps(payload, sort_keys=True),
                received_at=utc_now(), state=alone_state, object_key=object_key, due_epoch=due_epoch)
                .returning(c.id)).scalar_one()
        return int(event_id), alone_state

    def pending_events(self, platform: str, now: float | None = None) -> list[tuple[int, dict[str, Any], int]]:
        """(id, payload, attempts so far) of the platform's pending events, oldest first.

        With ``now``, only those that are due (a delayed job waits in the queue until then).
        """
        c = t.events.c
        query = sa.select(c.id, c.payload_json, c.attempts).where(self._mine(t.events), c.platform == platform,
                                                                  c.state == "pending")
        if now is not None:
            query = query.where(sa.or_(c.due_epoch.is_(None), c.due_epoch <= now))
        return [(int(r["id"]), json.loads(r["payload_json"]), int(r["attempts"]))
                for r in self._all(query.order_by(c.id))]

    def next_event_due(self, platform: str) -> float | None:
        """When the earliest pending event falls due (None: none is waiting for a time)."""
        c = t.events.c
        due = self.db.execute(sa.select(sa.func.min(c.due_epoch)).where(
            self._mine(t.events), c.platform == platform, c.state == "pending")).scalar()
        return None if due is None else float(due)

    def finish_event(self, event_id: int, state: str, error: str | None = None) -> None:
        c = t.events.c
        self._x(sa.update(t.events).where(self._mine(t.events), c.id == event_id).values(
            state=state, attempts=c.attempts + 1, last_error=error, processed_at=utc_now()))

    def postpone_event(self, event_id: int, due_epoch: float, error: str | None = None) -> None:
        """Leave an event pending until ``due_epoch``, without counting an attempt."""
        c = t.events.c
        self._x(sa.update(t.events).where(self._mine(t.events), c.id == event_id).values(
            due_epoch=due_epoch, last_error=error))

    def requeue_failed_events(self, platform: str) -> int:
        """Give failed events another chance (after the athlete authorised again)."""
        c = t.events.c
        result = self._x(sa.update(t.events).where(self._mine(t.events), c.platform == platform,
                                                   c.state == "failed").values(state="pending", attempts=0,
                                                                              due_epoch=None))
        return int(result.rowcount or 0)

    def events_waiting(self, now: float | None = None) -> EventsWaiting:
        now = time.time() if now is None else now
        c = t.events.c

        def count(condition: Any) -> Any:
            return sa.func.sum(sa.case((condition, 1), else_=0))

        row = self.db.execute(sa.select(count(c.state == "pending"),
                                        count(sa.and_(c.state == "pending", c.due_epoch > now)),
                                        count(c.state == "failed")).where(self._mine(t.events))).one()
        reason = self.db.execute(sa.select(c.last_error).where(
            self._mine(t.events), c.state == "pending", c.last_error.is_not(None)).order_by(c.id.desc()).limit(1)
        ).scalar()
        return EventsWaiting(int(row[0] or 0), int(row[1] or 0), int(row[2] or 0), reason)

    # --- gear ------------------------------------------------------------------

    def has_gear(self, platform: str, gear_id: str) -> bool:
        c = t.gear.c
        return self.db.execute(sa.select(sa.literal(1)).where(self._mine(t.gear), c.platform == platform,
                                                              c.gear_id == gear_id)).first() is not None

    def put_gear(self, platform: str, gear_id: str, name: str | None, kind: str | None,
                 distance_m: float | None, retired: bool = False) -> None:
        self._upsert(t.gear, {"platform": platform, "gear_id": gear_id, "name": name, "kind": kind,
                              "distance_m": distance_m, "retired": int(retired), "updated_at": utc_now()},
                     ["platform", "gear_id"])

    def gear_names(self) -> dict[str, tuple[str | None, float | None]]:
        c = t.gear.c
        return {r["gear_id"]: (r["name"], r["distance_m"])
                for r in self._all(sa.select(c.gear_id, c.name, c.distance_m).where(self._mine(t.gear)))}

    # --- the runner's pain and drills ----------------------------------------------

    def put_description_reports(self, platform: str, remote_id: str, pain: Sequence[PainReport],
                                drill_minutes: float | None, day: date) -> bool:
        """What one activity's description says now replaces what it said before; True when that changed."""
        p, d = t.pain_reports.c, t.drill_reports.c
        with self.transaction():
            before = self._description_rows(platform, remote_id)
            self._x(sa.delete(t.pain_reports).where(self._mine(t.pain_reports), p.source == "description",
                                                    p.platform == platform, p.remote_id == remote_id))
            self._x(sa.delete(t.drill_reports).where(self._mine(t.drill_reports), d.platform == platform,
                                                     d.remote_id == remote_id))
            for report in pain:
                self._insert_pain(report)
            if drill_minutes:
                self._x(sa.insert(t.drill_reports).values(athlete_id=self.athlete_id, platform=platform,
                                                          remote_id=remote_id, day=day.isoformat(),
                                                          minutes=drill_minutes, recorded_at=utc_now()))
            return self._description_rows(platform, remote_id) != before

    def _description_rows(self, platform: str, remote_id: str) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        p, d = t.pain_reports.c, t.drill_reports.c
        pain = self.db.execute(sa.select(p.day, p.site, p.score, p.timing).where(
            self._mine(t.pain_reports), p.source == "description", p.platform == platform,
            p.remote_id == remote_id).order_by(p.id)).all()
        drills = self.db.execute(sa.select(d.day, d.minutes).where(
            self._mine(t.drill_reports), d.platform == platform, d.remote_id == remote_id)).all()
        return [tuple(r) for r in pain], [tuple(r) for r in drills]

    def add_pain(self, report: PainReport) -> None:
        """A report from ``pose-sync log pain``: the same site, day and timing logged again replaces it."""
        p = t.pain_reports.c
        with self.transaction():
            self._x(sa.delete(t.pain_reports).where(self._mine(t.pain_reports), p.source == "log",
                                                    p.day == report.day.isoformat(), p.site == report.site,
                                                    p.timing == report.timing))
            self._insert_pain(report)

    def _insert_pain(self, report: PainReport) -> None:
        self._x(sa.insert(t.pain_reports).values(
            athlete_id=self.athlete_id, day=report.day.isoformat(), site=report.site, score=report.score,
            timing=report.timing, source=report.source, platform=report.platform, remote_id=report.remote_id,
            text=report.text, recorded_at=utc_now()))

    def pain_reports(self) -> list[PainReport]:
        p = t.pain_reports.c
        rows = self._all(sa.select(t.pain_reports).where(self._mine(t.pain_reports)).order_by(p.day, p.id))
        return [PainReport(date.fromisoformat(r["day"]), r["site"], float(r["score"]), r["timing"], r["source"],
                           r["platform"], r["remote_id"], r["text"]) for r in rows]

    def drill_minutes_by_day(self) -> dict[date, float]:
        d = t.drill_reports.c
        rows = self._all(sa.select(d.day, sa.func.sum(d.minutes).label("minutes")).where(
            self._mine(t.drill_reports)).group_by(d.day))
        return {date.fromisoformat(r["day"]): float(r["minutes"]) for r in rows}

    # --- cursors -------------------------------------------------------------

    def get_cursor(self, connector: str) -> str | None:
        c = t.cursors.c
        value = self.db.execute(sa.select(c.value).where(self._mine(t.cursors), c.connector == connector)).scalar()
        return None if value is None else str(value)

    def set_cursor(self, connector: str, value: str) -> None:
        self._upsert(t.cursors, {"connector": connector, "value": value, "updated_at": utc_now()}, ["connector"])

    def delete_cursor(self, connector: str) -> None:
        c = t.cursors.c
        self._x(sa.delete(t.cursors).where(self._mine(t.cursors), c.connector == connector))

    # --- write-back ledger ---------------------------------------------------

    def record_write(self, platform: str, remote_id: str, kind: str, content_sha256: str,
                     detail: dict[str, Any] | None = None) -> None:
        self._x(sa.insert(t.ledger).values(athlete_id=self.athlete_id, platform=platform, remote_id=remote_id,
                                           kind=kind, content_sha256=content_sha256,
                                           detail=json.dumps(detail or {}, sort_keys=True), written_at=utc_now()))

    def last_write(self, platform: str, remote_id: str, kind: str) -> LedgerEntry | None:
        c = t.ledger.c
        row = self._one(sa.select(t.ledger).where(self._mine(t.ledger), c.platform == platform,
                                                  c.remote_id == remote_id, c.kind == kind)
                        .order_by(c.id.desc()).limit(1))
        return None if row is None else _ledger(row)

    def ledger(self, platform: str | None = None, kind: str | None = None) -> list[LedgerEntry]:
        c = t.ledger.c
        query = sa.select(t.ledger).where(self._mine(t.ledger))
        if platform:
            query = query.where(c.platform == platform)
        if kind:
            query = query.where(c.kind == kind)
        return [_ledger(r) for r in self._all(query.order_by(c.id))]


_migrated_urls: set[str] = set()


def _home_athlete(db: Connection, home: str) -> int:
    """The athlete that owns a data folder's rows in a shared database (created on first use)."""
    from sqlalchemy.dialects.postgresql import insert

    a = t.athletes.c
    now = utc_now()
    db.execute(insert(t.athletes).values(home=home, name=Path(home).name, created_at=now, updated_at=now)
               .on_conflict_do_nothing())
    return int(db.execute(sa.select(a.id).where(a.home == home)).scalar_one())


def _item(row: RowMapping) -> SyncItem:
    return SyncItem(row["platform"], row["remote_id"], row["state"], row["start_epoch"], row["run_id"],
                    json.loads(row["summary_json"] or "{}"), int(row["attempts"]), row["last_error"],
                    row["first_seen_epoch"], row["uploaded_epoch"])


def _note_check(row: RowMapping) -> NoteCheck:
    return NoteCheck(row["platform"], row["remote_id"], row["state"], row["due_epoch"], float(row["written_epoch"]),
                     int(row["restores"]))


def _ledger(row: RowMapping) -> LedgerEntry:
    return LedgerEntry(row["platform"], row["remote_id"], row["kind"], row["content_sha256"],
                       json.loads(row["detail"] or "{}"), row["written_at"])
