"""Configuration: one TOML file, validated, with errors that name the key.

Where things are looked for, first found wins:

* config file: ``--config``, ``$POSE_SYNC_CONFIG``, else ``config.toml`` in the
  platform's user config directory (none is fine: defaults apply);
* data directory: ``--data-dir``, ``$POSE_SYNC_HOME``, ``data_dir`` in the
  config, else the platform's user data directory.

Every key is shown, commented, in ``config.example.toml``; a test keeps the
two in step. Connector plugins validate their own ``[connectors.<name>]``
section with the model they registered.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from datetime import date
from pathlib import Path
from typing import Any, Literal

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pose_sync.errors import ConfigError

APP = "pose-sync"


class Section(BaseModel):
    """A config section: unknown keys are errors (they are usually typos)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class AthleteConfig(Section):
    max_heart_rate_bpm: int | None = Field(None, ge=120, le=240)
    resting_heart_rate_bpm: int | None = Field(None, ge=25, le=110)
    threshold_heart_rate_bpm: int | None = Field(None, ge=100, le=230)
    threshold_pace_s_per_km: float | None = Field(None, ge=150, le=900)
    sex: Literal["female", "male"] | None = None

    @model_validator(mode="after")
    def _ordered(self) -> AthleteConfig:
        if self.max_heart_rate_bpm and self.resting_heart_rate_bpm and \
                self.resting_heart_rate_bpm >= self.max_heart_rate_bpm:
            raise ValueError("resting_heart_rate_bpm must be below max_heart_rate_bpm")
        return self


class ProgramConfig(Section):
    start_date: date | None = None
    technique_change: bool = True
    shoe_change: bool = False
    run_days: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = ["tue", "thu", "sat", "sun"]


class ZonesConfig(Section):
    """Where easy ends. Heart rate wins when a run has it; pace is the fallback."""

    easy_max_heart_rate_bpm: int | None = Field(None, ge=90, le=220)
    easy_min_pace_s_per_km: float | None = Field(None, ge=180, le=1200)


class LoadConfig(Section):
    acwr_caution: float = Field(1.3, gt=1.0, le=3.0)
    acwr_danger: float = Field(1.5, gt=1.0, le=3.0)
    change_factor: float = Field(0.9, gt=0.5, le=1.0)
    weekly_increase_warn_pct: float = Field(30.0, gt=0, le=200)

    @model_validator(mode="after")
    def _ordered(self) -> LoadConfig:
        if self.acwr_danger <= self.acwr_caution:
            raise ValueError("acwr_danger must be above acwr_caution")
        return self


class ShoesConfig(Section):
    minimalist: list[str] = []
    # The transition plan (Ridge et al. 2013): week 1 one run of this length, week 2 two, week 3 three,
    # then the weekly distance grows by minimalist_weekly_increase_pct, and only while pain stays low.
    minimalist_start_km_per_week: float = Field(2.4, gt=0, le=100)
    minimalist_weekly_increase_pct: float = Field(10.0, gt=0, le=100)


class TissueConfig(Section):
    """Multipliers of the tissue (mechanical) load: see pose_sync.progression.tissue."""

    minimalist_multiplier: float = Field(1.25, ge=1.0, le=3.0)
    drill_multiplier: float = Field(1.5, ge=1.0, le=5.0)


DEFAULT_PAIN_PREFIXES = ["pain:", "#pain", "#niggle"]


class PainConfig(Section):
    """Pain reports in descriptions, and the pain-monitoring model (Silbernagel et al. 2007)."""

    # A description line starting with one of these (any case), then a body site and a 0-10 score.
    prefixes: list[str] = Field(default_factory=lambda: list(DEFAULT_PAIN_PREFIXES), min_length=1)
    # The same for forefoot-heavy drill minutes ("drills: 10"), which count in the tissue load.
    drill_prefixes: list[str] = Field(default_factory=lambda: ["drills:", "#drills"])
    during_max: float = Field(5.0, ge=0, le=10)      # acceptable during a session
    settled_max: float = Field(2.0, ge=0, le=10)     # next morning at or below this: settled
    window_days: int = Field(7, ge=1, le=28)         # reports this recent steer the plan


