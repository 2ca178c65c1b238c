"""Planned sessions as FIT workout files that fitparse and Garmin's own SDK read back step for step."""

from __future__ import annotations

import io
from datetime import date

import fitparse
import pytest
from garmin_fit_sdk import Decoder, Stream

from pose_sync.workouts.fit_file import encode_workout, file_name
from pose_sync.workouts.model import Duration, DurationKind, Repeat, Step, StepKind, Target, TargetKind, Workout

WORKOUT = Workout(
    key="pose12-2026-10-01-intervals", name="Pose W4 intervals", scheduled_date=date(2026, 10, 1),
    steps=(
        Step(StepKind.WARMUP, Duration(DurationKind.TIME, 900), Target(TargetKind.HEART_RATE, 130, 145)),
        Step(StepKind.DRILL, Duration(DurationKind.TIME, 120), name="Pony", notes="Quick light pulls, 3 x 30 s"),
        Repeat(8, (Step(StepKind.ACTIVE, Duration(DurationKind.DISTANCE, 200), Target(TargetKind.SPEED, 4.2, 4.4),
                        name="200 m"),
                   Step(StepKind.RECOVERY, Duration(DurationKind.TIME, 90)))),
        Step(StepKind.ACTIVE, Duration(DurationKind.TIME, 20), Target(TargetKind.CADENCE, 180, 190)),
        Step(StepKind.COOLDOWN, Duration(DurationKind.OPEN)),
    ),
)


def test_fitparse_reads_the_workout_with_every_step():
    messages = list(fitparse.FitFile(io.BytesIO(encode_workout(WORKOUT))).get_messages())
    assert messages[0].get_value("type") == "workout"
    workout = next(m for m in messages if m.name == "workout").get_values()
    assert workout["sport"] == "running" and workout["wkt_name"] == "Pose W4 intervals"
    steps = [m.get_values() for m in messages if m.name == "workout_step"]
    assert workout["num_valid_steps"] == len(steps) == 7
    assert steps[0]["duration_time"] == 900 and steps[0]["intensity"] == "warmup"
    assert (steps[0]["custom_target_heart_rate_low"], steps[0]["custom_target_heart_rate_high"]) == (230, 245)
    assert steps[1]["wkt_step_name"] == "Pony" and steps[1]["notes"].startswith("Quick light")
    assert steps[2]["duration_distance"] == 200 and steps[2]["target_type"] == "speed"
    assert (steps[2]["custom_target_speed_low"], steps[2]["custom_target_speed_high"]) == (4.2, 4.4)
    # fitparse's 2019 profile predates the "recovery" intensity (4); the SDK below names it
    assert steps[3]["intensity"] == 4 and steps[3]["duration_time"] == 90
    repeat = steps[4]
    assert repeat["duration_type"] == "repeat_until_steps_cmplt"
    assert repeat["duration_step"] == 2 and repeat["repeat_steps"] == 8
    assert steps[5]["target_type"] == "cadence" and steps[5]["custom_target_cadence_low"] == 90  # per leg
    assert steps[6]["duration_type"] == "open"


def test_the_official_sdk_decodes_it_without_errors():
    messages, errors = Decoder(Stream.from_byte_array(bytearray(encode_workout(WORKOUT)))).read()
    assert errors == []
    steps = messages["workout_step_mesgs"]
    assert len(steps) == 7 and steps[2]["duration_distance"] == pytest.approx(200)
    assert steps[4]["repeat_steps"] == 8 and steps[3]["intensity"] == "recovery"


def test_file_names_are_dated_and_safe():
    assert file_name(WORKOUT) == "2026-10-01-pose-w4-intervals.fit"
