"""Garmin Connect through garminconnect: saved tokens, never a needless login, errors a user can act on.

Garmin throttles automated sign-ins (HTTP 429, since March 2026 at the
latest), so a session is always resumed from the saved token store
(``garmin_tokens.json``: the DI token, its refresh token and client id); a
password is only asked for by ``pose-sync auth garmin``, and never stored.
garminconnect refreshes the DI token itself when it is about to expire and
writes the new pair back into the store; this module keeps that file
owner-only (0600 in a 0700 folder).

garminconnect turns every non-2xx answer into one exception type with the
status only in its text ("API Error 404 - ..."), and logs each failure with a
traceback; here statuses become :mod:`pose_sync.errors` types and its logger
stays quiet unless pose-sync runs with ``--debug``.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import requests
from garminconnect import (
    Garmin,
    GarminConnectAuthenticationError,
    GarminConnectConnectionError,
    GarminConnectTooManyRequestsError,
)

from pose_sync.errors import AuthError, NotFound, PoseSyncError, RateLimited, RemoteError
from pose_sync.secrets import read_secret_json, redact, register_secret, tokens_dir

T = TypeVar("T")
TOKEN_FILE = "garmin_tokens.json"
STATUS = re.compile(r"(?:API Error|client error|error) \(?(\d{3})\)?", re.IGNORECASE)
log = logging.getLogger(__name__)


def token_dir(data_dir: Path, configured: str | None) -> Path:
    return Path(configured).expanduser() if configured else tokens_dir(data_dir) / "garmin"


def protect(folder: Path) -> None:
    """Owner-only token store, whoever wrote it (garminconnect writes with the default umask)."""
    if folder.exists():
        os.chmod(folder, 0o700)
        path = folder / TOKEN_FILE
        if path.exists():
            os.chmod(path, 0o600)


def quiet_library() -> None:
    """garminconnect logs every failed request with a traceback; users get our one line instead."""
    if not logging.getLogger().isEnabledFor(logging.DEBUG):
        logging.getLogger("garminconnect").setLevel(logging.CRITICAL + 1)


def register_tokens(folder: Path) -> dict[str, Any] | None:
    data = read_secret_json(folder / TOKEN_FILE)
    if data:
        for key in ("di_token", "di_refresh_token"):
            register_secret(data.get(key))
    return data


def status_of(error: Exception) -> int | None:
    response = getattr(error, "response", None)
    if response is not None and getattr(response, "status_code", None):
        return int(response.status_code)
    found = STATUS.search(str(error))
    return int(found.group(1)) if found else None


def translate(error: Exception, what: str) -> PoseSyncError:
    """garminconnect's exceptions as pose-sync errors (no library text that could carry a token)."""
    status = status_of(error)
    if isinstance(error, GarminConnectTooManyRequestsError) or status == 429:
        return RateLimited("garmin", None, f"Garmin answered 429 while {what}")
    if isinstance(error, GarminConnectAuthenticationError) or status == 401:
        return AuthError("garmin", "garmin: the saved sign-in was refused or has expired")
    if status == 404:
        return NotFound("garmin", what)
    if status is not None and status >= 500:
        return RemoteError("garmin", f"Garmin Connect had a server error ({status}) while {what}", status)
    if isinstance(error, requests.RequestException) or (isinstance(error, GarminConnectConnectionError)
                                                        and status is None):
        return RemoteError("garmin", f"cannot reach Garmin Connect while {what} ({redact(str(error))[:120]});"
                                     " check the network or HTTPS_PROXY")
    return RemoteError("garmin", f"Garmin Connect refused {what} ({status})", status)


class GarminSession:
    """A signed-in garminconnect client, resumed from the token store on first use."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._garmin: Garmin | None = None

    def garmin(self) -> Garmin:
        if self._garmin is None:
            quiet_library()
            if register_tokens(self.folder) is None:
                raise AuthError("garmin", "garmin: not connected yet", never_connected=True)
            garmin = Garmin()
            try:
                garmin.login(tokenstore=str(self.folder))  # resumes: socialProfile + user-settings, no sign-in
            except (GarminConnectConnectionError, GarminConnectAuthenticationError,
                    GarminConnectTooManyRequestsError, requests.RequestException) as error:
                raise translate(error, "resuming the saved sign-in") from None
            finally:
                protect(self.folder)
            register_tokens(self.folder)
            self._garmin = garmin
        return self._garmin

    def call(self, what: str, action: Callable[[Garmin], T]) -> T:
        garmin = self.garmin()
        try:
            return action(garmin)
        except PoseSyncError:
            raise
        except (GarminConnectConnectionError, GarminConnectAuthenticationError, GarminConnectTooManyRequestsError,
                requests.RequestException) as error:
            raise translate(error, what) from None
        finally:
            protect(self.folder)
            register_tokens(self.folder)

    def profile_pk(self) -> int | None:
        """The ``userProfilePk`` gear calls need (the social profile's ``profileId``)."""
        garmin = self.garmin()
        return getattr(garmin, "profile_id", None) or self.call(
            "reading the profile", lambda g: g.connectapi("/userprofile-service/socialProfile")).get("profileId")


def adopt_tokens(source: Path, folder: Path) -> dict[str, Any]:
    """Copy an existing garminconnect token store (file or folder) into ours, owner-only."""
    path = source / TOKEN_FILE if source.is_dir() else source
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise AuthError("garmin", f"garmin: cannot read a token store at {path} ({type(error).__name__})") from None
    if not isinstance(data, dict) or not data.get("di_token") or not data.get("di_refresh_token"):
        raise AuthError("garmin", f"garmin: {path} is not a garminconnect token store (no di_token)")
    from pose_sync.files import make_private_dirs
    from pose_sync.secrets import write_secret_json

    make_private_dirs(folder)
    write_secret_json(folder / TOKEN_FILE, {k: data.get(k) for k in ("di_token", "di_refresh_token", "di_client_id")})
    protect(folder)
    register_tokens(folder)
    return data
