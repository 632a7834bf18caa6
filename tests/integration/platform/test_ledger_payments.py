"""Payments in the embedded ledger: balances, paid in full and back, origins and their events."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from core.platform.port import (
    INVOICE_PAID_IN_FULL,
    INVOICE_SENT,
    PAYMENT_RECORDED,
    PaymentInput,
    PlatformError,
)

D = Decimal
DAY = date(2030, 3, 1)


@pytest.fixture
def sent(books, catalog):
    """A sent invoice of 100.00 to the catalog's customer."""
    invoice = books.create_invoice(
        catalog.customer.id, [{"description": "Consulting", "unit_price": "100.00"}]
    )
    return books.send_invoice(invoice.id)


def pay(customer_id, amount, invoice_id=None, **changes):
    return PaymentInput(customer_id, D(amount), DAY, "card", invoice_id, **changes)


def test_partial_then_final_payment_makes_the_invoice_paid_in_full(books, catalog, sent, raised):
    first = books.record_payment(pay(catalog.customer.id, "40.00", sent.id, tip=D("5.00")))
    invoice = books.invoice(sent.id)
    assert (invoice.status, invoice.balance) == ("sent", D("60.00"))  # a tip is on top
    assert first.tip == D("5.00") and first.subsidiary_id == sent.subsidiary_id
    books.record_payment(pay(catalog.customer.id, "60.00", sent.id))
    invoice = books.invoice(sent.id)
    assert (invoice.status, invoice.balance) == ("paid", D("0.00"))
    assert [e.name for e in raised] == [
        INVOICE_SENT,
        PAYMENT_RECORDED,
        PAYMENT_RECORDED,
        INVOICE_PAID_IN_FULL,
    ]
    assert raised[-1].record_id == sent.id


def test_removing_or_reducing_a_payment_sends_the_invoice_back_to_sent(books, catalog, sent):
    payment = books.record_payment(pay(catalog.customer.id, "100.00", sent.id))
    assert books.invoice(sent.id).status == "paid"
    books.update_payment(payment.id, pay(catalog.customer.id, "30.00", sent.id))
    assert (books.invoice(sent.id).status, books.invoice(sent.id).balance) == ("sent", D("70.00"))
    books.update_payment(payment.id, pay(catalog.customer.id, "100.00", sent.id))
    assert books.invoice(sent.id).status == "paid"
    books.delete_payment(payment.id)
    invoice = books.invoice(sent.id)
    assert (invoice.status, invoice.balance) == ("sent", D("100.00"))
    assert books.payments(invoice_id=sent.id) == []


def test_a_payment_mirrored_from_the_remote_system_raises_paid_in_full_but_not_recorded(
    books, catalog, sent, raised
):
    remote = books.record_payment(
        pay(catalog.customer.id, "100.00", sent.id, origin="remote", remote_ref="qbo-77")
    )
    assert (remote.origin, remote.remote_ref) == ("remote", "qbo-77")
    assert [e.name for e in raised] == [INVOICE_SENT, INVOICE_PAID_IN_FULL]
    assert books.payments(origin="remote") == [remote]
    assert books.payments(origin="platform") == []
    with pytest.raises(PlatformError) as duplicate:
        books.record_payment(
            pay(catalog.customer.id, "1.00", None, origin="remote", remote_ref="qbo-77")
        )
    assert duplicate.value.field == "remote_ref"


def test_a_payment_without_an_invoice_takes_the_customers_subsidiary(books, catalog):
    payment = books.record_payment(pay(catalog.customer.id, "12.50", reference="ORDER-9"))
    assert payment.invoice_id is None
    assert books.payment(payment.id) == payment


BAD_PAYMENTS = [
    ({"amount": D("0")}, "amount"),
    ({"amount": D("-5")}, "amount"),
    ({"amount": D("100.01")}, "amount"),  # more than the balance
    ({"amount": D("1.234")}, "amount"),
    ({"tip": D("-1")}, "tip"),
    ({"type": " "}, "type"),
    ({"customer_id": "999"}, "customer_id"),
    ({"invoice_id": "999"}, "invoice_id"),
    ({"origin": "elsewhere"}, "origin"),
    ({"origin": "remote"}, "remote_ref"),
    ({"remote_ref": "x"}, "remote_ref"),
    ({"date": "soon"}, "date"),
    ({"subsidiary_id": "999"}, "subsidiary_id"),
]


def test_bad_payments_are_refused_naming_the_field(books, catalog, sent):
    for changes, field in BAD_PAYMENTS:
        data = replace(pay(catalog.customer.id, "10.00", sent.id), **changes)
        with pytest.raises(PlatformError) as refused:
            books.record_payment(data)
        assert refused.value.field == field, changes
    assert books.payments() == []
    assert books.invoice(sent.id).balance == D("100.00")


def test_payments_only_go_to_sent_invoices_of_the_same_customer(books, catalog, sent):
    draft = books.create_invoice(catalog.customer.id, [{"description": "X", "unit_price": "9"}])
    with pytest.raises(PlatformError, match="draft") as refused:
        books.record_payment(pay(catalog.customer.id, "1.00", draft.id))
    assert refused.value.field == "invoice_id"
    with pytest.raises(PlatformError, match="another customer") as refused:
        books.record_payment(pay(catalog.other_customer.id, "1.00", sent.id))
    assert refused.value.field == "invoice_id"


def test_lowering_an_invoice_below_what_was_paid_is_refused(books, catalog, sent):
    books.record_payment(pay(catalog.customer.id, "80.00", sent.id))
    with pytest.raises(PlatformError, match="already paid"):
        books.update_invoice(sent.id, lines=[{"description": "Less", "unit_price": "50"}])
    lowered = books.update_invoice(sent.id, lines=[{"description": "Less", "unit_price": "80"}])
    assert (lowered.status, lowered.balance) == ("paid", D("0.00"))


def test_an_edit_keeps_the_origin(books, catalog, sent):
    payment = books.record_payment(pay(catalog.customer.id, "10.00", sent.id))
    with pytest.raises(PlatformError) as refused:
        books.update_payment(
            payment.id, pay(catalog.customer.id, "10.00", sent.id, origin="remote", remote_ref="r")
        )
    assert refused.value.field == "origin"
