"""Demo data for the embedded ledger: a small business with a few weeks of invoicing.

``integrations serve`` loads it for the demo tenant so the Marketplace has something to sync on
first start: customers (two of them share the display name "John Smith", as happens in real
books, to show how a connector keeps them apart), one-time and recurring items, taxable or not,
two tax rates, invoices in every status with discounts and taxes, payments (one partial, one
with a tip, one with no invoice), and an API user for the REST platform adapter.

Loading is idempotent: a tenant whose ledger already has customers is left alone, and the API
user is created only when missing.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from core.platform.ledger import EmbeddedLedger, api_user_exists, create_api_user
from core.platform.port import CustomerInput, ItemInput, PaymentInput, TaxRateInput
from core.services import Services

DEMO_NAME = "Demo Company"
DEMO_CLIENT_CODE = "DEMO01"
API_LOGIN = "api"

CUSTOMERS = [
    # display name, e-mail, company, subsidiary index
    ("Ada Lovelace", "ada@analytical.example", "Analytical Engines Ltd", 0),
    ("Grace Hopper", "grace@cobol.example", "Compilers Inc", 0),
    ("John Smith", "john.smith@plumbing.example", "Smith Plumbing", 0),
    ("John Smith", "jsmith@bakery.example", "Smith's Bakery", 1),
    ("Katherine Johnson", "katherine@orbits.example", "Orbital Mechanics LLC", 1),
    ("Alan Turing", "alan@enigma.example", "", 1),
    ("Margaret Hamilton", "margaret@apollo.example", "Apollo Software", 0),
    ("Linus Pauling", "linus@vitamins.example", "Pauling Health", 1),
]

ITEMS = [
    # name, kind, price, taxable
    ("Website design", "one_time", "1200.00", False),
    ("Laptop stand", "one_time", "49.99", True),
    ("USB-C cable", "one_time", "12.50", True),
    ("Consulting hour", "one_time", "150.00", False),
    ("Onboarding", "one_time", "300.00", False),
    ("Monthly hosting", "recurring", "29.00", False),
    ("Support plan", "recurring", "99.00", True),
    ("Annual license", "recurring", "480.00", True),
]


@dataclass(frozen=True)
class DemoLoad:
    """What loading did; ``api_password`` is set only when it was generated just now."""

    loaded: bool
    api_username: str
    api_password: str | None = None


def load_demo_data(services: Services, tenant_id: int) -> DemoLoad:
    """Fill the tenant's ledger with the demo business (once) and make sure its API user exists.

    No platform events are raised: the demo's history is not news to any connector.
    """
    ledger = EmbeddedLedger(services.db, tenant_id)
    loaded = not ledger.customers()
    if loaded:
        ledger.configure_account(name=DEMO_NAME, client_code=DEMO_CLIENT_CODE)
        _load(ledger, date.today())
    username = f"{API_LOGIN}@{ledger.account().client_code}"
    if api_user_exists(services.db, tenant_id, API_LOGIN):
        return DemoLoad(loaded, username)
    configured = services.settings.demo_api_password
    password = configured or secrets.token_urlsafe(18)
    create_api_user(services.db, tenant_id, API_LOGIN, password)
    return DemoLoad(loaded, username, None if configured else password)


def _load(ledger: EmbeddedLedger, today: date) -> None:
    east, west = ledger.create_subsidiary("East office"), ledger.create_subsidiary("West office")
    offices = (east.id, west.id)
    customers = [
        ledger.create_customer(
            CustomerInput(
                display_name=name,
                email=email,
                given_name=name.split()[0],
                family_name=name.split()[-1],
                company_name=company,
                subsidiary_id=offices[office],
            )
        ).id
        for name, email, company, office in CUSTOMERS
    ]
    items = {
        name: ledger.create_item(
            ItemInput(name=name, kind=kind, price=Decimal(price), taxable=taxable)  # type: ignore[arg-type]
        ).id
        for name, kind, price, taxable in ITEMS
    }
    state = ledger.create_tax_rate(TaxRateInput(name="CA State 7.25%", rate=Decimal("7.25"))).id
    city = ledger.create_tax_rate(TaxRateInput(name="NYC 8.875%", rate=Decimal("8.875"))).id

    def invoice(customer: int, days_ago: int, lines: list[dict[str, Any]], **fields: Any) -> str:
        issued = today - timedelta(days=days_ago)
        return ledger.create_invoice(
            customers[customer],
            lines,
            issue_date=issued,
            due_date=issued + timedelta(days=30),
            **fields,
        ).id

    def pay(customer: int, amount: str, invoice_id: str | None, days_ago: int, **more: Any):
        ledger.record_payment(
            PaymentInput(
                customer_id=customers[customer],
                amount=Decimal(amount),
                date=today - timedelta(days=days_ago),
                type=more.pop("type", "credit_card"),
                invoice_id=invoice_id,
                **more,
            )
        )

    # Drafts: never sent, so never synced.
    invoice(0, 1, [{"item_id": items["Website design"]}], subject="New website")
    invoice(6, 0, [{"item_id": items["Consulting hour"], "quantity": "3.5"}])

    # Sent, some with discounts and taxes, one partly paid.
    sent = [
        invoice(
            1,
            20,
            [
                {"item_id": items["Laptop stand"], "quantity": 4},
                {"item_id": items["USB-C cable"], "quantity": 4},
                {"item_id": items["Onboarding"]},
            ],
            tax_rate_id=state,
            discount_percent="10",
            subject="Office kit",
            po_number="PO-1042",
        ),
        invoice(2, 15, [{"item_id": items["Consulting hour"], "quantity": 2}], note="Leak fix"),
        invoice(
            3,
            12,
            [{"item_id": items["Support plan"]}, {"item_id": items["Monthly hosting"]}],
            tax_rate_id=city,
            custom_field="Bakery site",
        ),
        invoice(
            4,
            9,
            [{"item_id": items["Annual license"], "quantity": 2}],
            tax_rate_id=state,
            discount_amount="60.00",
            subject="Licenses",
        ),
        invoice(
            7,
            4,
            [{"description": "Custom report", "unit_price": "275.00"}],
            subject="Quarterly report",
        ),
    ]
    # Paid in full.
    paid = [
        invoice(5, 40, [{"item_id": items["Website design"]}], discount_percent="5"),
        invoice(0, 35, [{"item_id": items["Support plan"]}], tax_rate_id=city),
        invoice(6, 30, [{"item_id": items["Consulting hour"], "quantity": 6}]),
    ]
    # Voided: one that was sent, one that never was.
    void = [
        invoice(2, 25, [{"item_id": items["Onboarding"]}], note="Booked twice"),
        invoice(5, 22, [{"item_id": items["USB-C cable"], "quantity": 10}], tax_rate_id=state),
    ]
    for invoice_id in sent + paid + void[:1]:
        ledger.send_invoice(invoice_id)
    for invoice_id in void:
        ledger.void_invoice(invoice_id)
    pay(5, str(ledger.invoice(paid[0]).total), paid[0], 33, reference="CHK-2201", type="check")
    pay(0, str(ledger.invoice(paid[1]).total), paid[1], 30, tip=Decimal("10.00"))
    pay(6, str(ledger.invoice(paid[2]).total), paid[2], 25, type="bank_transfer")
    pay(1, "150.00", sent[0], 10, reference="Deposit")
    pay(3, "45.00", None, 6, description="Order form: birthday cake", type="cash")
