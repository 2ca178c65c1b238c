"""The skills program, loaded from data (``program.toml``) and checked on load.

Phases, weeks, sessions, drills, targets and adaptation rules live in the
TOML file, so a coach can change the program without touching code; the
pydantic models below say exactly what the file may contain.
"""

from __future__ import annotations

import tomllib
from datetime import date
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pose_sync.errors import ConfigError

SessionKind = Literal["drills_easy", "strides", "intervals", "tempo", "long", "form_test"]
TargetName = Literal["interval_5k", "interval_10k", "threshold"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Drill(_Strict):
    name: str
    how: str
    minutes: float = Field(gt=0, le=30)


class Session(_Strict):
    slot: int = Field(ge=1, le=7)
    kind: SessionKind
    easy_minutes: float | None = Field(None, gt=0, le=240)
    steady_minutes: float | None = Field(None, gt=0, le=120)
    drills: tuple[str, ...] = ()
    repetitions: int | None = Field(None, ge=1, le=30)
    work_seconds: float | None = Field(None, gt=0)
    work_meters: float | None = Field(None, gt=0)
    work_minutes: float | None = Field(None, gt=0)
    recovery_seconds: float | None = Field(None, gt=0)
    target: TargetName | None = None

    @model_validator(mode="after")
    def _complete(self) -> Session:
        needs = {
            "drills_easy": ("easy_minutes",), "long": ("easy_minutes",), "form_test": ("steady_minutes",),
            "strides": ("easy_minutes", "repetitions", "work_seconds", "recovery_seconds"),
            "intervals": ("repetitions", "work_meters", "target", "recovery_seconds"),
            "tempo": ("repetitions", "work_minutes", "target", "recovery_seconds"),
        }[self.kind]
        missing = [name for name in needs if getattr(self, name) is None]
        if missing:
            raise ValueError(f"a {self.kind} session needs {', '.join(missing)}")
        return self


class Week(_Strict):
    number: int = Field(ge=1)
    sessions: tuple[Session, ...]


class Phase(_Strict):
    name: str
    weeks: tuple[int, int]
    focus: str


class Rules(_Strict):
    caution_duration_factor: float = Field(gt=0, le=1)
    caution_repetition_factor: float = Field(gt=0, le=1)
    danger_duration_factor: float = Field(gt=0, le=1)
    danger_replace: tuple[SessionKind, ...]


class Targets(_Strict):
    easy_speed: tuple[float, float]
    steady_speed: tuple[float, float]
    interval_5k_speed: tuple[float, float]
    interval_10k_speed: tuple[float, float]
    threshold_speed: tuple[float, float]
    stride_cadence: tuple[float, float]


class ProgramInfo(_Strict):
    name: str
    weeks: int = Field(ge=1, le=52)


class Program(_Strict):
    program: ProgramInfo
    rules: Rules
    targets: Targets
    drills: dict[str, Drill]
    phase: tuple[Phase, ...]
    week: tuple[Week, ...]

    @model_validator(mode="after")
    def _consistent(self) -> Program:
        numbers = [w.number for w in self.week]
        if numbers != list(range(1, self.program.weeks + 1)):
            raise ValueError(f"weeks must be numbered 1..{self.program.weeks} in order")
        for week in self.week:
            for session in week.sessions:
                unknown = [d for d in session.drills if d not in self.drills]
                if unknown:
                    raise ValueError(f"week {week.number}: unknown drill(s) {', '.join(unknown)}")
        covered = sorted(n for p in self.phase for n in range(p.weeks[0], p.weeks[1] + 1))
        if covered != numbers:
            raise ValueError("phases must cover every week exactly once")
        return self

    def phase_of(self, week: int) -> Phase:
        return next(p for p in self.phase if p.weeks[0] <= week <= p.weeks[1])

    def week_of(self, number: int) -> Week:
        return self.week[number - 1]


def program_week(start: date, today: date) -> int:
    """1 in the first seven days from ``start``, 2 in the next seven, ... (0 before it starts)."""
    return 0 if today < start else (today - start).days // 7 + 1


def load_program(path: Path | None = None) -> Program:
    """The built-in program, or another file in the same format."""
    text = path.read_text(encoding="utf-8") if path else \
        resources.files("pose_sync.progression").joinpath("program.toml").read_text(encoding="utf-8")
    try:
        return Program.model_validate(tomllib.loads(text))
    except (ValidationError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"program file {path or 'program.toml'} is invalid: {str(exc).splitlines()[0]}") from None


@lru_cache(maxsize=1)
def builtin_program() -> Program:
    return load_program()
