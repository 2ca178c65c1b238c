"""RunAnalysis to JSON and back.

pydantic already knows how to serialise and validate standard dataclasses
(datetimes, nested dataclasses, mappings with int/float keys), so the stored
form is exactly the dataclass, with no hand-written field lists to drift.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from pydantic import TypeAdapter

from pose_sync.model import RunAnalysis


@lru_cache(maxsize=1)
def _adapter() -> TypeAdapter[RunAnalysis]:
    return TypeAdapter(RunAnalysis)


def analysis_to_json(analysis: RunAnalysis) -> str:
    return _adapter().dump_json(analysis).decode()


def analysis_to_dict(analysis: RunAnalysis) -> dict[str, Any]:
    """Plain JSON-ready dict (datetimes as ISO strings, NaN as null)."""
    return _adapter().dump_python(analysis, mode="json")


def analysis_from_json(text: str | bytes) -> RunAnalysis:
    return _adapter().validate_json(text)
