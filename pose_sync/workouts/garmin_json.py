"""A planned workout as Garmin Connect workout JSON (what POST /workout-service/workout takes).

The shape follows the recorded workouts in tests/wire/garmin/workout: one
segment of steps, each an ``ExecutableStepDTO`` (warmup, interval, recovery,
rest, cooldown, other) or a ``RepeatGroupDTO`` holding its children; step
orders run through children too. Drills are ``other`` steps whose
description says what to do (the watch shows it). Pace targets are
``pace.zone`` with the bounds in m/s, heart rate ``heart.rate.zone`` in bpm,
cadence in steps per minute; the server adds ids on its copy.
"""

from __future__ import annotations

from typing import Any

from pose_sync.workouts.model import Duration, DurationKind, Repeat, Step, StepKind, Target, TargetKind, Workout

RUNNING = {"sportTypeId": 1, "sportTypeKey": "running", "displayOrder": 1}
STEP_TYPES = {StepKind.WARMUP: (1, "warmup"), StepKind.COOLDOWN: (2, "cooldown"), StepKind.ACTIVE: (3, "interval"),
              StepKind.RECOVERY: (4, "recovery"), StepKind.REST: (5, "rest"), StepKind.DRILL: (7, "other")}
END_CONDITIONS = {DurationKind.OPEN: (1, "lap.button"), DurationKind.TIME: (2, "time"),
                  DurationKind.DISTANCE: (3, "distance")}
TARGETS = {TargetKind.NONE: (1, "no.target"), TargetKind.CADENCE: (3, "cadence"),
           TargetKind.HEART_RATE: (4, "heart.rate.zone"), TargetKind.SPEED: (6, "pace.zone")}
REPEAT = {"stepTypeId": 6, "stepTypeKey": "repeat", "displayOrder": 6}
ITERATIONS = {"conditionTypeId": 7, "conditionTypeKey": "iterations", "displayOrder": 7, "displayable": False}


def _step_type(kind: StepKind) -> dict[str, Any]:
    number, key = STEP_TYPES[kind]
    return {"stepTypeId": number, "stepTypeKey": key, "displayOrder": number}


def _end(duration: Duration) -> tuple[dict[str, Any], float | None]:
    number, key = END_CONDITIONS[duration.kind]
    condition = {"conditionTypeId": number, "conditionTypeKey": key, "displayOrder": number,
                 "displayable": True}
    return condition, (float(duration.value) if duration.kind is not DurationKind.OPEN and duration.value else None)


def _target(target: Target) -> dict[str, Any]:
    kind = target.kind if target.low is not None and target.high is not None else TargetKind.NONE
    number, key = TARGETS[kind]
    fields: dict[str, Any] = {"targetType": {"workoutTargetTypeId": number, "workoutTargetTypeKey": key,
                                             "displayOrder": number}}
    if kind is not TargetKind.NONE:
        fields["targetValueOne"], fields["targetValueTwo"] = float(target.low or 0), float(target.high or 0)
    return fields


def _executable(step: Step, order: int, child: int | None) -> dict[str, Any]:
    condition, value = _end(step.duration)
    body: dict[str, Any] = {"type": "ExecutableStepDTO", "stepOrder": order, "stepType": _step_type(step.kind),
                            "endCondition": condition, **_target(step.target)}
    if value is not None:
        body["endConditionValue"] = value
    if child is not None:
        body["childStepId"] = child
    description = " - ".join(p for p in (step.name, step.notes) if p)
    if description:
        body["description"] = description[:512]
    return body


def estimated_seconds(workout: Workout, easy_speed_mps: float = 2.8) -> int:
    """Rough duration for the calendar: times as given, distances at an easy pace."""
    def seconds(step: Step) -> float:
        value = step.duration.value or 0.0
        return value if step.duration.kind is DurationKind.TIME else value / easy_speed_mps

    total = 0.0
    for item in workout.steps:
        total += item.count * sum(seconds(s) for s in item.steps) if isinstance(item, Repeat) else seconds(item)
    return int(round(total))


def to_garmin(workout: Workout) -> dict[str, Any]:
    steps: list[dict[str, Any]] = []
    order = 0
    group = 0
    for item in workout.steps:
        order += 1
        if isinstance(item, Repeat):
            group += 1
            repeat: dict[str, Any] = {"type": "RepeatGroupDTO", "stepOrder": order, "stepType": REPEAT,
                                      "childStepId": group, "numberOfIterations": item.count, "smartRepeat": False,
                                      "endCondition": ITERATIONS, "endConditionValue": float(item.count),
                                      "workoutSteps": []}
            for child in item.steps:
                order += 1
                repeat["workoutSteps"].append(_executable(child, order, group))
            steps.append(repeat)
        else:
            steps.append(_executable(item, order, None))
    return {
        "workoutName": workout.name[:80],
        "description": workout.description[:1024],
        "sportType": RUNNING,
        "estimatedDurationInSecs": estimated_seconds(workout),
        "author": {},
        "workoutSegments": [{"segmentOrder": 1, "sportType": RUNNING, "workoutSteps": steps}],
    }
