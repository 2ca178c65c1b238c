"""Which stored runs count in the sums across runs: weekly distance, load, the ramp and trends.

Two kinds of stored run are kept (their files, their analysis) but left out of
every sum, each with a warning that names it, because one of them is enough to
make a week, a ramp or a trend say something untrue:

* **implausible totals**: the whole run's distance over its moving time is
  faster than :data:`MAX_RUN_SPEED_MPS` (7 m/s is 2:23/km; the marathon world
  record averages 5.9 m/s and no one holds 7 m/s for a whole run). It is a
  damaged file or a device that lost its clock (a Strava-app file counted
  11.3 km in 5:14, 36 m/s). The decoder's own per-record limits are another
  matter (``pose_sync.analysis``); this rule only looks at the run's totals.
* **fragments**: under :data:`FRAGMENT_MAX_S` of moving time or under
  :data:`FRAGMENT_MAX_M` of distance. A watch started by mistake, a run split
  in two, a 0.2 km / 53 s stub: not training, and as the first run after a
  break it would put the ramp in "danger" from nothing.

The rule is a pure function of the run's totals, so the terminal, HTML, JSON
and the notes all leave out the same runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pose_sync.model import RunAnalysis

MAX_RUN_SPEED_MPS = 7.0     # whole-run distance / moving time above this is not a run anyone ran
FRAGMENT_MAX_S = 5 * 60.0   # less moving time than this ...
FRAGMENT_MAX_M = 500.0      # ... or less distance than this: a fragment, not a run


@dataclass(frozen=True)
class LeftOut:
    """A stored run left out of the sums, and why (one phrase, for a warning)."""

    run: RunAnalysis
    kind: str      # "implausible" or "fragment"
    reason: str


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def left_out(run: RunAnalysis) -> LeftOut | None:
    """Why ``run`` does not count in sums across runs, or None when it counts."""
    totals = f"{run.distance_m / 1000:.1f} km in {_clock(run.moving_time_s)}"
    if run.moving_time_s > 0 and run.distance_m / run.moving_time_s > MAX_RUN_SPEED_MPS:
        speed = run.distance_m / run.moving_time_s
        return LeftOut(run, "implausible", f"{totals} is {speed:.0f} m/s, faster than anyone runs"
                       f" a whole run (over {MAX_RUN_SPEED_MPS:.0f} m/s): a damaged file or a lost clock")
    if run.moving_time_s < FRAGMENT_MAX_S or run.distance_m < FRAGMENT_MAX_M:
        return LeftOut(run, "fragment", f"{totals} is a fragment (under {FRAGMENT_MAX_S / 60:.0f} min or"
                       f" {FRAGMENT_MAX_M:.0f} m), not a run")
    return None


def counts(run: RunAnalysis) -> bool:
    return left_out(run) is None


def split(runs: Iterable[RunAnalysis]) -> tuple[list[RunAnalysis], list[LeftOut]]:
    """(the runs that count, the ones left out with why), order kept."""
    kept: list[RunAnalysis] = []
    dropped: list[LeftOut] = []
    for run in runs:
        why = left_out(run)
        if why is None:
            kept.append(run)
        else:
            dropped.append(why)
    return kept, dropped


def warnings(dropped: Sequence[LeftOut], most: int = 3) -> list[str]:
    """One warning per implausible run (they are rare and worth a look), one line for all fragments."""
    lines = [f"left out of the sums: the run of {d.run.start_time:%Y-%m-%d}: {d.reason}"
             for d in dropped if d.kind == "implausible"][:most]
    fragments = [d for d in dropped if d.kind == "fragment"]
    if fragments:
        dates = ", ".join(f"{d.run.start_time:%Y-%m-%d}" for d in fragments[:most])
        more = f" and {len(fragments) - most} more" if len(fragments) > most else ""
        lines.append(f"left out of the sums: {len(fragments)} fragment(s) under {FRAGMENT_MAX_S / 60:.0f} min or"
                     f" {FRAGMENT_MAX_M:.0f} m ({dates}{more}): not runs for load or the ramp")
    return lines