class NotesConfig(Section):
    enabled: bool = True
    # Minutes after an activity's upload before its note is written: the athlete is often still
    # typing in the app, and a save from an edit screen opened before our write would wipe the note.
    settle_minutes: float = Field(10.0, ge=0, le=24 * 60)


class SyncConfig(Section):
    platforms: list[str] = []
    # Each sync lists again this far before the newest activity it already has: a watch that
    # synced late or a phone that was offline uploads runs older than the newest one.
    lookback_days: int = Field(28, ge=1, le=366)


class Config(BaseModel):
    """The whole configuration. ``source`` is the file it came from, if any."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    data_dir: str | None = None
    athlete: AthleteConfig = AthleteConfig()
    program: ProgramConfig = ProgramConfig()
    zones: ZonesConfig = ZonesConfig()
    load: LoadConfig = LoadConfig()
    shoes: ShoesConfig = ShoesConfig()
    tissue: TissueConfig = TissueConfig()
    pain: PainConfig = PainConfig()
    notes: NotesConfig = NotesConfig()
    sync: SyncConfig = SyncConfig()
    connectors: dict[str, dict[str, Any]] = {}
    source: Path | None = Field(None, exclude=True)

    def connector_settings(self, name: str) -> BaseModel:
        """The validated ``[connectors.<name>]`` section for an installed connector."""
        from pose_sync.plugins import connector_spec

        spec = connector_spec(name)
        raw = self.connectors.get(name, {})
        try:
            return spec.config_model.model_validate(raw)
        except ValidationError as exc:
            raise ConfigError(_describe(exc, self.source, prefix=f"connectors.{name}",
                                        model=spec.config_model)) from None


def default_config_path() -> Path:
    return Path(platformdirs.user_config_dir(APP)) / "config.toml"


def load_config(path: Path | str | None = None) -> Config:
    """Read and validate the config; a missing default file means defaults."""
    explicit = path or os.environ.get("POSE_SYNC_CONFIG")
    config_path = Path(explicit).expanduser() if explicit else default_config_path()
    if not config_path.exists():
        if explicit:
            raise ConfigError(f"config file {config_path} does not exist",
                              hint="copy config.example.toml there, or drop --config")
        return Config()
    try:
        raw = tomllib.loads(config_path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{config_path}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{config_path}: cannot read: {exc.strerror}") from None
    try:
        return Config.model_validate({**raw, "source": config_path})
    except ValidationError as exc:
        raise ConfigError(_describe(exc, config_path, model=Config)) from None


def resolve_data_dir(cli_value: str | Path | None, config: Config) -> Path:
    chosen = cli_value or os.environ.get("POSE_SYNC_HOME") or config.data_dir
    return Path(chosen).expanduser() if chosen else Path(platformdirs.user_data_dir(APP))


def _keys_at(model: type[BaseModel], loc: tuple[int | str, ...]) -> list[str]:
    """The keys a section takes: the fields of the (nested) model at ``loc``."""
    for part in loc:
        field = model.model_fields.get(str(part))
        inner = getattr(field, "annotation", None) if field is not None else None
        if not (isinstance(inner, type) and issubclass(inner, BaseModel)):
            return []
        model = inner
    return [name for name in model.model_fields if name != "source"]


def _describe(exc: ValidationError, path: Path | None, prefix: str = "",
              model: type[BaseModel] | None = None) -> str:
    """First validation problem as one line: file, dotted key, what is wrong (and the key probably meant)."""
    error = exc.errors()[0]
    key = ".".join(str(p) for p in (prefix.split(".") if prefix else []) + list(error["loc"]))
    where = f"{path}: " if path else "config: "
    message = error["msg"]
    if error["type"] == "extra_forbidden":
        known = _keys_at(model, tuple(error["loc"][:-1])) if model is not None else []
        near = difflib.get_close_matches(str(error["loc"][-1]), known, n=1, cutoff=0.5)
        message = (f"unknown key: did you mean {near[0]!r}?" if near
                   else "unknown key (see config.example.toml for the keys there are)")
    more = f" (and {len(exc.errors()) - 1} more problem(s))" if len(exc.errors()) > 1 else ""
    return f"{where}{key}: {message}{more}"
