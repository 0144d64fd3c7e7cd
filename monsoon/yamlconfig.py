"""Strict YAML into dataclasses (safe_load only; nothing in a config is executed), for every config file:
run configs, language files, mix tables.

Every mapping is checked against its dataclass: an unknown key is an error that names the key and the file.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from pathlib import Path
from typing import Any

import yaml


class ConfigError(ValueError):
    """A config file does not match its schema."""


def _is_dataclass_type(tp: Any) -> bool:
    return isinstance(tp, type) and dataclasses.is_dataclass(tp)


def build(cls: type, data: Any, source: str, where: str = "") -> Any:
    """Build dataclass `cls` from a YAML mapping, rejecting unknown keys (recursively for nested dataclasses)."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: {where or 'top level'} must be a mapping, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        key = f"{where}.{unknown[0]}" if where else unknown[0]
        raise ConfigError(f"{source}: unknown key {key!r} (known: {', '.join(sorted(fields))})")
    values = {}
    for name, value in data.items():
        tp = hints[name]
        if isinstance(tp, types.UnionType):  # X | None
            tp = next(arg for arg in typing.get_args(tp) if arg is not type(None))
        nested = _is_dataclass_type(tp)
        values[name] = build(tp, value, source, f"{where}.{name}" if where else name) if nested else value
    try:
        return cls(**values)
    except (TypeError, ValueError) as error:
        raise ConfigError(f"{source}: {where or 'top level'}: {error}") from error


def read_yaml(path: Path) -> Any:
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)
