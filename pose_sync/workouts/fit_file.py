"""Planned workouts as FIT workout files, for any device that loads them (Garmin, Coros, Wahoo ...).

Written with Garmin's official FIT SDK encoder. The layout follows the FIT
workout file: a file_id of type workout, one workout message, then one
workout_step per step in order; a repeat is a step of duration type
``repeat_until_steps_cmplt`` after its children, pointing back to the first
child's message index with the repetition count as its target value.

Units, as the FIT profile defines them: durations in ms (time) or cm
(distance), speed targets in mm/s, heart-rate targets in bpm + 100 (values up
to 100 mean percent of max), cadence targets in strides per minute per leg
(FIT's running cadence convention; our plans speak steps per minute).
"""

from __future__ import annotations

import re
from datetime import datetime, time, timezone

from garmin_fit_sdk import Encoder, Profile

from pose_sync.workouts.model import DurationKind, Repeat, Step, StepKind, TargetKind, Workout

MESSAGE = Profile["mesg_num"]
INTENSITY = {StepKind.WARMUP: "warmup", StepKind.ACTIVE: "active", StepKind.DRILL: "active",
             StepKind.RECOVERY: "recovery", StepKind.REST: "rest", StepKind.COOLDOWN: "cooldown"}
HEART_RATE_OFFSET = 100


def _step_fields(step: Step, index: int) -> dict[str, object]:
    fields: dict[str, object] = {"mesg_num": MESSAGE["WORKOUT_STEP"], "message_index": index,
                                 "intensity": INTENSITY[step.kind]}
    if step.name:
        fields["wkt_step_name"] = step.name[:50]
    if step.notes:
        fields["notes"] = step.notes[:200]
    duration = step.duration
    if duration.kind is DurationKind.TIME and duration.value:
        fields.update(duration_type="time", duration_value=round(duration.value * 1000))
    elif duration.kind is DurationKind.DISTANCE and duration.value:
        fields.update(duration_type="distance", duration_value=round(duration.value * 100))
    else:
        fields["duration_type"] = "open"
    target = step.target
    if target.kind is TargetKind.SPEED and target.low and target.high:
        fields.update(target_type="speed", target_value=0, custom_target_value_low=round(target.low * 1000),
                      custom_target_value_high=round(target.high * 1000))
    elif target.kind is TargetKind.HEART_RATE and target.low and target.high:
        fields.update(target_type="heart_rate", target_value=0,
                      custom_target_value_low=round(target.low) + HEART_RATE_OFFSET,
                      custom_target_value_high=round(target.high) + HEART_RATE_OFFSET)
    elif target.kind is TargetKind.CADENCE and target.low and target.high:
        fields.update(target_type="cadence", target_value=0, custom_target_value_low=round(target.low / 2),
                      custom_target_value_high=round(target.high / 2))
    else:
        fields["target_type"] = "open"
    return fields


def step_messages(workout: Workout) -> list[dict[str, object]]:
    """workout_step messages in order, repeats expanded into children plus a repeat step."""
    messages: list[dict[str, object]] = []
    for item in workout.steps:
        if isinstance(item, Repeat):
            first = len(messages)
            for child in item.steps:
                messages.append(_step_fields(child, len(messages)))
            messages.append({"mesg_num": MESSAGE["WORKOUT_STEP"], "message_index": len(messages),
                             "duration_type": "repeat_until_steps_cmplt", "duration_value": first,
                             "target_type": "open", "target_value": item.count})
        else:
            messages.append(_step_fields(item, len(messages)))
    return messages


def encode_workout(workout: Workout) -> bytes:
    steps = step_messages(workout)
    encoder = Encoder()
    created = datetime.combine(workout.scheduled_date, time(6), tzinfo=timezone.utc)
    encoder.write_mesg({"mesg_num": MESSAGE["FILE_ID"], "type": "workout", "manufacturer": "development",
                        "product": 0, "serial_number": abs(hash(workout.key)) % 2**31 + 1, "time_created": created})
    encoder.write_mesg({"mesg_num": MESSAGE["WORKOUT"], "sport": workout.sport, "num_valid_steps": len(steps),
                        "wkt_name": workout.name[:40]})
    for message in steps:
        encoder.write_mesg(message)
    return encoder.close()


def file_name(workout: Workout) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", workout.name.lower()).strip("-")
    return f"{workout.scheduled_date.isoformat()}-{slug}.fit"
