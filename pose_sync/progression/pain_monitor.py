"""What the runner's pain reports mean for the plan: the pain-monitoring model of tendon rehabilitation.

Silbernagel et al. 2007 (Am J Sports Med 35:897) let patients with Achilles
tendinopathy keep running and jumping under three rules: pain up to 5/10
during the activity is acceptable, pain after it must have settled by the
next morning, and pain and stiffness must not rise from week to week. When
a rule is broken, the load is reduced (or held) instead of stopped. Here,
per body site over the last ``[pain] window_days`` days:

* every report at or below ``during_max`` that settled (a next-morning
  report at or below ``settled_max``, or none given) and is not higher than
  the week before: **ok**, the plan goes on as written;
* a next-morning report above ``settled_max``, or a rise on the week before
  (the highest score of the last window against the window before it):
  **hold** — no intervals, strides or drills (easy running instead), no
  growth of the tissue load or the minimalist allowance;
* a report above ``during_max``: **cut** — as hold, and easy running is
  shortened too.

It is a conservative guide for niggles, not a diagnosis: sharp pain,
swelling or pain that changes how you run are for a clinician.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from pose_sync.config import Config
from pose_sync.pain import DURING, MORNING, PainReport

OK, HOLD, CUT, NONE = "ok", "hold", "cut", "none"
_RANK = {NONE: 0, OK: 1, HOLD: 2, CUT: 3}


@dataclass(frozen=True)
class PainVerdict:
    """``level``: none (no recent reports), ok, hold or cut; ``reasons`` say why, one per site."""

    level: str
    reasons: tuple[str, ...]
    recent: tuple[PainReport, ...]

    @property
    def restricts(self) -> bool:
        return self.level in (HOLD, CUT)

    def summary(self) -> str:
        return "; ".join(self.reasons)


def _score(value: float) -> str:
    return f"{value:g}/10"


def assess(reports: Sequence[PainReport], today: date, config: Config) -> PainVerdict:
    """The verdict on ``today`` from the reports of the last window (and the window before, for the trend)."""
    rules = config.pain
    window = timedelta(days=rules.window_days)
    recent = [r for r in reports if today - window < r.day <= today]
    before = [r for r in reports if today - 2 * window < r.day <= today - window]
    level, reasons = NONE, []
    for site in sorted({r.site for r in recent}):
        here = sorted((r for r in recent if r.site == site), key=lambda r: (r.day, r.timing))
        site_level, why = OK, ""
        during = [r for r in here if r.timing == DURING]
        mornings = {r.day: r.score for r in reports if r.site == site and r.timing == MORNING}
        worst = max(here, key=lambda r: r.score)
        if worst.score > rules.during_max:
            site_level = CUT
            why = (f"{site} {_score(worst.score)} on {worst.day:%a %d %b} is above {rules.during_max:g}/10"
                   f" (pain-monitoring model)")
        else:
            unsettled = [(r, mornings[r.day + timedelta(days=1)]) for r in during
                         if mornings.get(r.day + timedelta(days=1), 0.0) > rules.settled_max]
            lone = [r for r in here if r.timing == MORNING and r.score > rules.settled_max]
            previous = [r.score for r in before if r.site == site]
            if unsettled:
                r, morning = unsettled[-1]
                site_level = HOLD
                why = (f"{site} {_score(r.score)} on {r.day:%a %d %b} had not settled by the next morning"
                       f" ({_score(morning)})")
            elif lone:
                site_level = HOLD
                why = f"{site} {_score(lone[-1].score)} on the morning of {lone[-1].day:%a %d %b}"
            elif previous and worst.score > max(previous):
                site_level = HOLD
                why = f"{site} rising week to week ({_score(max(previous))} -> {_score(worst.score)})"
            else:
                why = f"{site} {_score(worst.score)}: within the pain-monitoring model"
                if any(r.day + timedelta(days=1) in mornings for r in during):
                    why += " (settled by the next morning)"
                elif during and today <= during[-1].day + timedelta(days=1):
                    name = f'"{site}"' if " " in site else site
                    when = "tomorrow morning" if today == during[-1].day else "this morning"
                    why += f" (how is it {when}? pose-sync log pain {name} N --next-morning)"
        if _RANK[site_level] > _RANK[level]:
            level = site_level
        reasons.append(why)
    return PainVerdict(level, tuple(reasons), tuple(recent))
