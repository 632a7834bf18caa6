"""The invoice arithmetic alone (core.platform.totals): rounding, discount spread, tax per rate."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.platform.port import PlatformError
from core.platform.totals import TotalsLine, allocate, compute

D = Decimal


def test_line_amounts_round_half_up_to_the_cent():
    totals = compute([TotalsLine(D("3"), D("0.335")), TotalsLine(D("1.5"), D("0.01"))])
    assert totals.line_amounts == (D("1.01"), D("0.02"))  # 1.005 -> 1.01, 0.015 -> 0.02
    assert totals.subtotal == D("1.03")


@pytest.mark.parametrize(
    ("amount", "weights"),
    [
        (D("10.00"), [D("1.00"), D("1.00"), D("1.00")]),
        (D("0.01"), [D("5.00"), D("5.00")]),
        (D("16.00"), [D("59.97"), D("100.00")]),
        (D("99.99"), [D("0.01")] * 7 + [D("1000.00")]),
    ],
)
def test_discount_shares_are_whole_cents_that_add_up_to_the_discount(amount, weights):
    shares = allocate(amount, weights)
    assert sum(shares) == amount
    assert all(share == share.quantize(D("0.01")) and share >= 0 for share in shares)


def test_three_equal_lines_share_a_ten_dollar_discount_as_3_33_3_34_3_33():
    assert allocate(D("10.00"), [D("1.00")] * 3) == [D("3.33"), D("3.34"), D("3.33")]


def test_tax_is_on_the_discounted_taxable_amount_per_rate():
    state, city = ("1", D("8.25")), ("2", D("1.5"))
    totals = compute(
        [
            TotalsLine(D("3"), D("19.99"), state),  # 59.97
            TotalsLine(D("1"), D("100.00")),  # untaxed
            TotalsLine(D("2"), D("10.00"), city),  # 20.00
        ],
        discount_percent=D("10"),
    )
    assert totals.subtotal == D("179.97")
    assert totals.discount_total == D("18.00")  # 17.997
    assert sum(totals.line_discounts) == D("18.00")
    # the discount spread: 6.00 / 10.00 / 2.00 by cumulative rounding
    assert totals.line_discounts == (D("6.00"), D("10.00"), D("2.00"))
    # state: 53.97 x 8.25 % = 4.4525 -> 4.45; city: 18.00 x 1.5 % = 0.27
    assert totals.tax_total == D("4.72")
    assert totals.total == D("166.69")


def test_tax_is_rounded_once_per_rate_not_once_per_line():
    rate = ("1", D("10"))
    totals = compute([TotalsLine(D("1"), D("0.05"), rate)] * 3)
    # per line 0.005 -> 0.01 each would make 0.03; per rate 0.015 -> 0.02
    assert totals.tax_total == D("0.02")


def test_a_fixed_discount_above_the_subtotal_is_refused():
    with pytest.raises(PlatformError) as refused:
        compute([TotalsLine(D("1"), D("5.00"))], discount_amount=D("5.01"))
    assert refused.value.field == "discount_amount"
