"""Platform records to JSON and back, for the ledger's REST API and the REST adapter.

Both ends of the wire use this one module, so a record that crosses it comes back equal:

* ``Decimal`` travels as a string with at least two places (``"12.50"``, ``"8.875"``): never a
  float, and never rounded, so totals stay exact to the cent;
* ``date`` as ``YYYY-MM-DD``; ``datetime`` as ISO 8601 in UTC with its offset, microseconds kept,
  so a ``changed_since`` cursor taken from one record compares exactly with the others;
* ``bytes`` (an invoice's PDF) as standard base64 text.

Decoding is strict because it guards an API: unknown fields, missing required fields, wrong types,
values outside a ``Literal``, dates without a zone are refused, and every refusal names the field
by JSON pointer (``/lines/0/quantity``) and says what is expected. All problems of one document
are reported together.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import re
import types
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any, Literal, TypeVar, Union, get_args, get_origin, get_type_hints

from core.jsonpointer import pointer_from_path
from core.platform.port import PlatformError

T = TypeVar("T")

_DECIMAL = re.compile(r"^-?\d+(\.\d+)?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TWO_PLACES = Decimal("0.01")


@dataclasses.dataclass(frozen=True)
class FieldError:
    """One refused input: the JSON pointer of the field (``""`` for the whole document) and why."""

    field: str
    message: str


class InvalidInput(PlatformError):
    """A document that does not decode; ``errors`` lists every field at fault."""

    def __init__(self, errors: list[FieldError]) -> None:
        first = errors[0]
        message = "; ".join(f"{e.field or 'body'}: {e.message}" for e in errors)
        super().__init__(message, field=first.field, status=422)
        self.errors = tuple(errors)


# Encoding -----------------------------------------------------------------------------------


def format_decimal(value: Decimal) -> str:
    """``12.5`` -> ``"12.50"``; more places are kept as they are, never rounded away."""
    if value.as_tuple().exponent > -2:  # type: ignore[operator]
        value = value.quantize(_TWO_PLACES)
    return format(value, "f")


def format_datetime(value: datetime) -> str:
    """An aware datetime in UTC, ISO 8601; a naive one is refused rather than guessed."""
    if value.tzinfo is None:
        raise ValueError(f"datetime {value.isoformat()} has no time zone")
    return value.astimezone(UTC).isoformat()


def encode(value: Any) -> Any:
    """A record (or a list of them) as plain JSON values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Decimal):
        return format_decimal(value)
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, list | tuple):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {k: encode(v) for k, v in value.items()}
    return value


# Decoding -----------------------------------------------------------------------------------


class _Refused(Exception):
    """A value that does not fit its type (raised and caught inside this module only)."""


@cache
def _hints(cls: type) -> dict[str, Any]:
    return get_type_hints(cls)


def _is_optional(tp: Any) -> bool:
    return get_origin(tp) in (Union, types.UnionType) and type(None) in get_args(tp)


def _decimal(value: Any) -> Decimal:
    if isinstance(value, bool | float):
        raise _Refused('must be a decimal number written as a string, e.g. "12.50"')
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise _Refused("must be a finite number")
        return value
    if isinstance(value, str) and _DECIMAL.match(value.strip()):
        try:
            return Decimal(value.strip())
        except InvalidOperation as exc:  # pragma: no cover - the pattern already excludes this
            raise _Refused(f"{value!r} is not a decimal number") from exc
    raise _Refused(f'{value!r} is not a decimal number (expected a string like "12.50")')


def _date(value: Any) -> date:
    if isinstance(value, str) and _DATE.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError as exc:
            raise _Refused(f"{value!r} is not a calendar date") from exc
    raise _Refused(f"{value!r} is not a date (expected YYYY-MM-DD)")


