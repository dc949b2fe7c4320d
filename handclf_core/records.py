"""Frozen dataclasses to JSON and back, checked field by field against their type hints.

The project stores its records (a run's `run.json`, with its configuration, metrics and
device) as dataclasses. `to_json` turns one into plain JSON values; `from_json` builds it
back and refuses anything that does not match the annotations: a missing or unknown field,
a string where a number belongs, a number that is not finite (or a whole one past 2**63), an
id no enum has. The error names the file and the field, so a damaged or hand-edited record
is reported, never half-trusted.

Supported annotations: bool, int, float, str, None, StrEnum subclasses, nested dataclasses,
`tuple[X, ...]`, `tuple[X, Y]`, `dict[str, X]`, `X | None`, and `typing.Any` (kept as is).
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import math
import types
import typing
from typing import Any, TypeVar

from handclf_core.errors import HandCamError

T = TypeVar("T")


def to_json(value):
    """A dataclass (or any supported value) as JSON-ready dicts, lists and scalars; fields
    declared with `metadata={"stored": False}` are left out."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: to_json(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.metadata.get("stored", True)
        }
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, tuple | list):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    return value


def from_json(cls: type[T], data, where: str) -> T:
    """Build dataclass `cls` from JSON `data`; HandCamError naming `where` and the field path
    on any mismatch."""
    return _convert(cls, data, where, cls.__name__)


@functools.cache
def _hints(cls) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _fail(where: str, path: str, expected: str, found) -> HandCamError:
    shown = repr(found)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    return HandCamError(f"{where}: {path}: expected {expected}, found {shown}")


def _convert(tp, data, where: str, path: str):  # noqa: C901 (one branch per kind of type)
    origin = typing.get_origin(tp)
    if tp is Any:
        return data
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(tp)
        if data is None and type(None) in options:
            return None
        errors = []
        for option in (o for o in options if o is not type(None)):
            try:
                return _convert(option, data, where, path)
            except HandCamError as e:
                errors.append(e)
        raise errors[0]
    if dataclasses.is_dataclass(tp):
        if not isinstance(data, dict):
            raise _fail(where, path, f"an object ({tp.__name__})", data)
        fields = {f.name: f for f in dataclasses.fields(tp) if f.metadata.get("stored", True)}
        unknown = sorted(set(data) - set(fields))
        if unknown:
            raise _fail(where, f"{path}.{unknown[0]}", "no such field", data[unknown[0]])
        values = {}
        hints = _hints(tp)
        for name, f in fields.items():
            if name not in data:
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                    raise HandCamError(f"{where}: {path}.{name}: expected a value, found none")
                continue
            values[name] = _convert(hints[name], data[name], where, f"{path}.{name}")
        try:
            return tp(**values)
        except (TypeError, ValueError) as e:
            raise _fail(where, path, f"a valid {tp.__name__}", str(e)) from None
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        try:
            return tp(data)
        except ValueError:
            choices = ", ".join(str(m.value) for m in tp)
            raise _fail(where, path, f"one of {choices}", data) from None
    if origin is tuple:
        args = typing.get_args(tp)
        if not isinstance(data, list):
            raise _fail(where, path, "a list", data)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_convert(args[0], v, where, f"{path}[{i}]") for i, v in enumerate(data))
        if len(data) != len(args):
            raise _fail(where, path, f"a list of {len(args)}", data)
        pairs = enumerate(zip(args, data, strict=True))
        return tuple(_convert(a, v, where, f"{path}[{i}]") for i, (a, v) in pairs)
    if origin is dict:
        _, value_type = typing.get_args(tp)
        if not isinstance(data, dict):
            raise _fail(where, path, "an object", data)
        return {k: _convert(value_type, v, where, f"{path}.{k}") for k, v in data.items()}
    if tp is float:
        if isinstance(data, bool) or not isinstance(data, int | float):
            raise _fail(where, path, "a number", data)
        try:
            value = float(data)  # a whole number past 1e308: OverflowError
        except OverflowError:
            value = math.inf
        if not math.isfinite(value):  # NaN, Infinity or 1e400 in a file: never a figure
            raise _fail(where, path, "a finite number", data)
        return value
    if tp is int:
        if isinstance(data, bool) or not isinstance(data, int):
            raise _fail(where, path, "a whole number", data)
        if abs(data) >= 2**63:  # what NumPy and the file system count in
            raise _fail(where, path, "a whole number below 2**63", data)
        return data
    if tp in (str, bool):
        if not isinstance(data, tp):
            raise _fail(where, path, tp.__name__, data)
        return data
    if tp is type(None):
        if data is not None:
            raise _fail(where, path, "null", data)
        return None
    raise TypeError(f"records: unsupported annotation {tp!r} at {path}")
