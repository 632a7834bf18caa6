"""The accounting operations: create, read, update (full and sparse), delete, void, send.

These are the generic steps every entity goes through (facts §4.1): find the object (610),
check the SyncToken (5010), let the entity's rules build the new version, stamp it, store it,
log the change. Each operation runs under the company's lock as one all-or-nothing write, so a
Fault leaves the company exactly as it was. The HTTP routes and batch both call these functions.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from . import faults, rules, values
from .books import Books, Rules
from .companies import Company
from .entities import Entity, Kind
from .lists import AccountRules, CustomerRules, ItemRules, PaymentMethodRules
from .payments import PaymentRules
from .sales import InvoiceRules, SalesReceiptRules
from .singletons import CompanyInfoRules, PreferencesRules
from .store import TOMBSTONE

#: Each writable entity's rules (TaxCode/TaxRate are read-only: created by QBO's tax service).
RULES: dict[str, Rules] = {
    "Customer": CustomerRules(),
    "Item": ItemRules(),
    "Account": AccountRules(),
    "PaymentMethod": PaymentMethodRules(),
    "Invoice": InvoiceRules(),
    "Payment": PaymentRules(),
    "SalesReceipt": SalesReceiptRules(),
    "CompanyInfo": CompanyInfoRules(),
    "Preferences": PreferencesRules(),
}

#: The Id of the one CompanyInfo / Preferences object.
SINGLETON_ID = "1"


def read(company: Company, entity: Entity, entity_id: str) -> dict:
    """The object, or 610 Object Not Found (also for deleted transactions)."""
    with company.lock:
        obj = company.store.get(entity.name, entity_id)
    if obj is None:
        raise faults.not_found(entity.name, entity_id)
    return obj


def rows(company: Company, entity: Entity) -> list[dict]:
    """Every live object of ``entity`` (what a query filters): read-only, not copies."""
    with company.lock:
        return company.store.snapshot(entity.name)


def create(
    company: Company, entity: Entity, body: dict, now: datetime, include: Collection[str] = ()
) -> dict:
    """A new object from ``body`` (2020/6240/2050/... when the rules refuse it)."""
    if entity.kind in (Kind.READ_ONLY, Kind.SINGLETON):
        raise rules.unsupported("Create", entity.name)
    handler = RULES[entity.name]
    with company.writing():
        books = Books(company, now)
        obj = handler.prepare(books, values.strip_unset(body), None, set(include))
        obj = books.stamp_new(entity, obj)
        books.save(entity.name, obj, None, "Create")
        handler.after_save(books, obj, None)
        return company.store.get(entity.name, obj["Id"])


def update(
    company: Company, entity: Entity, body: dict, now: datetime, include: Collection[str] = ()
) -> dict:
    """A full update, or a sparse one when ``body["sparse"]`` is true.

    A full update replaces every writable field (omitted ones are cleared); a sparse update
    changes only the fields sent. ``include=void`` turns the update into a void (Payment,
    SalesReceipt; facts §4.1).
    """
    if "void" in include:
        return void(company, entity, body, now)
    if entity.kind is Kind.READ_ONLY:
        raise rules.unsupported("Update", entity.name)
    handler = RULES[entity.name]
    with company.writing():
        books = Books(company, now)
        old = _current(books, entity, body)
        if values.boolean(body.get("sparse"), False):
            changes = {k: values.strip_unset(v) for k, v in body.items() if v is not None}
            merged = {**old, **changes}
        else:
            merged = values.strip_unset(body)
        obj = handler.prepare(books, merged, old, set(include))
        obj = books.stamp_update(obj, old)
        books.save(entity.name, obj, old, "Update")
        handler.after_save(books, obj, old)
        return company.store.get(entity.name, obj["Id"])


def delete(company: Company, entity: Entity, body: dict, now: datetime) -> dict:
    """Delete a transaction; lists are deactivated instead (``Active: false``)."""
    if entity.kind is not Kind.TRANSACTION:
        raise rules.unsupported("Delete", entity.name)
    handler = RULES[entity.name]
    with company.writing():
        books = Books(company, now)
        old = _current(books, entity, body)
        handler.before_delete(books, old)
        books.remove(entity.name, old)
        handler.after_delete(books, old)
    return {"status": "Deleted", "domain": "QBO", "Id": old["Id"]}


def void(company: Company, entity: Entity, body: dict, now: datetime) -> dict:
    """Void a transaction: amounts zeroed, "Voided" noted, SyncToken + 1."""
    if not entity.voidable:
        raise rules.unsupported("Void", entity.name)
    handler = RULES[entity.name]
    with company.writing():
        books = Books(company, now)
        old = _current(books, entity, body)
        obj = books.stamp_update(handler.void(books, old), old)
        books.save(entity.name, obj, old, "Void")
        handler.after_save(books, obj, old)
        return company.store.get(entity.name, obj["Id"])


def send(company: Company, invoice_id: str, send_to: str | None, now: datetime) -> dict:
    """E-mail an invoice: EmailStatus EmailSent, DeliveryInfo filled (facts §4.1).

    ``sendTo`` replaces BillEmail; without it the invoice's BillEmail is used, and an invoice
    with neither is refused with 2020 BillEmail [U: the facts do not give this error].
    """
    with company.writing():
        books = Books(company, now)
        old = company.store.get("Invoice", invoice_id)
        if old is None:
            raise faults.not_found("Invoice", invoice_id)
        obj = dict(old)
        if send_to:
            rules.check_length(send_to, 100, "sendTo")
            obj["BillEmail"] = {"Address": send_to}
        if not (obj.get("BillEmail") or {}).get("Address"):
            raise faults.required("BillEmail")
        obj["EmailStatus"] = "EmailSent"
        obj["DeliveryInfo"] = {"DeliveryType": "Email", "DeliveryTime": values.timestamp(now)}
        obj = books.stamp_update(obj, old)
        books.save("Invoice", obj, old, "Emailed")
        return company.store.get("Invoice", obj["Id"])


def tombstones(company: Company, entity: Entity) -> dict[str, dict]:
    """Deleted objects of ``entity`` by Id, as CDC reports them."""
    prefix = f"{entity.name}:"
    with company.lock:
        return {
            key[len(prefix) :]: dict(value)
            for key, value in company.store.rows(TOMBSTONE).items()
            if key.startswith(prefix)
        }


def _current(books: Books, entity: Entity, body: dict) -> dict:
    """The object an update/delete/void names, after the Id and SyncToken checks."""
    entity_id = values.ref_value(body.get("Id"))
    if entity.kind is Kind.SINGLETON:
        entity_id = entity_id or SINGLETON_ID
    if entity_id is None:
        raise faults.required("Id")
    old = books.store.get(entity.name, entity_id)
    if old is None:
        raise faults.not_found(entity.name, entity_id)
    sync_token: Any = body.get("SyncToken")
    if sync_token is None or sync_token == "":
        raise faults.required("SyncToken")
    if str(sync_token).strip() != str(old.get("SyncToken")):
        raise rules.stale(entity.name, entity_id)
    return old
