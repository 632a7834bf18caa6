"""The accounting domain without HTTP: countries' tax, numbering, persistence, concurrency.

These call :mod:`plugins.quickbooks.emulator.accounting` directly on a
:class:`CompanyRegistry`, so rules can be checked in isolation and in bulk (threads, restarts).
The HTML view is checked over HTTP on the session's emulator.
"""

from __future__ import annotations

import contextlib
import itertools
import re
import threading

import httpx
import pytest

from plugins.quickbooks.emulator import accounting, entities, faults, numbering, pdf
from plugins.quickbooks.emulator.clock import Clock
from plugins.quickbooks.emulator.companies import Company, CompanyRegistry


@pytest.fixture
def registry() -> CompanyRegistry:
    return CompanyRegistry(Clock())


def create(company: Company, entity: entities.Entity, body: dict, include=()) -> dict:
    return accounting.create(company, entity, body, Clock().now(), set(include))


def customer(company: Company, name: str = "Customer") -> dict:
    return create(company, entities.CUSTOMER, {"DisplayName": name})


def line(amount: float, tax_code: str | None = None, **detail) -> dict:
    if tax_code:
        detail["TaxCodeRef"] = {"value": tax_code}
    return {"DetailType": "SalesItemLineDetail", "Amount": amount, "SalesItemLineDetail": detail}


_names = itertools.count(1)


def invoice(company: Company, *lines: dict, **fields) -> dict:
    buyer = customer(company, f"Customer {next(_names)}")
    body = {"CustomerRef": {"value": buyer["Id"]}, "Line": list(lines)}
    return create(company, entities.INVOICE, {**body, **fields})


# -- companies and seed ---------------------------------------------------------------------------


def test_realm_ids_look_like_sandbox_realm_ids(registry):
    realm_id = registry.create("Acme").realm_id
    assert re.fullmatch(r"9341453\d{9}", realm_id)
    assert registry.get(realm_id).name == "Acme"
    assert registry.get("nope") is None


def test_unknown_country_is_refused_naming_the_field(registry):
    with pytest.raises(faults.QBOFault) as caught:
        registry.create("Acme", country="FR")
    assert caught.value.errors[0].element == "country"


def test_preferences_given_at_creation_are_deep_merged(registry):
    company = registry.create("Acme", preferences={"SalesFormsPrefs": {"CustomTxnNumbers": True}})
    prefs = accounting.read(company, entities.PREFERENCES, "1")
    assert prefs["SalesFormsPrefs"]["CustomTxnNumbers"] is True
    assert prefs["SalesFormsPrefs"]["AllowDeposit"] is True


@pytest.mark.parametrize(
    ("country", "currency", "codes"),
    [("US", "USD", {"TAX", "NON"}), ("CA", "CAD", {"GST", "HST ON"}), ("UK", "GBP", {"20.0% S"})],
)
def test_each_country_is_seeded_with_its_currency_and_tax_codes(registry, country, currency, codes):
    company = registry.create("Acme", country=country)
    names = {code["Name"] for code in accounting.rows(company, entities.TAX_CODE)}
    assert codes <= names
    prefs = accounting.read(company, entities.PREFERENCES, "1")
    assert prefs["CurrencyPrefs"]["HomeCurrency"]["value"] == currency
    accounts = {a["Name"] for a in accounting.rows(company, entities.ACCOUNT)}
    assert "Undeposited Funds" in accounts


# -- tax per country ------------------------------------------------------------------------------


def test_canadian_lines_are_taxed_by_their_own_codes(registry):
    company = registry.create("Maple", country="CA")
    result = invoice(company, line(100, "4"), line(200, "5"), line(50, "7"))
    taxes = {t["TaxLineDetail"]["TaxRateRef"]["name"]: t for t in result["TxnTaxDetail"]["TaxLine"]}
    assert taxes["GST"]["Amount"] == 7.5  # 5% of 100 + 50
    assert taxes["HST ON"]["Amount"] == 26.0
    assert taxes["PST BC"]["Amount"] == 3.5
    assert result["TxnTaxDetail"]["TotalTax"] == 37.0
    assert result["TotalAmt"] == 387.0


def test_uk_line_without_a_tax_code_takes_the_items_code(registry):
    company = registry.create("Crown", country="UK")
    result = invoice(company, line(100))
    assert result["Line"][0]["SalesItemLineDetail"]["TaxCodeRef"]["value"] == "2"
    assert result["TotalAmt"] == 120.0


def test_uk_tax_inclusive_amounts_have_the_tax_backed_out(registry):
    company = registry.create("Crown", country="UK")
    result = invoice(company, line(120, "2"), GlobalTaxCalculation="TaxInclusive")
    assert result["TxnTaxDetail"]["TotalTax"] == 20.0
    assert result["TotalAmt"] == 120.0


