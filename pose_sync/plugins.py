"""The plugin manager: loads the ``pose_sync`` entry points and collects what they declare."""

from __future__ import annotations

import importlib.metadata
import logging
from functools import lru_cache
from typing import TYPE_CHECKING

import pluggy

from pose_sync import hookspecs
from pose_sync.errors import ConfigError

if TYPE_CHECKING:
    from pose_sync.connectors import ConnectorSpec

log = logging.getLogger(__name__)

# Plugins that failed to import, by entry-point name, with the reason: shown
# by `pose-sync doctor` instead of breaking every command.
BROKEN_PLUGINS: dict[str, str] = {}


@lru_cache(maxsize=1)
def plugin_manager() -> pluggy.PluginManager:
    """Load every ``pose_sync`` entry point; a broken plugin is reported, not fatal."""
    pm = pluggy.PluginManager("pose_sync")
    pm.add_hookspecs(hookspecs)
    for entry_point in importlib.metadata.entry_points(group="pose_sync"):
        if pm.get_plugin(entry_point.name) is not None:
            continue
        try:
            pm.register(entry_point.load(), name=entry_point.name)
        except Exception as exc:  # a plugin's import error must not break the CLI
            BROKEN_PLUGINS[entry_point.name] = f"{type(exc).__name__}: {exc}"
            log.warning("plugin %s failed to load: %s", entry_point.name, exc)
    return pm


def connector_specs() -> dict[str, ConnectorSpec]:
    """Every installed connector by name (a name declared twice is a packaging error)."""
    specs: dict[str, ConnectorSpec] = {}

    def register(spec: ConnectorSpec) -> None:
        if spec.name in specs:
            raise ConfigError(f"two plugins declare a connector named {spec.name!r}")
        specs[spec.name] = spec

    plugin_manager().hook.register_connectors(register=register)
    return specs


def connector_spec(name: str) -> ConnectorSpec:
    specs = connector_specs()
    if name not in specs:
        known = ", ".join(sorted(specs)) or "none installed"
        raise ConfigError(f"no connector named {name!r} (installed: {known})")
    return specs[name]
