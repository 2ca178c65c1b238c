"""Pain in the runner's own words: read from descriptions during a real sync, followed by the planner."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from pose_sync.cli import main
from pose_sync.config import Config
from pose_sync.notes import BEGIN, extract
from pose_sync.pain import MORNING, PainReport, parse_description
from pose_sync.progression.body import BodyContext
from pose_sync.progression.planner import plan
from pose_sync.store import Store
from pose_sync.sync import Pipeline
from sim.runner import Runner, simulate_run, steady
from tests.fakes.memory_platform import MemoryPlatform

TUESDAY = date(2026, 10, 6)
# Tuesday is slot 1 of program week 4; Thursday brings 8 x 200 m with drills, Saturday drills + easy.
CONFIG = {"notes": {"settle_minutes": 0}, "athlete": {"threshold_pace_s_per_km": 250, "max_heart_rate_bpm": 190},
          "program": {"start_date": (TUESDAY - timedelta(weeks=3, days=1)).isoformat()}}


@pytest.fixture(scope="module")
def fit_files(tmp_path_factory) -> list[tuple[str, Path, datetime]]:
    folder = tmp_path_factory.mktemp("fit")
    runs = []
    for k, days_before in enumerate((5, 2, 0)):
        start = datetime.combine(TUESDAY - timedelta(days=days_before), datetime.min.time(),
                                 tzinfo=timezone.utc) + timedelta(hours=7)
        simulated = simulate_run(Runner(), steady(2.9, 15), start, seed=k)
        path = folder / f"run{k}.fit"
        path.write_bytes(simulated.fit)
        runs.append((f"20{k}", path, start))
    return runs


def _platform(tmp_path: Path, fit_files, tuesday_text: str) -> MemoryPlatform:
    activities = [{"id": rid, "fit": str(path), "start_time": start.isoformat(), "distance_m": None,
                   "sport": "running", "description": tuesday_text if start.date() == TUESDAY else "Easy."}
                  for rid, path, start in fit_files]
    return MemoryPlatform.create(tmp_path / "platform.json", activities)


def _sync(data_dir: Path, platform: MemoryPlatform, config: Config) -> None:
    with Store.open(data_dir) as store:
        result = Pipeline(store, config, echo=lambda _: None).sync(platform)
    assert result.count("failed") == 0 and result.stopped_by is None


def _plan(data_dir: Path, config: Config, today: date):
    with Store.open(data_dir) as store:
        stored = store.list_runs()
        return plan([r.analysis for r in stored], config, today, body=BodyContext.from_store(store, stored))


def test_pain_6_on_tuesday_makes_the_next_sessions_easier_and_says_why(tmp_path, fit_files):
    text = "Calf tight on the hills.\r\npain: achilles 6\r\ndrills: 10\r\nOtherwise fine."
    platform = _platform(tmp_path, fit_files, text)
    config = Config.model_validate(CONFIG)
    _sync(tmp_path / "d", platform, config)
    after = platform.description("202")
    assert after.startswith(text + "\r\n\r\n" + BEGIN)             # the athlete's text, byte for byte, then ours
    assert "Pain noted: achilles 6/10" in extract(after)          # the note mentions the pain it read
    with Store.open(tmp_path / "d") as store:
        assert [(p.day, p.site, p.score, p.platform) for p in store.pain_reports()] == [
            (TUESDAY, "achilles", 6.0, "memory")]
        assert store.drill_minutes_by_day() == {TUESDAY: 10.0}       # counted in the tissue load
    result = _plan(tmp_path / "d", config, TUESDAY)
    assert result.pain is not None and result.pain.level == "cut"
    kinds = [w.tags[0] for w in result.workouts]
    assert "intervals" not in kinds and all(w.name.endswith("easy (pain)") for w in result.workouts[:2])
    assert not any(s.kind.value == "drill" for w in result.workouts for s in w.steps if hasattr(s, "kind"))
    why = [n for n in result.notes if "achilles 6/10 on Tue 06 Oct is above 5/10" in n]
    assert len(why) == len(result.workouts) and "intervals with drills replaced by" in why[0]
    # a second sync reads the same line again and stores it once
    _sync(tmp_path / "d", platform, config)
    with Store.open(tmp_path / "d") as store:
        assert len(store.pain_reports()) == 1


def test_pain_2_that_settles_changes_nothing(tmp_path, fit_files):
    platform = _platform(tmp_path, fit_files, "pain: achilles 2")
    config = Config.model_validate(CONFIG)
    _sync(tmp_path / "d", platform, config)
    with Store.open(tmp_path / "d") as store:
        store.add_pain(PainReport(TUESDAY + timedelta(days=1), "achilles", 0.0, MORNING))
    wednesday = TUESDAY + timedelta(days=1)
    settled = _plan(tmp_path / "d", config, wednesday)
    assert settled.pain is not None and settled.pain.level == "ok"
    assert "settled by the next morning" in settled.pain.summary()
    with Store.open(tmp_path / "d") as store:
        stored = store.list_runs()
        painless = plan([r.analysis for r in stored], config, wednesday,
                        body=BodyContext({r.analysis.source: r.gear_id for r in stored}))
    assert settled.workouts == painless.workouts and "intervals" in [w.tags[0] for w in settled.workouts]
    # the same pain, still there the next morning, holds: no intervals, but easy running as long as planned
    with Store.open(tmp_path / "d") as store:
        store.add_pain(PainReport(wednesday, "achilles", 4.0, MORNING))
    held = _plan(tmp_path / "d", config, wednesday)
    assert held.pain.level == "hold" and "had not settled by the next morning (4/10)" in held.pain.summary()
    assert "intervals" not in [w.tags[0] for w in held.workouts]


def test_the_description_is_untouched_when_notes_are_off_and_a_bad_line_only_warns(tmp_path, fit_files, caplog):
    text = "Windy.\npain: achilles\n#niggle heel 4/10\n"
    platform = _platform(tmp_path, fit_files, text)
    config = Config.model_validate({**CONFIG, "notes": {"enabled": False, "settle_minutes": 0}})
    with caplog.at_level(logging.WARNING):
        _sync(tmp_path / "d", platform, config)
    assert platform.description("202") == text                    # byte for byte
    assert not any(r.startswith("write") for r in platform.state()["requests"])
    assert any("pain line 'pain: achilles' ignored" in r.getMessage() for r in caplog.records)
    with Store.open(tmp_path / "d") as store:
        assert [(p.site, p.score) for p in store.pain_reports()] == [("heel", 4.0)]


def test_our_own_note_is_not_read_back_as_pain():
    described = "pain: heel 1\n\n[pose-sync]\nPain noted: achilles 6/10\npain: achilles 6\n[/pose-sync]\n"
    found = parse_description(described, TUESDAY, prefixes=["pain:"])
    assert [(p.site, p.score) for p in found.pain] == [("heel", 1.0)]


def test_log_pain_from_the_command_line(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--data-dir", str(tmp_path), "log", "pain", "Left Calf", "3", "--date", "2026-10-06",
              "--next-morning"])
    assert exit_.value.code == 0
    assert "logged left calf 3/10 on the morning of Tue 06 Oct 2026" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_:
        main(["--data-dir", str(tmp_path), "log", "pain", "achilles", "11"])
    assert exit_.value.code == 2
    with Store.open(tmp_path) as store:
        assert store.pain_reports() == [PainReport(TUESDAY, "left calf", 3.0, MORNING, "log", text="left calf 3")]


def test_pain_added_after_the_note_is_read_on_the_later_check(tmp_path, fit_files):
    platform = _platform(tmp_path, fit_files, "Easy one.")
    config = Config.model_validate(CONFIG)
    _sync(tmp_path / "d", platform, config)
    state = platform.state()
    for activity in state["activities"]:
        if activity["id"] == "202":   # the athlete adds a line above our note in the app
            activity["description"] = "Easy one.\npain: heel 3\n" + activity["description"][len("Easy one."):]
    platform._save(state)
    edited = platform.description("202")
    _sync(tmp_path / "d", platform, config)
    assert platform.description("202") == edited                     # read, not rewritten
    with Store.open(tmp_path / "d") as store:
        assert [(p.site, p.score, p.remote_id) for p in store.pain_reports()] == [("heel", 3.0, "202")]
