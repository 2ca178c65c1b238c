"""A platform that lives in a JSON file: for pipeline tests that kill processes.

It implements the connector protocol over a state file (activities with their
FIT file or streams, descriptions, a log of every request), so a test can
kill a sync with SIGKILL at a chosen step and inspect what the "platform"
received. Faults are injected by name: ``fail_at`` raises, ``kill_at`` kills
the process, both at one of the step boundaries listed in :data:`POINTS`.
The HTTP-level equivalents against the Strava and Garmin fakes live with
those plugins' tests.
"""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pose_sync.connectors import Fetched, RemoteActivity
from pose_sync.errors import RemoteError
from pose_sync.fit import decode_fit
from pose_sync.model import SourceRef

# before_fetch: listed, nothing fetched. after_fetch: fetched, not stored.
# before_write: stored, note not written. after_write: platform has the note,
# our ledger does not.
POINTS = ("before_fetch", "after_fetch", "before_write", "after_write")


@dataclass
class MemoryPlatform:
    state_path: Path
    name: str = "memory"
    supports_notes: bool = True
    source_quality: int = 2
    fail_at: str | None = None
    kill_at: str | None = None
    as_streams: bool = False

    # --- the platform's side ----------------------------------------------------

    @classmethod
    def create(cls, state_path: Path, activities: list[dict[str, Any]], **kwargs: Any) -> MemoryPlatform:
        """``activities``: dicts with id, start_time (ISO), sport, distance_m, fit (path), description."""
        state_path.write_text(json.dumps({"activities": activities, "requests": []}), encoding="utf-8")
        return cls(state_path, **kwargs)

    def state(self) -> dict[str, Any]:
        return json.loads(self.state_path.read_text(encoding="utf-8"))

    def _save(self, state: dict[str, Any]) -> None:
        tmp = self.state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state), encoding="utf-8")
        os.replace(tmp, self.state_path)

    def _log(self, request: str) -> dict[str, Any]:
        state = self.state()
        state["requests"].append(request)
        self._save(state)
        return state

    def _fault(self, point: str) -> None:
        if self.kill_at == point:
            os.kill(os.getpid(), signal.SIGKILL)
        if self.fail_at == point:
            raise RemoteError(self.name, f"injected failure at {point}", status=503)

    def description(self, remote_id: str) -> str:
        return next(a["description"] for a in self.state()["activities"] if a["id"] == remote_id)

    # --- the connector protocol ---------------------------------------------------

    def _remote(self, a: dict[str, Any]) -> RemoteActivity:
        return RemoteActivity(self.name, a["id"], datetime.fromisoformat(a["start_time"]), a["sport"],
                              a.get("distance_m"), a.get("name"))

    def list_activities(self, after: datetime | None) -> Iterator[RemoteActivity]:
        state = self._log("list")
        for a in sorted(state["activities"], key=lambda a: a["start_time"]):
            remote = self._remote(a)
            if after is None or remote.start_time > after:
                yield remote

    def get_activity(self, remote_id: str) -> RemoteActivity:
        return self._remote(next(a for a in self.state()["activities"] if a["id"] == remote_id))

    def fetch(self, activity: RemoteActivity) -> Fetched:
        self._fault("before_fetch")
        state = self._log(f"fetch {activity.remote_id}")
        record = next(a for a in state["activities"] if a["id"] == activity.remote_id)
        data = Path(record["fit"]).read_bytes()
        self._fault("after_fetch")
        if self.as_streams:
            decoded = decode_fit(data, SourceRef(self.name, activity.remote_id))
            return Fetched(activities=[a for a in decoded.activities if a.is_run], description=record["description"])
        return Fetched(fit_bytes=data, description=record["description"])

    def read_description(self, activity: RemoteActivity) -> str:
        self._fault("before_write")
        self._log(f"read {activity.remote_id}")
        return self.description(activity.remote_id)

    def write_description(self, activity: RemoteActivity, text: str) -> None:  # no answer: the pipeline reads back
        self._fault("before_write")
        state = self._log(f"write {activity.remote_id}")
        for a in state["activities"]:
            if a["id"] == activity.remote_id:
                a["description"] = text
        self._save(state)
        self._fault("after_write")

    def close(self) -> None:
        return None
