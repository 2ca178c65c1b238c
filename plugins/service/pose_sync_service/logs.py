"""Structured logs: one JSON object a line on stderr, secrets scrubbed, for journald and container logs."""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import datetime, timezone

from pose_sync.secrets import redact


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {"at": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
                 "level": record.levelname.lower(), "logger": record.name, "pid": os.getpid(),
                 "message": redact(record.getMessage())}
        if record.exc_info and record.exc_info[0] is not None:
            entry["error"] = redact(f"{record.exc_info[0].__name__}: {record.exc_info[1]}")
        return json.dumps(entry, ensure_ascii=False)


def setup(level: str | None = None) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel((level or os.environ.get("POSE_SYNC_LOG_LEVEL", "INFO")).upper())
    for noisy in ("waitress", "procrastinate", "urllib3", "stravalib"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
