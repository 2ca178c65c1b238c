"""The Strava plugin: a connector and its commands, declared through pose-sync's hooks.

Imported to list commands (``pose-sync --help``): stravalib, flask and the
settings model are imported only inside the hooks, when they are needed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pose_sync.hookspecs import hookimpl

if TYPE_CHECKING:
    from pose_sync.cli.lazy import LazyGroup
    from pose_sync.connectors import ConnectorContext, ConnectorSpec
    from pose_sync_strava.connector import StravaConnector


def _factory(settings: Any, context: ConnectorContext) -> StravaConnector:
    from pose_sync_strava.connector import StravaConnector
    from pose_sync_strava.settings import StravaSettings

    assert isinstance(settings, StravaSettings)
    return StravaConnector(settings, context.data_dir)


@hookimpl
def register_connectors(register: Callable[[ConnectorSpec], None]) -> None:
    from pose_sync.connectors import ConnectorSpec
    from pose_sync_strava.settings import StravaSettings

    register(ConnectorSpec(name="strava", description="Strava: runs as streams, notes in the description, webhooks",
                           config_model=StravaSettings, factory=_factory))


@hookimpl
def register_commands(cli: LazyGroup) -> None:
    cli.commands["auth"].add_lazy_command(  # type: ignore[attr-defined]
        "strava", "pose_sync_strava.cli:auth_strava", "Connect your Strava account (read activities, write notes).")
    cli.add_lazy_command("serve", "pose_sync_strava.cli:serve",
                         "Receive Strava's push events and note each new run (webhooks).")
    cli.add_lazy_command("strava", "pose_sync_strava.cli:strava",
                         "Manage Strava's push subscription (sync after every upload).")