def test_non_us_item_without_a_code_and_line_without_one_is_refused_with_6000(registry):
    company = registry.create("Crown", country="UK")
    item = create(company, entities.ITEM, {"Name": "Untaxed"})
    with pytest.raises(faults.QBOFault) as caught:
        invoice(company, line(10, ItemRef={"value": item["Id"]}))
    assert caught.value.errors[0].code == "6000"
    assert "VAT rate" in caught.value.errors[0].detail


def test_us_customer_default_tax_code_applies_when_the_invoice_names_none(registry):
    company = registry.create("Acme")
    taxed = create(
        company, entities.CUSTOMER, {"DisplayName": "Taxed", "DefaultTaxCodeRef": {"value": "2"}}
    )
    body = {"CustomerRef": {"value": taxed["Id"]}, "Line": [line(200, "TAX")]}
    result = create(company, entities.INVOICE, body)
    assert result["TxnTaxDetail"]["TotalTax"] == 16.5


def test_percent_discount_reduces_the_total(registry):
    company = registry.create("Acme")
    discount = {
        "DetailType": "DiscountLineDetail",
        "DiscountLineDetail": {"PercentBased": True, "DiscountPercent": 10},
    }
    result = invoice(company, line(200), discount)
    assert result["TotalAmt"] == 180.0
    assert result["Line"][1]["Amount"] == 20.0


TEN_PERCENT_OFF = {
    "DetailType": "DiscountLineDetail",
    "DiscountLineDetail": {"PercentBased": True, "DiscountPercent": 10},
}


def _taxed_invoice(company, *form_lines, **header) -> dict:
    """A US invoice with lines taxed by code 2 (8.25%)."""
    customer = create(company, entities.CUSTOMER, {"DisplayName": "Taxed"})
    body = {
        "CustomerRef": {"value": customer["Id"]},
        "Line": list(form_lines),
        "TxnTaxDetail": {"TxnTaxCodeRef": {"value": "2"}},
        **header,
    }
    return create(company, entities.INVOICE, body)


def test_tax_is_worked_out_before_the_discount_by_default(registry):
    for header in ({}, {"ApplyTaxAfterDiscount": False}):
        result = _taxed_invoice(
            registry.create("Acme"), line(200, "TAX"), TEN_PERCENT_OFF, **header
        )
        assert result["ApplyTaxAfterDiscount"] is False
        assert result["TxnTaxDetail"]["TotalTax"] == 16.5  # 8.25% of 200
        assert result["TotalAmt"] == 196.5  # 200 - 20 + 16.50


def test_apply_tax_after_discount_taxes_the_discounted_amount(registry):
    result = _taxed_invoice(
        registry.create("Acme"), line(200, "TAX"), TEN_PERCENT_OFF, ApplyTaxAfterDiscount=True
    )
    assert result["ApplyTaxAfterDiscount"] is True
    assert result["TxnTaxDetail"]["TotalTax"] == 14.85  # 8.25% of 180
    assert result["TxnTaxDetail"]["TaxLine"][0]["TaxLineDetail"]["NetAmountTaxable"] == 180.0
    assert result["TotalAmt"] == 194.85


def test_apply_tax_after_discount_spreads_the_discount_over_taxable_and_exempt_lines(registry):
    flat_off = {"DetailType": "DiscountLineDetail", "Amount": 40, "DiscountLineDetail": {}}
    result = _taxed_invoice(
        registry.create("Acme"),
        line(300, "TAX"),
        line(100, "NON"),
        flat_off,
        ApplyTaxAfterDiscount=True,
    )
    # 40 off 400 is 10% off each line: 270 of the taxable 300 is taxed.
    assert result["TxnTaxDetail"]["TotalTax"] == 22.28  # 8.25% of 270, rounded
    assert result["TotalAmt"] == 382.28


def test_a_sparse_update_switching_apply_tax_after_discount_recomputes_the_tax(registry):
    company = registry.create("Acme")
    created = _taxed_invoice(company, line(200, "TAX"), TEN_PERCENT_OFF)
    body = {
        "Id": created["Id"],
        "SyncToken": created["SyncToken"],
        "sparse": True,
        "ApplyTaxAfterDiscount": True,
    }
    updated = accounting.update(company, entities.INVOICE, body, Clock().now())
    assert updated["TxnTaxDetail"]["TotalTax"] == 14.85
    assert updated["TotalAmt"] == 194.85


# -- numbering ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("last", "expected"),
    [
        (None, "1001"),
        ("1069", "1070"),
        ("App_1000", "App_1001"),
        ("INV-0099", "INV-0100"),
        ("A9-x", "A10-x"),
        ("NoDigits", "1001"),
    ],
)
def test_next_doc_number_keeps_prefix_width_and_suffix(last, expected):
    assert numbering.following(last) == expected


def test_auto_generate_skips_numbers_already_in_use(registry):
    company = registry.create("Acme")
    invoice(company, line(1), DocNumber="1002")
    first = invoice(company, line(1), DocNumber="1001")
    assert first["DocNumber"] == "1001"
    assert invoice(company, line(1), DocNumber="AUTO_GENERATE")["DocNumber"] == "1003"


