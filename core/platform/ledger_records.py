"""The ledger's rows as the port's records: ids as strings, an invoice line's effective tax rate.

Kept apart from ``ledger.py`` so that the ledger reads as its rules, and this as one mapping.
"""

from __future__ import annotations

from core.platform.ledger_models import (
    LedgerCustomer,
    LedgerInvoice,
    LedgerItem,
    LedgerPayment,
    LedgerSyncState,
    LedgerTaxRate,
)
from core.platform.port import Customer, Invoice, InvoiceLine, Item, Payment, SyncState, TaxRate


def _sid(value: int | None) -> str | None:
    return None if value is None else str(value)


def customer_record(row: LedgerCustomer) -> Customer:
    return Customer(
        id=str(row.id),
        display_name=row.display_name,
        email=row.email,
        given_name=row.given_name,
        family_name=row.family_name,
        company_name=row.company_name,
        phone=row.phone,
        subsidiary_id=_sid(row.subsidiary_id),
        active=row.active,
        updated_at=row.updated_at,
    )


def item_record(row: LedgerItem) -> Item:
    return Item(
        id=str(row.id),
        name=row.name,
        kind=row.kind,  # type: ignore[arg-type]
        price=row.price,
        taxable=row.taxable,
        description=row.description,
        active=row.active,
        updated_at=row.updated_at,
    )


def tax_rate_record(row: LedgerTaxRate) -> TaxRate:
    return TaxRate(
        id=str(row.id), name=row.name, rate=row.rate, active=row.active, updated_at=row.updated_at
    )


def invoice_record(row: LedgerInvoice) -> Invoice:
    lines = tuple(
        InvoiceLine(
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            amount=line.amount,
            item_id=_sid(line.item_id),
            item_kind=line.item_kind,  # type: ignore[arg-type]
            taxable=line.taxable,
            tax_rate_id=_sid(line.tax_rate_id or row.tax_rate_id) if line.taxable else None,
        )
        for line in row.lines
    )
    return Invoice(
        id=str(row.id),
        number=row.number,
        status=row.status,  # type: ignore[arg-type]
        customer_id=str(row.customer_id),
        issue_date=row.issue_date,
        lines=lines,
        subtotal=row.subtotal,
        discount_total=row.discount_total,
        tax_total=row.tax_total,
        total=row.total,
        balance=row.balance,
        due_date=row.due_date,
        currency=row.currency,
        subject=row.subject,
        note=row.note,
        po_number=row.po_number,
        custom_field=row.custom_field,
        discount_percent=row.discount_percent,
        tax_rate_id=_sid(row.tax_rate_id),
        subsidiary_id=_sid(row.subsidiary_id),
        created_at=row.created_at,
        sent_at=row.sent_at,
        updated_at=row.updated_at,
    )


def payment_record(row: LedgerPayment) -> Payment:
    return Payment(
        id=str(row.id),
        customer_id=str(row.customer_id),
        amount=row.amount,
        date=row.date,
        type=row.type,
        reference=row.reference,
        invoice_id=_sid(row.invoice_id),
        tip=row.tip,
        subsidiary_id=_sid(row.subsidiary_id),
        origin=row.origin,  # type: ignore[arg-type]
        remote_ref=row.remote_ref,
        description=row.description,
        updated_at=row.updated_at,
    )


def sync_state_record(row: LedgerSyncState) -> SyncState:
    return SyncState(
        installation_id=row.installation_id,
        kind=row.kind,  # type: ignore[arg-type]
        record_id=row.record_id,
        status=row.status,  # type: ignore[arg-type]
        reason=row.reason,
        remote_id=row.remote_id,
        url=row.url,
        at=row.at,
    )
