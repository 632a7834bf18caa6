"""Reading what clients send and writing what QBO returns: money, references, timestamps.

Real clients are loose: python-quickbooks serialises unset strings as ``""``, ``SyncToken`` as
the integer ``0`` and, with ``use_decimal``, amounts as strings (``"100.00"``). QBO accepts all
of these, so every numeric and reference read in the emulator goes through these helpers.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from . import faults

#: QBO writes its timestamps in Pacific time throughout Intuit's samples
#: (``2015-07-24T10:33:39-07:00``). The emulator uses that zone for every company, so that
#: ``MetaData`` times, ``TxnDate`` and offset-less CDC/query literals all agree [U].
QBO_ZONE = ZoneInfo("America/Los_Angeles")

CENT = Decimal("0.01")


def local(now: datetime) -> datetime:
    """``now`` in the zone QBO writes its timestamps in."""
    return now.astimezone(QBO_ZONE)


def timestamp(now: datetime) -> str:
    """A ``MetaData`` time: seconds precision with offset, as QBO writes it."""
    return local(now).isoformat(timespec="seconds")


def response_time(now: datetime) -> str:
    """The ``time`` of a response envelope: milliseconds with offset."""
    return local(now).isoformat(timespec="milliseconds")


def today(now: datetime) -> str:
    """The company's date (``TxnDate`` default)."""
    return local(now).date().isoformat()


def invalid_property(element: str, value: Any) -> faults.QBOFault:
    """2010: a property whose value cannot be read (e.g. an amount that is not a number)."""
    return faults.validation(
        2010,
        "Request has invalid or unsupported property",
        f"Property Name:{element} specified is unsupported or invalid (value {value!r})",
        element,
    )


def decimal(value: Any, element: str) -> Decimal:
    """A number sent as int, float or numeric string, as an exact Decimal."""
    if isinstance(value, bool):
        raise invalid_property(element, value)
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise invalid_property(element, value) from None


def optional_decimal(value: Any, element: str) -> Decimal | None:
    """Like :func:`decimal`, but ``None`` and ``""`` (python-quickbooks' "unset") give None."""
    if value is None or value == "":
        return None
    return decimal(value, element)


def money(value: Decimal) -> Decimal:
    """Rounded to cents, half up, as QBO rounds amounts and tax."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def number(value: Decimal) -> float | int:
    """A Decimal as the JSON number QBO writes (``100.0``, ``0``)."""
    return float(value)


def ref_value(ref: Any) -> str | None:
    """The Id inside a reference ``{"value": "12", "name": ...}``, or None when unset."""
    value = ref.get("value") if isinstance(ref, dict) else ref
    if value is None or value == "" or isinstance(value, dict | list):
        return None
    return str(value)


def strip_unset(value: Any) -> Any:
    """``value`` without the ``None`` and ``""`` python-quickbooks sends for unset fields.

    Applied to creates and full updates (where an absent field and an empty one mean the same);
    not to sparse updates, where ``""`` is how a caller clears a field.
    """
    if isinstance(value, dict):
        return {
            key: strip_unset(item) for key, item in value.items() if item is not None and item != ""
        }
    if isinstance(value, list):
        return [strip_unset(item) for item in value]
    return value


def boolean(value: Any, default: bool) -> bool:
    """A flag sent as bool or ``"true"``/``"false"``; ``default`` when unset."""
    if value is None or value == "":
        return default
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)
