"""A platform invoice as a QuickBooks Invoice body: pure, so every rule is unit-tested alone.

What the job resolves first (QBO ids of the customer and of each line's item, the company's tax
codes) comes in a :class:`Resolved`; the configuration in :class:`Settings`. Anything the
invoice cannot be in QuickBooks raises :class:`MappingError`, whose message becomes the
invoice's sync reason.

Rules (qbo-facts §3.5, §9):

* DocNumber is the prefix plus the platform number, fitted to QBO's 21 characters; when
  QuickBooks numbers invoices none is sent (or ``AUTO_GENERATE`` when the company has custom
  transaction numbers on, since QBO then leaves an omitted number empty).
* The memo (from the chosen source) is the customer-facing ``CustomerMemo`` (1000 characters
  at most); ``PrivateNote`` names the platform invoice, which lets a later run recognise an
  invoice an interrupted run created.
* Taxes by region. US: lines are ``TAX``/``NON`` and the transaction's sales tax code is the QBO
  code matching the platform's rate, or, with a tax item configured, the platform's tax amount
  is one line of that item and every line is ``NON``. CA/UK: every line carries a named tax
  code matching its platform rate (a zero-rate code for untaxed lines).
* The platform's discount is one ``DiscountLineDetail`` line, by percent when QuickBooks'
  percentage reproduces the platform's amount to the cent, otherwise by amount; tax applies
  after the discount, as the platform computes it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from core.platform.port import Invoice, InvoiceLine, TaxRate

DOC_NUMBER_MAX = 21
_HEAD, _TAIL = 5, 13
AUTO_GENERATE = "AUTO_GENERATE"
CUSTOMER_MEMO_MAX = 1000
US_TAXABLE, US_NON_TAXABLE = "TAX", "NON"
MEMO_SOURCES = ("subject", "note", "po_number", "custom_field")
CENT = Decimal("0.01")
#: Names of QBO tax codes for untaxed lines, most fitting first (CA and UK companies).
_UNTAXED_NAMES = ("exempt", "no vat", "zero-rated", "zero rated", "0.0% z")


class MappingError(ValueError):
    """The invoice cannot be expressed in QuickBooks; the message says why and what to fix."""


def fit_doc_number(text: str) -> str:
    """``text`` within QBO's 21 characters: longer ones keep the first 5, ``...``, the last 13."""
    if len(text) <= DOC_NUMBER_MAX:
        return text
    return f"{text[:_HEAD]}...{text[-_TAIL:]}"


def private_note(invoice: Invoice) -> str:
    """The note naming the platform invoice (how a re-run recognises its own invoice)."""
    return f"Platform invoice {invoice.number} [id {invoice.id}]"


@dataclass(frozen=True)
class QBOTaxCode:
    """A QuickBooks sales tax code and its combined rate (sum of its rates, in percent)."""

    id: str
    name: str
    rate: Decimal


@dataclass(frozen=True)
class Settings:
    """The configuration the mapping follows (``/initial/region``, ``/invoices``, ``/items``)."""

    region: str = "US"
    number_prefix: str = ""
    numbering: str = "platform"
    memo_source: str = "subject"
    tax_item: str = ""
    custom_numbers: bool = False

    @classmethod
    def from_config(cls, config: Mapping[str, Any], *, custom_numbers: bool = False) -> Settings:
        invoices = config.get("invoices", {})
        return cls(
            region=config.get("initial", {}).get("region", "US"),
            number_prefix=invoices.get("number_prefix", ""),
            numbering=invoices.get("numbering", "platform"),
            memo_source=invoices.get("memo_source", "subject"),
            tax_item=config.get("items", {}).get("tax_item", ""),
            custom_numbers=custom_numbers,
        )


@dataclass(frozen=True)
class Resolved:
    """What the job looked up in QuickBooks for one invoice.

    ``item_ids`` holds the QBO item of each line, in order; ``tax_rates`` the platform rates the
    invoice uses, by id; ``tax_codes`` the company's sales tax codes (empty if not needed).
    """

    customer_id: str
    item_ids: tuple[str, ...]
    tax_rates: Mapping[str, TaxRate]
    tax_codes: tuple[QBOTaxCode, ...] = ()


