"""The local-folder plugin: FIT files in folders and .zip exports, declared through pose-sync's hooks.

Imported to list commands (``pose-sync --help``): the connector and its
settings model are imported only inside the hooks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pose_sync.hookspecs import hookimpl

if TYPE_CHECKING:
    from pose_sync.connectors import ConnectorContext, ConnectorSpec
    from pose_sync_local.connector import LocalConnector


def _factory(settings: Any, context: ConnectorContext) -> LocalConnector:
    from pose_sync_local.connector import LocalConnector, LocalSettings

    assert isinstance(settings, LocalSettings)
    return LocalConnector(settings.folders)


@hookimpl
def register_connectors(register: Callable[[ConnectorSpec], None]) -> None:
    from pose_sync.connectors import ConnectorSpec
    from pose_sync_local.connector import LocalSettings

    register(ConnectorSpec(
        name="local",
        description="FIT files in local folders (a mounted watch, an export folder) and .zip exports",
        config_model=LocalSettings,
        factory=_factory,
    ))
