"""What a connector is: the small interface every platform plugin implements.

A connector lists activities since a point in time, fetches one (the
original FIT file where the platform has it, else the platform's streams
already converted to an :class:`~pose_sync.model.Activity`), reads and writes
the activity description, and optionally pushes workouts. The sync pipeline
(:mod:`pose_sync.sync`) drives connectors; it owns cursors, the store, the
ledger and retries, so a connector stays a thin translation of one platform's
API and errors into ours.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Mapping, Protocol, runtime_checkable

from pose_sync.model import Activity

if TYPE_CHECKING:
    from pydantic import BaseModel

    from pose_sync.config import Config
    from pose_sync.workouts.model import Workout


@dataclass(frozen=True)
class RemoteActivity:
    """An activity as a platform lists it, before fetching.

    ``sport`` uses FIT sport names (``running``, ``cycling``, ``walking``,
    ``swimming``, ...) so the pipeline can skip non-runs without a fetch.
    ``summary`` carries what the listing already said (JSON-ready), so that
    later steps need no extra request for it.
    """

    platform: str
    remote_id: str
    start_time: datetime
    sport: str
    distance_m: float | None = None
    name: str | None = None
    gear_id: str | None = None
    summary: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class Fetched:
    """One fetched activity: the original FIT bytes, or activities built from streams.

    ``description`` is the current description when the fetch already had it
    (saves a request when writing the note); ``gear_id`` the shoe, when the
    listing could not say.
    """

    fit_bytes: bytes | None = None
    activities: list[Activity] = field(default_factory=list)
    description: str | None = None
    gear_id: str | None = None


@runtime_checkable
class Connector(Protocol):
    """The interface the sync pipeline drives. Errors are ``pose_sync.errors`` types."""

    name: str
    supports_notes: bool
    # What ``fetch`` gives: QUALITY_FIT (2, the original file) or QUALITY_STREAMS
    # (1, the platform's resampled streams). A run already stored at this quality
    # or better from another platform is linked, not fetched again.
    source_quality: int

    def list_activities(self, after: datetime | None) -> Iterator[RemoteActivity]:
        """Activities that started after ``after`` (all when None), oldest first."""
        ...

    def get_activity(self, remote_id: str) -> RemoteActivity:
        """One activity by id (push-based sync: a webhook names only the id)."""
        ...

    def fetch(self, activity: RemoteActivity) -> Fetched:
        ...

    def read_description(self, activity: RemoteActivity) -> str:
        """The activity's description as the platform has it now ('' when empty): always a fresh read.

        The pipeline calls it just before writing; a description that came
        with ``fetch`` may already be stale by then.
        """
        ...

    def write_description(self, activity: RemoteActivity, text: str) -> str | None:
        """Replace the whole description with ``text`` (the pipeline merged it).

        Returns the description as the platform stored it when its answer says
        so (Strava's update returns the activity), else None: the pipeline then
        reads it back with :meth:`read_description`.
        """
        ...

    def close(self) -> None:
        ...


@dataclass(frozen=True)
class Check:
    """One line of ``pose-sync doctor``: ``ok`` True (fine), False (broken), None (a warning)."""

    name: str
    ok: bool | None
    detail: str


@runtime_checkable
class HasChecks(Protocol):
    """Optional: a connector that can say whether it is ready (tokens present and fresh, ...).

    Checks must not make network requests that cost rate-limit budget."""

    def checks(self) -> list[Check]:
        ...


class WorkoutTarget(Protocol):
    """A connector that can put planned workouts on the athlete's calendar."""

    def push_workout(self, workout: Workout, previous: Mapping[str, Any] | None) -> dict[str, Any]:
        """Create or update one scheduled workout; returns ids to keep in the ledger."""
        ...

    def remove_workout(self, detail: Mapping[str, Any]) -> None:
        ...


@dataclass(frozen=True)
class ConnectorSpec:
    """How a plugin declares a connector.

    ``config_model`` validates the plugin's own section ``[connectors.<name>]``;
    ``factory(settings, context)`` builds the connector from the validated
    settings and a :class:`ConnectorContext`.
    """

    name: str
    description: str
    config_model: type[BaseModel]
    factory: Callable[[BaseModel, "ConnectorContext"], Connector]


@dataclass
class ConnectorContext:
    """What a connector may use from the core: where its secrets live, the config, and output."""

    data_dir: Any
    config: "Config"
    dry_run: bool = False
    interactive: bool = False
    echo: Callable[[str], None] = print
