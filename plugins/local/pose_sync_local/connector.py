"""The local-folder connector (declared in ``plugin.py`` like any other pose-sync plugin).

Folders have no activity ids and no push, so every FIT file found (in the
folder tree or inside zips) is an activity identified by its path; the sync
pipeline remembers which it has finished, so each sync only reads new files.
Descriptions cannot be written back to a file: ``supports_notes`` is False.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from pose_sync.connectors import Check, Fetched, RemoteActivity
from pose_sync.errors import InputError
from pose_sync.inputs import FitInput, expand


class LocalSettings(BaseModel):
    """``[connectors.local]``: folders to scan on every sync."""

    model_config = ConfigDict(extra="forbid")
    folders: list[str] = []


class LocalConnector:
    name = "local"
    supports_notes = False
    source_quality = 2  # original FIT files
    lists_everything = True  # every sync scans the whole folder: no look-back to speak of

    def __init__(self, folders: list[str]) -> None:
        self.folders = [Path(f).expanduser() for f in folders]

    def list_activities(self, after: datetime | None) -> Iterator[RemoteActivity]:
        """Every FIT file under the folders; ``after`` does not apply (copied files keep old dates)."""
        missing = [str(f) for f in self.folders if not f.is_dir()]
        if missing:
            raise InputError(f"local: folder(s) not found: {', '.join(missing)}",
                             hint="fix [connectors.local] folders in your config, or mount the watch")
        found: list[tuple[float, FitInput]] = []
        for item in expand(self.folders):
            if isinstance(item, InputError):
                continue  # an unreadable zip is reported when the pipeline fetches it
            found.append((item.path.stat().st_mtime, item))
        for mtime, item in sorted(found, key=lambda pair: (pair[0], pair[1].label)):
            yield RemoteActivity(
                platform="file",
                remote_id=item.label,
                start_time=datetime.fromtimestamp(mtime, tz=timezone.utc),
                sport="unknown",
                summary={"path": str(item.path), "member": item.member},
            )

    def get_activity(self, remote_id: str) -> RemoteActivity:
        for activity in self.list_activities(None):
            if activity.remote_id == remote_id:
                return activity
        raise InputError(f"local: {remote_id} is not in the configured folders")

    def fetch(self, activity: RemoteActivity) -> Fetched:
        item = FitInput(Path(activity.summary["path"]), activity.summary.get("member"))
        return Fetched(fit_bytes=item.read())

    def read_description(self, activity: RemoteActivity) -> str:
        return ""

    def write_description(self, activity: RemoteActivity, text: str) -> None:
        raise InputError("local files have no description to write")

    def checks(self) -> list[Check]:
        if not self.folders:
            return [Check("folders", None, "no folders configured in [connectors.local] folders")]
        return [Check(f"folder {folder}", folder.is_dir(), "found" if folder.is_dir() else "not found (mounted?)")
                for folder in self.folders]

    def close(self) -> None:
        return None
