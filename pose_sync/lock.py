"""One sync at a time per data directory, without a lock that a crash leaves stuck.

The lock is an OS file lock (``filelock``: ``fcntl``/``msvcrt``), released by
the kernel when the process dies, even by ``kill -9``. Next to it we note the
holder's pid and start time, only to tell the user who holds it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from filelock import FileLock, Timeout

from pose_sync.errors import Busy, ConfigError
from pose_sync.files import make_private_dirs

LOCK_NAME = "sync.lock"


@contextmanager
def sync_lock(data_dir: Path) -> Iterator[None]:
    lock = FileLock(str(data_dir / LOCK_NAME))
    holder = data_dir / f"{LOCK_NAME}.holder"
    try:
        make_private_dirs(data_dir)
        lock.acquire(timeout=0)
    except Timeout:
        who = holder.read_text(encoding="utf-8").strip() if holder.exists() else "another process"
        raise Busy(f"another pose-sync sync is running ({who})",
                   hint="this run exits; the running one finishes the work") from None
    except OSError as exc:  # a read-only data folder: one line, not a traceback
        raise _not_writable(data_dir, exc) from None
    try:
        try:
            holder.write_text(f"pid {os.getpid()} since {datetime.now(timezone.utc):%Y-%m-%d %H:%M:%S} UTC\n",
                              encoding="utf-8")
        except OSError as exc:
            raise _not_writable(data_dir, exc) from None
        yield
    finally:
        holder.unlink(missing_ok=True)
        lock.release()


def _not_writable(data_dir: Path, exc: OSError) -> ConfigError:
    return ConfigError(f"data directory {data_dir} is not writable: {exc.strerror or exc}",
                       hint="this command writes to the store; `pose-sync report` works on a read-only one")