def invoice_body(invoice: Invoice, resolved: Resolved, settings: Settings) -> dict[str, Any]:
    """The Invoice body to create (and, with Id/SyncToken added, to update) in QuickBooks."""
    if invoice.status not in ("sent", "paid"):
        raise MappingError(f"only sent invoices go to QuickBooks; this one is {invoice.status}")
    if len(resolved.item_ids) != len(invoice.lines):
        raise ValueError("one QuickBooks item per invoice line is needed")
    if not invoice.lines:
        raise MappingError("the invoice has no lines; QuickBooks needs at least one")
    body: dict[str, Any] = {
        "CustomerRef": {"value": resolved.customer_id},
        "TxnDate": invoice.issue_date.isoformat(),
        "PrivateNote": private_note(invoice),
    }
    if invoice.due_date is not None:
        body["DueDate"] = invoice.due_date.isoformat()
    number = _doc_number(invoice, settings)
    if number:
        body["DocNumber"] = number
    memo = memo_text(invoice, settings.memo_source)
    if memo:
        body["CustomerMemo"] = {"value": memo[:CUSTOMER_MEMO_MAX]}
    lines = [
        _sales_line(line, item_id)
        for line, item_id in zip(invoice.lines, resolved.item_ids, strict=True)
    ]
    if settings.region == "US":
        tax_lines = _us_tax(invoice, lines, resolved, settings, body)
    else:
        _line_tax_codes(invoice, lines, resolved)
        body["GlobalTaxCalculation"] = "TaxExcluded"
        tax_lines = []
    discount = _discount_line(invoice, with_tax_item=bool(tax_lines))
    if discount is not None:
        lines.append(discount)
        body["ApplyTaxAfterDiscount"] = True
    body["Line"] = lines + tax_lines
    return body


def memo_text(invoice: Invoice, source: str) -> str:
    """The memo from the configured source field of the invoice."""
    if source not in MEMO_SOURCES:
        raise MappingError(f"/invoices/memo_source: unknown source {source!r}")
    return str(getattr(invoice, source) or "").strip()


def tax_code_for(rate: TaxRate, codes: Sequence[QBOTaxCode]) -> QBOTaxCode:
    """The QBO tax code that is the platform's ``rate``: by name, else the one code of that rate.

    A code named like the rate but with another percentage, or no code at all, is a mismatch
    the admin must settle in QuickBooks' tax setup.
    """
    named = [code for code in codes if code.name.strip().casefold() == rate.name.casefold()]
    for code in named:
        if code.rate == rate.rate:
            return code
    if named:
        raise MappingError(
            f"tax code mismatch: QuickBooks tax code {named[0].name!r} is "
            f"{_percent(named[0].rate)}, the platform's tax rate {rate.name!r} is "
            f"{_percent(rate.rate)}"
        )
    same_rate = [code for code in codes if code.rate == rate.rate]
    if len(same_rate) == 1:
        return same_rate[0]
    found = "several" if same_rate else "no"
    raise MappingError(
        f"tax code mismatch: {found} QuickBooks tax code matches the platform's tax rate "
        f"{rate.name!r} ({_percent(rate.rate)}); create or rename one in QuickBooks"
    )


def untaxed_code(codes: Sequence[QBOTaxCode]) -> QBOTaxCode:
    """The zero-rate code for untaxed lines (CA/UK companies need a code on every line)."""
    zero = [code for code in codes if code.rate == 0]
    for wanted in _UNTAXED_NAMES:
        for code in zero:
            if code.name.strip().casefold() == wanted:
                return code
    if zero:
        return zero[0]
    raise MappingError(
        "tax code mismatch: the invoice has untaxed lines and QuickBooks has no zero-rate "
        "tax code (such as Exempt) for them"
    )


def _doc_number(invoice: Invoice, settings: Settings) -> str | None:
    if settings.numbering == "quickbooks":
        return AUTO_GENERATE if settings.custom_numbers else None
    return fit_doc_number(f"{settings.number_prefix}{invoice.number}")


