"""``[connectors.garmin]``: where the token store is, how far back to look, whether to push workouts."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class GarminSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tokenstore: str | None = None
    backfill_days: int = Field(365, ge=0)
    page_size: int = Field(100, ge=10, le=1000)
    push_workouts: bool = False
    plan_days: int = Field(7, ge=1, le=28)
