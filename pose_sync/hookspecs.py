"""Every hook a pose-sync plugin can implement.

A plugin is a module with ``@hookimpl`` functions, made discoverable by an
entry point in the ``pose_sync`` group of its ``pyproject.toml``::

    [project.entry-points.pose_sync]
    strava = "pose_sync_strava.plugin"

The built-in connectors (local files, Strava, Garmin) are plugins exactly like
a third-party Coros or intervals.icu plugin would be.

A plugin module is imported whenever the CLI lists its commands (``pose-sync
--help``), so it should import nothing heavy at module level: import the
connector, its settings model and its libraries inside the hook functions
(they run only when a connector or command is needed).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:  # a plugin module is imported for `--help`: nothing heavy at import time
    from pose_sync.cli.lazy import LazyGroup
    from pose_sync.connectors import ConnectorSpec

hookspec = pluggy.HookspecMarker("pose_sync")
hookimpl = pluggy.HookimplMarker("pose_sync")


@hookspec
def register_connectors(register: Callable[[ConnectorSpec], None]) -> None:
    """Declare connectors: call ``register(ConnectorSpec(...))`` for each."""


@hookspec
def register_commands(cli: LazyGroup) -> None:
    """Add click commands to the ``pose-sync`` CLI, imported when they run::

        cli.add_lazy_command("serve", "pose_sync_strava.cli:serve", "Receive Strava's push events ...")

    The core provides an ``auth`` group; a plugin adds its login command with
    ``cli.commands["auth"].add_lazy_command("strava", "pose_sync_strava.cli:auth_strava", "...")``.
    Plain ``cli.add_command(command)`` works too (the command's module is then imported at once).
    """
