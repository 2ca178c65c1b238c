"""The demo's simulated runner: clearly labelled, reproducible, real FIT files a real decoder reads."""

from __future__ import annotations

import io
from datetime import date

import fitparse

from sim.demo import LABEL, write_history


def test_the_demo_history_is_labelled_seeded_and_real_fit(tmp_path):
    today = date(2026, 12, 3)
    first, change_from, count = write_history(tmp_path / "a", today, weeks=2, seed=11)
    again = write_history(tmp_path / "b", today, weeks=2, seed=11)
    files = sorted((tmp_path / "a").glob("*.fit"))
    assert count == len(files) >= 5 and again[2] == count
    assert all(f.name.startswith("simulated-") for f in files)
    assert [f.read_bytes() for f in files] == [f.read_bytes() for f in sorted((tmp_path / "b").glob("*.fit"))]
    assert "SIMULATED" in LABEL and LABEL in (tmp_path / "a" / "README.txt").read_text()
    assert first.weekday() == 0 and first < change_from < today
    assert all(f.name < f"simulated-{today}" for f in files)        # nothing from today or later
    messages = list(fitparse.FitFile(io.BytesIO(files[0].read_bytes())).get_messages("session"))
    assert messages[0].get_value("sport") == "running"
