"""Sales tax and totals of a sales form, per country as QBO computes them.

US (facts §3.4, §3.5): lines are ``TAX`` or ``NON`` (anything else is 6100); the rates of one
sales tax code, ``TxnTaxDetail.TxnTaxCodeRef`` (or the customer's default code), apply to the
sum of the taxable lines. CA/UK: every sales line carries its own tax code; the tax of each
rate is computed on the sum of the lines whose code includes that rate. A line without a code
is refused as QBO does ("Make sure all your transactions have a VAT rate").

``GlobalTaxCalculation``: ``TaxExcluded`` (default) adds tax to the lines, ``NotApplicable``
charges none, ``TaxInclusive`` reads line amounts as gross and backs the tax out of them
[U: how QBO reports Amount/TaxInclusiveAmt for inclusive lines is not in the facts].
``ApplyTaxAfterDiscount`` (US only, facts §3.5): false or absent, tax is worked out on the
lines before the discount lines reduce the total; true, the discount is subtracted first and
tax is charged on what remains. The discount then comes off the taxable amount in proportion
to the taxable share of the subtotal [U: how QBO splits a discount between TAX and NON lines is
not in the facts; with only taxable lines both readings agree]. Outside the US the flag is
stored and does not change the tax.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from . import faults, rules, values
from .books import Books
from .lines import DISCOUNT, Lines

US_LINE_CODES = ("TAX", "NON")
GLOBAL_TAX = ("TaxExcluded", "TaxInclusive", "NotApplicable")


@dataclass
class Totals:
    """What a form's header shows."""

    total: Decimal
    tax_detail: dict


def compute(books: Books, lines: Lines, body: dict, customer: dict | None) -> Totals:
    """TotalAmt and TxnTaxDetail for ``lines`` (discount line amounts are filled in)."""
    mode = body.get("GlobalTaxCalculation") or "TaxExcluded"
    if mode not in GLOBAL_TAX:
        raise rules.invalid_enum("GlobalTaxCalculation", mode, GLOBAL_TAX)
    subtotal = sum((line.amount for line in lines.sales), Decimal(0)) + lines.other_amount
    discount = _discounts(lines, subtotal)
    if books.country == "US":
        after_discount = values.boolean(body.get("ApplyTaxAfterDiscount"), False)
        share_off = discount / subtotal if after_discount and subtotal > 0 else Decimal(0)
        tax_detail = _us_tax(books, lines, body, customer, min(share_off, Decimal(1)))
    elif mode == "NotApplicable":
        tax_detail = {"TotalTax": 0, "TaxLine": []}
    else:
        tax_detail = _line_tax(books, lines, inclusive=mode == "TaxInclusive")
    tax = values.decimal(tax_detail["TotalTax"], "TotalTax")
    added_tax = Decimal(0) if mode == "TaxInclusive" else tax
    return Totals(subtotal - discount + added_tax, tax_detail)


def _discounts(lines: Lines, subtotal: Decimal) -> Decimal:
    total = Decimal(0)
    for line in lines.discounts:
        detail = line[DISCOUNT]
        if values.boolean(detail.get("PercentBased"), False):
            percent = values.decimal(detail.get("DiscountPercent", 0), "DiscountPercent")
            amount = values.money(subtotal * percent / 100)
        else:
            amount = values.money(values.decimal(line.get("Amount", 0), "Line.Amount"))
        line["Amount"] = values.number(amount)
        total += amount
    return total


def _rates(books: Books, code: dict) -> list[tuple[dict, Decimal]]:
    """(TaxRate, percent) for each rate of a tax code."""
    result = []
    for detail in code.get("SalesTaxRateList", {}).get("TaxRateDetail", []):
        rate = books.store.get("TaxRate", values.ref_value(detail.get("TaxRateRef")) or "")
        if rate is not None:
            result.append((rate, values.decimal(rate.get("RateValue", 0), "RateValue")))
    return result


def _tax_line(rate: dict, percent: Decimal, net: Decimal, tax: Decimal) -> dict:
    return {
        "Amount": values.number(tax),
        "DetailType": "TaxLineDetail",
        "TaxLineDetail": {
            "TaxRateRef": {"value": rate["Id"], "name": rate.get("Name", "")},
            "PercentBased": True,
            "TaxPercent": values.number(percent),
            "NetAmountTaxable": values.number(net),
        },
    }


def _us_tax(
    books: Books, lines: Lines, body: dict, customer: dict | None, share_off: Decimal
) -> dict:
    """The US sales tax; ``share_off`` is the part of the subtotal discounted before tax."""
    for line in lines.sales:
        if line.tax_code not in US_LINE_CODES:
            raise faults.validation(
                6100,
                "Invalid Line TaxCode",
                f"Business Validation Error: a US sales line's TaxCodeRef must be TAX or NON, "
                f"not {line.tax_code}",
                "Line.SalesItemLineDetail.TaxCodeRef",
            )
    sent = (body.get("TxnTaxDetail") or {}).get("TxnTaxCodeRef")
    code_ref = sent or (customer or {}).get("DefaultTaxCodeRef")
    code = books.resolve("TaxCode", code_ref, "TxnTaxDetail.TxnTaxCodeRef")
    if code is None or code["Id"] in US_LINE_CODES:
        return {"TotalTax": 0, "TaxLine": []}
    taxable = sum((line.amount for line in lines.sales if line.tax_code == "TAX"), Decimal(0))
    taxable = values.money(taxable * (1 - share_off))
    tax_lines = []
    total = Decimal(0)
    for rate, percent in _rates(books, code):
        tax = values.money(taxable * percent / 100)
        total += tax
        tax_lines.append(_tax_line(rate, percent, taxable, tax))
    return {
        "TxnTaxCodeRef": {"value": code["Id"], "name": code.get("Name", "")},
        "TotalTax": values.number(total),
        "TaxLine": tax_lines,
    }


def _line_tax(books: Books, lines: Lines, *, inclusive: bool) -> dict:
    word = "VAT" if books.country == "UK" else "GST/HST"
    net_by_rate: dict[str, Decimal] = defaultdict(Decimal)
    rate_of: dict[str, tuple[dict, Decimal]] = {}
    for line in lines.sales:
        if not line.tax_code:
            raise rules.business(
                f"Make sure all your transactions have a {word} rate before you save."
            )
        code = books.resolve(
            "TaxCode", {"value": line.tax_code}, "Line.SalesItemLineDetail.TaxCodeRef"
        )
        rates = _rates(books, code)
        combined = sum((percent for _, percent in rates), Decimal(0))
        net = values.money(line.amount / (1 + combined / 100)) if inclusive else line.amount
        for rate, percent in rates:
            net_by_rate[rate["Id"]] += net
            rate_of[rate["Id"]] = (rate, percent)
    tax_lines = []
    total = Decimal(0)
    for rate_id, net in net_by_rate.items():
        rate, percent = rate_of[rate_id]
        tax = values.money(net * percent / 100)
        total += tax
        tax_lines.append(_tax_line(rate, percent, net, tax))
    return {"TotalTax": values.number(total), "TaxLine": tax_lines}
