"""QuickBooks customers, items and tax codes as the platform records the import writes."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.platform.port import Customer, CustomerInput, Item, TaxRate, TaxRateInput
from plugins.quickbooks.sync.import_mapping import (
    MappingError,
    as_input,
    customer_input,
    is_active,
    is_rate_code,
    item_input,
    tax_rate_input,
)


def test_customer_fields_come_from_quickbooks() -> None:
    data = customer_input(
        {
            "Id": "5",
            "DisplayName": "Jane Doe",
            "GivenName": "Jane",
            "FamilyName": "Doe",
            "CompanyName": "Doe Design",
            "PrimaryEmailAddr": {"Address": "jane@example.com"},
            "PrimaryPhone": {"FreeFormNumber": "(555) 555-0100"},
            "Active": True,
        }
    )
    assert data == CustomerInput(
        display_name="Jane Doe",
        email="jane@example.com",
        given_name="Jane",
        family_name="Doe",
        company_name="Doe Design",
        phone="(555) 555-0100",
    )


def test_customer_without_display_name_is_named_like_quickbooks_names_it() -> None:
    assert customer_input({"GivenName": "Jane", "FamilyName": "Doe"}).display_name == "Jane Doe"
    assert customer_input({"CompanyName": "Acme"}).display_name == "Acme"


def test_customer_without_any_name_fails_with_the_reason() -> None:
    with pytest.raises(MappingError, match="QuickBooks customer 9 has no name"):
        customer_input({"Id": "9", "PrimaryEmailAddr": {"Address": "x@example.com"}})


def test_platform_data_quickbooks_does_not_hold_is_kept() -> None:
    existing = Customer(
        id="3", display_name="Old", email="old@example.com", phone="1", subsidiary_id="s1"
    )
    data = customer_input({"DisplayName": "New"}, existing)
    assert (data.display_name, data.email, data.phone, data.subsidiary_id) == (
        "New",
        "old@example.com",
        "1",
        "s1",
    )


def test_deactivated_and_deleted_records_are_inactive() -> None:
    assert customer_input({"DisplayName": "A", "Active": False}).active is False
    assert is_active({"Id": "1", "status": "Deleted"}) is False
    assert is_active({"Id": "1"}) is True


def test_item_price_and_taxable_come_from_quickbooks() -> None:
    data = item_input(
        {"Id": "7", "Name": "Design", "Type": "Service", "UnitPrice": 12.345, "Taxable": True}
    )
    assert (data.name, data.kind, data.price, data.taxable) == (
        "Design",
        "one_time",
        Decimal("12.35"),
        True,
    )


def test_item_taxable_from_a_sales_tax_code_outside_the_us() -> None:
    ca_item = {"Name": "A", "Taxable": False, "SalesTaxCodeRef": {"value": "4"}}
    assert item_input(ca_item).taxable is True
    assert item_input({"Name": "A", "SalesTaxCodeRef": {"value": "NON"}}).taxable is False
    assert item_input({"Name": "A"}).taxable is False


def test_item_kind_is_kept_from_the_platform_or_recurring_for_the_chosen_item() -> None:
    existing = Item(id="1", name="Plan", kind="recurring")
    assert item_input({"Id": "3", "Name": "Plan"}, existing).kind == "recurring"
    assert item_input({"Id": "3", "Name": "Plan"}, recurring_item_id="3").kind == "recurring"
    assert item_input({"Id": "4", "Name": "Other"}, recurring_item_id="3").kind == "one_time"


@pytest.mark.parametrize(
    ("qbo", "reason"),
    [
        ({"Id": "1", "Name": ""}, "QuickBooks item 1 has no name"),
        ({"Name": "Hardware", "Type": "Category"}, "is a Category, which is not sold"),
        ({"Name": "A", "UnitPrice": "lots"}, "UnitPrice of QuickBooks item 'A' is not a number"),
    ],
)
def test_items_that_cannot_be_sold_fail_with_the_reason(qbo: dict, reason: str) -> None:
    with pytest.raises(MappingError, match=reason):
        item_input(qbo)


RATES = {"1": {"Id": "1", "RateValue": 5}, "3": {"Id": "3", "RateValue": 7.0}}


def code(code_id: str, name: str, rate_ids: list[str], **extra) -> dict:
    details = [{"TaxRateRef": {"value": rate_id}} for rate_id in rate_ids]
    return {"Id": code_id, "Name": name, "SalesTaxRateList": {"TaxRateDetail": details}, **extra}


def test_a_combined_tax_code_is_one_rate_the_sum_of_its_rates() -> None:
    data = tax_rate_input(code("7", "GST/PST BC", ["1", "3"]), RATES)
    assert data == TaxRateInput(name="GST/PST BC", rate=Decimal("12"))


def test_a_deactivated_tax_code_is_an_inactive_rate() -> None:
    assert tax_rate_input(code("4", "GST", ["1"], Active=False), RATES).active is False


def test_pseudo_codes_and_codes_without_sales_rates_are_no_rates() -> None:
    assert is_rate_code(code("2", "California", ["1"]))
    assert not is_rate_code(code("TAX", "TAX", []))
    assert not is_rate_code(code("NON", "NON", []))
    assert not is_rate_code(code("6", "No VAT", []))


def test_a_code_using_an_unknown_rate_fails_with_the_reason() -> None:
    with pytest.raises(MappingError, match="uses tax rate 9, which QuickBooks did not return"):
        tax_rate_input(code("8", "Odd", ["9"]), RATES)


def test_as_input_rewrites_the_platform_record_as_it_is() -> None:
    data = as_input(TaxRate(id="1", name="GST", rate=Decimal("5"), active=False), TaxRateInput)
    assert data == TaxRateInput(name="GST", rate=Decimal("5"), active=False)
