"""Customer balances, kept in step with the customer's invoices and payments.

A customer's ``Balance`` is what they owe: their opening balance, plus the open ``Balance`` of
each invoice, minus each payment's ``UnappliedAmt`` (an unapplied payment is a credit).
``BalanceWithJobs`` adds the balances of sub-customers (jobs) and is kept on every ancestor.
Balances move by the difference each transaction write makes, so a write never rescans the
company. QBO does not bump a customer's SyncToken when only its balance changes [U]; neither
does the emulator.
"""

from __future__ import annotations

from decimal import Decimal

from . import values
from .store import EntityStore


def contribution(entity: str, obj: dict) -> Decimal:
    """What one transaction adds to its customer's balance."""
    if entity == "Invoice":
        return values.decimal(obj.get("Balance", 0), "Balance")
    if entity == "Payment":
        return -values.decimal(obj.get("UnappliedAmt", 0), "UnappliedAmt")
    return Decimal(0)


def on_change(store: EntityStore, entity: str, old: dict | None, new: dict | None) -> None:
    """Move customer balances by what replacing ``old`` with ``new`` changes."""
    if entity not in ("Invoice", "Payment"):
        return
    for obj, sign in ((old, -1), (new, 1)):
        if obj is None:
            continue
        amount = contribution(entity, obj)
        customer_id = values.ref_value(obj.get("CustomerRef"))
        if amount and customer_id:
            adjust(store, customer_id, sign * amount)


def adjust(store: EntityStore, customer_id: str, delta: Decimal) -> None:
    """Add ``delta`` to a customer's Balance and to BalanceWithJobs up its parent chain."""
    customer = store.get("Customer", customer_id)
    if customer is None:
        return
    customer["Balance"] = _add(customer.get("Balance"), delta)
    seen = set()
    while customer is not None and customer["Id"] not in seen:
        seen.add(customer["Id"])
        customer["BalanceWithJobs"] = _add(customer.get("BalanceWithJobs"), delta)
        store.put("Customer", customer)
        parent_id = values.ref_value(customer.get("ParentRef"))
        customer = store.get("Customer", parent_id) if parent_id else None


def _add(current: object, delta: Decimal) -> float:
    return values.number(values.money(values.decimal(current or 0, "Balance") + delta))
