"""Step speed loss (HRM 600): undocumented record fields 146/147 and session 222/223, written with the FIT SDK
encoder, read in the right units by both decoders, scored as a form component and shown in analyze --json."""

from __future__ import annotations

import io
import json
from datetime import datetime, timezone

import fitparse
import numpy as np
import pytest

from pose_sync.analysis import analyse_run
from pose_sync.cli import main
from pose_sync.fit import decode_fit
from pose_sync.fit.fast import decode_fast
from pose_sync.fit.reference import decode_reference
from pose_sync.model import SourceRef
from sim.fitfile import write_fit
from sim.runner import Runner, paces_ladder, simulate_run, steady
from tests.fit.test_fast_decoder import assert_same

START = datetime(2026, 10, 6, 7, 0, tzinfo=timezone.utc)
PCT = 7.5   # the simulated runner loses 7.5 % of their speed on each contact, at every pace


def _with_ssl(legs, *, seed: int = 3) -> tuple[bytes, dict[str, np.ndarray]]:
    """A simulated HRM 600 runner (sim.runner), with the first seconds unmeasured while the strap settles."""
    simulated = simulate_run(Runner(step_speed_loss_pct=PCT), legs, START, seed=seed, day_effects=False)
    columns = dict(simulated.columns)
    for name in ("step_speed_loss_pct", "step_speed_loss_cm_s"):
        columns[name][:5] = np.nan
    return write_fit(columns, START, gps=True), columns


@pytest.fixture(scope="module")
def ssl_fit() -> tuple[bytes, dict[str, np.ndarray]]:
    return _with_ssl(paces_ladder((2.6, 3.2, 3.8), 6))


def test_fitparse_sees_unknown_146_147_and_both_decoders_read_them_in_cm_s_and_percent(ssl_fit):
    data, columns = ssl_fit
    record = list(fitparse.FitFile(io.BytesIO(data)).get_messages("record"))[10]
    raw = {f.name: f.value for f in record.fields if f.name.startswith("unknown_")}
    assert set(raw) == {"unknown_146", "unknown_147"}          # not in the profile: raw uint16, scale 100
    assert raw["unknown_147"] == round(columns["step_speed_loss_pct"][10] * 100)
    reference, fast = decode_reference(data), decode_fast(data)
    assert_same(reference, fast)
    np.testing.assert_allclose(reference.records["step_speed_loss"], columns["step_speed_loss_cm_s"], atol=0.006)
    np.testing.assert_allclose(reference.records["step_speed_loss_percent"], columns["step_speed_loss_pct"],
                               atol=0.006)
    assert reference.record_units["step_speed_loss"] == "cm/s"
    session = reference.messages["session"][0]
    assert session["avg_step_speed_loss_percent"] == pytest.approx(np.nanmean(columns["step_speed_loss_pct"]),
                                                                   abs=0.006)
    assert session["avg_step_speed_loss"] == pytest.approx(np.nanmean(columns["step_speed_loss_cm_s"]), abs=0.006)


def test_scored_as_a_form_component_with_speed_normalisation(ssl_fit):
    data, columns = ssl_fit
    activity = decode_fit(data, SourceRef("file", "ssl.fit")).activities[0]
    run = analyse_run(activity)
    pct = run.form.components["step_speed_loss_pct"]
    cm_s = run.form.components["step_speed_loss_cm_s"]
    assert pct.value == pytest.approx(PCT, rel=0.01) and pct.weight == 0.0
    # shown, not in the score: the composite is the same as without the fields
    plain = dict(columns)
    plain.pop("step_speed_loss_pct"), plain.pop("step_speed_loss_cm_s")
    without = analyse_run(decode_fit(write_fit(plain, START, gps=True), SourceRef("file", "x.fit")).activities[0])
    assert run.form.score == without.form.score and "step_speed_loss_pct" not in without.form.components
    assert "step_speed_loss_pct" not in without.form.missing        # absent is left out, not "missing"
    # the percentage does not change with pace, so each band scores the same; cm/s grows with speed and
    # the speed model (exponent 1 + 0) expects exactly that
    bands = [b.metrics["step_speed_loss_pct"].value for b in run.form.by_speed]
    assert len(bands) >= 3 and max(bands) - min(bands) < 0.1
    speeds = [b.speed_mps for b in run.form.by_speed]
    cm = [b.metrics["step_speed_loss_cm_s"] for b in run.form.by_speed]
    for v, metric in zip(speeds, cm, strict=True):
        assert metric.value == pytest.approx(PCT * v, rel=0.02)
        assert metric.value / metric.expected == pytest.approx(PCT / 8.0, rel=0.02)
    assert cm_s.z == pytest.approx(pct.z, abs=0.05)
    assert run.averages.step_speed_loss_pct == pytest.approx(activity.device_summary.avg_step_speed_loss_pct,
                                                             abs=0.01)


def test_analyze_json_shows_it_and_leaves_it_out_cleanly_when_absent(ssl_fit, tmp_path, capsys):
    data, columns = ssl_fit
    with_path, without_path = tmp_path / "ssl.fit", tmp_path / "plain.fit"
    with_path.write_bytes(data)
    without_path.write_bytes(_without(columns))
    with pytest.raises(SystemExit):
        main(["--data-dir", str(tmp_path / "d"), "analyze", "--json", str(with_path), str(without_path)])
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]
    by_name = {line["source"]["path"].rsplit("/", 1)[-1]: line for line in lines}
    ssl, plain = by_name["ssl.fit"], by_name["plain.fit"]
    assert ssl["averages"]["step_speed_loss_pct"] == pytest.approx(np.nanmean(columns["step_speed_loss_pct"]),
                                                                   abs=0.01)
    assert ssl["averages"]["step_speed_loss_cm_s"] == pytest.approx(np.nanmean(columns["step_speed_loss_cm_s"]),
                                                                    abs=0.02)
    assert ssl["device_averages"]["avg_step_speed_loss_cm_s"] is not None
    assert {"step_speed_loss_cm_s", "step_speed_loss_pct"} <= set(ssl["form"]["components"])
    assert "step_speed_loss_pct" not in plain["averages"] and "step_speed_loss_pct" not in plain["form"]["components"]
    assert "avg_step_speed_loss_pct" not in plain["device_averages"]
    with pytest.raises(SystemExit):
        main(["--data-dir", str(tmp_path / "d"), "analyze", str(with_path)])
    assert "step speed loss (%) (not in the score)" in capsys.readouterr().out


def _without(columns: dict[str, np.ndarray]) -> bytes:
    return write_fit({k: v for k, v in columns.items() if not k.startswith("step_speed_loss")}, START, gps=True)


def test_a_steady_run_with_the_fields_decodes_the_same_through_decode_fit_either_way():
    data, _ = _with_ssl(steady(3.0, 4), seed=5)
    fast = decode_fit(data, SourceRef("file", "a.fit")).activities[0]
    assert fast.samples.has("step_speed_loss_cm_s") and fast.samples.has("step_speed_loss_pct")
    assert fast.sources["step_speed_loss_pct"] == "wrist"        # no strap in the file's device list
