"""config.example.toml is valid and shows every key there is."""

from __future__ import annotations

import re
import tomllib

from pydantic import BaseModel

from pose_sync.config import Config, load_config
from pose_sync.plugins import connector_specs
from tests.conftest import ROOT

EXAMPLE = ROOT / "config.example.toml"


def _keys_in_example() -> set[str]:
    """Dotted keys present in the example, commented-out optional ones included."""
    keys: set[str] = set()
    section = ""
    for line in EXAMPLE.read_text(encoding="utf-8").splitlines():
        header = re.match(r"^\s*\[([^\]]+)\]", line)
        if header:
            section = header.group(1).strip()
            continue
        key = re.match(r"^\s*#?\s*([a-z_]+)\s*=", line)
        if key:
            keys.add(f"{section}.{key.group(1)}" if section else key.group(1))
    return keys


def _model_keys(model: type[BaseModel], prefix: str) -> set[str]:
    keys: set[str] = set()
    for name, info in model.model_fields.items():
        if info.exclude or name == "connectors":
            continue
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            keys |= _model_keys(annotation, f"{prefix}{name}.")
        else:
            keys.add(f"{prefix}{name}")
    return keys


def test_example_config_is_valid_as_shipped():
    config = load_config(EXAMPLE)
    assert isinstance(config, Config)
    for name in tomllib.loads(EXAMPLE.read_text())["connectors"]:
        config.connector_settings(name)


def test_example_config_shows_every_key():
    expected = _model_keys(Config, "")
    for name, spec in connector_specs().items():
        expected |= _model_keys(spec.config_model, f"connectors.{name}.")
    assert expected <= _keys_in_example(), f"missing from config.example.toml: {sorted(expected - _keys_in_example())}"
    assert _keys_in_example() <= expected, f"not real keys: {sorted(_keys_in_example() - expected)}"
