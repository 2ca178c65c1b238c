"""Connecting an athlete: Strava's OAuth authorization-code flow.

The athlete opens the authorisation URL, approves, and Strava redirects the
browser to http://localhost:<port>/authorized?code=...; a one-request local
server (the standard library's WSGI server) catches it. Where no browser can
reach this machine (a server over SSH), the athlete copies the ``code`` from
the address bar of the failed redirect and runs ``pose-sync auth strava
--code CODE``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, make_server

from stravalib import exc

from pose_sync.errors import AuthError, PoseSyncError, RemoteError
from pose_sync_strava.api import StravaApi
from pose_sync_strava.tokens import StravaTokens

SCOPE = ["read", "activity:read_all", "activity:write"]
NEEDED = {"activity:read_all", "activity:write"}
PAGE = b"""<!doctype html><title>pose-sync</title><body style="font-family:sans-serif;margin:3em">
<h2>pose-sync is connected to Strava.</h2><p>You can close this tab and return to the terminal.</p></body>"""


def authorization_url(api: StravaApi, port: int) -> str:
    client_id, _ = api.settings.credentials()
    return api.anonymous().authorization_url(client_id=client_id, redirect_uri=f"http://localhost:{port}/authorized",
                                             scope=cast(Any, SCOPE), approval_prompt="auto")


@dataclass
class Redirect:
    code: str | None = None
    scope: str | None = None
    error: str | None = None


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # the URL carries the code: keep it out of logs
        return


def catch_redirect(port: int, timeout_s: float = 300.0) -> Redirect:
    """Serve one request on localhost:port and return what Strava put in the redirect."""
    found = Redirect()
    done = threading.Event()

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        query = parse_qs(environ.get("QUERY_STRING", ""))
        if environ.get("PATH_INFO") != "/authorized":
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found"]
        found.code = (query.get("code") or [None])[0]
        found.scope = (query.get("scope") or [None])[0]
        found.error = (query.get("error") or [None])[0]
        done.set()
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        return [PAGE]

    try:
        server = make_server("127.0.0.1", port, app, handler_class=_Quiet)
    except OSError as error:
        raise PoseSyncError(f"strava: cannot listen on localhost:{port} ({error.strerror})",
                            hint="use --port with a free port, or --code") from None
    server.timeout = 1.0
    with server:
        waited = 0.0
        while not done.is_set() and waited < timeout_s:
            server.handle_request()
            waited += 1.0
    if not done.is_set():
        raise AuthError("strava", "strava: no answer from the browser in time")
    return found


def exchange(api: StravaApi, code: str, granted_scope: str | None) -> StravaTokens:
    """Trade the one-time code for tokens and save them owner-only."""
    client_id, secret = api.settings.credentials()
    try:
        access, athlete = cast(tuple[dict[str, Any], Any], api.anonymous().exchange_code_for_token(
            client_id=client_id, client_secret=secret, code=code, return_athlete=True))
    except exc.Fault as error:
        status = getattr(getattr(error, "response", None), "status_code", None)
        if status in (400, 401):
            raise AuthError("strava", "strava: the authorisation code was refused (expired or already used)") from None
        raise RemoteError("strava", f"Strava could not complete the authorisation ({status})", status) from None
    name = " ".join(p for p in (getattr(athlete, "firstname", None), getattr(athlete, "lastname", None)) if p) or None
    tokens = StravaTokens(access_token=access["access_token"], refresh_token=access["refresh_token"],
                          expires_at=int(access["expires_at"]), athlete_id=getattr(athlete, "id", None),
                          athlete_name=name, scope=granted_scope)
    api.tokens.save(tokens)
    return tokens


def pasted_code(text: str) -> tuple[str, str | None]:
    """The code (and the granted scope, when known) from what the athlete pasted: the code or the whole address."""
    text = text.strip()
    if "code=" not in text:
        return text, None
    query = parse_qs(text.split("?", 1)[1] if "?" in text else text)
    code = (query.get("code") or [""])[0]
    if not code:
        raise AuthError("strava", "strava: no code= in the pasted address")
    scopes = query.get("scope")
    return code, scopes[0] if scopes else None


def missing_scope(granted: str | None) -> set[str]:
    return NEEDED - set((granted or "").split(","))
