"""Every hook a pose-sync plugin can implement.

A plugin is a module with ``@hookimpl`` functions, made discoverable by an
entry point in the ``pose_sync`` group of its ``pyproject.toml``::

    [project.entry-points.pose_sync]
    strava = "pose_sync_strava.plugin"

The built-in connectors (local files, Strava, Garmin) are plugins exactly like
a third-party Coros or intervals.icu plugin would be.
"""

from __future__ import annotations

from collections.abc import Callable

import click
import pluggy

from pose_sync.connectors import ConnectorSpec

hookspec = pluggy.HookspecMarker("pose_sync")
hookimpl = pluggy.HookimplMarker("pose_sync")


@hookspec
def register_connectors(register: Callable[[ConnectorSpec], None]) -> None:
    """Declare connectors: call ``register(ConnectorSpec(...))`` for each."""


@hookspec
def register_commands(cli: click.Group) -> None:
    """Add click commands to the ``pose-sync`` CLI.

    The core provides an ``auth`` group; a plugin adds its login command with
    ``cli.commands["auth"].add_command(...)``.
    """
