"""Fixtures of the ledger tests: a ledger that records its events, and a small catalog."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest

from core.connector import PlatformEvent
from core.platform.ledger import EmbeddedLedger
from core.platform.port import Customer, CustomerInput, Item, ItemInput, TaxRate, TaxRateInput
from core.services import Services


@pytest.fixture
def raised() -> list[PlatformEvent]:
    """The events the ``books`` ledger raised, in order."""
    return []


@pytest.fixture
def books(integrations: Services, tenant_id: int, raised: list[PlatformEvent]) -> EmbeddedLedger:
    """The test tenant's ledger, with its events recorded in ``raised`` instead of dispatched."""
    return EmbeddedLedger(integrations.db, tenant_id, on_event=raised.append)


@dataclass(frozen=True)
class Catalog:
    customer: Customer
    other_customer: Customer
    state_tax: TaxRate
    city_tax: TaxRate
    widget: Item
    support: Item


@pytest.fixture
def catalog(books: EmbeddedLedger) -> Catalog:
    """Two customers, two tax rates, a taxable one-time item and an untaxed recurring one."""
    return Catalog(
        customer=books.create_customer(
            CustomerInput(display_name="Ann Lee", email="ann@example.com")
        ),
        other_customer=books.create_customer(
            CustomerInput(display_name="Bo Chen", email="bo@example.com")
        ),
        state_tax=books.create_tax_rate(TaxRateInput(name="State", rate=Decimal("8.25"))),
        city_tax=books.create_tax_rate(TaxRateInput(name="City", rate=Decimal("1.5"))),
        widget=books.create_item(ItemInput(name="Widget", price=Decimal("19.99"), taxable=True)),
        support=books.create_item(
            ItemInput(name="Support plan", kind="recurring", price=Decimal("49.00"))
        ),
    )
