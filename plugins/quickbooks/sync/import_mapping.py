"""QuickBooks customers, items and tax codes as the platform records an import writes.

Each function turns one QuickBooks object into the platform's input dataclass. What QuickBooks
holds wins; what it does not hold (a customer's subsidiary, an item's one-time or recurring
kind) is kept from the platform record being updated, so an import never erases the
platform's own data. A QuickBooks object that cannot become a platform record raises
:class:`MappingError` with the reason, and that record alone fails.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, TypeVar

from core.platform.port import Customer, CustomerInput, Item, ItemInput, ItemKind, TaxRateInput

InputT = TypeVar("InputT", CustomerInput, ItemInput, TaxRateInput)

CENT = Decimal("0.01")
#: US pseudo tax codes: they say "taxable or not" on a line, they are no rate (facts §3.4).
PSEUDO_TAX_CODES = frozenset({"TAX", "NON", "CustomSalesTax"})
#: Item types that cannot be sold on an invoice line.
UNSELLABLE_ITEM_TYPES = frozenset({"Category"})


class MappingError(ValueError):
    """A QuickBooks object that cannot become a platform record, and why."""


def is_active(qbo: Mapping[str, Any]) -> bool:
    """QuickBooks' ``Active`` flag (absent means active); a CDC deletion is inactive."""
    return qbo.get("status") != "Deleted" and qbo.get("Active", True) is not False


def customer_input(qbo: Mapping[str, Any], existing: Customer | None = None) -> CustomerInput:
    """The platform customer for a QuickBooks Customer.

    The display name falls back to the person's name, then the company name, as QuickBooks
    itself composes one; a customer with none of them cannot be shown and fails.
    """
    given = _text(qbo.get("GivenName"))
    family = _text(qbo.get("FamilyName"))
    company = _text(qbo.get("CompanyName"))
    display = _text(qbo.get("DisplayName")) or " ".join(p for p in (given, family) if p) or company
    if not display:
        raise MappingError(f"QuickBooks customer {qbo.get('Id')} has no name")
    email = _text((qbo.get("PrimaryEmailAddr") or {}).get("Address")) or None
    phone = _text((qbo.get("PrimaryPhone") or {}).get("FreeFormNumber"))
    return CustomerInput(
        display_name=display,
        email=email or (existing.email if existing else None),
        given_name=given or (existing.given_name if existing else ""),
        family_name=family or (existing.family_name if existing else ""),
        company_name=company or (existing.company_name if existing else ""),
        phone=phone or (existing.phone if existing else ""),
        subsidiary_id=existing.subsidiary_id if existing else None,
        active=is_active(qbo),
    )


def item_input(
    qbo: Mapping[str, Any], existing: Item | None = None, *, recurring_item_id: str = ""
) -> ItemInput:
    """The platform item for a QuickBooks Item.

    QuickBooks has no recurring flag; the one item it marks as recurring is the one the admin
    chose as the *unmatched recurring item*. Otherwise the platform's own kind is kept, and a
    new item is one-time. Prices are the platform's two places.
    """
    name = _text(qbo.get("Name"))
    if not name:
        raise MappingError(f"QuickBooks item {qbo.get('Id')} has no name")
    if qbo.get("Type") in UNSELLABLE_ITEM_TYPES:
        raise MappingError(f"QuickBooks item {name!r} is a {qbo['Type']}, which is not sold")
    kind: ItemKind = existing.kind if existing else "one_time"
    if recurring_item_id and str(qbo.get("Id")) == recurring_item_id:
        kind = "recurring"
    # US items say it with Taxable; CA/UK items with a sales tax code (Taxable is a US notion).
    sales_code = str((qbo.get("SalesTaxCodeRef") or {}).get("value") or "")
    taxable = qbo.get("Taxable") is True or sales_code not in ("", "NON")
    return ItemInput(
        name=name,
        kind=kind,
        price=_money(qbo.get("UnitPrice"), f"UnitPrice of QuickBooks item {name!r}"),
        taxable=taxable,
        description=_text(qbo.get("Description")) or (existing.description if existing else ""),
        active=is_active(qbo),
    )


def sales_rate_ids(code: Mapping[str, Any]) -> list[str]:
    """The TaxRate Ids a tax code applies on sales."""
    details = (code.get("SalesTaxRateList") or {}).get("TaxRateDetail") or []
    return [
        str(detail["TaxRateRef"]["value"])
        for detail in details
        if isinstance(detail, Mapping) and (detail.get("TaxRateRef") or {}).get("value")
    ]


def is_rate_code(code: Mapping[str, Any]) -> bool:
    """True for a tax code that carries sales rates, i.e. one a platform tax rate can stand for.

    The US pseudo codes TAX/NON only say whether a line is taxable, and a code without sales
    rates (purchase-only, "No VAT") is no sales tax rate.
    """
    return str(code.get("Id")) not in PSEUDO_TAX_CODES and bool(sales_rate_ids(code))


def tax_rate_input(code: Mapping[str, Any], rates: Mapping[str, Mapping[str, Any]]) -> TaxRateInput:
    """The platform tax rate for a QuickBooks TaxCode: its name and the sum of its sales rates.

    A combined code (GST/PST BC: 5 % + 7 %) becomes one 12 % rate, which is what the platform
    charges on a line; ``rates`` are the company's TaxRates by Id.
    """
    name = _text(code.get("Name"))
    if not name:
        raise MappingError(f"QuickBooks tax code {code.get('Id')} has no name")
    total = Decimal("0")
    for rate_id in sales_rate_ids(code):
        rate = rates.get(rate_id)
        if rate is None:
            raise MappingError(
                f"tax code {name!r} uses tax rate {rate_id}, which QuickBooks did not return"
            )
        total += _decimal(rate.get("RateValue"), f"RateValue of tax rate {rate_id}")
    return TaxRateInput(
        name=name, rate=total.normalize() if total else Decimal("0"), active=is_active(code)
    )


def as_input(record: Any, input_type: type[InputT]) -> InputT:
    """The input that would write a platform ``record`` exactly as it is.

    Comparing it with the input built from QuickBooks tells whether the platform needs a write
    at all; with ``active=False`` it is how a record deleted or deactivated in QuickBooks is
    kept on the platform, marked inactive and never deleted (invoices still point at it).
    """
    return input_type(**{field.name: getattr(record, field.name) for field in fields(input_type)})


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _decimal(value: Any, what: str) -> Decimal:
    if value is None or value == "":
        return Decimal("0")
    if isinstance(value, bool):
        raise MappingError(f"{what} is not a number: {value!r}")
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise MappingError(f"{what} is not a number: {value!r}") from None


def _money(value: Any, what: str) -> Decimal:
    return _decimal(value, what).quantize(CENT, rounding=ROUND_HALF_UP)
