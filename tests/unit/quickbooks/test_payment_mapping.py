"""Platform payments as QuickBooks Payments and Sales Receipts, and QuickBooks payments back."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from core.platform.port import Payment
from plugins.quickbooks.sync import payment_mapping as m

CONFIG = {
    "payment_mapping": {
        "to_quickbooks": {"cash": "Cash", "credit_card": "Visa", "wire": "Wire"},
        "from_quickbooks": {"Cash": "cash", "Visa": "credit_card", "Blank": " "},
    },
    "items": {"unmatched_one_time_item": "7"},
}
METHODS = m.PaymentMethods.from_rows(
    [
        {"Id": "1", "Name": "Cash", "Active": True},
        {"Id": "3", "Name": "Visa", "Active": True},
        {"Id": "9", "Name": "Wire", "Active": False},
    ]
)


def payment(**changes) -> Payment:
    values = {
        "id": "41",
        "customer_id": "5",
        "amount": Decimal("60.00"),
        "date": date(2026, 3, 14),
        "type": "credit_card",
        "reference": "CH-1",
    }
    return Payment(**{**values, **changes})


def test_method_ref_from_the_mapping_and_the_company_methods() -> None:
    assert m.method_ref(CONFIG, "credit_card", METHODS) == {"value": "3", "name": "Visa"}
    assert m.method_ref(CONFIG, "cash", METHODS) == {"value": "1", "name": "Cash"}


def test_a_type_without_mapping_names_the_field() -> None:
    with pytest.raises(m.PaymentMappingError) as caught:
        m.method_ref(CONFIG, "crypto", METHODS)
    assert caught.value.field == "/payment_mapping/to_quickbooks/crypto"
    assert "no QuickBooks payment method" in caught.value.reason


def test_a_method_missing_or_inactive_in_quickbooks_is_not_created_but_refused() -> None:
    with pytest.raises(m.PaymentMappingError) as caught:
        m.method_ref(CONFIG, "wire", METHODS)
    assert caught.value.field == "/payment_mapping/to_quickbooks/wire"
    assert "no active payment method named 'Wire'" in caught.value.reason


def test_payment_on_an_invoice_applies_its_amount_to_that_invoice_without_the_tip() -> None:
    body = m.payment_body(
        payment(tip=Decimal("5.00")),
        customer_id="12",
        invoice_id="130",
        method={"value": "3", "name": "Visa"},
    )
    assert body["TotalAmt"] == 60.0
    assert body["Line"] == [{"Amount": 60.0, "LinkedTxn": [{"TxnId": "130", "TxnType": "Invoice"}]}]
    assert body["CustomerRef"] == {"value": "12"}
    assert body["TxnDate"] == "2026-03-14"
    assert body["PaymentMethodRef"] == {"value": "3", "name": "Visa"}
    assert body["PaymentRefNum"] == "CH-1"
    assert body["PrivateNote"] == "Payment 41 from the platform"


def test_partial_amount_is_sent_to_the_cent() -> None:
    body = m.payment_body(
        payment(amount=Decimal("33.33")), customer_id="1", invoice_id="2", method={"value": "1"}
    )
    assert body["TotalAmt"] == 33.33
    assert body["Line"][0]["Amount"] == 33.33


def test_reference_follows_the_21_character_rule() -> None:
    reference = "STRIPE-ch_3NqFh2LkdIwHu7ix0abcdef"
    body = m.payment_body(
        payment(reference=reference), customer_id="1", invoice_id="2", method={"value": "1"}
    )
    assert body["PaymentRefNum"] == reference[:5] + "..." + reference[-13:]
    assert len(body["PaymentRefNum"]) == 21


def test_no_reference_sends_no_reference_number() -> None:
    body = m.payment_body(
        payment(reference="  "), customer_id="1", invoice_id="2", method={"value": "1"}
    )
    assert "PaymentRefNum" not in body


def test_a_payment_must_have_a_positive_amount() -> None:
    with pytest.raises(ValueError, match="amount must be positive"):
        m.payment_body(payment(amount=Decimal("0")), customer_id="1", invoice_id="2", method={})


def test_tip_of_an_invoice_payment_is_a_receipt_of_its_own() -> None:
    body = m.tip_receipt_body(
        payment(tip=Decimal("5.50")), customer_id="12", item_id="7", method={"value": "3"}
    )
    assert body["Line"] == [
        {
            "DetailType": "SalesItemLineDetail",
            "Amount": 5.5,
            "Description": "Tip with payment CH-1",
            "SalesItemLineDetail": {"ItemRef": {"value": "7"}, "Qty": 1, "UnitPrice": 5.5},
        }
    ]
    assert body["PrivateNote"] == "Tip of payment 41 from the platform"
    assert body["PaymentMethodRef"] == {"value": "3"}


def test_no_tip_no_tip_receipt() -> None:
    with pytest.raises(ValueError, match="no tip"):
        m.tip_receipt_body(payment(), customer_id="1", item_id="7", method={})


def test_payment_without_invoice_is_a_receipt_with_the_description_and_the_tip_line() -> None:
    body = m.sales_receipt_body(
        payment(invoice_id=None, description="Booking: yoga\\nclass", tip=Decimal("2.00")),
        customer_id="12",
        item_id="7",
        method={"value": "1"},
    )
    assert [(line["Description"], line["Amount"]) for line in body["Line"]] == [
        ("Booking: yoga\\nclass", 60.0),
        ("Tip", 2.0),
    ]
    assert body["Line"][0]["SalesItemLineDetail"]["ItemRef"] == {"value": "7"}
    assert "TotalAmt" not in body  # QuickBooks computes a receipt's total from its lines


def test_receipt_description_falls_back_to_the_reference_then_the_id() -> None:
    assert m.receipt_description(payment(description="  Order   form 7 ")) == "Order form 7"
    assert m.receipt_description(payment(description="")) == "Payment CH-1"
    assert m.receipt_description(payment(description="", reference="")) == "Payment 41"


def test_unmatched_item_must_be_configured() -> None:
    with pytest.raises(m.PaymentMappingError) as caught:
        m.unmatched_item({"items": {"unmatched_one_time_item": ""}})
    assert caught.value.field == "/items/unmatched_one_time_item"
    assert m.unmatched_item(CONFIG) == "7"


def test_platform_type_from_the_mapping_back_case_insensitively() -> None:
    assert m.platform_type(CONFIG, "Visa") == "credit_card"
    assert m.platform_type(CONFIG, "cash") == "cash"


@pytest.mark.parametrize(
    ("method", "field"),
    [
        ("Discover", "/payment_mapping/from_quickbooks/Discover"),
        ("Blank", "/payment_mapping/from_quickbooks/Blank"),
        (None, "/payment_mapping/from_quickbooks"),
    ],
)
def test_a_method_without_a_platform_type_names_the_field(method, field) -> None:
    with pytest.raises(m.PaymentMappingError) as caught:
        m.platform_type(CONFIG, method)
    assert caught.value.field == field


def test_method_names_by_id_include_inactive_ones() -> None:
    assert METHODS.name_of("9") == "Wire"
    assert METHODS.name_of("404") is None


def test_applied_amounts_per_invoice() -> None:
    qbo_payment = {
        "Id": "88",
        "TotalAmt": 100.0,
        "Line": [
            {"Amount": 40.0, "LinkedTxn": [{"TxnId": "130", "TxnType": "Invoice"}]},
            {"Amount": 10.0, "LinkedTxn": [{"TxnId": "131", "TxnType": "Invoice"}]},
            {"Amount": 5.0, "LinkedTxn": [{"TxnId": "9", "TxnType": "CreditMemo"}]},
            {"Amount": 2.5, "LinkedTxn": [{"TxnId": "130", "TxnType": "Invoice"}]},
        ],
    }
    assert m.applied_amounts(qbo_payment) == {"130": Decimal("42.50"), "131": Decimal("10.00")}
    assert m.applied_amounts({"Id": "1", "TotalAmt": 5}) == {}


def test_deleted_rows_of_change_data_capture() -> None:
    assert m.is_deleted({"Id": "1", "status": "Deleted"})
    assert not m.is_deleted({"Id": "1", "TotalAmt": 3})
