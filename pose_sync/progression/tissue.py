"""Tissue (mechanical) load per run, its own ramp, and which of the two ramps binds.

Heart-rate load (TRIMP, :mod:`pose_sync.progression.load`) is what the heart
and lungs pay. It misses what hurts runners who change technique or shoes: a
slow run in new minimalist shoes is cheap for the heart and expensive for the
calf, Achilles tendon and plantar fascia. Two products track such a load
beside the cardiovascular one: Garmin's *running tolerance* ("impact load",
counted in easy-mile equivalents from speed, slope and running dynamics:
walking counts about half an easy mile, fast running more) and Stryd's
*lower body stress score* (accumulated impact loading rate). Neither method
is published, so this is our own, simple and documented:

* **Per step, the impact rises with speed.** Steps come from the run's
  cadence over its moving time (or the population cadence at that speed,
  :data:`pose_sync.analysis.population.CADENCE`, when the run has none), and
  each second at speed ``v`` weighs ``(v / 3.0 m/s) ** IMPACT_SPEED_EXPONENT``.
  The exponent 1.0 is a modelling choice: peak vertical force grows more
  slowly than speed and loading rate faster (Keller et al. 1996, Clin
  Biomech 11:253), and with 1.0 walking at half the speed weighs half, as
  Garmin's running tolerance counts it.
* **The unit is the easy kilometre**: one kilometre at 3.0 m/s (5:33/km)
  at 170 steps/min in ordinary shoes is 1.0, like Garmin's impact mile.
* **Minimalist shoes** multiply a run's load by ``tissue.minimalist_multiplier``
  (default 1.25). Runners used to standard shoes load the Achilles tendon
  faster in minimal shoes whatever their foot strike, and harder with a
  forefoot strike in them (Rice & Patel 2017, Am J Sports Med 45:2411); the
  default is our choice within the increases such studies report, not a
  measured constant.
* **Forefoot-heavy drills** (pony, hops, change of support): each reported
  drill minute counts as a minute at the reference pace times
  ``tissue.drill_multiplier`` (default 1.5). Pose running moves eccentric
  work from the knee to the ankle (Arendse et al. 2004, Med Sci Sports Exerc
  36:272); drills are that, concentrated on the forefoot.

The ramp is the same acute:chronic ratio as the heart-rate ramp, built by
the same history-aware rules (:func:`pose_sync.progression.load.ramp_days`:
7-day acute mean over the 28 days before, at least 21 days of history,
building, break and returning). The report, the note and the planner use
the **stricter** of the two ramps and say which one bound.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

import numpy as np

from pose_sync.analysis.population import CADENCE, REFERENCE_SPEED_MPS
from pose_sync.config import Config
from pose_sync.model import RunAnalysis, SourceRef
from pose_sync.progression.load import DailyLoad, RampState, ramp_days, ramp_state

IMPACT_SPEED_EXPONENT = 1.0
REFERENCE_CADENCE_SPM = 170.0
STEPS_PER_EASY_KM = REFERENCE_CADENCE_SPM * 1000.0 / (REFERENCE_SPEED_MPS * 60.0)   # 944.4 steps
SPEED_BIN_MPS = 0.1            # the width of RunAnalysis.speed_histogram bins (keyed by their lower edge)
# How severe each ramp verdict is, to pick the stricter of two ramps.
SEVERITY = {"danger": 5, "caution": 4, "returning": 3, "break": 3, "safe": 2, "building": 1}


def step_impact(speed_mps: np.ndarray | float) -> np.ndarray:
    """Load of one step at this speed, relative to a step at the reference speed."""
    return (np.clip(np.asarray(speed_mps, dtype=float), 0.0, None) / REFERENCE_SPEED_MPS) ** IMPACT_SPEED_EXPONENT


def run_tissue_load(run: RunAnalysis, *, minimalist: bool = False, config: Config | None = None) -> float:
    """Tissue load of one run in easy-kilometre equivalents (see the module docstring)."""
    multiplier = (config.tissue.minimalist_multiplier if config else 1.25) if minimalist else 1.0
    if run.speed_histogram:
        speeds = np.fromiter(run.speed_histogram.keys(), dtype=float) + SPEED_BIN_MPS / 2
        seconds = np.fromiter(run.speed_histogram.values(), dtype=float)
    else:
        speeds = np.array([run.averages.speed_mps or 0.0])
        seconds = np.array([run.moving_time_s])
    cadence = run.averages.cadence_spm
    per_second = (np.full(len(speeds), cadence / 60.0) if cadence
                  else CADENCE.expected(np.clip(speeds, 0.1, None)) / 60.0)
    steps = float(np.sum(seconds * per_second * step_impact(speeds)))
    return steps / STEPS_PER_EASY_KM * multiplier


def drill_load(minutes: float, config: Config | None = None) -> float:
    """Tissue load of ``minutes`` of forefoot-heavy drills (easy-kilometre equivalents)."""
    factor = config.tissue.drill_multiplier if config else 1.5
    return minutes * 60.0 * REFERENCE_SPEED_MPS / 1000.0 * factor


def is_minimalist(gear_id: str | None, gear_names: Mapping[str, tuple[str | None, float | None]],
                  config: Config) -> bool:
    """Marked in ``[shoes] minimalist`` by gear id or by the shoe's name."""
    if not gear_id:
        return False
    keys = {m.strip().lower() for m in config.shoes.minimalist}
    name = (gear_names.get(gear_id, (None, None))[0] or "").strip().lower()
    return gear_id.lower() in keys or (bool(name) and name in keys)


