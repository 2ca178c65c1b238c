"""What the tissue ramp, the pain model and the shoe transition need beyond the run analyses.

A run's analysis is a pure function of its file; which shoe it was run in,
what the runner said hurt and how many drill minutes they did live in the
store beside it. This gathers them once, so the report, the note and the
planner see the same picture.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from pose_sync.model import RunAnalysis, SourceRef
from pose_sync.pain import PainReport

if TYPE_CHECKING:
    from pose_sync.store import Store, StoredRun


@dataclass(frozen=True)
class BodyContext:
    """Shoe of each run (by its analysis source), shoe names, pain reports, drill minutes per day."""

    gear: Mapping[SourceRef, str | None] = field(default_factory=dict)
    gear_names: Mapping[str, tuple[str | None, float | None]] = field(default_factory=dict)
    pain: tuple[PainReport, ...] = ()
    drills: Mapping[date, float] = field(default_factory=dict)

    def gear_of(self, run: RunAnalysis) -> str | None:
        return self.gear.get(run.source)

    @classmethod
    def from_store(cls, store: Store, runs: Iterable[StoredRun] | None = None) -> BodyContext:
        stored = store.list_runs() if runs is None else runs
        return cls({r.analysis.source: r.gear_id for r in stored}, store.gear_names(), tuple(store.pain_reports()),
                   store.drill_minutes_by_day())

    @classmethod
    def of_runs(cls, runs: Iterable[tuple[RunAnalysis, str | None]], **kwargs: object) -> BodyContext:
        """From (analysis, gear id) pairs, as the report receives them."""
        return cls({r.source: g for r, g in runs}, **kwargs)  # type: ignore[arg-type]
