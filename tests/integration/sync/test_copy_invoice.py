"""Copy one invoice to QuickBooks, end to end: the customer by the policy or chosen, the tax code
chosen or none, and a second copy that asks whether to update the last copy or create another."""

from __future__ import annotations

from decimal import Decimal

import pytest
from invoice_support import (
    custom_numbers,
    customer,
    qbo_invoices,
    quiet_ledger,
    sent_invoice,
    tax_rate,
)

UNMATCHED = {"items": {"unmatched_one_time_item": "1", "unmatched_recurring_item": "2"}}
DESIGN = [
    {"description": "Design", "unit_price": "200.00", "taxable": True},
    {"description": "Hosting", "unit_price": "50.00"},
]


def a_sent_invoice(sync):
    """An invoice the platform taxes (its Design line, at 8.25 %)."""
    sync.configure(UNMATCHED)
    california = tax_rate(sync, "California", "8.25")
    return sent_invoice(sync, customer(sync), DESIGN, tax_rate_id=california)


def sales_codes(remote) -> list[str]:
    return [
        line["SalesItemLineDetail"]["TaxCodeRef"]["value"]
        for line in remote["Line"]
        if line["DetailType"] == "SalesItemLineDetail"
    ]


def test_first_copy_creates_the_invoice_with_the_policy_customer_and_no_tax(sync):
    invoice = a_sent_invoice(sync)

    result = sync.action("copy_invoice", {"invoice_id": invoice.id})

    assert result.ok, result.message
    remote = sync.qbo.read("Invoice", result.details["remote_id"])
    created = sync.qbo.read("Customer", remote["CustomerRef"]["value"])
    assert created["PrimaryEmailAddr"]["Address"] == "ada@example.com"
    assert sync.link("customer", invoice.customer_id).remote_id == created["Id"]
    assert sales_codes(remote) == ["NON", "NON"]
    assert Decimal(str(remote["TotalAmt"])) == Decimal("250.00") < invoice.total
    assert remote["DocNumber"] == f"{invoice.number}-C1" == result.details["doc_number"]
    assert remote["PrivateNote"].endswith(", copy 1")
    assert sync.link("invoice_copy", f"{invoice.id}/1").remote_id == remote["Id"]
    assert sync.link("invoice", invoice.id) is None  # a copy is not the export's invoice


def test_a_chosen_customer_and_tax_code_are_used(sync):
    invoice = a_sent_invoice(sync)
    other = sync.qbo.create("Customer", {"DisplayName": "Grace Hopper"})

    result = sync.action(
        "copy_invoice", {"invoice_id": invoice.id, "customer_id": other["Id"], "tax_code": "2"}
    )

    assert result.ok, result.message
    remote = sync.qbo.read("Invoice", result.details["remote_id"])
    assert remote["CustomerRef"]["value"] == other["Id"]
    assert sales_codes(remote) == ["TAX", "TAX"]
    assert remote["TxnTaxDetail"]["TxnTaxCodeRef"]["value"] == "2"
    assert Decimal(str(remote["TotalAmt"])) == Decimal("270.63")  # 250 + 8.25 %
    assert sync.link("customer", invoice.customer_id) is None  # the policy was not asked


def test_copying_again_without_a_mode_offers_update_or_create(sync):
    invoice = a_sent_invoice(sync)
    first = sync.action("copy_invoice", {"invoice_id": invoice.id})

    again = sync.action("copy_invoice", {"invoice_id": invoice.id})

    assert not again.ok
    assert again.details["choices"] == ["update_existing", "create_new"]
    assert again.details["update_existing"]["remote_id"] == first.details["remote_id"]
    assert "update_existing" in again.message and "create_new" in again.message
    assert len(qbo_invoices(sync)) == 1


def test_update_existing_changes_the_last_copy_in_place(sync):
    invoice = a_sent_invoice(sync)
    first = sync.action("copy_invoice", {"invoice_id": invoice.id})

    updated = sync.action(
        "copy_invoice", {"invoice_id": invoice.id, "tax_code": "2", "mode": "update_existing"}
    )

    assert updated.ok, updated.message
    assert updated.details["remote_id"] == first.details["remote_id"]
    remote = sync.qbo.read("Invoice", first.details["remote_id"])
    assert remote["SyncToken"] == "1"
    assert remote["DocNumber"] == f"{invoice.number}-C1"
    assert remote["TxnTaxDetail"]["TxnTaxCodeRef"]["value"] == "2"
    assert len(qbo_invoices(sync)) == 1


def test_create_new_makes_another_copy_with_its_own_number(sync):
    invoice = a_sent_invoice(sync)
    custom_numbers(sync)  # QuickBooks now refuses a number used twice
    sync.run("export_invoices")  # the export's invoice already holds the platform's number
    first = sync.action("copy_invoice", {"invoice_id": invoice.id})

    second = sync.action("copy_invoice", {"invoice_id": invoice.id, "mode": "create_new"})

    assert first.ok and second.ok, (first.message, second.message)
    numbers = sorted(str(row.get("DocNumber")) for row in qbo_invoices(sync))
    assert numbers == sorted([invoice.number, f"{invoice.number}-C1", f"{invoice.number}-C2"])
    again = sync.action("copy_invoice", {"invoice_id": invoice.id})
    assert again.details["update_existing"]["remote_id"] == second.details["remote_id"]


@pytest.mark.parametrize(
    ("params", "field", "reason"),
    [
        ({"customer_id": "9999"}, "customer_id", "no customer"),
        ({"tax_code": "77"}, "tax_code", "no tax code"),
        ({"tax_code": "TAX"}, "tax_code", "marks lines"),
        ({"mode": "update_existing"}, "mode", "no copy"),
    ],
)
def test_refusals_name_the_parameter(sync, params, field, reason):
    invoice = a_sent_invoice(sync)

    result = sync.action("copy_invoice", {"invoice_id": invoice.id, **params})

    assert not result.ok
    assert result.details["field"] == field
    assert result.message.startswith(f"{field}: ") and reason in result.message
    assert qbo_invoices(sync) == []


def test_a_draft_or_unknown_invoice_is_refused(sync):
    sync.configure(UNMATCHED)
    draft = quiet_ledger(sync).create_invoice(customer(sync), DESIGN[1:])

    assert "draft" in sync.action("copy_invoice", {"invoice_id": draft.id}).message
    unknown = sync.action("copy_invoice", {"invoice_id": "999999"})
    assert not unknown.ok and unknown.details["field"] == "invoice_id"
