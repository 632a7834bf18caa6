"""Sales form numbers (DocNumber): automatic sequence, custom numbers and duplicates.

Facts §9: with ``Preferences.SalesFormsPrefs.CustomTxnNumbers`` false QBO numbers a new form
itself, "incrementing the last number by 1" and keeping a prefix (App_1000 -> App_1001);
``"AUTO_GENERATE"`` asks for that in any case. With custom numbers on, an omitted DocNumber
stays empty and a number already used by a form of the same type is refused with 6140 unless
``include=allowduplicatedocnum``. Whether QBO also refuses duplicates with custom numbers off is
[U]; the emulator accepts them then, as the connector must cope with either.
"""

from __future__ import annotations

import re

from . import rules
from .books import Books
from .store import META

AUTO = "AUTO_GENERATE"
FIRST_NUMBER = "1001"
MAX_LENGTH = 21
_LAST_DIGITS = re.compile(r"(\d+)(\D*)$")


def following(number: str | None) -> str:
    """The number after ``number``: its last run of digits + 1, width and affixes kept."""
    match = _LAST_DIGITS.search(number or "")
    if not match:
        return FIRST_NUMBER
    digits = match.group(1)
    bumped = str(int(digits) + 1).zfill(len(digits))
    return number[: match.start(1)] + bumped + match.group(2)


def assign(
    books: Books, entity: str, body: dict, old: dict | None, include: set[str]
) -> str | None:
    """The DocNumber to store for this create/update of a sales form."""
    requested = body.get("DocNumber")
    custom = bool(books.preference("SalesFormsPrefs", "CustomTxnNumbers", False))
    if requested == AUTO or (requested in (None, "") and old is None and not custom):
        return _next_free(books, entity)
    if requested in (None, ""):
        return old.get("DocNumber") if old is not None and not custom else None
    number = str(requested)
    rules.check_length(number, MAX_LENGTH, "DocNumber")
    if custom and "allowduplicatedocnum" not in include:
        own_id = (old or {}).get("Id")
        for row_id, row in books.store.rows(entity).items():
            if row_id != own_id and row.get("DocNumber") == number:
                raise rules.duplicate_doc_number(number, entity, row_id)
    return number


def remember(books: Books, entity: str, number: str | None) -> None:
    """Record the number of a newly created form: the sequence continues from it."""
    if number:
        books.store.set_row(META, f"last-doc-number:{entity}", number)


def _next_free(books: Books, entity: str) -> str:
    used = {row.get("DocNumber") for row in books.store.rows(entity).values()}
    candidate = following(books.store.get_row(META, f"last-doc-number:{entity}"))
    while candidate in used or len(candidate) > MAX_LENGTH:
        candidate = following(candidate) if len(candidate) <= MAX_LENGTH else FIRST_NUMBER
    return candidate
