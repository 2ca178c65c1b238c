"""How one analysed run is shown: a terminal report, or one JSON object per line."""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from datetime import timezone
from typing import Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from pose_sync.analysis.population import SPEED_MODELS
from pose_sync.importer import Outcome
from pose_sync.model import Averages, RunAnalysis

AVERAGE_KEYS = (
    "speed_mps", "heart_rate_bpm", "cadence_spm", "stance_time_ms", "stance_time_balance_pct",
    "vertical_oscillation_cm", "vertical_ratio_pct", "step_length_m",
)
LABELS = {
    "speed_mps": ("speed", "m/s"),
    "heart_rate_bpm": ("heart rate", "bpm"),
    "cadence_spm": ("cadence", "spm"),
    "stance_time_ms": ("ground contact", "ms"),
    "stance_time_balance_pct": ("contact balance", "% L"),
    "vertical_oscillation_cm": ("vertical oscillation", "cm"),
    "vertical_ratio_pct": ("vertical ratio", "%"),
    "step_length_m": ("step length", "m"),
    "power_w": ("power", "W"),
    "step_speed_loss_cm_s": ("step speed loss", "cm/s"),
    "step_speed_loss_pct": ("step speed loss", "%"),
}
# Shown only when the run has them (Garmin HRM 600): left out cleanly otherwise, in JSON too.
OPTIONAL_AVERAGE_KEYS = ("step_speed_loss_cm_s", "step_speed_loss_pct")


def _clean(value: Any) -> Any:
    """JSON has no NaN: non-finite floats become null."""
    if isinstance(value, float):
        return round(value, 4) if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def iso_utc(analysis: RunAnalysis) -> str:
    return analysis.start_time.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def outcome_json(outcome: Outcome) -> dict[str, Any]:
    """The JSON Lines record for one outcome (the keys are a documented interface)."""
    record: dict[str, Any] = {
        "source": {"path": outcome.source.remote_id, "member": outcome.source.member,
                   "session": outcome.source.session_index},
        "status": outcome.status,
        "reason": outcome.reason,
    }
    a = outcome.analysis
    if a is None:
        keys = ("sport", "start_time", "moving_time_s", "distance_m", "averages", "form", "economy")
        record.update({k: None for k in keys})
        record["sport"] = outcome.activity.sport if outcome.activity else None
        record["warnings"] = list(outcome.warnings)
        return record
    record.update({
        "sport": a.sport,
        "sub_sport": a.sub_sport,
        "start_time": iso_utc(a),
        "device": a.device,
        "moving_time_s": a.moving_time_s,
        "elapsed_time_s": a.elapsed_time_s,
        "distance_m": a.distance_m,
        "steady_time_s": a.steady_time_s,
        "walking_time_s": a.walking_time_s,
        "stopped_time_s": a.stopped_time_s,
        "averages": {**{k: getattr(a.averages, k) for k in (*AVERAGE_KEYS, "power_w")},
                     **{k: v for k in OPTIONAL_AVERAGE_KEYS if (v := getattr(a.averages, k)) is not None}},
        "device_averages": {k: v for k, v in asdict(a.device_summary).items()
                            if v is not None or not k.startswith("avg_step_speed_loss")} if a.device_summary else None,
        "form": {
            "score": a.form.score,
            "confidence": a.form.confidence,
            "components": {k: asdict(c) for k, c in a.form.components.items()},
            "inputs": list(a.form.inputs),
            "missing": list(a.form.missing),
            "by_speed": [asdict(b) for b in a.form.by_speed],
            "speed_curve": a.form.speed_curve,
        },
        "drift": asdict(a.drift) if a.drift else None,
        "economy": asdict(a.economy) if a.economy else None,
        "extras": dict(a.extras),
        "warnings": list(a.warnings),
    })
    if outcome.stored:
        record["stored"] = outcome.stored
        record["run_id"] = outcome.run_id
    return _clean(record)


def json_line(outcome: Outcome) -> str:
    return json.dumps(outcome_json(outcome), ensure_ascii=False, sort_keys=False)


def pace(speed_mps: float | None) -> str:
    if not speed_mps or speed_mps <= 0:
        return "-"
    seconds = int(round(1000.0 / speed_mps))
    return f"{seconds // 60}:{seconds % 60:02d}/km"


