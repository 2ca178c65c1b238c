"""Pushing a plan twice never duplicates; a re-plan updates and removes only what it replaced."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from pose_sync.store import Store
from pose_sync.workouts.model import Duration, DurationKind, Step, StepKind, Workout
from pose_sync.workouts.push import push_plan

DAY = date(2026, 10, 5)
WINDOW = (DAY, DAY + timedelta(days=6))


class Calendar:
    """A platform calendar in memory: the WorkoutTarget protocol, with a request log."""

    def __init__(self) -> None:
        self.workouts: dict[int, Workout] = {}
        self.calls: list[str] = []
        self.next_id = 100

    def push_workout(self, workout: Workout, previous: dict[str, Any] | None) -> dict[str, Any]:
        if previous:
            self.calls.append(f"update {previous['workout_id']}")
            self.workouts[previous["workout_id"]] = workout
            return {"workout_id": previous["workout_id"]}
        self.next_id += 1
        self.calls.append(f"create {self.next_id}")
        self.workouts[self.next_id] = workout
        return {"workout_id": self.next_id}

    def remove_workout(self, detail: dict[str, Any]) -> None:
        self.calls.append(f"remove {detail['workout_id']}")
        del self.workouts[detail["workout_id"]]


def session(offset: int, minutes: int, kind: str = "drills_easy") -> Workout:
    day = DAY + timedelta(days=offset)
    return Workout(f"pose12-{day}-{kind}", f"Pose {kind}", day,
                   (Step(StepKind.ACTIVE, Duration(DurationKind.TIME, minutes * 60.0)),))


def push(store: Store, calendar: Calendar, workouts: list[Workout], dry_run: bool = False):
    said: list[str] = []
    result = push_plan(store, "garmin", calendar, workouts, window=WINDOW, dry_run=dry_run, echo=said.append)
    return result, said


def test_pushing_the_same_plan_twice_changes_nothing(tmp_path):
    plan = [session(1, 30), session(3, 40, "intervals"), session(5, 50, "long")]
    calendar = Calendar()
    with Store.open(tmp_path) as store:
        first, _ = push(store, calendar, plan)
        assert len(first.created) == 3 and len(calendar.workouts) == 3
        second, said = push(store, calendar, plan)
        assert second.unchanged == [w.key for w in plan] and said == []
        assert calendar.calls == ["create 101", "create 102", "create 103"]


def test_a_new_plan_updates_changed_sessions_and_removes_replaced_ones(tmp_path):
    calendar = Calendar()
    with Store.open(tmp_path) as store:
        push(store, calendar, [session(1, 30), session(3, 40, "intervals"), session(5, 50, "long")])
        replanned = [session(1, 30), session(3, 28, "drills_easy"), replace(session(5, 50, "long"))]
        replanned[2] = session(5, 35, "long")
        result, said = push(store, calendar, replanned)
        assert result.unchanged == [replanned[0].key]
        assert result.updated == [replanned[2].key] and result.created == [replanned[1].key]
        assert result.removed == [f"pose12-{DAY + timedelta(days=3)}-intervals"]
        assert calendar.calls[3:] == ["create 104", "update 103", "remove 102"]
        assert len(calendar.workouts) == 3
        assert any(line.startswith("remove garmin workout") for line in said)


def test_dry_run_says_what_it_would_do_and_does_nothing(tmp_path):
    calendar = Calendar()
    with Store.open(tmp_path) as store:
        result, said = push(store, calendar, [session(1, 30)], dry_run=True)
        assert result.created == [session(1, 30).key] and calendar.calls == [] and store.ledger() == []
        assert said == [f"would create garmin workout {DAY + timedelta(days=1)} 'Pose drills_easy'"]


def test_sessions_outside_the_window_are_left_alone(tmp_path):
    calendar = Calendar()
    with Store.open(tmp_path) as store:
        push(store, calendar, [session(-3, 30)])  # last week's session
        result, _ = push(store, calendar, [session(1, 30)])
        assert result.removed == [] and len(calendar.workouts) == 2
