"""The note text written into an activity: a few short lines for a phone screen.

Deterministic for a given run and the history before it, so re-syncing
renders the same text and writes nothing. Honest: when there is too little
history to compare, it says so instead of guessing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from pose_sync.config import Config
from pose_sync.model import RunAnalysis

NORM_WINDOW = timedelta(days=28)
MIN_NORM_RUNS = 3


def _form_line(run: RunAnalysis, history: Sequence[RunAnalysis]) -> str:
    if run.form.score is None:
        return "Pose form: not scored (too little steady running with form data)"
    window = [h.form.score for h in history
              if h.form.score is not None and run.start_time - NORM_WINDOW <= h.start_time < run.start_time]
    if len(window) < MIN_NORM_RUNS:
        return f"Pose form {run.form.score:.0f}/100 (norm: not enough recent runs yet)"
    norm = sum(window) / len(window)
    return f"Pose form {run.form.score:.0f}/100 ({run.form.score - norm:+.0f} vs your 4-week norm)"


def _metrics_line(run: RunAnalysis) -> str:
    a = run.averages
    parts = []
    if a.cadence_spm:
        parts.append(f"Cadence {a.cadence_spm:.0f} spm")
    if a.stance_time_ms:
        balance = f" (bal {a.stance_time_balance_pct:.1f} % L)" if a.stance_time_balance_pct else ""
        parts.append(f"contact {a.stance_time_ms:.0f} ms{balance}")
    if a.vertical_oscillation_cm:
        ratio = f" / {a.vertical_ratio_pct:.1f} %" if a.vertical_ratio_pct else ""
        parts.append(f"bounce {a.vertical_oscillation_cm:.1f} cm{ratio}")
    return " · ".join(parts) if parts else "No running dynamics recorded"


def _economy_line(run: RunAnalysis) -> str:
    e = run.economy
    if e is None:
        return "Economy: no heart rate or power"
    if e.decoupling_pct is None:
        return f"Economy EF {e.efficiency_factor:.2f}"
    verdict = "steady" if abs(e.decoupling_pct) < 5 else "drifting" if e.decoupling_pct > 0 else "improving"
    return f"Economy {verdict} (decoupling {e.decoupling_pct:+.1f} %)"


def render_note(run: RunAnalysis, history: Sequence[RunAnalysis], config: Config) -> str:
    """The note body (no markers) for ``run``, given the runs before it."""
    return "\n".join([_form_line(run, history), _metrics_line(run), _economy_line(run)])