def duration(seconds: float) -> str:
    h, rem = divmod(int(round(seconds)), 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def _label(metric: str) -> str:
    """'stance_time_ms (from developer field ...)' -> 'ground contact (from developer field ...)'."""
    name, _, rest = metric.partition(" ")
    return f"{LABELS[name][0]} {rest}".strip() if name in LABELS else metric


def _fmt(key: str, value: float | None) -> str:
    if value is None:
        return "-"
    if key == "speed_mps":
        return f"{value:.2f} ({pace(value)})"
    if key in ("step_length_m",):
        return f"{value:.2f}"
    if key in ("vertical_oscillation_cm", "vertical_ratio_pct", "stance_time_balance_pct", "step_speed_loss_cm_s",
               "step_speed_loss_pct"):
        return f"{value:.1f}"
    return f"{value:.0f}"


def _averages_table(averages: Averages, device: Any) -> Table:
    table = Table(title="Averages over timer time", title_justify="left", box=None, pad_edge=False)
    table.add_column("metric")
    table.add_column("ours", justify="right")
    table.add_column("device", justify="right", style="dim")
    for key in (*AVERAGE_KEYS, "power_w", *OPTIONAL_AVERAGE_KEYS):
        ours = getattr(averages, key)
        theirs = getattr(device, f"avg_{key}", None) if device else None
        if ours is None and theirs is None:
            continue
        label, unit = LABELS[key]
        table.add_row(f"{label} ({unit})", _fmt(key, ours), _fmt(key, theirs))
    return table


def _form_table(a: RunAnalysis) -> Table:
    table = Table(title="Form on steady running, against runners at your pace", title_justify="left",
                  box=None, pad_edge=False)
    table.add_column("metric")
    for column in ("yours", "typical", "percentile"):
        table.add_column(column, justify="right")
    for name, c in a.form.components.items():
        label, unit = LABELS[name]
        typical = f"{c.expected:.1f}" if name in SPEED_MODELS else "50.0"
        shown_only = " (not in the score)" if c.weight == 0 else ""
        table.add_row(f"{label} ({unit}){shown_only}", f"{c.value:.1f}", typical, f"{c.score:.0f}")
    return table


def _by_speed_table(a: RunAnalysis) -> Table | None:
    """Form per pace band of this run: the check that the score does not just follow pace.

    With a speed model that fits, a runner whose form does not change scores
    alike at every pace; a trend down this table means form fell with pace
    (or with time: bands run late in a run carry its fatigue too).
    """
    bands = [b for b in a.form.by_speed if b.score is not None]   # each band has >= 120 s of steady running
    if len(bands) < 2:
        return None
    shown = [m for m in ("cadence_spm", "stance_time_ms", "vertical_oscillation_cm")
             if any(m in b.metrics for b in bands)]
    table = Table(title=f"Form across your paces: yours / expected at that pace ({a.form.speed_curve})",
                  title_justify="left", box=None, pad_edge=False)
    headers = {"cadence_spm": "cadence spm", "stance_time_ms": "contact ms", "vertical_oscillation_cm": "bounce cm"}
    for column in ("pace", "time", "score", *(headers[m] for m in shown)):
        table.add_column(column, justify="right")
    for b in bands:
        cells = []
        for m in shown:
            at = b.metrics.get(m)
            digits = 1 if m == "vertical_oscillation_cm" else 0
            cells.append(f"{at.value:.{digits}f} / {at.expected:.{digits}f}" if at else "-")
        table.add_row(pace(b.speed_mps), duration(b.seconds), f"{b.score:.0f}", *cells)
    return table


def render_run(console: Console, outcome: Outcome) -> None:
    """The terminal report for one analysed run."""
    a = outcome.analysis
    if a is None:
        return
    title = f"{outcome.source.label() if outcome.source.platform != 'file' else outcome.source.remote_id}"
    if outcome.source.member:
        title += f" ! {outcome.source.member}"
    header = Text()
    header.append(f"{a.start_time.astimezone(timezone.utc):%Y-%m-%d %H:%M} UTC", style="bold")
    header.append(f"  {a.sport}{'/' + a.sub_sport if a.sub_sport and a.sub_sport != 'generic' else ''}")
    header.append(f"  {a.device or 'unknown device'}\n")
    header.append(f"{a.distance_m / 1000:.2f} km in {duration(a.moving_time_s)} moving"
                  f" · steady running {duration(a.steady_time_s)}"
                  f" · walking {duration(a.walking_time_s)} · stopped {duration(a.stopped_time_s)}")
    parts: list[Any] = [header, Text()]
    score = a.form.score
    verdict = Text()
    if score is None:
        verdict.append("Form not scored", style="bold yellow")
    else:
        verdict.append(f"Form {score:.0f}/100", style="bold")
        verdict.append(f"  (confidence {a.form.confidence:.2f}; from {', '.join(_label(i) for i in a.form.inputs)})")
    if a.form.missing:
        verdict.append(f"\nnot measured: {', '.join(_label(m) for m in a.form.missing)}", style="dim")
    parts += [verdict, Text()]
    if a.form.components:
        parts += [_form_table(a), Text()]
    by_speed = _by_speed_table(a)
    if by_speed is not None:
        parts += [by_speed, Text()]
    parts.append(_averages_table(a.averages, a.device_summary))
    lines = Text()
    if a.drift:
        deltas = ", ".join(f"{LABELS[k][0]} {v:+.1f} {LABELS[k][1]}" if k != "step_length_m"
                           else f"{LABELS[k][0]} {v:+.2f} m" for k, v in a.drift.deltas.items())
        lines.append(f"\nLate vs early (speed-normalised): {deltas}")
    if a.economy:
        unit = "m/min per bpm" if a.economy.basis == "heart_rate" else "m/min per W"
        dec = f", decoupling {a.economy.decoupling_pct:+.1f} %" if a.economy.decoupling_pct is not None else ""
        lines.append(f"\nEconomy: efficiency factor {a.economy.efficiency_factor:.2f} {unit}{dec}")
    for warning in a.warnings:
        lines.append(f"\n! {warning}", style="yellow")
    parts.append(lines)
    console.print(Panel(Group(*parts), title=title, title_align="left", expand=False))
