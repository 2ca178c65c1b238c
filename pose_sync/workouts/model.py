"""A neutral workout: what a session asks the runner to do, step by step.

Independent of any platform, so the planner writes one and each encoding
(FIT workout file, Garmin Connect JSON) translates it. Speeds are m/s
(pace targets become speed ranges), heart rates bpm, durations s or m.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum


class StepKind(StrEnum):
    WARMUP = "warmup"
    ACTIVE = "active"      # the work part of an interval, or a steady run
    RECOVERY = "recovery"
    REST = "rest"
    COOLDOWN = "cooldown"
    DRILL = "drill"        # technique drill: the step's name and notes say which


class DurationKind(StrEnum):
    TIME = "time"          # value in seconds
    DISTANCE = "distance"  # value in metres
    OPEN = "open"          # until the lap button


class TargetKind(StrEnum):
    NONE = "none"
    SPEED = "speed"        # low/high in m/s (a pace range)
    HEART_RATE = "heart_rate"  # low/high in bpm
    CADENCE = "cadence"    # low/high in steps/min


@dataclass(frozen=True)
class Duration:
    kind: DurationKind
    value: float | None = None


@dataclass(frozen=True)
class Target:
    kind: TargetKind = TargetKind.NONE
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class Step:
    kind: StepKind
    duration: Duration
    target: Target = Target()
    name: str | None = None
    notes: str | None = None


@dataclass(frozen=True)
class Repeat:
    count: int
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class Workout:
    """One planned session. ``key`` is stable across re-planning (program week + slot),
    so pushing the same plan twice updates rather than duplicates."""

    key: str
    name: str
    scheduled_date: date
    steps: tuple[Step | Repeat, ...]
    description: str = ""
    sport: str = "running"
    program_week: int | None = None
    tags: tuple[str, ...] = field(default_factory=tuple)
    shoe: str | None = None     # a minimalist shoe the transition plan puts this session in (None: your usual)
