"""Each athlete's own speed curve: how their cadence, contact and bounce move with pace.

The population prior (:mod:`pose_sync.analysis.population`) says how a
typical runner's metrics change with speed. One runner differs: some shorten
their contact more than others when they speed up. Their runs say how: every
run keeps its form per 0.25 m/s band of steady running (``FormScore.by_speed``),
and within one run it is the same runner on the same day, so the slope of
log(metric) on log(speed) *within runs* is their curve, free of the
day-to-day and week-to-week changes the score is meant to show.

The evidence is the within-run least-squares sums per metric (additive over
runs, so a history of thousands of runs is summarised once and a new run
adds its own). The fitted exponent is shrunk towards the prior: a normal
prior with standard deviation :data:`PRIOR_SD` on the exponent, combined with
the least-squares estimate weighted by its precision, so an evenly paced
history leaves the prior in charge and a few mixed-pace runs move it.
Only runs whose bands span at least :data:`MIN_SPAN_MPS` take part: an
evenly paced run says nothing about a slope.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from pose_sync.analysis.population import PRIOR_EXPONENTS
from pose_sync.model import BandForm

PRIOR_SD = 0.08              # between-runner spread of within-runner exponents (keeps thin fits modest)
MIN_SPAN_MPS = 0.4           # a run's bands must cover at least this range of speed to count
MIN_LOG_RESIDUAL_SD = 0.01   # floor on the residual spread (1 %), so a few tidy bands are not certainty


@dataclass(frozen=True)
class Evidence:
    """Within-run sums for one metric: sum of squares of centred log speed, cross products, and so on."""

    sxx: float = 0.0
    sxy: float = 0.0
    syy: float = 0.0
    bands: int = 0
    runs: int = 0

    def __add__(self, other: Evidence) -> Evidence:
        return Evidence(self.sxx + other.sxx, self.sxy + other.sxy, self.syy + other.syy,
                        self.bands + other.bands, self.runs + other.runs)

    def exponent(self, prior: float) -> float:
        """The posterior exponent: the least-squares slope shrunk towards ``prior``."""
        dof = self.bands - self.runs - 1
        if self.sxx <= 0 or dof < 1:
            return prior
        slope = self.sxy / self.sxx
        residual = max((self.syy - slope * self.sxy) / dof, MIN_LOG_RESIDUAL_SD**2)
        w_data, w_prior = self.sxx / residual, 1.0 / PRIOR_SD**2
        return (slope * w_data + prior * w_prior) / (w_data + w_prior)


@dataclass(frozen=True)
class SpeedCurves:
    """The evidence per metric and the exponents it gives (the prior where there is none)."""

    evidence: Mapping[str, Evidence] = field(default_factory=dict)
    prior: Mapping[str, float] = field(default_factory=lambda: dict(PRIOR_EXPONENTS))

    def exponent(self, metric: str) -> float | None:
        if metric not in self.prior:
            return None
        found = self.evidence.get(metric)
        return round(found.exponent(self.prior[metric]), 4) if found else self.prior[metric]

    def __add__(self, other: SpeedCurves) -> SpeedCurves:
        names = set(self.evidence) | set(other.evidence)
        return SpeedCurves({n: self.evidence.get(n, Evidence()) + other.evidence.get(n, Evidence()) for n in names},
                           self.prior)

    @property
    def runs(self) -> int:
        return max((e.runs for e in self.evidence.values()), default=0)

    @property
    def label(self) -> str:
        runs = self.runs
        if not runs:
            return "population prior"
        return f"your own speed curve ({runs} run{'s' if runs != 1 else ''} with mixed paces)"


PRIOR = SpeedCurves()


def evidence_of(bands: Sequence[tuple[float, Mapping[str, float]]],
                metrics: Iterable[str] = PRIOR_EXPONENTS) -> SpeedCurves:
    """One run's evidence from its bands: ``(speed_mps, {metric: value})`` each."""
    found: dict[str, Evidence] = {}
    for metric in metrics:
        points = [(v, m[metric]) for v, m in bands if v > 0 and m.get(metric, 0) > 0]
        if len(points) < 2:
            continue
        speeds = np.array([p[0] for p in points])
        if speeds.max() - speeds.min() < MIN_SPAN_MPS:
            continue
        x = np.log(speeds)
        y = np.log(np.array([p[1] for p in points]))
        xc, yc = x - x.mean(), y - y.mean()
        found[metric] = Evidence(float(xc @ xc), float(xc @ yc), float(yc @ yc), len(points), 1)
    return SpeedCurves(found)


def band_values(by_speed: Sequence[BandForm]) -> list[tuple[float, dict[str, float]]]:
    return [(b.speed_mps, {k: m.value for k, m in b.metrics.items()}) for b in by_speed]


def curves_from_history(runs: Iterable[Sequence[BandForm]]) -> SpeedCurves:
    """The summed evidence of stored runs (each run's ``form.by_speed``)."""
    total = SpeedCurves()
    for by_speed in runs:
        if by_speed:
            total = total + evidence_of(band_values(by_speed))
    return total


class CurveHistory:
    """The speed-curve evidence of stored runs in start order, to score a run with what came before it.

    A run is scored with the evidence of the runs that started before it
    (plus its own), so its score does not change when later runs arrive.
    A run imported after later ones (an old export imported last) changes
    what those later runs would get; ``pose-sync rescore --all`` recomputes
    every run from the whole history in start order. Prefix sums make
    :meth:`before` cheap for a backfill of thousands of runs.
    """

    def __init__(self) -> None:
        self._entries: list[tuple[float, object, SpeedCurves]] = []
        self._prefix: list[SpeedCurves] | None = None

    @classmethod
    def of(cls, runs: Iterable[tuple[float, object, Sequence[BandForm]]]) -> CurveHistory:
        history = cls()
        for start_epoch, key, by_speed in runs:
            history.add(start_epoch, key, by_speed)
        return history

    def add(self, start_epoch: float, key: object, by_speed: Sequence[BandForm]) -> None:
        """Add (or replace, by ``key``) one run's bands."""
        self._entries = [e for e in self._entries if e[1] != key]
        evidence = evidence_of(band_values(by_speed)) if by_speed else PRIOR
        index = bisect.bisect_right([e[0] for e in self._entries], start_epoch)
        self._entries.insert(index, (start_epoch, key, evidence))
        self._prefix = None

    def before(self, start_epoch: float) -> SpeedCurves:
        if self._prefix is None:
            total, prefix = PRIOR, [PRIOR]
            for _, _, evidence in self._entries:
                total = total + evidence
                prefix.append(total)
            self._prefix = prefix
        index = bisect.bisect_left([e[0] for e in self._entries], start_epoch)
        return self._prefix[index]
