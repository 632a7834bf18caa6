"""How a query compares an entity's stored values with the literals in a WHERE clause.

QBO's query language is loosely typed: the literal ``'12'`` matches ``Id "12"`` and
``CustomerRef {"value": "12"}``, ``'acme'`` matches ``Acme`` (values are case-insensitive),
``'2024-01-01T00:00:00Z'`` and ``'2023-12-31T16:00:00-08:00'`` are the same instant, and
``true``/``'true'`` match a boolean. The rules here pick, for each pair, the one reading under
which the two can be compared, and answer "no match" when there is none (a missing property
never matches, except the documented null literal ``' '``).

Date-times without an offset are read in Pacific time, the zone QBO's own timestamps are written
in (``2015-07-24T10:33:39-07:00`` throughout Intuit's samples); a date alone is midnight there.
The docs do not say which zone an offset-less literal means, so this is the reading most
consistent with the service's own output [U].
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

QBO_ZONE = ZoneInfo("America/Los_Angeles")

_NUMERIC = re.compile(r"-?\d+(\.\d+)?")
_DATE_PREFIX = re.compile(r"\d{4}-\d{2}-\d{2}")

Value = str | Decimal | bool


def resolve(row: dict, path: str) -> Any:
    """The value at a dotted ``path``, matching each name case-insensitively.

    A reference (``{"value": "12", "name": "Acme"}``) resolves to its ``value``, which is what
    QBO compares ``CustomerRef = '12'`` with; an e-mail address (``{"Address": "a@b.co"}``)
    resolves to its ``Address``, which is what ``PrimaryEmailAddr = 'a@b.co'`` is compared with
    (facts §4.2). ``PrimaryEmailAddr.Address`` reaches the same string. A missing property
    resolves to ``None``.
    """
    current: Any = row
    for name in path.split("."):
        if not isinstance(current, dict):
            return None
        key = find_key(current, name)
        if key is None:
            return None
        current = current[key]
    if isinstance(current, dict) and "value" in current:
        return current["value"]
    if isinstance(current, dict) and "Address" in current:
        return current["Address"]
    return current


def find_key(mapping: dict, name: str) -> str | None:
    """The key of ``mapping`` spelled like ``name`` up to case (``Metadata`` finds ``MetaData``)."""
    if name in mapping:
        return name
    folded = name.casefold()
    return next((key for key in mapping if key.casefold() == folded), None)


def instant(text: str) -> datetime | None:
    """``text`` as an aware datetime if it is an ISO 8601 date or date-time, else ``None``."""
    if not _DATE_PREFIX.match(text):
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=QBO_ZONE)


def today(now: datetime) -> str:
    """``CURRENT_DATE``: the date in QBO's zone at emulated ``now``, as a date literal."""
    moment = now if now.tzinfo else now.replace(tzinfo=QBO_ZONE)
    return moment.astimezone(QBO_ZONE).date().isoformat()


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal):
        return Decimal(str(value))
    if isinstance(value, str) and _NUMERIC.fullmatch(value.strip()):
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            return None
    return None


def _boolean(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def _sign(left: Any, right: Any) -> int:
    return (left > right) - (left < right)


def compare(stored: Any, literal: Value) -> int | None:
    """-1, 0 or 1 as ``stored`` sorts before, with or after ``literal``; ``None`` if unrelated."""
    if stored is None or isinstance(stored, dict | list):
        return None
    if isinstance(literal, bool) or isinstance(stored, bool):
        left, right = _boolean(stored), _boolean(literal)
        return None if left is None or right is None else _sign(left, right)
    left_number, right_number = _number(stored), _number(literal)
    if left_number is not None and right_number is not None:
        return _sign(left_number, right_number)
    if isinstance(literal, Decimal) or not isinstance(stored, str):
        return None
    left_instant, right_instant = instant(stored), instant(literal)
    if left_instant is not None and right_instant is not None:
        return _sign(left_instant, right_instant)
    return _sign(stored.casefold(), literal.casefold())


def is_null_literal(literal: Value) -> bool:
    """QBO spells null as a quoted blank: ``' '``."""
    return isinstance(literal, str) and literal.strip() == ""


def like(stored: Any, pattern: str) -> bool:
    """SQL LIKE with ``%`` as the only wildcard, case-insensitive, over the whole value."""
    if stored is None or isinstance(stored, bool | dict | list):
        return False
    regex = ".*".join(re.escape(part) for part in pattern.split("%"))
    return re.fullmatch(regex, str(stored), re.IGNORECASE | re.DOTALL) is not None


def sort_key(value: Any) -> tuple:
    """A key that orders one property's values the way the comparison operators do.

    Missing values come first in ascending order. Values of different kinds (which a single
    property rarely mixes) are kept apart by a leading rank so they never fail to compare.
    """
    if value is None:
        return (0,)
    if isinstance(value, bool):
        return (1, value)
    number = _number(value)
    if number is not None:
        return (2, number)
    if isinstance(value, str):
        moment = instant(value)
        if moment is not None:
            return (3, moment)
        return (4, value.casefold())
    return (5, str(value))