def _sales_line(line: InvoiceLine, item_id: str) -> dict[str, Any]:
    detail: dict[str, Any] = {
        "ItemRef": {"value": item_id},
        "Qty": float(line.quantity),
        "UnitPrice": float(line.unit_price),
    }
    result: dict[str, Any] = {
        "DetailType": "SalesItemLineDetail",
        "Amount": _money(line.amount),
        "SalesItemLineDetail": detail,
    }
    if line.description:
        result["Description"] = line.description[:4000]
    return result


def _line_rate(invoice: Invoice, line: InvoiceLine) -> str | None:
    """The platform tax rate of a taxable line (its own, else the invoice's)."""
    if not line.taxable:
        return None
    return line.tax_rate_id or invoice.tax_rate_id


def _rate(resolved: Resolved, rate_id: str) -> TaxRate:
    try:
        return resolved.tax_rates[rate_id]
    except KeyError:
        raise ValueError(f"platform tax rate {rate_id} was not looked up") from None


def _us_tax(
    invoice: Invoice,
    lines: list[dict[str, Any]],
    resolved: Resolved,
    settings: Settings,
    body: dict[str, Any],
) -> list[dict[str, Any]]:
    """Mark US lines TAX/NON and choose the transaction's tax; returns a tax item line if any."""
    rate_ids = {rid for line in invoice.lines if (rid := _line_rate(invoice, line))}
    if settings.tax_item:
        for line in lines:
            line["SalesItemLineDetail"]["TaxCodeRef"] = {"value": US_NON_TAXABLE}
        if invoice.tax_total == 0:
            return []
        names = ", ".join(sorted(_rate(resolved, rid).name for rid in rate_ids)) or "Sales tax"
        return [
            {
                "DetailType": "SalesItemLineDetail",
                "Amount": _money(invoice.tax_total),
                "Description": names,
                "SalesItemLineDetail": {
                    "ItemRef": {"value": settings.tax_item},
                    "Qty": 1,
                    "UnitPrice": _money(invoice.tax_total),
                    "TaxCodeRef": {"value": US_NON_TAXABLE},
                },
            }
        ]
    if len(rate_ids) > 1:
        raise MappingError(
            "a US QuickBooks invoice takes one sales tax rate, this invoice uses "
            f"{len(rate_ids)}; set the tax item (/items/tax_item) to send the tax as a line"
        )
    for line, platform_line in zip(lines, invoice.lines, strict=False):
        code = US_TAXABLE if _line_rate(invoice, platform_line) else US_NON_TAXABLE
        line["SalesItemLineDetail"]["TaxCodeRef"] = {"value": code}
    if rate_ids:
        code = tax_code_for(_rate(resolved, rate_ids.pop()), resolved.tax_codes)
        body["TxnTaxDetail"] = {"TxnTaxCodeRef": {"value": code.id}}
    return []


def _line_tax_codes(invoice: Invoice, lines: list[dict[str, Any]], resolved: Resolved) -> None:
    """CA/UK: every line gets the named tax code of its rate (a zero-rate code when untaxed)."""
    for number, (line, platform_line) in enumerate(zip(lines, invoice.lines, strict=True), 1):
        rate_id = _line_rate(invoice, platform_line)
        if platform_line.taxable and rate_id is None:
            raise MappingError(f"line {number} is taxable but has no tax rate")
        try:
            code = (
                tax_code_for(_rate(resolved, rate_id), resolved.tax_codes)
                if rate_id
                else untaxed_code(resolved.tax_codes)
            )
        except MappingError as error:
            raise MappingError(f"line {number}: {error}") from None
        line["SalesItemLineDetail"]["TaxCodeRef"] = {"value": code.id}


def _discount_line(invoice: Invoice, *, with_tax_item: bool) -> dict[str, Any] | None:
    if invoice.discount_total <= 0:
        return None
    detail: dict[str, Any] = {"PercentBased": False}
    percent = invoice.discount_percent
    if (
        percent is not None
        and not with_tax_item
        and _cents(invoice.subtotal * percent / 100) == invoice.discount_total
    ):
        detail = {"PercentBased": True, "DiscountPercent": float(percent)}
    return {
        "DetailType": "DiscountLineDetail",
        "Amount": _money(invoice.discount_total),
        "DiscountLineDetail": detail,
    }


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _money(value: Decimal) -> float:
    return float(_cents(value))


def _percent(value: Decimal) -> str:
    return f"{value.normalize():f} %"
