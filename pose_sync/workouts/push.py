"""Putting planned workouts on a platform's calendar without ever duplicating one.

The ledger remembers, per workout key (stable across re-planning: program
date and session kind), what was pushed (a hash of the workout) and the ids
the platform gave back. Pushing a plan again then creates what is new,
updates what changed, leaves alone what is identical, and removes sessions
the new plan replaced (in the plan's own date window only: past sessions
stay on the calendar). Dry-run says each of these and touches nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING

from pose_sync.config import Config
from pose_sync.connectors import WorkoutTarget
from pose_sync.workouts.model import Workout

if TYPE_CHECKING:
    from pose_sync.store import Store

KIND = "workout"
REMOVED = "removed"


@dataclass
class PushResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


def workout_hash(workout: Workout) -> str:
    data = asdict(workout)
    if data.get("shoe") is None:
        data.pop("shoe", None)   # as before shoes were planned: no re-push of every workout after an upgrade
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def _pushed(store: Store, platform: str) -> dict[str, tuple[str, dict]]:
    """Latest ledger state per workout key: (content hash, detail), removed ones left out."""
    state: dict[str, tuple[str, dict]] = {}
    for entry in store.ledger(platform, KIND):
        state[entry.remote_id] = (entry.content_sha256, entry.detail)
    return {key: value for key, value in state.items() if value[0] != REMOVED}


def push_plan(store: Store, platform: str, target: WorkoutTarget, workouts: Sequence[Workout], *,
              window: tuple[date, date], dry_run: bool, echo: Callable[[str], None]) -> PushResult:
    """Make the platform's calendar in ``window`` match ``workouts``; every change goes in the ledger."""
    result = PushResult()
    pushed = _pushed(store, platform)
    planned = {w.key for w in workouts}
    for workout in workouts:
        digest = workout_hash(workout)
        previous = pushed.get(workout.key)
        if previous and previous[0] == digest:
            result.unchanged.append(workout.key)
            continue
        verb = "update" if previous else "create"
        echo(f"{'would ' if dry_run else ''}{verb} {platform} workout {workout.scheduled_date} {workout.name!r}")
        if not dry_run:
            detail = target.push_workout(workout, previous[1] if previous else None)
            detail["scheduled_date"] = workout.scheduled_date.isoformat()
            store.record_write(platform, workout.key, KIND, digest, detail)
        (result.updated if previous else result.created).append(workout.key)
    for key, (_, detail) in sorted(pushed.items()):
        scheduled = detail.get("scheduled_date")
        if key in planned or scheduled is None or not window[0] <= date.fromisoformat(scheduled) <= window[1]:
            continue
        echo(f"{'would ' if dry_run else ''}remove {platform} workout {scheduled} {key} (replaced in the new plan)")
        if not dry_run:
            target.remove_workout(detail)
            store.record_write(platform, key, KIND, REMOVED, {"removed": detail})
        result.removed.append(key)
    return result


def plan_and_push(store: Store, config: Config, platform: str, target: WorkoutTarget, today: date, days: int, *,
                  dry_run: bool, echo: Callable[[str], None]) -> PushResult:
    """Plan the next ``days`` from the stored runs and put the sessions on the platform's calendar."""
    from pose_sync.progression.body import BodyContext
    from pose_sync.progression.planner import plan

    stored = store.list_runs()
    planned = plan([r.analysis for r in stored], config, today, days=days, body=BodyContext.from_store(store, stored))
    for note in planned.notes:
        echo(f"plan: {note}")
    return push_plan(store, platform, target, planned.workouts,
                     window=(today + timedelta(days=1), today + timedelta(days=days)), dry_run=dry_run, echo=echo)


def summary(platform: str, result: PushResult) -> str:
    return (f"{platform} workouts: {len(result.created)} created, {len(result.updated)} updated,"
            f" {len(result.removed)} removed, {len(result.unchanged)} unchanged")
