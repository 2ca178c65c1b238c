"""The note text: short, honest about missing history, identical when rendered again."""

from __future__ import annotations

from datetime import date, timedelta

from pose_sync.config import Config
from pose_sync.notes.render import render_note
from tests.progression.factory import program_history, run

START = date(2026, 8, 31)


def test_the_note_has_the_design_shape_and_fits_a_phone():
    history = program_history(START)
    config = Config.model_validate({"program": {"start_date": START.isoformat()}})
    note = render_note(history[-1], history[:-1], config)
    lines = note.split("\n")
    assert len(lines) == 3 and all(len(line) <= 80 for line in lines)
    assert lines[0].startswith("Pose form 60/100 (") and "vs your 4-week norm" in lines[0]
    assert lines[1].startswith("Cadence 176 spm · contact 244 ms · bounce 8.8 cm")
    assert "load ramp" in lines[2] and lines[2].endswith("week 12 of 12")
    assert render_note(history[-1], history[:-1], config) == note


def test_without_history_it_says_so():
    first = run(START, minutes=40)
    note = render_note(first, [], Config())
    assert "not enough runs yet" in note and "building history" in note
    assert "week" not in note.split("\n")[2]  # no program start date, no program week


def test_only_history_before_the_run_matters():
    history = program_history(START)
    run_ = history[20]
    config = Config()
    later = [h for h in history if h.start_time > run_.start_time]
    earlier = [h for h in history if h.start_time < run_.start_time]
    assert render_note(run_, earlier, config) == render_note(run_, earlier + later[:0], config)
    far_past = [run(START - timedelta(days=400), minutes=300, hr=180)]
    assert render_note(run_, far_past + earlier, config) == render_note(run_, earlier, config)
