"""The report's injury-aware part: the stricter ramp binds and says so, pain against load, shoe plans, PNG/HTML."""

from __future__ import annotations

import json
import struct
from datetime import timedelta

import pytest

from pose_sync.cli import main
from pose_sync.pain import MORNING, PainReport
from pose_sync.progression.body import BodyContext
from pose_sync.progression.html import render_html
from pose_sync.progression.report import build_report
from pose_sync.progression.tissue import run_tissue_load
from pose_sync.store import Store
from tests.progression.test_tissue import CONFIG, D0, GEAR_NAMES, _weeks

TODAY = D0 + timedelta(days=34)
PAIN = (PainReport(TODAY - timedelta(days=5), "achilles", 6.0), PainReport(TODAY - timedelta(days=4), "achilles", 3.0,
                                                                           MORNING))


@pytest.fixture
def report():
    runs, gear = _weeks(4, slow_minimalist=True)
    pairs = [(r, gear[r.source]) for r in runs]
    return build_report(pairs, GEAR_NAMES, CONFIG, TODAY, weeks=5, body=BodyContext(pain=PAIN)), runs


def test_the_report_uses_the_stricter_ramp_and_says_which_bound(report):
    report, runs = report
    injury = report.injury
    assert report.ramp is injury.tissue_ramp and report.ramp.level == "danger"
    assert injury.heart_ramp.acwr == pytest.approx(1.0) and injury.heart_ramp.level == "safe"
    assert injury.binding == "the tissue load ramp binds (danger); the load ramp is 1.00 (safe)"
    assert any(w.startswith("tissue load ramp 1.40 is above the danger line (1.35)") for w in report.warnings)
    assert not any(w.startswith("load ramp") for w in report.warnings)
    # tissue load per week, by hand: four normal runs, then four slow ones in minimalist shoes
    normal = run_tissue_load(runs[0])
    assert [w.load for w in injury.tissue_weeks[:4]] == [pytest.approx(round(4 * normal, 1), abs=0.05)] * 4
    assert injury.tissue_weeks[4].load == pytest.approx(4 * 1.25 * run_tissue_load(runs[-1]), abs=0.05)
    # pain against load: the week's pain beside the week's tissue load
    assert injury.tissue_weeks[4].pain_max == 6.0 and injury.tissue_weeks[3].pain_max is None
    assert injury.pain_verdict.level == "cut"
    assert any(w.startswith("pain (cut): achilles 6/10") for w in report.warnings)
    (plan,) = injury.transitions
    assert plan.label == "Vivobarefoot Primus" and plan.current.exceeded     # four runs in week 1 of the plan


def test_png_and_html_carry_the_panels(report):
    from pose_sync.progression.plots import figure_png

    report, _ = report
    png = figure_png(report)
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (1320, 1210)      # three rows: form, both ramps, split and shoes
    html = render_html(report, png)
    assert "Tissue load and pain" in html and "achilles 6 (Tue)" in html and "Minimalist plan: Vivobarefoot" in html
    assert "Tissue load ramp today: <b>1.40</b>" in html


def test_report_json_from_the_store(tmp_path, capsys):
    runs, gear = _weeks(4, slow_minimalist=True)
    with Store.open(tmp_path) as store:
        store.put_gear("strava", "g-vivo", "Vivobarefoot Primus", "shoes", None)
        for r in runs:
            store.save_run(r, fit_sha256=None, quality=2, gear_id=gear[r.source])
        for p in PAIN:
            store.add_pain(p)
    config = tmp_path / "config.toml"
    config.write_text('[shoes]\nminimalist = ["Vivobarefoot Primus"]\n[athlete]\nmax_heart_rate_bpm = 190\n'
                      'resting_heart_rate_bpm = 60\nthreshold_heart_rate_bpm = 170\n', encoding="utf-8")
    with pytest.raises(SystemExit):
        main(["--config", str(config), "--data-dir", str(tmp_path), "report", "--json", "--weeks", "5",
              "--today", TODAY.isoformat()])
    data = json.loads(capsys.readouterr().out)
    injury = data["injury"]
    assert "tissue_days" not in injury and len(injury["tissue_weeks"]) == 5
    assert injury["ramp"]["load"] == "tissue" and data["ramp"]["load"] == "tissue"
    assert [p["site"] for p in injury["pain"]] == ["achilles", "achilles"]
    assert injury["transitions"][0]["weeks"][0]["exceeded"] is True
