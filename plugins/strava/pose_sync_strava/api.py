"""stravalib, with fresh tokens, a budget that never sleeps, and errors a user can act on.

Every call goes through :meth:`StravaApi.call`: the token is refreshed (and
saved) before it expires, a 401 gets one refresh-and-retry, and stravalib's
exceptions become :mod:`pose_sync.errors` types whose text never carries a
token (stravalib's messages quote the response, and responses can echo the
request).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import requests
from stravalib import Client, exc

from pose_sync.errors import AuthError, ConfigError, NotFound, PoseSyncError, RemoteError
from pose_sync.secrets import redact
from pose_sync_strava.ratelimit import Budget, BudgetedSession, Recorder
from pose_sync_strava.settings import StravaSettings
from pose_sync_strava.tokens import StravaTokens, TokenStore

T = TypeVar("T")
log = logging.getLogger(__name__)
SILENCE = "SILENCE_TOKEN_WARNINGS"


def _status(error: exc.Fault) -> int | None:
    response = getattr(error, "response", None)
    return None if response is None else response.status_code


class StravaApi:
    def __init__(self, settings: StravaSettings, data_dir: Path, *, tokens: TokenStore | None = None,
                 budget: Budget | None = None) -> None:
        """``tokens`` and ``budget`` default to the data folder's files; a service passes its own
        (an athlete's encrypted tokens, the application's budget shared by every worker)."""
        self.settings = settings
        self.tokens = tokens if tokens is not None else TokenStore(data_dir)
        self.budget = budget if budget is not None else Budget(data_dir / "strava-budget.json",
                                                               settings.budget_reserve)
        self.session = BudgetedSession(self.budget)
        self._client: Client | None = None

    def _new_client(self, tokens: StravaTokens | None) -> Client:
        os.environ.setdefault(SILENCE, "true")  # we refresh tokens ourselves; stravalib need not warn about it
        return Client(access_token=tokens.access_token if tokens else None, rate_limiter=Recorder(self.budget),
                      requests_session=self.session, token_expires=tokens.expires_at if tokens else None,
                      refresh_token=tokens.refresh_token if tokens else None)

    def anonymous(self) -> Client:
        """A client without tokens: authorisation, subscriptions."""
        return self._new_client(None)

    def client(self) -> Client:
        tokens = self.tokens.load()
        if tokens is None:
            raise AuthError("strava", "strava: not connected yet", never_connected=True)
        if tokens.expires_soon():
            tokens = self.refresh(tokens)
        if self._client is None or self._client.access_token != tokens.access_token:
            self._client = self._new_client(tokens)
        return self._client

    def refresh(self, tokens: StravaTokens) -> StravaTokens:
        """Exchange the refresh token for a new pair and save it before anything else uses it."""
        client_id, secret = self.settings.credentials()
        try:
            access = self.anonymous().refresh_access_token(client_id=client_id, client_secret=secret,
                                                           refresh_token=tokens.refresh_token)
        except exc.Fault as error:
            if _status(error) in (400, 401):
                raise AuthError("strava", "strava: the saved authorisation was revoked or has expired") from None
            raise self._translate(error, "refreshing the access token") from None
        except requests.RequestException as error:
            raise RemoteError("strava", f"cannot reach www.strava.com ({type(error).__name__})") from None
        fresh = StravaTokens(access_token=access["access_token"], refresh_token=access["refresh_token"],
                             expires_at=int(access["expires_at"]), athlete_id=tokens.athlete_id,
                             athlete_name=tokens.athlete_name, scope=tokens.scope)
        self.tokens.save(fresh)
        self._client = None
        log.info("strava: access token refreshed, valid until %s", time.ctime(fresh.expires_at))
        return fresh

    def call(self, what: str, action: Callable[[Client], T]) -> T:
        """Run ``action`` with a ready client; one refresh-and-retry on 401."""
        for attempt in (1, 2):
            try:
                return action(self.client())
            except exc.AccessUnauthorized:
                if attempt == 2:
                    raise AuthError("strava", "strava: access was refused (revoked, or missing a scope)") from None
                tokens = self.tokens.load()
                if tokens is None:
                    raise AuthError("strava") from None
                self.refresh(tokens)
            except exc.Fault as error:
                raise self._translate(error, what) from None
            except PoseSyncError:
                raise
            except requests.RequestException as error:
                raise RemoteError("strava", f"cannot reach www.strava.com while {what} ({type(error).__name__});"
                                            " check the network or HTTPS_PROXY") from None
        raise AssertionError("unreachable")

    def _translate(self, error: exc.Fault, what: str) -> PoseSyncError:
        status = _status(error)
        if isinstance(error, exc.ObjectNotFound) or status == 404:
            return NotFound("strava", what)
        if isinstance(error, exc.ApplicationInactive):
            return ConfigError("strava: the API application is inactive", hint="check it at strava.com/settings/api")
        if status == 429:
            return self.budget.after_429(getattr(error, "response", None), "GET")
        if status is not None and status >= 500:
            return RemoteError("strava", f"Strava had a server error ({status}) while {what}", status)
        return RemoteError("strava", f"Strava refused {what}: {redact(str(error))[:200]}", status)
