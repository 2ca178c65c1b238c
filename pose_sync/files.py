"""Files and folders: writes that a crash cannot tear, folders nobody else can read."""

from __future__ import annotations

import errno
import logging
import os
import stat
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)


def make_private_dirs(folder: Path) -> None:
    """Create ``folder`` and every missing parent owner-only (0700).

    ``Path.mkdir(parents=True, mode=0o700)`` gives the mode to the last folder
    only; the parents it creates get the umask's (usually 0755).
    """
    if folder.exists() and not folder.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(folder))
    missing: list[Path] = []
    current = folder
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for path in reversed(missing):
        try:
            path.mkdir(mode=0o700)
        except FileExistsError:
            continue  # another process made it first
        os.chmod(path, 0o700)  # whatever the umask


def secure_data_dir(folder: Path) -> None:
    """The data folder holds tokens and the store: create it private, and tighten it if others can read it."""
    make_private_dirs(folder)
    mode = stat.S_IMODE(folder.stat().st_mode)
    if mode & 0o077:
        try:
            os.chmod(folder, mode & 0o700)
        except OSError as exc:
            log.warning("data folder %s can be read by others (mode %o) and cannot be made private: %s;"
                        " run `chmod 700 %s`", folder, mode, exc.strerror, folder)
            return
        log.warning("data folder %s could be read by others (mode %o); made it private (700)", folder, mode)


def write_atomic(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Write ``data`` to ``path`` via a temp file in the same folder: chmod, fsync, rename.

    Missing folders are created private (0700); the file gets ``mode``
    before any byte is written, so a secret is never readable by others.
    """
    make_private_dirs(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