# -- all-or-nothing writes, persistence, concurrency ----------------------------------------------


def test_a_refused_payment_changes_nothing(registry):
    company = registry.create("Acme")
    inv = invoice(company, line(100))
    customer_id = inv["CustomerRef"]["value"]
    body = {
        "TotalAmt": 50,
        "CustomerRef": {"value": customer_id},
        "Line": [
            {"Amount": 50, "LinkedTxn": [{"TxnId": inv["Id"], "TxnType": "Invoice"}]},
            {"Amount": 1, "LinkedTxn": [{"TxnId": "999", "TxnType": "Invoice"}]},
        ],
    }
    with pytest.raises(faults.QBOFault):
        create(company, entities.PAYMENT, body)
    assert accounting.read(company, entities.INVOICE, inv["Id"])["Balance"] == 100
    assert accounting.rows(company, entities.PAYMENT) == []


def test_companies_survive_a_restart_with_a_data_file(tmp_path):
    path = str(tmp_path / "qbo.sqlite")
    first = CompanyRegistry(Clock(), path=path)
    company = first.create("Durable", country="CA")
    inv = invoice(company, line(100, "4"))
    accounting.delete(company, entities.INVOICE, inv, Clock().now())
    kept = invoice(company, line(10, "4"))

    again = CompanyRegistry(Clock(), path=path).get(company.realm_id)
    assert again.name == "Durable"
    assert again.country == "CA"
    assert accounting.read(again, entities.INVOICE, kept["Id"])["TotalAmt"] == 10.5
    assert accounting.rows(again, entities.INVOICE) == [kept]
    assert inv["Id"] in accounting.tombstones(again, entities.INVOICE)
    assert invoice(again, line(1, "4"))["Id"] == str(int(kept["Id"]) + 1)


def test_concurrent_updates_with_one_sync_token_let_exactly_one_win(registry):
    company = registry.create("Race")
    target = customer(company, "Contested")
    outcomes: list[str] = []

    def update(n: int) -> None:
        body = {**target, "CompanyName": f"writer {n}"}
        try:
            accounting.update(company, entities.CUSTOMER, body, Clock().now())
            outcomes.append("ok")
        except faults.QBOFault as fault:
            outcomes.append(fault.errors[0].code)

    threads = [threading.Thread(target=update, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["5010"] * 15 + ["ok"]
    assert accounting.read(company, entities.CUSTOMER, target["Id"])["SyncToken"] == "1"


def test_concurrent_payments_never_overpay_an_invoice(registry):
    company = registry.create("Race")
    inv = invoice(company, line(100))
    body = {
        "TotalAmt": 30,
        "CustomerRef": inv["CustomerRef"],
        "Line": [{"Amount": 30, "LinkedTxn": [{"TxnId": inv["Id"], "TxnType": "Invoice"}]}],
    }
    threads = [
        threading.Thread(target=lambda: _try(lambda: create(company, entities.PAYMENT, body)))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    final = accounting.read(company, entities.INVOICE, inv["Id"])
    assert final["Balance"] == 10
    assert len(final["LinkedTxn"]) == 3
    customer_row = accounting.read(company, entities.CUSTOMER, inv["CustomerRef"]["value"])
    assert customer_row["Balance"] == 10


def _try(call) -> None:
    with contextlib.suppress(faults.QBOFault):
        call()


# -- PDF and HTML view ----------------------------------------------------------------------------


def test_pdf_cross_reference_table_points_at_each_object():
    document = pdf.render("Acme", "Invoice", {"DocNumber": "7", "Line": [], "TotalAmt": 0})
    xref_at = int(document.rsplit(b"startxref\n", 1)[1].split(b"\n")[0])
    assert document[xref_at:].startswith(b"xref\n0 6\n")
    offsets = re.findall(rb"(\d{10}) 00000 n", document[xref_at:])
    for number, offset in enumerate(offsets, start=1):
        assert document[int(offset) :].startswith(b"%d 0 obj" % number)


def test_company_page_lists_entities_with_names_escaped(emulator, company, qb_client):
    from accounting_support import new_customer, new_invoice

    evil = new_customer(qb_client, "<script>alert(1)</script>")
    inv = new_invoice(qb_client, evil)
    page = httpx.get(f"{emulator.url}/app/companies/{company}")
    assert page.status_code == 200
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "<script>alert" not in page.text
    invoice_page = httpx.get(
        f"{emulator.url}/app/invoice", params={"txnId": inv.Id, "realmId": company}
    )
    assert invoice_page.status_code == 200
    assert f"Invoice {inv.DocNumber}" in invoice_page.text
    assert (
        httpx.get(
            f"{emulator.url}/app/invoice", params={"txnId": "0", "realmId": company}
        ).status_code
        == 404
    )
