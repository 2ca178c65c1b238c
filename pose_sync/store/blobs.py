"""Where the original files (and stored samples) of runs are kept: a folder (the default) or the database.

A blob is named by its SHA-256 and a suffix (``.fit``, ``.npz``); the same
bytes always get the same name, so writing one twice is harmless. The
folder keeps the single-user layout (``blobs/ab/abcdef....fit``, written
atomically); the database keeps them in ``blob_data`` rows owned by the
athlete, written in the same transaction as the run they belong to, for a
service whose workers run on several machines.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pose_sync.files import write_atomic
from pose_sync.store import tables as t


class Blobs(Protocol):
    def put(self, name: str, data: bytes) -> None: ...
    def get(self, name: str) -> bytes: ...
    def path(self, name: str) -> Path | None: ...


class FolderBlobs:
    def __init__(self, root: Path, *, scratch: bool = False) -> None:
        self.root = root
        self.scratch = scratch  # a dry run: nothing reaches the disk

    def path(self, name: str) -> Path:
        return self.root / name[:2] / name

    def put(self, name: str, data: bytes) -> None:
        path = self.path(name)
        if not path.exists() and not self.scratch:
            write_atomic(path, data)

    def get(self, name: str) -> bytes:
        return self.path(name).read_bytes()


class DatabaseBlobs:
    def __init__(self, db: Connection, athlete_id: int) -> None:
        self.db = db
        self.athlete_id = athlete_id

    def path(self, name: str) -> None:
        return None

    def put(self, name: str, data: bytes) -> None:
        exists = self.db.execute(sa.select(sa.literal(1)).where(
            t.blob_data.c.athlete_id == self.athlete_id, t.blob_data.c.name == name)).first()
        if exists is None:
            self.db.execute(sa.insert(t.blob_data).values(athlete_id=self.athlete_id, name=name, data=data))

    def get(self, name: str) -> bytes:
        data = self.db.execute(sa.select(t.blob_data.c.data).where(
            t.blob_data.c.athlete_id == self.athlete_id, t.blob_data.c.name == name)).scalar()
        if data is None:
            raise FileNotFoundError(name)
        return bytes(data)
