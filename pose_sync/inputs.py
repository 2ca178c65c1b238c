"""FIT files on disk: single files, folders (recursively) and .zip exports.

Garmin and Strava bulk exports are zips of FIT files (sometimes ``.fit.gz``);
watches mounted as drives are folders. Each yields :class:`FitInput` items
that read their bytes only when asked, so listing a large export is cheap.

Inside folders and zips, hidden files and folders (``.Trash``, macOS's ``._*``
resource forks and ``__MACOSX``) are not inputs: they are never FIT files a
watch wrote, and reporting them as damaged at every sync would be noise. A
folder or zip that yields no FIT file at all is reported, by name, with why.
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


def _hidden(parts: Iterable[str]) -> bool:
    """A hidden file or folder (``.x``, macOS ``._x``) or macOS's zip metadata folder."""
    return any(part.startswith(".") or part == "__MACOSX" for part in parts)


def _zip_members(path: Path) -> list[FitInput]:
    try:
        with zipfile.ZipFile(path) as archive:
            members = [n for n in archive.namelist() if not n.endswith("/")]
    except (OSError, zipfile.BadZipFile) as exc:
        raise InputError(f"{path}: not a readable zip archive ({exc})") from exc
    names = [n for n in members if _is_fit_name(n) and not _hidden(n.split("/"))]
    if not names:
        raise InputError(f"{path}: no FIT files in this zip ({_what_else(len(members))})",
                         hint="a Garmin or Strava export has them under activities/")
    return [FitInput(path, name) for name in sorted(names)]


def _what_else(count: int) -> str:
    return "it is empty" if count == 0 else f"{count} other file(s); looked for .fit, .fit.gz and .zip"


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
            files = sorted(p for p in path.rglob("*") if not _hidden(p.relative_to(path).parts) and p.is_file())
            found = 0
            for child in files:
                if child.suffix.lower() == ".zip":
                    found += 1
                    yield from _safe_zip(child)
                elif _is_fit_name(child.name):
                    found += 1
                    yield FitInput(child)
            if not found:
                yield InputError(f"{path}: no FIT files in this folder ({_what_else(len(files))})",
                                 hint="point to the folder the watch or export keeps them in")
        elif path.suffix.lower() == ".zip":
            yield from _safe_zip(path)
        else:
            yield FitInput(path)


def _safe_zip(path: Path) -> Iterator[FitInput | InputError]:
    try:
        yield from _zip_members(path)
    except InputError as exc:
        yield exc
