"""FIT files on disk: single files, folders (recursively) and .zip exports.

Garmin and Strava bulk exports are zips of FIT files (sometimes ``.fit.gz``);
watches mounted as drives are folders. Each yields :class:`FitInput` items
that read their bytes only when asked, so listing a large export is cheap.
"""

from __future__ import annotations

import gzip
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pose_sync.errors import InputError
from pose_sync.model import SourceRef

FIT_SUFFIXES = (".fit", ".fit.gz")


@dataclass(frozen=True)
class FitInput:
    """One FIT file on disk or inside a zip."""

    path: Path
    member: str | None = None

    @property
    def source(self) -> SourceRef:
        return SourceRef("file", str(self.path), self.member)

    @property
    def label(self) -> str:
        return f"{self.path}!{self.member}" if self.member else str(self.path)

    def read(self) -> bytes:
        try:
            if self.member is None:
                data = self.path.read_bytes()
            else:
                with zipfile.ZipFile(self.path) as archive:
                    data = archive.read(self.member)
        except (OSError, zipfile.BadZipFile, KeyError) as exc:
            raise InputError(f"{self.label}: cannot read: {getattr(exc, 'strerror', None) or exc}") from exc
        name = self.member or self.path.name
        if name.lower().endswith(".gz"):
            try:
                data = gzip.decompress(data)
            except (OSError, EOFError) as exc:
                raise InputError(f"{self.label}: damaged gzip: {exc}") from exc
        return data


def _is_fit_name(name: str) -> bool:
    return name.lower().endswith(FIT_SUFFIXES)


def _zip_members(path: Path) -> list[FitInput]:
    try:
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if _is_fit_name(n) and not n.endswith("/")]
    except (OSError, zipfile.BadZipFile) as exc:
        raise InputError(f"{path}: not a readable zip archive ({exc})") from exc
    return [FitInput(path, name) for name in sorted(names)]


def expand(paths: Iterable[str | Path]) -> Iterator[FitInput | InputError]:
    """Every FIT input under ``paths``, in a stable order.

    Problems with one path (missing, unreadable zip) are yielded as
    :class:`InputError` items in place, so a batch reports them and goes on.
    """
    for raw in paths:
        path = Path(raw).expanduser()
        if not path.exists():
            yield InputError(f"{path}: no such file or folder")
        elif path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                if child.suffix.lower() == ".zip":
                    yield from _safe_zip(child)
                elif _is_fit_name(child.name):
                    yield FitInput(child)
        elif path.suffix.lower() == ".zip":
            yield from _safe_zip(path)
        else:
            yield FitInput(path)


def _safe_zip(path: Path) -> Iterator[FitInput | InputError]:
    try:
        yield from _zip_members(path)
    except InputError as exc:
        yield exc
