"""Our block in a description: the athlete's text is kept byte for byte; never doubled."""

from __future__ import annotations

import pytest

from pose_sync.notes import BEGIN, END, extract, is_current, merge

BODY = "Pose form 74/100 (+3 vs your 4-week norm at this pace)\nCadence 176 spm · contact 241 ms"


@pytest.mark.parametrize("athlete_text", [
    "",
    "Easy run with Sam.",
    "Easy run with Sam.\r\nLegs heavy.\r\n",
    "Tempo 🔥\n\nfelt good\n",
    "   ",
])
def test_merge_keeps_athlete_text_and_is_idempotent(athlete_text):
    once = merge(athlete_text, BODY)
    assert once.startswith(athlete_text.rstrip(" ") if not athlete_text.strip() else athlete_text)
    assert extract(once) == BODY
    assert merge(once, BODY) == once
    assert is_current(once, BODY)
    assert once.count(BEGIN) == 1 and once.count(END) == 1


def test_replace_keeps_text_before_and_after_byte_for_byte():
    before, after = "Intervals 6x800\r\n\r\n", "\r\nPS: new shoes 👟  \r\n"
    text = before + f"{BEGIN}\r\nold note\r\n{END}" + after
    updated = merge(text, BODY)
    assert updated.startswith(before) and updated.endswith(after)
    assert extract(updated) == BODY
    assert "\r\nCadence 176 spm" in updated  # written with the description's own line ending


def test_platform_line_ending_changes_do_not_count_as_a_change():
    written = merge("Run", BODY)
    as_strava_returns_it = written.replace("\n", "\r\n")
    assert is_current(as_strava_returns_it, BODY)
    assert merge(as_strava_returns_it, BODY) == as_strava_returns_it


def test_duplicate_blocks_collapse_into_one():
    text = f"top\n{BEGIN}\na\n{END}\nmiddle\n{BEGIN}\nb\n{END}\nend"
    assert not is_current(text, "a")
    merged = merge(text, "c")
    assert merged == f"top\n{BEGIN}\nc\n{END}\nmiddle\nend"


def test_markers_inside_a_line_are_athlete_text():
    text = f"I wrote {BEGIN} in a sentence"
    merged = merge(text, BODY)
    assert merged.startswith(text) and merged.count(BEGIN) == 2
    assert extract(merged) == BODY
