"""The service plugin: adds `pose-sync worker` (and `serve --service` through the strava plugin's serve)."""

from __future__ import annotations

import click

from pose_sync.hookspecs import hookimpl


@hookimpl
def register_commands(cli: click.Group) -> None:
    from pose_sync_service.cli import worker

    cli.add_command(worker)
