"""The platform port: how a connector reads and writes the business application's records.

A connector never touches the platform's tables. It receives a :class:`PlatformPort` in its job
context (``ctx.platform``) and works with the plain records below. Two adapters implement the
port: the embedded ledger (same database, the default and the demo) and a REST adapter that
speaks the ledger's JSON API, for an integrations service running beside a platform that lives
in another process.

Money is ``Decimal`` with two places, dates are ``date``, times are aware UTC ``datetime``.
Record ids are strings chosen by the platform. Every record also carries, per installation, a
:class:`SyncState` the connector writes as it syncs, so the platform can show *synced*,
*failed* or *needs sync*, the reason and a *View in QuickBooks* link beside each record.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal, Protocol, runtime_checkable

from core.connector import InstallationInfo

RecordKind = Literal["customer", "item", "tax_rate", "invoice", "payment"]
RECORD_KINDS: tuple[RecordKind, ...] = ("customer", "item", "tax_rate", "invoice", "payment")
ItemKind = Literal["one_time", "recurring"]
InvoiceStatus = Literal["draft", "sent", "paid", "void"]
SyncStatus = Literal["synced", "failed", "needs_sync"]
PaymentOrigin = Literal["platform", "remote"]

# The events a platform raises; a connector answers them in ``on_platform_event``.
INVOICE_SENT = "invoice.sent"
INVOICE_UPDATED = "invoice.updated"
INVOICE_VOIDED = "invoice.voided"
INVOICE_PAID_IN_FULL = "invoice.paid_in_full"
PAYMENT_RECORDED = "payment.recorded"
PLATFORM_EVENTS = (
    INVOICE_SENT,
    INVOICE_UPDATED,
    INVOICE_VOIDED,
    INVOICE_PAID_IN_FULL,
    PAYMENT_RECORDED,
)


class PlatformError(Exception):
    """A request the platform refused; ``field`` names the input at fault when there is one."""

    def __init__(self, message: str, field: str | None = None, status: int = 422) -> None:
        super().__init__(message)
        self.message, self.field, self.status = message, field, status


class RecordNotFound(PlatformError):
    def __init__(self, kind: str, record_id: str) -> None:
        super().__init__(f"no {kind} {record_id!r}", status=404)


@dataclass(frozen=True)
class Subsidiary:
    """A business entity of the tenant; every customer, invoice and payment belongs to one."""

    id: str
    name: str


@dataclass(frozen=True)
class Customer:
    id: str
    display_name: str
    email: str | None = None
    given_name: str = ""
    family_name: str = ""
    company_name: str = ""
    phone: str = ""
    subsidiary_id: str | None = None
    active: bool = True
    updated_at: datetime | None = None


@dataclass(frozen=True)
class Item:
    """A product or service; ``kind`` says whether it is sold once or on a recurring plan."""

    id: str
    name: str
    kind: ItemKind = "one_time"
    price: Decimal = Decimal("0.00")
    taxable: bool = False
    description: str = ""
    active: bool = True
    updated_at: datetime | None = None


@dataclass(frozen=True)
class TaxRate:
    """A named tax; ``rate`` is a percentage (8.25 means 8.25 %)."""

    id: str
    name: str
    rate: Decimal
    active: bool = True
    updated_at: datetime | None = None


@dataclass(frozen=True)
class InvoiceLine:
    """One line; ``amount`` is quantity x unit price, before discount and tax."""

    description: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    item_id: str | None = None
    item_kind: ItemKind = "one_time"
    taxable: bool = False
    tax_rate_id: str | None = None


@dataclass(frozen=True)
class Invoice:
    """An invoice as the platform computed it; the totals are the platform's, to the cent.

    ``discount_total`` is the invoice-level discount (positive number) taken off the subtotal
    before tax; ``tax_total`` the tax on the discounted taxable lines; ``total`` =
    subtotal - discount_total + tax_total; ``balance`` what is still owed.
    """

    id: str
    number: str
    status: InvoiceStatus
    customer_id: str
    issue_date: date
    lines: tuple[InvoiceLine, ...]
    subtotal: Decimal
    discount_total: Decimal
    tax_total: Decimal
    total: Decimal
    balance: Decimal
    due_date: date | None = None
    currency: str = "USD"
    subject: str = ""
    note: str = ""
    po_number: str = ""
    custom_field: str = ""
    discount_percent: Decimal | None = None
    tax_rate_id: str | None = None
    subsidiary_id: str | None = None
    created_at: datetime | None = None
    sent_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class Payment:
    """Money received; without ``invoice_id`` it paid an order form, subscription or booking.

    ``origin`` is ``remote`` for a payment mirrored from the connected system, with
    ``remote_ref`` its id there, so an import can find, edit or delete it again.
    """

    id: str
    customer_id: str
    amount: Decimal
    date: date
    type: str
    reference: str = ""
    invoice_id: str | None = None
    tip: Decimal = Decimal("0.00")
    subsidiary_id: str | None = None
    origin: PaymentOrigin = "platform"
    remote_ref: str | None = None
    description: str = ""
    updated_at: datetime | None = None


@dataclass(frozen=True)
class SyncState:
    """Where one record stands with one installation."""

    installation_id: int
    kind: RecordKind
    record_id: str
    status: SyncStatus
    reason: str | None = None
    remote_id: str | None = None
    url: str | None = None
    at: datetime | None = None


@dataclass(frozen=True)
class InvoicePdf:
    """The PDF the platform shows for an invoice when it is not its own rendering.

    ``source`` names who rendered it (``quickbooks`` when the connector fetched QuickBooks'
    PDF because the installation says QuickBooks makes the invoice documents).
    """

    invoice_id: str
    source: str
    content: bytes
    updated_at: datetime | None = None


@dataclass(frozen=True)
class PlatformAccount:
    """Who the tenant is on the platform: ``unique_identifier`` is ``<name>-<client code>``."""

    unique_identifier: str
    client_code: str
    name: str


@dataclass(frozen=True)
class CustomerInput:
    """What an import writes to create or update a customer."""

    display_name: str
    email: str | None = None
    given_name: str = ""
    family_name: str = ""
    company_name: str = ""
    phone: str = ""
    subsidiary_id: str | None = None
    active: bool = True


@dataclass(frozen=True)
class ItemInput:
    name: str
    kind: ItemKind = "one_time"
    price: Decimal = Decimal("0.00")
    taxable: bool = False
    description: str = ""
    active: bool = True


@dataclass(frozen=True)
class TaxRateInput:
    name: str
    rate: Decimal
    active: bool = True


@dataclass(frozen=True)
class PaymentInput:
    """A payment to record; ``origin``/``remote_ref`` mark one mirrored from the remote system."""

    customer_id: str
    amount: Decimal
    date: date
    type: str
    invoice_id: str | None = None
    reference: str = ""
    tip: Decimal = Decimal("0.00")
    subsidiary_id: str | None = None
    origin: PaymentOrigin = "platform"
    remote_ref: str | None = None
    description: str = ""


@runtime_checkable
class PlatformPort(Protocol):
    """The business application, as one tenant's connector sees it.

    ``changed_since`` filters on the record's ``updated_at`` (strictly after); results come
    oldest change first so a cursor can advance record by record.
    """

    tenant_id: int

    def account(self) -> PlatformAccount: ...

    def subsidiaries(self) -> list[Subsidiary]: ...

    # Customers
    def customers(self, *, changed_since: datetime | None = None) -> list[Customer]: ...
    def customer(self, customer_id: str) -> Customer: ...
    def find_customers_by_email(self, email: str) -> list[Customer]: ...
    def create_customer(self, data: CustomerInput) -> Customer: ...
    def update_customer(self, customer_id: str, data: CustomerInput) -> Customer: ...

    # Items and tax rates
    def items(self, *, changed_since: datetime | None = None) -> list[Item]: ...
    def item(self, item_id: str) -> Item: ...
    def create_item(self, data: ItemInput) -> Item: ...
    def update_item(self, item_id: str, data: ItemInput) -> Item: ...
    def tax_rates(self) -> list[TaxRate]: ...
    def tax_rate(self, tax_rate_id: str) -> TaxRate: ...
    def create_tax_rate(self, data: TaxRateInput) -> TaxRate: ...
    def update_tax_rate(self, tax_rate_id: str, data: TaxRateInput) -> TaxRate: ...

    # Invoices (written by the platform; a connector only reads them and their numbers)
    def invoices(
        self,
        *,
        statuses: tuple[InvoiceStatus, ...] | None = None,
        changed_since: datetime | None = None,
        ids: tuple[str, ...] | None = None,
    ) -> list[Invoice]: ...
    def invoice(self, invoice_id: str) -> Invoice: ...

    # Invoice PDFs (a connector may supply the document, e.g. QuickBooks' rendering)
    def invoice_pdf(self, invoice_id: str) -> InvoicePdf | None: ...
    def set_invoice_pdf(self, invoice_id: str, content: bytes, source: str) -> None: ...

    # Payments
    def payments(
        self,
        *,
        changed_since: datetime | None = None,
        invoice_id: str | None = None,
        origin: PaymentOrigin | None = None,
    ) -> list[Payment]: ...
    def payment(self, payment_id: str) -> Payment: ...
    def record_payment(self, data: PaymentInput) -> Payment: ...
    def update_payment(self, payment_id: str, data: PaymentInput) -> Payment: ...
    def delete_payment(self, payment_id: str) -> None: ...

    # Sync states, per installation
    def set_sync_state(self, state: SyncState) -> None: ...
    def sync_states(
        self,
        installation_id: int,
        *,
        kind: RecordKind | None = None,
        status: SyncStatus | None = None,
        record_ids: tuple[str, ...] | None = None,
    ) -> list[SyncState]: ...


PlatformFactory = Callable[[InstallationInfo, Mapping[str, Any], Mapping[str, Any]], PlatformPort]
"""Opens the port for one installation from its public configuration and its secrets."""
