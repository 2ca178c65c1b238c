"""Errors a user can act on.

Every failure that reaches a user is one of these: one line naming the thing
and what to do, never a traceback (``--debug`` shows it). Connectors translate
their library's exceptions into these at the edge, without the library's
message when that could carry a token.
"""

from __future__ import annotations

from datetime import datetime


class PoseSyncError(Exception):
    """Base class: ``str(exc)`` is the one line shown to the user."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class ConfigError(PoseSyncError):
    """The configuration is missing, unreadable or invalid: exit code 2."""

    exit_code = 2


class UsageError(PoseSyncError):
    """The command line asks for something impossible: exit code 2."""

    exit_code = 2


class InputError(PoseSyncError):
    """An input (file, activity) cannot be analysed; the rest of a batch goes on."""


class AuthError(PoseSyncError):
    """Access to a platform was refused or has expired: the user must re-authorise."""

    def __init__(self, platform: str, message: str | None = None, *, never_connected: bool = False) -> None:
        # someone who never connected is told how to connect, not to do it "again"
        super().__init__(
            message or f"{platform}: access was refused or has expired",
            hint=f"run `pose-sync auth {platform}` to connect" if never_connected
            else f"run `pose-sync auth {platform}` again",
        )
        self.platform = platform
        self.never_connected = never_connected


class RateLimited(PoseSyncError):
    """A platform's request budget is spent; stop cleanly and resume after ``reset_at``."""

    def __init__(self, platform: str, reset_at: datetime | None, detail: str = "") -> None:
        # A platform that does not say when its budget resets (Garmin) gets no made-up time.
        if reset_at is not None:
            hint = (f"the budget resets at {reset_at.astimezone().strftime('%Y-%m-%d %H:%M %Z')};"
                    " the next sync resumes where this one stopped")
        else:
            hint = f"{platform} does not say for how long: wait a while; the next sync resumes where this one stopped"
        super().__init__(f"{platform}: rate limit reached{': ' + detail if detail else ''}", hint=hint)
        self.platform = platform
        self.reset_at = reset_at


class RemoteError(PoseSyncError):
    """A platform answered with an error we cannot fix (5xx, unexpected reply)."""

    def __init__(self, platform: str, message: str, status: int | None = None) -> None:
        super().__init__(f"{platform}: {message}", hint="try again later; nothing was lost")
        self.platform = platform
        self.status = status


class NotFound(PoseSyncError):
    """The platform no longer has the thing (deleted activity or workout)."""

    def __init__(self, platform: str, what: str) -> None:
        super().__init__(f"{platform}: {what} not found (deleted or private?)")
        self.platform = platform


class Busy(PoseSyncError):
    """Another pose-sync process holds the lock (a second sync under cron)."""

    exit_code = 3