def parse_datetime(value: Any) -> datetime:
    """An ISO 8601 time with its zone, as aware UTC; raises ``ValueError`` saying why not."""
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a date-time (expected ISO 8601 text)")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(
            f"{value!r} is not an ISO 8601 date-time (e.g. 2026-01-31T12:00:00Z)"
        ) from exc
    if parsed.tzinfo is None:
        raise ValueError(f"{value!r} needs a time zone offset (e.g. 2026-01-31T12:00:00Z)")
    return parsed.astimezone(UTC)


def _datetime(value: Any) -> datetime:
    try:
        return parse_datetime(value)
    except ValueError as exc:
        raise _Refused(str(exc)) from exc


def _scalar(tp: Any, value: Any) -> Any:
    if tp is str:
        if not isinstance(value, str):
            raise _Refused(f"must be a string, not {_json_type(value)}")
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise _Refused(f"must be true or false, not {_json_type(value)}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _Refused(f"must be an integer, not {_json_type(value)}")
        return value
    if tp is Decimal:
        return _decimal(value)
    if tp is datetime:
        return _datetime(value)
    if tp is date:
        return _date(value)
    if tp is bytes:
        return _bytes(value)
    raise TypeError(f"the codec does not know how to decode {tp!r}")


def _bytes(value: Any) -> bytes:
    if not isinstance(value, str):
        raise _Refused(f"must be base64 text, not {_json_type(value)}")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _Refused("is not valid base64") from exc


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float | Decimal):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _value(tp: Any, value: Any, path: list[Any], errors: list[FieldError]) -> Any:
    """``value`` converted to ``tp``; problems go to ``errors`` (the result is then unusable)."""
    try:
        if _is_optional(tp):
            if value is None:
                return None
            (inner,) = [a for a in get_args(tp) if a is not type(None)]
            return _value(inner, value, path, errors)
        if value is None:
            raise _Refused("must not be null")
        origin = get_origin(tp)
        if origin is Literal:
            choices = get_args(tp)
            if value not in choices:
                raise _Refused(f"{value!r} is not one of {', '.join(map(repr, choices))}")
            return value
        if origin is tuple:
            if not isinstance(value, list):
                raise _Refused(f"must be an array, not {_json_type(value)}")
            (inner, _ellipsis) = get_args(tp)
            return tuple(_value(inner, v, [*path, i], errors) for i, v in enumerate(value))
        if dataclasses.is_dataclass(tp):
            return _record(tp, value, path, errors)
        return _scalar(tp, value)
    except _Refused as exc:
        errors.append(FieldError(pointer_from_path(path), str(exc)))
        return None


def _record(cls: type[T], data: Any, path: list[Any], errors: list[FieldError]) -> T | None:
    if not isinstance(data, dict):
        raise _Refused(f"must be an object, not {_json_type(data)}")
    hints = _hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    for unknown in sorted(set(data) - set(fields)):
        errors.append(FieldError(pointer_from_path([*path, unknown]), "is not a known field"))
    values: dict[str, Any] = {}
    for name, f in fields.items():
        if name in data:
            values[name] = _value(hints[name], data[name], [*path, name], errors)
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            errors.append(FieldError(pointer_from_path([*path, name]), "is required"))
    if errors:
        return None
    return cls(**values)


def decode(cls: type[T], data: Any) -> T:
    """Build a ``cls`` record from a JSON document; raises :class:`InvalidInput` naming fields."""
    errors: list[FieldError] = []
    record = _value(cls, data, [], errors)
    if errors:
        raise InvalidInput(errors)
    return record


def decode_list(cls: type[T], data: Any) -> list[T]:
    """A JSON array of ``cls`` records (a reply's ``data``)."""
    return list(decode(tuple[cls, ...], data))  # type: ignore[valid-type]


def decode_value(tp: Any, value: Any, field: str) -> Any:
    """One value of type ``tp`` (a query parameter, say); the refusal names ``field``."""
    errors: list[FieldError] = []
    result = _value(tp, value, [], errors)
    if errors:
        raise InvalidInput([FieldError(field, e.message) for e in errors])
    return result
