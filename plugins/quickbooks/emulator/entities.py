"""The entities the emulator stores, and what kind of thing each one is.

The kind decides the API's behaviour: name lists (Customer, Item, ...) are never deleted, only
made inactive, and are hidden from ``SELECT *`` while inactive; transactions are deleted and some
are voided; TaxCode/TaxRate are read-only through the accounting API; CompanyInfo and Preferences
are single objects. Path segments are the lower-case entity names, as every SDK sends them
(facts §2: "URIs are case sensitive").
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Kind(Enum):
    """How an entity behaves under create/update/delete."""

    NAME_LIST = "name list"
    TRANSACTION = "transaction"
    READ_ONLY = "read only"
    SINGLETON = "singleton"


@dataclass(frozen=True)
class Entity:
    """One stored entity type.

    ``sequence`` names the Id counter: QBO numbers all transactions from one sequence (an
    invoice and the payment after it get consecutive Ids), while each list has its own.
    ``voidable`` says whether ``operation=void`` (Invoice) or ``include=void`` applies.
    """

    name: str
    kind: Kind
    sequence: str
    voidable: bool = False

    @property
    def path(self) -> str:
        """The URL segment, e.g. ``salesreceipt``."""
        return self.name.lower()

    @property
    def list_entity(self) -> bool:
        """Whether inactive rows are hidden from queries unless ``Active`` is filtered on."""
        return self.kind in (Kind.NAME_LIST, Kind.READ_ONLY)


CUSTOMER = Entity("Customer", Kind.NAME_LIST, "Customer")
ITEM = Entity("Item", Kind.NAME_LIST, "Item")
ACCOUNT = Entity("Account", Kind.NAME_LIST, "Account")
PAYMENT_METHOD = Entity("PaymentMethod", Kind.NAME_LIST, "PaymentMethod")
TAX_CODE = Entity("TaxCode", Kind.READ_ONLY, "TaxCode")
TAX_RATE = Entity("TaxRate", Kind.READ_ONLY, "TaxRate")
INVOICE = Entity("Invoice", Kind.TRANSACTION, "Txn", voidable=True)
PAYMENT = Entity("Payment", Kind.TRANSACTION, "Txn", voidable=True)
SALES_RECEIPT = Entity("SalesReceipt", Kind.TRANSACTION, "Txn", voidable=True)
COMPANY_INFO = Entity("CompanyInfo", Kind.SINGLETON, "CompanyInfo")
PREFERENCES = Entity("Preferences", Kind.SINGLETON, "Preferences")

ALL: tuple[Entity, ...] = (
    CUSTOMER,
    ITEM,
    ACCOUNT,
    PAYMENT_METHOD,
    TAX_CODE,
    TAX_RATE,
    INVOICE,
    PAYMENT,
    SALES_RECEIPT,
    COMPANY_INFO,
    PREFERENCES,
)

BY_NAME: dict[str, Entity] = {entity.name: entity for entity in ALL}
BY_PATH: dict[str, Entity] = {entity.path: entity for entity in ALL}
_BY_FOLDED: dict[str, Entity] = {entity.name.casefold(): entity for entity in ALL}

#: Entities QBO's CDC refuses (facts §4.4).
CDC_UNSUPPORTED = frozenset({"TaxCode", "TaxRate", "TaxAgency", "JournalCode", "TimeActivity"})


def by_name(name: str) -> Entity | None:
    """The entity called ``name`` (entity names are case-insensitive in queries and CDC)."""
    return _BY_FOLDED.get(name.casefold())
