"""Payment reference numbers, end to end: QuickBooks keeps 21 characters of ``PaymentRefNum``.

Like invoice numbers (qbo-facts §3.6, §3.7), a longer platform reference arrives as its first 5
characters, ``...`` and its last 13, on the Payment, on the SalesReceipt of a payment without an
invoice, and on the receipt that books a tip; one of 21 characters arrives whole. The emulator
refuses a longer ``PaymentRefNum`` as QuickBooks does, so a reference sent unshortened fails the
payment instead of passing unnoticed.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from test_export_payments import UNMATCHED_ITEM, pay, qbo_customer, sent_invoice, sync_invoice

from core.platform.ledger import EmbeddedLedger
from core.platform.port import Customer, CustomerInput

JOB = "export_payments"
LONG_REFERENCE = "BANK-TRANSFER-2026-03-14-000123456789"  # 37 characters
#: The first 5 characters, "...", the last 13: 21 in all, written out rather than computed.
FITTED = "BANK-...-000123456789"


@pytest.fixture
def customer(sync) -> Customer:
    """A platform customer (created without platform events) and the unmatched receipt item."""
    sync.configure({"items": {"unmatched_one_time_item": UNMATCHED_ITEM}})
    ledger = EmbeddedLedger(sync.services.db, sync.tenant_id)
    return ledger.create_customer(CustomerInput(display_name="Ada Lovelace", email="ada@x.test"))


def test_a_long_reference_arrives_shortened_on_payment_and_tip_receipt(sync, customer) -> None:
    invoice = sent_invoice(sync, customer)
    sync_invoice(sync, invoice, qbo_customer(sync, customer))
    paid = pay(
        sync,
        customer,
        "100.00",
        invoice_id=invoice.id,
        tip=Decimal("5.00"),
        reference=LONG_REFERENCE,
    )

    outcome = sync.run(JOB)

    assert outcome.run.status == "succeeded", outcome.messages
    payment = sync.qbo.read("Payment", sync.link("payment", paid).remote_id)
    assert payment["PaymentRefNum"] == FITTED
    tip = sync.qbo.read("SalesReceipt", sync.link("payment_tip", paid).remote_id)
    assert tip["PaymentRefNum"] == FITTED


def test_a_long_reference_arrives_shortened_on_a_sales_receipt(sync, customer) -> None:
    qbo_customer(sync, customer)
    paid = pay(sync, customer, "42.00", reference=LONG_REFERENCE)

    outcome = sync.run(JOB)

    assert outcome.run.status == "succeeded", outcome.messages
    link = sync.link("payment", paid)
    assert link.status == "synced", link.reason
    receipt = sync.qbo.read("SalesReceipt", link.remote_id)
    assert receipt["PaymentRefNum"] == FITTED


@pytest.mark.parametrize("reference", ["R" * 21, "CH-1"])
def test_a_reference_within_21_characters_arrives_whole(sync, customer, reference) -> None:
    invoice = sent_invoice(sync, customer)
    sync_invoice(sync, invoice, qbo_customer(sync, customer))
    paid = pay(sync, customer, "10.00", invoice_id=invoice.id, reference=reference)

    sync.run(JOB)

    payment = sync.qbo.read("Payment", sync.link("payment", paid).remote_id)
    assert payment["PaymentRefNum"] == reference
