"""The Garmin plugin: a connector (activities, notes, workouts, gear) and `auth garmin`.

Imported to list commands (``pose-sync --help``): garminconnect and the
settings model are imported only inside the hooks, when they are needed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pose_sync.hookspecs import hookimpl

if TYPE_CHECKING:
    from pose_sync.cli.lazy import LazyGroup
    from pose_sync.connectors import ConnectorContext, ConnectorSpec
    from pose_sync_garmin.connector import GarminConnector


def _factory(settings: Any, context: ConnectorContext) -> GarminConnector:
    from pose_sync_garmin.connector import GarminConnector
    from pose_sync_garmin.settings import GarminSettings

    assert isinstance(settings, GarminSettings)
    return GarminConnector(settings, context.data_dir)


@hookimpl
def register_connectors(register: Callable[[ConnectorSpec], None]) -> None:
    from pose_sync.connectors import ConnectorSpec
    from pose_sync_garmin.settings import GarminSettings

    register(ConnectorSpec(name="garmin", description="Garmin Connect: original FIT files, notes, workouts, gear",
                           config_model=GarminSettings, factory=_factory))


@hookimpl
def register_commands(cli: LazyGroup) -> None:
    cli.commands["auth"].add_lazy_command(  # type: ignore[attr-defined]
        "garmin", "pose_sync_garmin.cli:auth_garmin",
        "Connect your Garmin Connect account (FIT files, notes, workouts).")
