"""How the ledger computes an invoice's totals, to the cent.

The rules (the connector reproduces them in QuickBooks, so they are written down here once):

1. A line's ``amount`` is quantity x unit price, rounded half up to the cent.
2. ``subtotal`` is the sum of the line amounts.
3. The invoice-level discount is either a percentage of the subtotal (rounded half up to the
   cent) or a fixed amount, never more than the subtotal.
4. For tax, the discount is spread over the lines in proportion to their amounts, by cumulative
   rounding: line *i* gets ``round(D x (a1+..+ai) / S) - round(D x (a1+..+a(i-1)) / S)``, so the
   shares are whole cents and add up to the discount exactly, whatever the number of lines.
5. Tax is computed per tax rate, on the sum of the discounted amounts of the taxable lines at
   that rate, rounded half up to the cent (what QuickBooks does per tax rate, not per line).
6. ``total`` = subtotal - discount + tax.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from core.platform.port import PlatformError

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)


def cents(value: Decimal) -> Decimal:
    """``value`` rounded half up to the cent."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class TotalsLine:
    """What the computation needs of one line; ``tax`` is (tax rate id, percentage) or None."""

    quantity: Decimal
    unit_price: Decimal
    tax: tuple[str, Decimal] | None = None


@dataclass(frozen=True)
class Totals:
    line_amounts: tuple[Decimal, ...]
    line_discounts: tuple[Decimal, ...]
    subtotal: Decimal
    discount_total: Decimal
    tax_total: Decimal
    total: Decimal


def allocate(amount: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """Split ``amount`` in whole cents in proportion to ``weights`` (rule 4); sums exactly."""
    whole = sum(weights, ZERO)
    if whole == 0:
        return [ZERO for _ in weights]
    shares, running, given = [], ZERO, ZERO
    for weight in weights:
        running += weight
        upto = cents(amount * running / whole)
        shares.append(upto - given)
        given = upto
    return shares


def compute(
    lines: Sequence[TotalsLine],
    *,
    discount_percent: Decimal | None = None,
    discount_amount: Decimal | None = None,
) -> Totals:
    """The invoice's totals by the rules above; a discount above the subtotal is refused."""
    amounts = [cents(line.quantity * line.unit_price) for line in lines]
    subtotal = sum(amounts, ZERO)
    if discount_percent is not None:
        discount = cents(subtotal * discount_percent / HUNDRED)
    else:
        discount = cents(discount_amount) if discount_amount is not None else ZERO
        if discount > subtotal:
            raise PlatformError(
                f"discount {discount} is more than the subtotal {subtotal}", "discount_amount"
            )
    shares = allocate(discount, amounts)
    taxable: dict[str, tuple[Decimal, Decimal]] = {}
    for line, amount, share in zip(lines, amounts, shares, strict=True):
        if line.tax is not None:
            key, rate = line.tax
            base, _ = taxable.get(key, (ZERO, rate))
            taxable[key] = (base + amount - share, rate)
    tax = sum((cents(base * rate / HUNDRED) for base, rate in taxable.values()), ZERO)
    return Totals(
        line_amounts=tuple(amounts),
        line_discounts=tuple(shares),
        subtotal=subtotal,
        discount_total=discount,
        tax_total=tax,
        total=subtotal - discount + tax,
    )
