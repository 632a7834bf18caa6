"""Invoices in the embedded ledger: totals to the cent, numbers, status changes and events."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from core.connector import PlatformEvent
from core.platform.ledger import EmbeddedLedger
from core.platform.port import (
    INVOICE_SENT,
    INVOICE_UPDATED,
    INVOICE_VOIDED,
    ItemInput,
    PaymentInput,
    PlatformError,
    RecordNotFound,
    TaxRateInput,
)

D = Decimal


def names(events: list[PlatformEvent]) -> list[str]:
    return [event.name for event in events]


def test_invoice_totals_with_a_percentage_discount_and_two_tax_rates(books, catalog):
    invoice = books.create_invoice(
        catalog.customer.id,
        [
            {"item_id": catalog.widget.id, "quantity": "3"},
            {"item_id": catalog.support.id},
            {
                "description": "Cables",
                "quantity": 2,
                "unit_price": "10.00",
                "taxable": True,
                "tax_rate_id": catalog.city_tax.id,
            },
        ],
        discount_percent="10",
        tax_rate_id=catalog.state_tax.id,
    )
    assert [line.amount for line in invoice.lines] == [D("59.97"), D("49.00"), D("20.00")]
    assert [line.item_kind for line in invoice.lines] == ["one_time", "recurring", "one_time"]
    assert [line.tax_rate_id for line in invoice.lines] == [
        catalog.state_tax.id,
        None,
        catalog.city_tax.id,
    ]
    assert invoice.subtotal == D("128.97")
    assert invoice.discount_total == D("12.90")  # 12.897
    # discount shares 6.00 / 4.90 / 2.00: state 53.97 x 8.25 % = 4.45, city 18.00 x 1.5 % = 0.27
    assert invoice.tax_total == D("4.72")
    assert invoice.total == D("120.79")
    assert invoice.balance == invoice.total
    assert invoice.status == "draft"
    assert invoice.number == "INV-0001"
    assert books.invoice(invoice.id) == invoice


def test_a_fixed_discount_and_an_item_price_override(books, catalog):
    invoice = books.create_invoice(
        catalog.customer.id,
        [{"item_id": catalog.widget.id, "unit_price": "25.00", "quantity": "1.5"}],
        discount_amount="2.50",
        tax_rate_id=catalog.state_tax.id,
    )
    assert invoice.lines[0].amount == D("37.50")
    assert invoice.discount_total == D("2.50")
    assert invoice.discount_percent is None
    assert invoice.tax_total == D("2.89")  # 35.00 x 8.25 % = 2.8875
    assert invoice.total == D("37.89")


def test_numbers_follow_on_and_skip_one_taken_by_hand(books, catalog):
    line = [{"description": "Work", "unit_price": "1.00"}]
    assert books.create_invoice(catalog.customer.id, line).number == "INV-0001"
    assert books.create_invoice(catalog.customer.id, line, number="INV-0002").number == "INV-0002"
    assert books.create_invoice(catalog.customer.id, line).number == "INV-0003"
    with pytest.raises(PlatformError) as taken:
        books.create_invoice(catalog.customer.id, line, number="INV-0003")
    assert taken.value.field == "number"


def test_sending_raises_invoice_sent_once_after_the_commit(books, catalog, raised):
    invoice = books.create_invoice(
        catalog.customer.id, [{"description": "Work", "unit_price": "100"}]
    )
    assert raised == []  # drafts raise nothing
    sent = books.send_invoice(invoice.id)
    assert sent.status == "sent" and sent.sent_at is not None
    assert names(raised) == [INVOICE_SENT]
    event = raised[0]
    assert (event.tenant_id, event.record_id) == (books.tenant_id, invoice.id)
    assert event.data["number"] == invoice.number
    # the event is raised after the commit: a fresh ledger already sees the sent invoice
    assert EmbeddedLedger(books.db, books.tenant_id).invoice(invoice.id).status == "sent"
    books.send_invoice(invoice.id)
    assert names(raised) == [INVOICE_SENT]


def test_editing_a_sent_invoice_recomputes_it_and_raises_invoice_updated(books, catalog, raised):
    invoice = books.create_invoice(
        catalog.customer.id, [{"description": "Work", "unit_price": "100"}]
    )
    books.update_invoice(invoice.id, subject="Draft edit")
    assert raised == []
    books.send_invoice(invoice.id)
    updated = books.update_invoice(
        invoice.id,
        lines=[{"item_id": catalog.widget.id, "quantity": 2}],
        tax_rate_id=catalog.state_tax.id,
        po_number="PO-7",
    )
    assert updated.total == D("43.28")  # 39.98 + 3.30
    assert updated.po_number == "PO-7"
    assert names(raised) == [INVOICE_SENT, INVOICE_UPDATED]
    assert updated.updated_at > invoice.updated_at


def test_voiding_raises_invoice_voided_and_a_void_invoice_cannot_be_sent_or_edited(
    books, catalog, raised
):
    invoice = books.create_invoice(catalog.customer.id, [{"description": "X", "unit_price": "5"}])
    books.send_invoice(invoice.id)
    voided = books.void_invoice(invoice.id)
    assert (voided.status, voided.balance) == ("void", D("0.00"))
    assert names(raised) == [INVOICE_SENT, INVOICE_VOIDED]
    with pytest.raises(PlatformError, match="void and cannot be sent") as refused:
        books.send_invoice(invoice.id)
    assert (refused.value.field, refused.value.status) == ("status", 409)
    with pytest.raises(PlatformError, match="void"):
        books.update_invoice(invoice.id, note="late")


def test_an_invoice_with_payments_cannot_be_voided(books, catalog):
    invoice = books.create_invoice(catalog.customer.id, [{"description": "X", "unit_price": "5"}])
    books.send_invoice(invoice.id)
    books.record_payment(
        PaymentInput(catalog.customer.id, D("1.00"), date(2030, 1, 2), "cash", invoice.id)
    )
    with pytest.raises(PlatformError, match="has payments"):
        books.void_invoice(invoice.id)


BAD_INVOICES = [
    ([], {}, "lines"),
    ([{"description": "X"}], {}, "lines/0/unit_price"),
    ([{"description": "X", "unit_price": "-1"}], {}, "lines/0/unit_price"),
    ([{"description": "X", "unit_price": "1.001"}], {}, "lines/0/unit_price"),
    ([{"description": "X", "unit_price": "1", "quantity": 0}], {}, "lines/0/quantity"),
    ([{"description": "X", "unit_price": "1", "colour": "red"}], {}, "lines/0/colour"),
    ([{"item_id": "999", "unit_price": "1"}], {}, "lines/0/item_id"),
    ([{"description": "X", "unit_price": "1", "taxable": True}], {}, "lines/0/tax_rate_id"),
    (
        [{"description": "X", "unit_price": "1"}],
        {"discount_percent": "101"},
        "discount_percent",
    ),
    (
        [{"description": "X", "unit_price": "1"}],
        {"discount_percent": "5", "discount_amount": "1"},
        "discount_amount",
    ),
    ([{"description": "X", "unit_price": "1"}], {"due_date": "2000-01-01"}, "due_date"),
    ([{"description": "X", "unit_price": "1"}], {"issue_date": "tomorrow"}, "issue_date"),
    ([{"description": "X", "unit_price": "1"}], {"tax_rate_id": "77"}, "tax_rate_id"),
    ([{"description": "X", "unit_price": "1"}], {"currency": "dollars"}, "currency"),
    ([{"description": "X", "unit_price": "1"}], {"colour": "red"}, "colour"),
]


def test_bad_invoice_input_is_refused_naming_the_field(books, catalog):
    for lines, fields, field in BAD_INVOICES:
        with pytest.raises(PlatformError) as refused:
            books.create_invoice(catalog.customer.id, lines, **fields)
        assert (refused.value.field, refused.value.status) == (field, 422), (lines, fields)
    assert books.invoices() == []


def test_an_unknown_customer_names_the_field_and_an_unknown_invoice_is_not_found(books, catalog):
    with pytest.raises(PlatformError) as refused:
        books.create_invoice("12345", [{"description": "X", "unit_price": "1"}])
    assert refused.value.field == "customer_id"
    with pytest.raises(RecordNotFound) as missing:
        books.invoice("12345")
    assert missing.value.status == 404
    with pytest.raises(RecordNotFound):
        books.send_invoice("not-an-id")


def test_inactive_items_and_tax_rates_cannot_be_put_on_an_invoice(books, catalog):
    books.update_item(catalog.widget.id, ItemInput(name="Widget", active=False))
    with pytest.raises(PlatformError, match="inactive") as refused:
        books.create_invoice(catalog.customer.id, [{"item_id": catalog.widget.id}])
    assert refused.value.field == "lines/0/item_id"
    books.update_tax_rate(
        catalog.state_tax.id, TaxRateInput(name="State", rate=D("8.25"), active=False)
    )
    with pytest.raises(PlatformError, match="inactive") as refused:
        books.create_invoice(
            catalog.customer.id,
            [{"description": "X", "unit_price": "1"}],
            tax_rate_id=catalog.state_tax.id,
        )
    assert refused.value.field == "tax_rate_id"


def test_invoices_filter_by_status_and_id(books, catalog):
    line = [{"description": "X", "unit_price": "1"}]
    draft = books.create_invoice(catalog.customer.id, line)
    sent = books.send_invoice(books.create_invoice(catalog.customer.id, line).id)
    assert [i.id for i in books.invoices(statuses=("sent",))] == [sent.id]
    assert [i.id for i in books.invoices(statuses=("draft", "sent"))] == [draft.id, sent.id]
    assert [i.id for i in books.invoices(ids=(draft.id, "nope"))] == [draft.id]
