"""The Garmin plugin: a connector (activities, notes, workouts, gear) and `auth garmin`."""

from __future__ import annotations

from collections.abc import Callable

import click
from pydantic import BaseModel

from pose_sync.connectors import ConnectorContext, ConnectorSpec
from pose_sync.hookspecs import hookimpl
from pose_sync_garmin.connector import GarminConnector
from pose_sync_garmin.settings import GarminSettings


def _factory(settings: BaseModel, context: ConnectorContext) -> GarminConnector:
    assert isinstance(settings, GarminSettings)
    return GarminConnector(settings, context.data_dir)


@hookimpl
def register_connectors(register: Callable[[ConnectorSpec], None]) -> None:
    register(ConnectorSpec(name="garmin", description="Garmin Connect: original FIT files, notes, workouts, gear",
                           config_model=GarminSettings, factory=_factory))


@hookimpl
def register_commands(cli: click.Group) -> None:
    from pose_sync_garmin.cli import auth_garmin

    auth = cli.commands["auth"]
    assert isinstance(auth, click.Group)
    auth.add_command(auth_garmin)
