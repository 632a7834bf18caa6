"""The Faults QBO's business rules answer with, and the small checks shared by every entity.

Codes, messages and details follow qbo-facts.md §5.2 and §9. Where a code is marked [S] or [U]
there, the wording is the one captured from real replies or, failing that, the Intuit code
table's title.
"""

from __future__ import annotations

from typing import Any

from . import faults


def stale(entity: str, entity_id: str) -> faults.QBOFault:
    """5010: the SyncToken sent is not the current one."""
    who = "QuickBooks Emulator"
    return faults.validation(
        5010,
        "Stale Object Error",
        f"Stale Object Error : You and {who} were working on this at the same time. "
        f"{who} finished before you did, so your work was not saved. ({entity} Id={entity_id})",
    )


def duplicate_name(kind: str = "customer, vendor or employee") -> faults.QBOFault:
    """6240: a DisplayName/Name another record already uses."""
    return faults.validation(
        6240,
        "Duplicate Name Exists Error",
        f"The name supplied already exists. : Another {kind} is already using this \n"
        "name. Please use a different name.",
    )


def duplicate_doc_number(doc_number: str, txn_type: str, txn_id: str) -> faults.QBOFault:
    """6140: the DocNumber is taken (enforced when custom transaction numbers are on)."""
    return faults.validation(
        6140,
        "Duplicate Document Number Error",
        "Duplicate Document Number Error : You must specify a different number. This number has "
        f"already been used. DocNumber={doc_number} is assigned to TxnType={txn_type} "
        f"with TxnId={txn_id}",
    )


def business(detail: str) -> faults.QBOFault:
    """6000: a business rule the request breaks; ``detail`` says which."""
    return faults.validation(
        6000,
        "A business validation error has occurred while processing your request",
        f"Business Validation Error: {detail}",
    )


def amount_mismatch(amount: Any) -> faults.QBOFault:
    """6070: a sales line whose Amount is not Qty x UnitPrice (wording [U])."""
    return faults.validation(
        6070,
        "Amount is not equal to UnitPrice * Qty",
        f"Amount is not equal to UnitPrice * Qty. Supplied value:{amount}",
        "Line.Amount",
    )


def invalid_reference(entity: str, entity_id: str, element: str) -> faults.QBOFault:
    """2500: a reference to an Id that does not exist."""
    return faults.validation(
        2500,
        "Invalid Reference Id",
        f"Invalid Reference Id : {entity} Id={entity_id} referenced by {element} does not exist",
        element,
    )


def unsupported(operation: str, entity: str) -> faults.QBOFault:
    """500: an operation the entity does not have (delete a customer, create a tax code)."""
    return faults.validation(
        500,
        "Unsupported Operation",
        f"Operation {operation} is not supported for {entity}.",
    )


def invalid_enum(element: str, value: Any, allowed: tuple[str, ...]) -> faults.QBOFault:
    """2170: a value outside an enumeration."""
    return faults.validation(
        2170,
        "Invalid Enumeration",
        f"Invalid Enumeration : {value} is not one of {', '.join(allowed)}",
        element,
    )


def check_length(value: Any, maximum: int, element: str) -> None:
    """2050 when a string is longer than QBO stores."""
    if isinstance(value, str) and len(value) > maximum:
        raise faults.validation(
            2050,
            "Invalid String Length",
            "String length specified does not match the supported length. "
            f"Min:0 Max:{maximum} supported. Supplied length:{len(value)}",
            element,
        )


def check_lengths(obj: dict, limits: dict[str, int]) -> None:
    """:func:`check_length` for each ``path -> max`` (``"PrimaryEmailAddr.Address"``)."""
    for path, maximum in limits.items():
        value: Any = obj
        for part in path.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        check_length(value, maximum, path)


def check_enum(obj: dict, element: str, allowed: tuple[str, ...]) -> None:
    """2170 unless ``obj[element]`` is absent or one of ``allowed``."""
    value = obj.get(element)
    if value is not None and value not in allowed:
        raise invalid_enum(element, value, allowed)


def check_name_chars(obj: dict, elements: tuple[str, ...], forbidden: str = ":\t\n") -> None:
    """6000 when a name contains characters QBO reserves (``:`` separates sub-customer paths)."""
    for element in elements:
        value = obj.get(element)
        if isinstance(value, str) and any(char in value for char in forbidden):
            shown = ", ".join(repr(char) for char in forbidden)
            raise business(f"{element} cannot contain any of {shown}")


def without(obj: dict, keys: frozenset[str]) -> dict:
    """``obj`` minus the read-only ``keys`` (QBO ignores what a client may not set)."""
    return {key: value for key, value in obj.items() if key not in keys}


#: Fields every entity carries that the server alone sets.
SERVER_FIELDS = frozenset({"Id", "SyncToken", "MetaData", "domain", "sparse", "status"})
