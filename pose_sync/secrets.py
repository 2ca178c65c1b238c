"""Tokens at rest and in logs.

Token files are written atomically and readable by the owner only (0600, in a
0700 directory). Every secret a process handles is registered with
:func:`register_secret`; a logging filter installed by :func:`install_log_redaction`
replaces them in every log record, so a library that logs a URL with
``?access_token=...`` cannot leak it.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from pathlib import Path
from typing import Any

from pose_sync.files import write_atomic

REDACTED = "[redacted]"
_SECRETS: set[str] = set()
_LOCK = threading.Lock()
# Query parameters and JSON keys that carry credentials, whatever their value.
_CREDENTIAL_PATTERN = re.compile(
    r"((?:access_token|refresh_token|client_secret|code|password|di_token|di_refresh_token)"
    r"[\"']?\s*[=:]\s*[\"']?)([^&\s\"',}]+)",
    re.IGNORECASE,
)


def register_secret(value: str | None) -> None:
    """Remember a secret so it is scrubbed from logs and error text."""
    if value and len(value) >= 6:
        with _LOCK:
            _SECRETS.add(value)


def redact(text: str) -> str:
    """``text`` with every registered secret and credential-looking parameter hidden."""
    with _LOCK:
        secrets = sorted(_SECRETS, key=len, reverse=True)
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    return _CREDENTIAL_PATTERN.sub(lambda m: m.group(1) + REDACTED, text)


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def install_log_redaction() -> None:
    """Scrub secrets from every handler's output (root and any added later by libraries)."""
    root = logging.getLogger()
    for handler in root.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())


def write_secret_file(path: Path, content: str) -> None:
    """Atomically write ``content`` to ``path`` with mode 0600 (directory 0700)."""
    write_atomic(path, content.encode("utf-8"), mode=0o600)


def write_secret_json(path: Path, data: dict[str, Any]) -> None:
    write_secret_file(path, json.dumps(data, indent=2, sort_keys=True))


def read_secret_json(path: Path) -> dict[str, Any] | None:
    """The JSON in a token file, or None if there is none; a copied-in file others can read is tightened to 0600."""
    if not path.exists():
        return None
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        os.chmod(path, 0o600)  # tighten rather than refuse: the user may have copied it in
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def tokens_dir(data_dir: Path) -> Path:
    return data_dir / "tokens"
