"""`report` and `plan` as a user runs them, on the real sample runs."""

from __future__ import annotations

import io
import json

import fitparse
import pytest

from pose_sync.cli import main
from tests.conftest import SAMPLES


def cli(args: list[str], capsys) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    out, err = capsys.readouterr()
    return int(exit_info.value.code or 0), out, err


@pytest.fixture
def imported(data_dir, capsys):
    assert cli(["import", str(SAMPLES)], capsys)[0] == 1  # the COROS file cannot be read by fitparse
    return data_dir


def test_report_writes_html_and_png_from_the_real_samples(imported, tmp_path, capsys):
    html, png = tmp_path / "report.html", tmp_path / "report.png"
    code, out, err = cli(["report", "--weeks", "30", "--today", "2018-11-04", "--since", "2018-06-01",
                          "--html", str(html), "--png", str(png)], capsys)
    assert code == 0, err
    assert "Weeks" in out and "Since 2018-06-01" in out
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") and png.stat().st_size > 20_000
    page = html.read_text()
    assert page.startswith("<!doctype html>") and "data:image/png;base64," in page and "<table>" in page
    assert "not enough data" in page  # too few runs around the date to compare, and it says so


def test_report_json(imported, capsys):
    code, out, _ = cli(["report", "--json", "--weeks", "4", "--today", "2018-10-28"], capsys)
    data = json.loads(out)
    assert code == 0 and len(data["weeks"]) == 4
    assert {"ramp", "trends", "comparisons", "shoes", "anchors", "warnings"} <= set(data)
    assert data["weeks"][-2]["runs"] == 1 and data["weeks"][-2]["distance_km"] == pytest.approx(18.66)


def test_report_on_an_empty_store_says_what_to_do(data_dir, capsys):
    code, _, err = cli(["report"], capsys)
    assert code == 0 and "no runs stored yet" in err


def test_plan_exports_fit_workouts_with_the_planned_steps(imported, tmp_path, capsys):
    code, out, _ = cli(["plan", "--json", "--today", "2018-10-28", "--export", str(tmp_path / "w")], capsys)
    assert code == 0
    plan = json.loads(out)
    files = sorted((tmp_path / "w").glob("*.fit"))
    assert len(files) == len(plan["workouts"]) == 4
    for path, workout in zip(files, plan["workouts"], strict=True):
        messages = list(fitparse.FitFile(io.BytesIO(path.read_bytes())).get_messages())
        assert messages[0].get_value("type") == "workout"
        assert next(m for m in messages if m.name == "workout").get_value("wkt_name") == workout["name"]
        steps = [m for m in messages if m.name == "workout_step"]
        expected = sum(len(s["steps"]) + 1 if "count" in s else 1 for s in workout["steps"])
        assert len(steps) == expected
        named = [m.get_value("wkt_step_name") for m in steps if m.get_value("wkt_step_name")]
        assert named == [s["name"] for s in workout["steps"] if "count" not in s and s.get("name")]


def test_plan_push_to_a_platform_without_workouts_is_a_usage_error(imported, tmp_path, capsys):
    config = tmp_path / "c.toml"
    config.write_text(f'[connectors.local]\nfolders = ["{tmp_path}"]\n')
    code, _, err = cli(["--config", str(config), "plan", "--push", "local"], capsys)
    assert code == 2 and "local cannot take workouts" in err and "--export" in err
