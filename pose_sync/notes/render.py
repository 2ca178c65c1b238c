"""The note written into an activity: three short lines for a phone screen (a fourth for pain reported).

    Pose form 74/100 (+3 vs your 4-week norm)
    Cadence 176 spm · contact 241 ms (bal 50.6 % L) · bounce 8.4 cm / 7.6 %
    Economy steady · load ramp 1.12 (safe) · week 5 of 12

Deterministic for a given run and the history before it, so re-syncing
renders the same text and writes nothing. Honest: with too little history to
compare, it says so instead of guessing. Only the last few months of history
matter (the load averages forget older runs), which keeps a backfill of
thousands of runs linear.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from pose_sync.config import Config
from pose_sync.model import RunAnalysis
from pose_sync.progression.body import BodyContext
from pose_sync.progression.load import load_history, ramp_state
from pose_sync.progression.pain_monitor import assess
from pose_sync.progression.program import builtin_program, program_week
from pose_sync.progression.tissue import stricter, tissue_history, tissue_ramp_state

NORM_WINDOW = timedelta(days=28)
LOAD_WINDOW = timedelta(days=120)   # (1 - 2/29)^120 < 0.0002: older runs no longer move the ramp
MIN_NORM_RUNS = 3
ECONOMY_STEADY_PCT = 3.0


def _recent(run: RunAnalysis, history: Sequence[RunAnalysis], window: timedelta) -> list[RunAnalysis]:
    return [h for h in history if run.start_time - window <= h.start_time < run.start_time]


def _form_line(run: RunAnalysis, history: Sequence[RunAnalysis]) -> str:
    if run.form.score is None:
        return "Pose form: not scored (too little steady running with form data)"
    scores = [h.form.score for h in _recent(run, history, NORM_WINDOW)
              if h.form.score is not None and h.form.confidence >= 0.3]
    if len(scores) < MIN_NORM_RUNS:
        return f"Pose form {run.form.score:.0f}/100 (4-week norm: not enough runs yet)"
    delta = run.form.score - sum(scores) / len(scores)
    return f"Pose form {run.form.score:.0f}/100 ({delta:+.0f} vs your 4-week norm)"


def _steady(run: RunAnalysis, metric: str) -> float | None:
    component = run.form.components.get(metric)
    return component.value if component else getattr(run.averages, metric)


def _metrics_line(run: RunAnalysis) -> str:
    parts = []
    cadence, contact = _steady(run, "cadence_spm"), _steady(run, "stance_time_ms")
    balance = _steady(run, "stance_time_balance_pct")
    bounce, ratio = _steady(run, "vertical_oscillation_cm"), _steady(run, "vertical_ratio_pct")
    if cadence:
        parts.append(f"Cadence {cadence:.0f} spm")
    if contact:
        parts.append(f"contact {contact:.0f} ms" + (f" (bal {balance:.1f} % L)" if balance else ""))
    if bounce:
        parts.append(f"bounce {bounce:.1f} cm" + (f" / {ratio:.1f} %" if ratio else ""))
    return " · ".join(parts) if parts else "No running dynamics recorded"


def _economy(run: RunAnalysis, history: Sequence[RunAnalysis]) -> str:
    e = run.economy
    if e is None:
        return "Economy: no heart rate or power"
    recent = [h.economy.efficiency_factor for h in _recent(run, history, NORM_WINDOW)
              if h.economy is not None and h.economy.basis == e.basis]
    if len(recent) >= MIN_NORM_RUNS:
        change = (e.efficiency_factor / (sum(recent) / len(recent)) - 1) * 100
        if abs(change) < ECONOMY_STEADY_PCT:
            return "Economy steady"
        return f"Economy {'up' if change > 0 else 'down'} {abs(change):.0f} %"
    if e.decoupling_pct is not None:
        return f"Decoupling {e.decoupling_pct:+.0f} %"
    return f"EF {e.efficiency_factor:.2f}"


def _ramp(run: RunAnalysis, history: Sequence[RunAnalysis], config: Config, body: BodyContext) -> str | None:
    """The stricter of the heart-rate and tissue ramps; the tissue one is named (with the other) when it binds."""
    window = [*_recent(run, history, LOAD_WINDOW), run]
    today = run.start_time.date()
    day = load_history(window, config, until=today).on(today)
    tissue_day = tissue_history(window, config, until=today, gear=body.gear, gear_names=body.gear_names,
                                drills=body.drills).on(today)
    heart = ramp_state(day, config) if day is not None else None
    tissue = tissue_ramp_state(tissue_day, config) if tissue_day is not None else None
    state = stricter(heart, tissue)
    if state is None:
        return None
    if state.level == "building":
        return "load ramp: building history"
    if state.level in ("returning", "break"):
        return "load ramp: returning, build back gradually"
    if state is tissue and heart is not None and heart.acwr is not None:
        return f"tissue load ramp {state.acwr:.2f} ({state.level}; heart-rate {heart.acwr:.2f})"
    return f"{state.label} {state.acwr:.2f} ({state.level})"


def _pain(run: RunAnalysis, config: Config, body: BodyContext) -> str | None:
    """The pain reported for this run's day, and what the plan does about it."""
    today = run.start_time.date()
    reports = [r for r in body.pain if r.day == today]
    if not reports:
        return None
    read = ", ".join(f"{r.site} {r.score:g}/10" + (" (morning)" if r.timing == "morning" else "") for r in reports)
    verdict = assess(body.pain, today, config)
    if verdict.level == "cut":
        return f"Pain noted: {read} · next sessions easy, shorter, no intervals or drills"
    if verdict.level == "hold":
        return f"Pain noted: {read} · next sessions easy, no intervals or drills"
    return f"Pain noted: {read} · within the pain-monitoring model"


def _week(run: RunAnalysis, config: Config) -> str | None:
    start = config.program.start_date
    if start is None:
        return None
    weeks = builtin_program().program.weeks
    week = program_week(start, run.start_time.date())
    return f"week {week} of {weeks}" if 1 <= week <= weeks else None


def render_note(run: RunAnalysis, history: Sequence[RunAnalysis], config: Config, *,
                body: BodyContext | None = None) -> str:
    """The note body (no markers) for ``run``, given the runs before it (and their shoes, and pain reports)."""
    body = body or BodyContext()
    third = [part for part in (_economy(run, history), _ramp(run, history, config, body), _week(run, config))
             if part]
    form = _form_line(run, history)
    loss = _steady(run, "step_speed_loss_pct")
    if loss:  # HRM 600 only: left out when the run has none
        form += f" · step speed loss {loss:.1f} %"
    lines = [form, _metrics_line(run), " · ".join(third)]
    pain = _pain(run, config, body)
    return "\n".join(lines + ([pain] if pain else []))
