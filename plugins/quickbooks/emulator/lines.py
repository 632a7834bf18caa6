"""The ``Line`` array of sales forms (Invoice, SalesReceipt): checks, Ids and amounts.

What QBO does with lines (facts §3.5): each detail line keeps its ``Id`` when the Id is one the
form already has, otherwise it is a new line with the next Id; ``LineNum`` follows the order
sent; the read-only ``SubTotalLineDetail`` line a client echoes back is dropped and recomputed.
A sales line's Amount must equal Qty x UnitPrice (6070). python-quickbooks sends ``Qty: 0`` and
``UnitPrice: 0`` for lines that set only an Amount, so the check applies when both are non-zero.
An item-less sales line gets QBO's default ``Services`` item.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from . import faults, rules, seed, values
from .books import Books

SALES = "SalesItemLineDetail"
DISCOUNT = "DiscountLineDetail"
DESCRIPTION = "DescriptionOnly"
GROUP = "GroupLineDetail"
SUBTOTAL = "SubTotalLineDetail"
DETAIL_TYPES = (SALES, DISCOUNT, DESCRIPTION, GROUP, SUBTOTAL)


@dataclass
class SalesLine:
    """A sales line as the tax calculation needs it."""

    amount: Decimal
    tax_code: str | None
    line: dict


@dataclass
class Lines:
    """The checked lines of a form, and what totals need from them."""

    lines: list[dict] = field(default_factory=list)
    sales: list[SalesLine] = field(default_factory=list)
    discounts: list[dict] = field(default_factory=list)
    other_amount: Decimal = Decimal(0)


def read(books: Books, sent: list, old_lines: list[dict], customer: dict | None) -> Lines:
    """Check and number ``sent`` lines (2020 when there are none)."""
    detail_lines = [line for line in sent or [] if isinstance(line, dict)]
    detail_lines = [line for line in detail_lines if line.get("DetailType") != SUBTOTAL]
    if not detail_lines:
        raise faults.required("Line")
    known_ids = {str(line.get("Id")) for line in old_lines if line.get("Id") is not None}
    next_id = max((int(i) for i in known_ids if i.isdigit()), default=0) + 1
    result = Lines()
    for position, sent_line in enumerate(detail_lines, start=1):
        line = dict(sent_line)
        line_id = values.ref_value(line.get("Id"))
        if line_id is None or line_id not in known_ids:
            line_id, next_id = str(next_id), next_id + 1
        line["Id"] = line_id
        line["LineNum"] = position
        _read_line(books, line, result, customer)
        result.lines.append(line)
    return result


def _read_line(books: Books, line: dict, result: Lines, customer: dict | None) -> None:
    detail_type = line.get("DetailType")
    if not detail_type:
        raise faults.required("Line.DetailType")
    if detail_type not in DETAIL_TYPES:
        raise rules.invalid_enum("Line.DetailType", detail_type, DETAIL_TYPES[:-1])
    if detail_type == SALES:
        result.sales.append(_sales_line(books, line, customer))
    elif detail_type == DISCOUNT:
        line.setdefault(DISCOUNT, {})
        result.discounts.append(line)
    elif detail_type == DESCRIPTION:
        line["Amount"] = values.number(
            values.optional_decimal(line.get("Amount"), "Line.Amount") or 0
        )
    else:
        amount = values.optional_decimal(line.get("Amount"), "Line.Amount") or Decimal(0)
        line["Amount"] = values.number(values.money(amount))
        result.other_amount += values.money(amount)
    rules.check_length(line.get("Description"), 4000, "Line.Description")


def _sales_line(books: Books, line: dict, customer: dict | None) -> SalesLine:
    detail = dict(line.get(SALES) or {})
    amount = values.optional_decimal(line.get("Amount"), "Line.Amount")
    qty = values.optional_decimal(detail.get("Qty"), "Line.SalesItemLineDetail.Qty")
    price = values.optional_decimal(detail.get("UnitPrice"), "Line.SalesItemLineDetail.UnitPrice")
    if amount is None:
        if qty is None or price is None:
            raise faults.required("Line.Amount")
        amount = qty * price
    if qty and price and values.money(qty * price) != values.money(amount):
        raise rules.amount_mismatch(line.get("Amount"))
    item = books.resolve("Item", detail.get("ItemRef") or {"value": seed.SERVICES_ITEM}, "ItemRef")
    detail["ItemRef"] = {"value": item["Id"], "name": item["Name"]}
    if detail.get("ItemAccountRef"):
        detail["ItemAccountRef"] = books.ref("Account", detail["ItemAccountRef"], "ItemAccountRef")
    elif item.get("IncomeAccountRef"):
        detail["ItemAccountRef"] = item["IncomeAccountRef"]
    tax_code = values.ref_value(detail.get("TaxCodeRef")) or _default_tax_code(
        books, item, customer
    )
    if tax_code:
        detail["TaxCodeRef"] = {"value": tax_code}
    line["Amount"] = values.number(values.money(amount))
    line[SALES] = detail
    return SalesLine(values.money(amount), tax_code, line)


def _default_tax_code(books: Books, item: dict, customer: dict | None) -> str | None:
    """The code QBO fills in: TAX/NON from the item and customer (US), else the item's code."""
    if books.country == "US":
        taxable = item.get("Taxable", False) and (customer or {}).get("Taxable", True)
        return "TAX" if taxable else "NON"
    return values.ref_value(item.get("SalesTaxCodeRef"))
