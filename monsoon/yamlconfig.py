"""Strict YAML into dataclasses (safe loading only; nothing in a config is executed), for every config file:
run configs, language files, mix tables.

Every mapping is checked against its dataclass: an unknown key, or a value of the wrong type, is an error that
names the key and the file, raised before anything else reads the value. YAML aliases (`*name`) are refused: ten
nested ones in a 462-byte file expand to > 5 GiB wherever the values are later copied or printed (issue 20).
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


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


def check_value(value: Any, tp: Any, source: str, where: str) -> None:
    """Raise ConfigError unless `value` is of type `tp` (int, float, bool, str, list[...], dict[str, ...], X | None,
    Any; an int passes as a float, a bool as neither)."""
    if tp is Any:
        return
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (types.UnionType, typing.Union):
        errors = []
        for arg in args:
            try:
                return check_value(value, arg, source, where)
            except ConfigError as error:
                errors.append(error)
        raise errors[-1]
    if tp is type(None):
        ok = value is None
    elif tp is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif tp is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif origin is list:
        ok = isinstance(value, list)
        if ok and args:
            for i, item in enumerate(value):
                check_value(item, args[0], source, f"{where}[{i}]")
    elif origin is dict:
        ok = isinstance(value, dict)
        if ok and args:
            for key, item in value.items():
                check_value(key, args[0], source, f"{where} key")
                check_value(item, args[1], source, f"{where}.{key}")
    elif tp in (str, bool):
        ok = isinstance(value, tp)
    else:
        ok = True  # a type with its own parsing (mix tables' printed numbers): its dataclass checks it
    if not ok:
        shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
        raise ConfigError(f"{source}: {where} must be {_type_name(tp)}, not {type(value).__name__} {shown}")


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
        key = f"{where}.{name}" if where else name
        if _is_dataclass_type(tp):
            values[name] = build(tp, value, source, key)
        else:
            check_value(value, hints[name], source, key)
            values[name] = value
    try:
        return cls(**values)
    except (TypeError, ValueError) as error:
        raise ConfigError(f"{source}: {where or 'top level'}: {error}") from error


class _NoAliasLoader(yaml.SafeLoader):
    """yaml's safe loader, refusing aliases (`*name`) where they appear."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise ConfigError(f"{mark.name}, line {mark.line + 1}: YAML aliases (*name) are not allowed in configs")
        return super().compose_node(parent, index)


def read_yaml(path: Path) -> Any:
    """A YAML file's data; a syntax error or an alias is a ConfigError naming the file and line."""
    try:
        with open(path, encoding="utf-8") as f:
            return yaml.load(f, Loader=_NoAliasLoader)  # noqa: S506 (a SafeLoader subclass)
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: not valid YAML: {' '.join(str(error).split())}") from error
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot be read ({error})") from error
