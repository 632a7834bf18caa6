"""One operation's view of a company, and the interface each entity's rules implement.

:class:`Books` is what entity rules work with: the store, the emulated time of the request, the
company's country and preferences, and the common steps (resolve a reference, stamp Id/SyncToken/
MetaData, save with change log and customer balances). Putting the steps here keeps each entity's
module about its own rules only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from . import balances, faults, rules, values
from .companies import Company
from .entities import Entity
from .store import TOMBSTONE, EntityStore

#: The name a reference carries back, per entity.
_DISPLAY_FIELD = {
    "Customer": "DisplayName",
    "Item": "Name",
    "Account": "FullyQualifiedName",
    "PaymentMethod": "Name",
    "TaxCode": "Name",
    "TaxRate": "Name",
}


class Books:
    """A company as seen by one request (the caller holds the company's lock)."""

    def __init__(self, company: Company, now: datetime) -> None:
        self.company = company
        self.store: EntityStore = company.store
        self.now = now
        self.country = company.country

    # -- company settings ----------------------------------------------------------------------

    @property
    def preferences(self) -> dict:
        """The company's Preferences object."""
        return self.store.get("Preferences", "1") or {}

    def preference(self, group: str, name: str, default: Any = None) -> Any:
        """One preference, e.g. ``("SalesFormsPrefs", "CustomTxnNumbers")``."""
        return self.preferences.get(group, {}).get(name, default)

    def home_currency(self) -> dict:
        """The CurrencyRef every object of a single-currency company carries."""
        return self.preference("CurrencyPrefs", "HomeCurrency", {})

    # -- references ----------------------------------------------------------------------------

    def resolve(self, entity: str, ref: Any, element: str) -> dict | None:
        """The referenced object: 2500 if the Id does not exist, 610 if it is inactive."""
        ref_id = values.ref_value(ref)
        if ref_id is None:
            return None
        target = self.store.get(entity, ref_id)
        if target is None:
            raise rules.invalid_reference(entity, ref_id, element)
        if target.get("Active") is False:
            raise faults.not_found(entity, ref_id)
        return target

    def ref(self, entity: str, ref: Any, element: str, *, required: bool = False) -> dict | None:
        """A checked reference ``{"value", "name"}``; 2020 when ``required`` and missing."""
        target = self.resolve(entity, ref, element)
        if target is None:
            if required:
                raise faults.required(element)
            return None
        return reference(entity, target)

    # -- writing -------------------------------------------------------------------------------

    def stamp_new(self, entity: Entity, obj: dict) -> dict:
        """``obj`` with a fresh Id, SyncToken "0" and MetaData."""
        stamp = values.timestamp(self.now)
        return {
            "Id": self.store.next_id(entity.sequence),
            "SyncToken": "0",
            "domain": "QBO",
            "sparse": False,
            **obj,
            "MetaData": {"CreateTime": stamp, "LastUpdatedTime": stamp},
        }

    def stamp_update(self, obj: dict, old: dict) -> dict:
        """``obj`` as the next version of ``old``: same Id, SyncToken + 1, new LastUpdatedTime."""
        return {
            "Id": old["Id"],
            "SyncToken": str(int(old.get("SyncToken", "0")) + 1),
            "domain": "QBO",
            "sparse": False,
            **rules.without(obj, rules.SERVER_FIELDS),
            "MetaData": {
                "CreateTime": old.get("MetaData", {}).get("CreateTime", values.timestamp(self.now)),
                "LastUpdatedTime": values.timestamp(self.now),
            },
        }

    def save(self, entity: str, obj: dict, old: dict | None, operation: str) -> None:
        """Store ``obj``, log the change for CDC and keep customer balances in step."""
        self.store.put(entity, obj)
        self.store.log_change(self.now.timestamp(), entity, obj["Id"], operation)
        balances.on_change(self.store, entity, old, obj)

    def remove(self, entity: str, old: dict) -> None:
        """Delete a transaction, leaving the tombstone CDC reports as ``status: Deleted``."""
        self.store.remove(entity, old["Id"])
        self.store.set_row(
            TOMBSTONE,
            f"{entity}:{old['Id']}",
            {
                "Id": old["Id"],
                "domain": "QBO",
                "status": "Deleted",
                "MetaData": {"LastUpdatedTime": values.timestamp(self.now)},
            },
        )
        self.store.log_change(self.now.timestamp(), entity, old["Id"], "Delete")
        balances.on_change(self.store, entity, old, None)


def reference(entity: str, target: dict) -> dict:
    """The reference QBO writes back for ``target``: its Id and display name."""
    ref = {"value": target["Id"]}
    name = target.get(_DISPLAY_FIELD.get(entity, "Name"))
    if name:
        ref["name"] = name
    return ref


class Rules:
    """What an entity does beyond the generic create/update/delete steps.

    ``prepare`` validates a request body and returns the object to store (without Id,
    SyncToken, MetaData): it is given the previous version on update. The hooks default to
    doing nothing.
    """

    #: Read-only fields the client may echo back, dropped before ``prepare`` sees the body.
    read_only: frozenset[str] = rules.SERVER_FIELDS

    def prepare(self, books: Books, body: dict, old: dict | None, include: set[str]) -> dict:
        """The object to store for this request body."""
        raise NotImplementedError

    def after_save(self, books: Books, obj: dict, old: dict | None) -> None:
        """Side effects on other objects once ``obj`` is stored (e.g. invoice balances)."""

    def before_delete(self, books: Books, old: dict) -> None:
        """Refuse the delete if something still depends on ``old``."""

    def after_delete(self, books: Books, old: dict) -> None:
        """Side effects once ``old`` is gone."""

    def void(self, books: Books, old: dict) -> dict:
        """The voided version of ``old`` (voidable transactions implement this)."""
        raise NotImplementedError
