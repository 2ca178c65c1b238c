"""The service plugin: adds `pose-sync worker` (and `serve --service` through the strava plugin's serve).

Imported to list commands: the worker's module (Procrastinate, SQLAlchemy) only when it runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pose_sync.hookspecs import hookimpl

if TYPE_CHECKING:
    from pose_sync.cli.lazy import LazyGroup


@hookimpl
def register_commands(cli: LazyGroup) -> None:
    cli.add_lazy_command("worker", "pose_sync_service.cli:worker",
                         "Run the service's jobs (clubs and coaches: see README).")
