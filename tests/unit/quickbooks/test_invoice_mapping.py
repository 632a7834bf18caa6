"""The platform invoice -> QuickBooks Invoice mapping, rule by rule (no network, no database)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from core.platform.port import Invoice, InvoiceLine, TaxRate
from plugins.quickbooks.sync.invoice_mapping import (
    AUTO_GENERATE,
    MappingError,
    QBOTaxCode,
    Resolved,
    Settings,
    fit_doc_number,
    invoice_body,
    memo_text,
    tax_code_for,
    untaxed_code,
)

D = Decimal
CALIFORNIA = TaxRate("r1", "California", D("8.25"))
HST = TaxRate("r2", "HST ON", D("13"))
US_CODES = (QBOTaxCode("2", "California", D("8.25")),)
CA_CODES = (
    QBOTaxCode("2", "Exempt", D("0")),
    QBOTaxCode("3", "Zero-rated", D("0")),
    QBOTaxCode("4", "GST", D("5")),
    QBOTaxCode("5", "HST ON", D("13")),
)


def line(amount: str, *, taxable: bool = False, rate: str | None = None, qty: str = "1"):
    price = D(amount) / D(qty)
    return InvoiceLine(
        description="Consulting",
        quantity=D(qty),
        unit_price=price,
        amount=D(amount),
        taxable=taxable,
        tax_rate_id=rate,
    )


def invoice(*lines: InvoiceLine, **fields) -> Invoice:
    subtotal = sum((item.amount for item in lines), D("0"))
    values = {
        "id": "7",
        "number": "INV-0007",
        "status": "sent",
        "customer_id": "c1",
        "issue_date": date(2030, 1, 15),
        "lines": lines,
        "subtotal": subtotal,
        "discount_total": D("0"),
        "tax_total": D("0"),
        "total": subtotal,
        "balance": subtotal,
    }
    values.update(fields)
    return Invoice(**values)


def resolved(inv: Invoice, codes=US_CODES, rates=(CALIFORNIA, HST)) -> Resolved:
    return Resolved(
        customer_id="58",
        item_ids=tuple("1" for _ in inv.lines),
        tax_rates={rate.id: rate for rate in rates},
        tax_codes=tuple(codes),
    )


def test_short_doc_numbers_are_kept():
    assert fit_doc_number("INV-0007") == "INV-0007"
    assert fit_doc_number("x" * 21) == "x" * 21


def test_long_doc_number_keeps_first_five_and_last_thirteen():
    text = "ACME-2030-CUSTOMER-000123456"
    fitted = fit_doc_number(text)
    assert fitted == "ACME-...MER-000123456"
    assert len(fitted) == 21


def test_sent_invoice_gets_prefixed_doc_number():
    inv = invoice(line("100.00"))
    body = invoice_body(inv, resolved(inv), Settings(number_prefix="WEB-"))
    assert body["DocNumber"] == "WEB-INV-0007"
    assert body["CustomerRef"] == {"value": "58"}
    assert body["TxnDate"] == "2030-01-15"
    assert "INV-0007" in body["PrivateNote"] and "[id 7]" in body["PrivateNote"]


def test_prefixed_number_longer_than_21_is_fitted():
    inv = invoice(line("100.00"), number="2030-000000000042")
    body = invoice_body(inv, resolved(inv), Settings(number_prefix="SUBSIDIARY-"))
    assert body["DocNumber"] == "SUBSI...-000000000042"
    assert len(body["DocNumber"]) == 21


def test_quickbooks_numbering_sends_no_doc_number():
    inv = invoice(line("100.00"))
    body = invoice_body(inv, resolved(inv), Settings(numbering="quickbooks"))
    assert "DocNumber" not in body


def test_quickbooks_numbering_with_custom_numbers_asks_for_the_sequence():
    inv = invoice(line("100.00"))
    settings = Settings(numbering="quickbooks", custom_numbers=True)
    assert invoice_body(inv, resolved(inv), settings)["DocNumber"] == AUTO_GENERATE


def test_drafts_are_refused():
    inv = invoice(line("100.00"), status="draft")
    with pytest.raises(MappingError, match="only sent invoices"):
        invoice_body(inv, resolved(inv), Settings())


@pytest.mark.parametrize(
    ("source", "expected"),
    [("subject", "Website"), ("note", "Thanks"), ("po_number", "PO-9"), ("custom_field", "X1")],
)
def test_memo_comes_from_the_chosen_source(source, expected):
    inv = invoice(
        line("10.00"), subject="Website", note="Thanks", po_number="PO-9", custom_field="X1"
    )
    body = invoice_body(inv, resolved(inv), Settings(memo_source=source))
    assert body["CustomerMemo"] == {"value": expected}


def test_memo_is_cut_to_qbo_limit_and_blank_memo_is_left_out():
    inv = invoice(line("10.00"), note="n" * 1500)
    assert (
        len(invoice_body(inv, resolved(inv), Settings(memo_source="note"))["CustomerMemo"]["value"])
        == 1000
    )
    assert "CustomerMemo" not in invoice_body(inv, resolved(inv), Settings(memo_source="subject"))
    with pytest.raises(MappingError, match="memo_source"):
        memo_text(inv, "title")


def test_lines_carry_item_quantity_price_and_amount():
    inv = invoice(line("150.00", qty="3"))
    body = invoice_body(inv, replace(resolved(inv), item_ids=("19",)), Settings())
    (sales,) = body["Line"]
    assert sales["Amount"] == 150.0
    assert sales["Description"] == "Consulting"
    detail = sales["SalesItemLineDetail"]
    assert detail["ItemRef"] == {"value": "19"}
    assert (detail["Qty"], detail["UnitPrice"]) == (3.0, 50.0)


def test_us_taxable_lines_are_tax_and_the_code_matches_the_rate():
    inv = invoice(line("100.00", taxable=True, rate="r1"), line("50.00"), tax_total=D("8.25"))
    body = invoice_body(inv, resolved(inv), Settings(region="US"))
    codes = [item["SalesItemLineDetail"]["TaxCodeRef"]["value"] for item in body["Line"]]
    assert codes == ["TAX", "NON"]
    assert body["TxnTaxDetail"] == {"TxnTaxCodeRef": {"value": "2"}}


def test_us_tax_item_carries_the_platform_tax_amount():
    inv = invoice(line("100.00", taxable=True, rate="r1"), tax_total=D("8.25"))
    body = invoice_body(inv, resolved(inv), Settings(region="US", tax_item="33"))
    assert "TxnTaxDetail" not in body
    sales, tax = body["Line"]
    assert sales["SalesItemLineDetail"]["TaxCodeRef"] == {"value": "NON"}
    assert tax["Amount"] == 8.25
    assert tax["SalesItemLineDetail"]["ItemRef"] == {"value": "33"}
    assert tax["Description"] == "California"


def test_us_invoice_with_two_rates_needs_the_tax_item():
    inv = invoice(
        line("100.00", taxable=True, rate="r1"),
        line("100.00", taxable=True, rate="r2"),
        tax_total=D("21.25"),
    )
    with pytest.raises(MappingError, match="tax item"):
        invoice_body(inv, resolved(inv), Settings(region="US"))


def test_ca_every_line_has_a_named_tax_code():
    inv = invoice(line("100.00", taxable=True, rate="r2"), line("20.00"), tax_total=D("13"))
    body = invoice_body(inv, resolved(inv, CA_CODES), Settings(region="CA"))
    codes = [item["SalesItemLineDetail"]["TaxCodeRef"]["value"] for item in body["Line"]]
    assert codes == ["5", "2"]
    assert body["GlobalTaxCalculation"] == "TaxExcluded"


def test_ca_rate_without_a_matching_code_fails_with_the_reason():
    odd = TaxRate("r9", "PST MB", D("7"))
    inv = invoice(line("100.00", taxable=True, rate="r9"), tax_total=D("7"))
    with pytest.raises(MappingError, match=r"line 1: tax code mismatch.*'PST MB' \(7 %\)"):
        invoice_body(inv, resolved(inv, CA_CODES, rates=(odd,)), Settings(region="UK"))


def test_taxable_line_without_rate_fails():
    inv = invoice(line("100.00", taxable=True))
    with pytest.raises(MappingError, match="line 1 is taxable but has no tax rate"):
        invoice_body(inv, resolved(inv, CA_CODES), Settings(region="CA"))


def test_tax_code_named_like_the_rate_with_another_percentage_is_a_mismatch():
    with pytest.raises(MappingError, match=r"'HST ON' is 15 %.*is 13 %"):
        tax_code_for(HST, (QBOTaxCode("5", "HST ON", D("15")),))


def test_tax_code_found_by_rate_when_no_name_matches():
    assert tax_code_for(TaxRate("x", "Sales tax", D("5")), CA_CODES).id == "4"


def test_untaxed_code_prefers_exempt_and_needs_a_zero_rate():
    assert untaxed_code(CA_CODES).name == "Exempt"
    with pytest.raises(MappingError, match="no zero-rate"):
        untaxed_code((QBOTaxCode("4", "GST", D("5")),))


def test_percent_discount_is_sent_as_percent_when_it_gives_the_same_cents():
    inv = invoice(
        line("200.00"), discount_total=D("20.00"), discount_percent=D("10"), total=D("180.00")
    )
    body = invoice_body(inv, resolved(inv), Settings())
    discount = body["Line"][-1]
    assert discount["DetailType"] == "DiscountLineDetail"
    assert discount["DiscountLineDetail"] == {"PercentBased": True, "DiscountPercent": 10.0}
    assert body["ApplyTaxAfterDiscount"] is True


def test_amount_discount_is_sent_as_amount():
    inv = invoice(line("200.00"), discount_total=D("15.50"), total=D("184.50"))
    discount = invoice_body(inv, resolved(inv), Settings())["Line"][-1]
    assert discount["Amount"] == 15.5
    assert discount["DiscountLineDetail"] == {"PercentBased": False}


def test_discount_goes_before_the_tax_item_line_and_by_amount():
    inv = invoice(
        line("200.00", taxable=True, rate="r1"),
        discount_total=D("20.00"),
        discount_percent=D("10"),
        tax_total=D("14.85"),
    )
    body = invoice_body(inv, resolved(inv), Settings(region="US", tax_item="33"))
    kinds = [item["DetailType"] for item in body["Line"]]
    assert kinds == ["SalesItemLineDetail", "DiscountLineDetail", "SalesItemLineDetail"]
    assert body["Line"][1]["DiscountLineDetail"] == {"PercentBased": False}