@dataclass(frozen=True)
class TissueHistory:
    """Per-run tissue loads and the daily series of their ramp (same rules as the heart-rate ramp)."""

    run_loads: tuple[tuple[RunAnalysis, float], ...]
    days: tuple[DailyLoad, ...]

    def on(self, day: date) -> DailyLoad | None:
        if not self.days or day < self.days[0].day or day > self.days[-1].day:
            return None
        return self.days[(day - self.days[0].day).days]


def tissue_history(runs: Sequence[RunAnalysis], config: Config, until: date | None = None, *,
                   gear: Mapping[SourceRef, str | None] | None = None,
                   gear_names: Mapping[str, tuple[str | None, float | None]] | None = None,
                   drills: Mapping[date, float] | None = None) -> TissueHistory:
    """Tissue load of every run (shoe of each run from ``gear``) and of reported drills, and its ramp."""
    gear, names = gear or {}, gear_names or {}
    per_run = tuple((r, run_tissue_load(r, minimalist=is_minimalist(gear.get(r.source), names, config),
                                        config=config)) for r in runs)
    extra = {day: drill_load(minutes, config) for day, minutes in (drills or {}).items() if minutes > 0}
    return TissueHistory(per_run, ramp_days(per_run, until, extra))


def tissue_ramp_state(day: DailyLoad, config: Config) -> RampState:
    """The tissue ramp's verdict on a day: the heart-rate ramp's rules and lines, labelled as tissue."""
    return replace(ramp_state(day, config), load="tissue")


def stricter(heart: RampState | None, tissue: RampState | None) -> RampState | None:
    """The ramp that binds: the more severe verdict; on equal warnings the one nearer its danger line.

    Its ``load`` says which it was ("heart-rate" or "tissue"). When both are
    merely safe (or building) the heart-rate ramp is the one shown, as before.
    """
    if heart is None or tissue is None:
        return heart or tissue
    severity_h, severity_t = SEVERITY.get(heart.level, 0), SEVERITY.get(tissue.level, 0)
    if severity_t != severity_h:
        return tissue if severity_t > severity_h else heart
    nearer = (tissue.acwr or 0.0) / tissue.danger > (heart.acwr or 0.0) / heart.danger
    if tissue.level in ("caution", "danger") and nearer:
        return tissue
    return heart


def binding_note(heart: RampState | None, tissue: RampState | None) -> str | None:
    """One line saying which ramp bound, when both are judged and they differ in verdict."""
    bound = stricter(heart, tissue)
    if bound is None or heart is None or tissue is None or bound.level in ("safe", "building"):
        return None
    other = heart if bound is tissue else tissue
    if other.acwr is None:
        return f"the {bound.label} binds ({bound.level}); the {other.label} is {other.level}"
    return f"the {bound.label} binds ({bound.level}); the {other.label} is {other.acwr:.2f} ({other.level})"
