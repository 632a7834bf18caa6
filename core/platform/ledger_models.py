"""The embedded ledger's tables: the platform's own business records, one tenant per row.

These are the platform's tables, not the host's: a connector never reads them, it goes through
the port (``core.platform.ledger.EmbeddedLedger``). Every row carries its ``tenant_id`` and an
``updated_at`` that strictly increases per tenant (``LedgerAccount.clock`` hands the stamps
out), so ``changed_since`` cursors never skip a change. Money is ``Numeric(12, 2)``.
"""

from __future__ import annotations

import datetime as dt
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.store.models import Base, utcnow

MONEY = Numeric(12, 2)
QUANTITY = Numeric(12, 4)
PERCENT = Numeric(7, 4)


def _tenant(*, index: bool = True) -> Mapped[int]:
    return mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=index)


class LedgerAccount(Base):
    """Who the tenant is on the platform, and the tenant's change clock.

    ``clock`` is the last ``updated_at`` handed out; a write locks this row, takes the next
    stamp and commits, so stamps increase in commit order (see ``ledger.Stamper``).
    """

    __tablename__ = "ledger_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), unique=True
    )
    name: Mapped[str] = mapped_column(String(200))
    client_code: Mapped[str] = mapped_column(String(32), unique=True)
    next_invoice_number: Mapped[int] = mapped_column(default=1)
    clock: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class LedgerSubsidiary(Base):
    __tablename__ = "ledger_subsidiaries"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = _tenant()
    name: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column()


class LedgerCustomer(Base):
    __tablename__ = "ledger_customers"
    __table_args__ = (
        Index("ix_ledger_customers_tenant_updated", "tenant_id", "updated_at"),
        Index("ix_ledger_customers_tenant_email", "tenant_id", "email"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = _tenant(index=False)
    display_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    given_name: Mapped[str] = mapped_column(String(100), default="")
    family_name: Mapped[str] = mapped_column(String(100), default="")
    company_name: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    subsidiary_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_subsidiaries.id"))
    active: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column()


class LedgerItem(Base):
    __tablename__ = "ledger_items"
    __table_args__ = (Index("ix_ledger_items_tenant_updated", "tenant_id", "updated_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = _tenant(index=False)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16), default="one_time")
    price: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"))
    taxable: Mapped[bool] = mapped_column(default=False)
    description: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column()


class LedgerTaxRate(Base):
    __tablename__ = "ledger_tax_rates"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = _tenant()
    name: Mapped[str] = mapped_column(String(100))
    rate: Mapped[Decimal] = mapped_column(PERCENT)
    active: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column()


class LedgerInvoice(Base):
    """An invoice with the totals the platform computed (``core.platform.totals``)."""

    __tablename__ = "ledger_invoices"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number"),
        Index("ix_ledger_invoices_tenant_updated", "tenant_id", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    number: Mapped[str] = mapped_column(String(64))
    # draft | sent | paid | void
    status: Mapped[str] = mapped_column(String(8), default="draft")
    customer_id: Mapped[int] = mapped_column(ForeignKey("ledger_customers.id"), index=True)
    subsidiary_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_subsidiaries.id"))
    issue_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date | None] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    subject: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    po_number: Mapped[str] = mapped_column(String(64), default="")
    custom_field: Mapped[str] = mapped_column(String(200), default="")
    discount_percent: Mapped[Decimal | None] = mapped_column(PERCENT)
    discount_amount: Mapped[Decimal | None] = mapped_column(MONEY)
    tax_rate_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_tax_rates.id"))
    subtotal: Mapped[Decimal] = mapped_column(MONEY)
    discount_total: Mapped[Decimal] = mapped_column(MONEY)
    tax_total: Mapped[Decimal] = mapped_column(MONEY)
    total: Mapped[Decimal] = mapped_column(MONEY)
    balance: Mapped[Decimal] = mapped_column(MONEY)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()
    voided_at: Mapped[datetime | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column()

    lines: Mapped[list[LedgerInvoiceLine]] = relationship(
        order_by="LedgerInvoiceLine.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class LedgerInvoicePdf(Base):
    """The invoice's document when someone other than the platform rendered it (one per invoice).

    Kept apart from ``ledger_invoices`` so listing invoices never loads documents, and so
    storing one does not change the invoice's ``updated_at`` (it is not an edit of the invoice).
    """

    __tablename__ = "ledger_invoice_pdfs"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = _tenant()
    invoice_id: Mapped[int] = mapped_column(
        ForeignKey("ledger_invoices.id", ondelete="CASCADE"), unique=True
    )
    source: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column()


class LedgerInvoiceLine(Base):
    """One line; ``amount`` is quantity x unit price to the cent, before discount and tax."""

    __tablename__ = "ledger_invoice_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = _tenant()
    invoice_id: Mapped[int] = mapped_column(
        ForeignKey("ledger_invoices.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column()
    item_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_items.id"))
    item_kind: Mapped[str] = mapped_column(String(16), default="one_time")
    description: Mapped[str] = mapped_column(Text, default="")
    quantity: Mapped[Decimal] = mapped_column(QUANTITY)
    unit_price: Mapped[Decimal] = mapped_column(MONEY)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    taxable: Mapped[bool] = mapped_column(default=False)
    tax_rate_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_tax_rates.id"))
    updated_at: Mapped[datetime] = mapped_column()


class LedgerPayment(Base):
    """Money received; ``origin`` remote with ``remote_ref`` marks one mirrored from elsewhere."""

    __tablename__ = "ledger_payments"
    __table_args__ = (
        Index("ix_ledger_payments_tenant_updated", "tenant_id", "updated_at"),
        Index("ix_ledger_payments_tenant_remote_ref", "tenant_id", "remote_ref"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("ledger_customers.id"), index=True)
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_invoices.id"), index=True)
    subsidiary_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_subsidiaries.id"))
    amount: Mapped[Decimal] = mapped_column(MONEY)
    tip: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"))
    date: Mapped[dt.date] = mapped_column(Date)
    type: Mapped[str] = mapped_column(String(64))
    reference: Mapped[str] = mapped_column(String(100), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    # platform | remote
    origin: Mapped[str] = mapped_column(String(8), default="platform")
    remote_ref: Mapped[str | None] = mapped_column(String(128))
    updated_at: Mapped[datetime] = mapped_column()


class LedgerSyncState(Base):
    """Where one record stands with one installation (written by the connector's runs)."""

    __tablename__ = "ledger_sync_states"
    __table_args__ = (UniqueConstraint("installation_id", "kind", "record_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = _tenant()
    installation_id: Mapped[int] = mapped_column(ForeignKey("installations.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    record_id: Mapped[str] = mapped_column(String(64))
    # synced | failed | needs_sync
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    remote_id: Mapped[str | None] = mapped_column(String(128))
    url: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column()


class LedgerApiUser(Base):
    """A user of the ledger's REST API; signs in as ``login@clientcode`` (Basic auth)."""

    __tablename__ = "ledger_api_users"
    __table_args__ = (UniqueConstraint("tenant_id", "login"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    login: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(300))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
