"""Checks on what callers hand the ledger: each rejection names the field and the reason.

Values arrive from Python callers (a connector's import, the demo) and from JSON (the ledger's
REST API), so numbers may be ``Decimal``, ``int`` or strings and dates may be ISO strings.
Nested fields are named by their path, e.g. ``lines/0/quantity``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from core.platform.port import PlatformError

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def text(value: Any, field: str, *, max_length: int, required: bool = False) -> str:
    """A string, stripped; ``required`` refuses a blank one."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise PlatformError("must be a string", field)
    value = value.strip()
    if required and not value:
        raise PlatformError("is required", field)
    if len(value) > max_length:
        raise PlatformError(f"is longer than {max_length} characters", field)
    return value


def email(value: Any, field: str = "email") -> str | None:
    """An e-mail address, or None when blank."""
    address = text(value, field, max_length=254)
    if not address:
        return None
    if not _EMAIL.match(address):
        raise PlatformError(f"{address!r} is not an e-mail address", field)
    return address


def number(
    value: Any,
    field: str,
    *,
    places: int = 2,
    minimum: Decimal | None = None,
    maximum: Decimal | None = None,
    positive: bool = False,
) -> Decimal:
    """A decimal with at most ``places`` decimal places, within the bounds given."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int | float | str):
        raise PlatformError("must be a number", field)
    try:
        result = Decimal(str(value).strip())
    except InvalidOperation:
        raise PlatformError(f"{value!r} is not a number", field) from None
    if not result.is_finite():
        raise PlatformError("must be a finite number", field)
    exponent = result.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        raise PlatformError(f"has more than {places} decimal places", field)
    if positive and result <= 0:
        raise PlatformError("must be more than 0", field)
    if minimum is not None and result < minimum:
        raise PlatformError(f"must be at least {minimum}", field)
    if maximum is not None and result > maximum:
        raise PlatformError(f"must be at most {maximum}", field)
    return result.quantize(Decimal(1).scaleb(-places))


def day(value: Any, field: str) -> date:
    """A date, or an ISO date string (``2030-01-31``)."""
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise PlatformError(f"{value!r} is not a date (YYYY-MM-DD)", field)


def optional_day(value: Any, field: str) -> date | None:
    return None if value in (None, "") else day(value, field)


def flag(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise PlatformError("must be true or false", field)
    return value


def choice(value: Any, field: str, options: Iterable[str]) -> str:
    allowed = tuple(options)
    if value not in allowed:
        raise PlatformError(f"{value!r} is not one of {', '.join(allowed)}", field)
    return value


def record_id(value: Any, field: str) -> int | None:
    """The database id behind a record id string; None when it cannot be one of ours."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if not isinstance(value, str):
        raise PlatformError("must be a record id (a string)", field)
    return int(value) if value.isdigit() and len(value) < 19 else None


MAX_PDF_BYTES = 10 * 1024 * 1024


def pdf(value: Any, field: str) -> bytes:
    """A PDF document: bytes that start like one, 10 MB at most."""
    if not isinstance(value, bytes | bytearray):
        raise PlatformError("must be the PDF's bytes", field)
    if not value.startswith(b"%PDF-"):
        raise PlatformError("is not a PDF document (it must start with %PDF-)", field)
    if len(value) > MAX_PDF_BYTES:
        raise PlatformError(f"is larger than {MAX_PDF_BYTES // (1024 * 1024)} MB", field)
    return bytes(value)
