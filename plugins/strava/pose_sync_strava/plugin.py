"""The Strava plugin: a connector and its commands, declared through pose-sync's hooks."""

from __future__ import annotations

from collections.abc import Callable

import click
from pydantic import BaseModel

from pose_sync.connectors import ConnectorContext, ConnectorSpec
from pose_sync.hookspecs import hookimpl
from pose_sync_strava.connector import StravaConnector
from pose_sync_strava.settings import StravaSettings


def _factory(settings: BaseModel, context: ConnectorContext) -> StravaConnector:
    assert isinstance(settings, StravaSettings)
    return StravaConnector(settings, context.data_dir)


@hookimpl
def register_connectors(register: Callable[[ConnectorSpec], None]) -> None:
    register(ConnectorSpec(name="strava", description="Strava: runs as streams, notes in the description, webhooks",
                           config_model=StravaSettings, factory=_factory))


@hookimpl
def register_commands(cli: click.Group) -> None:
    from pose_sync_strava.cli import auth_strava, serve, strava

    auth = cli.commands["auth"]
    assert isinstance(auth, click.Group)
    auth.add_command(auth_strava)
    cli.add_command(serve)
    cli.add_command(strava)
