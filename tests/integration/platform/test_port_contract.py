"""The platform port's contract, checked through both adapters.

Every test runs with ``platform_port`` as the embedded ledger and as the REST adapter talking to
the ledger API over real HTTP (ids ``[embedded]`` and ``[rest]``), on SQLite and PostgreSQL. The
platform's own side (creating and sending invoices) goes through ``books``, the embedded
ledger; what a connector reads and writes goes through the port under test, and where it
matters the port's answer is compared with the ledger's own answer to the same call.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from decimal import Decimal
from functools import partial
from typing import Any

import pytest
from sample_plugins import SampleConnector, sample_manifest, sample_schema

from core.connector import JobDefinition
from core.platform.ledger import EmbeddedLedger
from core.platform.port import (
    CustomerInput,
    ItemInput,
    PaymentInput,
    PlatformError,
    PlatformPort,
    RecordNotFound,
    SyncState,
    TaxRateInput,
)
from core.platform.rest import RestPlatform
from core.runner import JobContext
from core.services import Services
from core.tenants import get_or_create_tenant

D = Decimal
DAY = date(2030, 3, 1)


def refusal(call: Callable[[], Any]) -> tuple[type, str, str | None, int]:
    """What a refused call raised: its type, message, field and status."""
    with pytest.raises(PlatformError) as refused:
        call()
    exc = refused.value
    return type(exc), str(exc), exc.field, exc.status


def pay(customer_id: str, amount: str, invoice_id: str | None = None, **changes) -> PaymentInput:
    return PaymentInput(customer_id, D(amount), DAY, "card", invoice_id, **changes)


@pytest.fixture
def sent(books: EmbeddedLedger, catalog):
    """A sent invoice of 3 taxable widgets and an hour of work, 10 % off, state tax."""
    invoice = books.create_invoice(
        catalog.customer.id,
        [
            {"item_id": catalog.widget.id, "quantity": "3"},
            {"description": "Work", "quantity": "1.5", "unit_price": "80.00"},
        ],
        discount_percent="10",
        tax_rate_id=catalog.state_tax.id,
        subject="March",
        po_number="PO-1",
        due_date="2030-04-01",
    )
    return books.send_invoice(invoice.id)


# Reads --------------------------------------------------------------------------------------


def test_the_account_and_subsidiaries_read_the_same(platform_port: PlatformPort, books):
    books.create_subsidiary("East")
    books.create_subsidiary("West")
    assert platform_port.account() == books.account()
    assert platform_port.account().unique_identifier.endswith(books.account().client_code)
    assert [s.name for s in platform_port.subsidiaries()] == ["East", "West"]
    assert platform_port.subsidiaries() == books.subsidiaries()


def test_an_invoice_reads_with_its_lines_and_totals_to_the_cent(platform_port, books, sent):
    invoice = platform_port.invoice(sent.id)
    assert invoice == books.invoice(sent.id) == sent
    assert [line.amount for line in invoice.lines] == [D("59.97"), D("120.00")]
    assert (invoice.subtotal, invoice.discount_total) == (D("179.97"), D("18.00"))
    assert invoice.total == invoice.subtotal - invoice.discount_total + invoice.tax_total
    assert (invoice.subject, invoice.po_number, invoice.due_date) == (
        "March",
        "PO-1",
        date(2030, 4, 1),
    )
    assert invoice.updated_at.tzinfo is not None


def test_invoices_are_filtered_by_status_ids_and_change(platform_port, books, catalog, sent):
    draft = books.create_invoice(catalog.customer.id, [{"description": "A", "unit_price": "5"}])
    voided = books.void_invoice(
        books.send_invoice(
            books.create_invoice(catalog.customer.id, [{"description": "B", "unit_price": "7"}]).id
        ).id
    )

    def ids(**filters) -> list[str]:
        found = platform_port.invoices(**filters)
        assert found == books.invoices(**filters)
        return [i.id for i in found]

    assert ids() == [sent.id, draft.id, voided.id]
    assert ids(statuses=("sent",)) == [sent.id]
    assert ids(statuses=("draft", "void")) == [draft.id, voided.id]
    assert ids(ids=(voided.id, sent.id)) == [sent.id, voided.id]
    assert ids(ids=("999999", "not-an-id")) == []
    assert ids(ids=()) == [] and ids(statuses=()) == []
    assert ids(changed_since=draft.updated_at) == [voided.id]
    assert ids(statuses=("sent", "void"), changed_since=sent.updated_at) == [voided.id]


def test_changed_since_is_strictly_after_and_oldest_change_first(platform_port, books):
    made = [platform_port.create_customer(CustomerInput(display_name=f"C{i}")) for i in range(4)]
    renamed = platform_port.update_customer(made[0].id, CustomerInput(display_name="C0 again"))
    assert [c.display_name for c in platform_port.customers()] == ["C1", "C2", "C3", "C0 again"]
    after = platform_port.customers(changed_since=made[1].updated_at)
    assert after == books.customers(changed_since=made[1].updated_at)
    assert [c.display_name for c in after] == ["C2", "C3", "C0 again"]
    assert platform_port.customers(changed_since=renamed.updated_at) == []

    items = [platform_port.create_item(ItemInput(name=f"I{i}")) for i in range(3)]
    assert platform_port.items(changed_since=items[0].updated_at) == items[1:]
    assert platform_port.items(changed_since=items[-1].updated_at) == []


# Writes -------------------------------------------------------------------------------------


def test_customers_are_created_found_by_email_and_updated(platform_port, books):
    data = CustomerInput(
        display_name="Ann Lee",
        email="ann@example.com",
        given_name="Ann",
        family_name="Lee",
        company_name="Lee & Co",
        phone="555-0100",
    )
    created = platform_port.create_customer(data)
    assert created == platform_port.customer(created.id) == books.customer(created.id)
    assert (created.display_name, created.company_name, created.active) == (
        "Ann Lee",
        "Lee & Co",
        True,
    )
    updated = platform_port.update_customer(created.id, replace(data, active=False, phone=""))
    assert (updated.active, updated.phone) == (False, "")
    assert updated.updated_at > created.updated_at
    assert platform_port.find_customers_by_email("ann@example.com") == [updated]
    assert platform_port.find_customers_by_email("nobody@example.com") == []


def test_items_and_tax_rates_are_created_and_updated(platform_port, books):
    plan = platform_port.create_item(
        ItemInput(name="Plan", kind="recurring", price=D("49.5"), description="Monthly")
    )
    assert (plan.kind, plan.price, plan.taxable) == ("recurring", D("49.50"), False)
    changed = platform_port.update_item(
        plan.id, ItemInput(name="Plan", price=D("55"), taxable=True)
    )
    assert (changed.kind, changed.price, changed.taxable) == ("one_time", D("55.00"), True)
    assert platform_port.item(plan.id) == changed == books.item(plan.id)

    rate = platform_port.create_tax_rate(TaxRateInput(name="NYC", rate=D("8.875")))
    assert rate.rate == D("8.875")
    retired = platform_port.update_tax_rate(rate.id, TaxRateInput("NYC", D("8.875"), False))
    assert platform_port.tax_rates() == books.tax_rates() == [retired]
    assert platform_port.tax_rate(rate.id).active is False


def test_payments_move_the_balance_and_can_be_edited_and_deleted(
    platform_port, books, catalog, sent
):
    first = platform_port.record_payment(
        pay(catalog.customer.id, "50.00", sent.id, tip=D("5.00"), reference="ch_1")
    )
    assert platform_port.payment(first.id) == first == books.payment(first.id)
    assert (first.tip, first.reference, first.origin) == (D("5.00"), "ch_1", "platform")
    assert platform_port.invoice(sent.id).balance == sent.total - D("50.00")

    whole = platform_port.update_payment(
        first.id, pay(catalog.customer.id, str(sent.total), sent.id)
    )
    assert whole.amount == sent.total
    paid = platform_port.invoice(sent.id)
    assert (paid.status, paid.balance) == ("paid", D("0.00"))

    platform_port.delete_payment(first.id)
    reopened = platform_port.invoice(sent.id)
    assert (reopened.status, reopened.balance) == ("sent", sent.total)
    assert refusal(lambda: platform_port.payment(first.id))[0] is RecordNotFound


def test_payments_are_filtered_by_invoice_origin_and_change(platform_port, books, catalog, sent):
    on_invoice = platform_port.record_payment(pay(catalog.customer.id, "10.00", sent.id))
    mirrored = platform_port.record_payment(
        pay(catalog.customer.id, "20.00", sent.id, origin="remote", remote_ref="qbo-7")
    )
    booking = platform_port.record_payment(
        pay(catalog.other_customer.id, "30.00", description="Booking deposit")
    )

    def ids(**filters) -> list[str]:
        found = platform_port.payments(**filters)
        assert found == books.payments(**filters)
        return [p.id for p in found]

    assert ids() == [on_invoice.id, mirrored.id, booking.id]
    assert ids(invoice_id=sent.id) == [on_invoice.id, mirrored.id]
    assert ids(origin="remote") == [mirrored.id]
    assert ids(origin="platform", changed_since=on_invoice.updated_at) == [booking.id]
    assert booking.invoice_id is None and mirrored.remote_ref == "qbo-7"


# Sync states --------------------------------------------------------------------------------


def test_sync_states_are_written_and_read_back(platform_port, books, catalog, sent, installation):
    synced = SyncState(
        installation.id,
        "invoice",
        sent.id,
        "synced",
        remote_id="130",
        url="https://app.qbo.intuit.com/app/invoice?txnId=130",
    )
    failed = SyncState(
        installation.id, "customer", catalog.customer.id, "failed", reason="Duplicate Name"
    )
    platform_port.set_sync_state(synced)
    platform_port.set_sync_state(failed)
    states = platform_port.sync_states(installation.id)
    assert states == books.sync_states(installation.id)
    assert [(s.kind, s.record_id, s.status) for s in states] == [
        ("invoice", sent.id, "synced"),
        ("customer", catalog.customer.id, "failed"),
    ]
    assert states[0].url == synced.url and states[1].reason == "Duplicate Name"
    assert states[0].at is not None

    platform_port.set_sync_state(replace(failed, status="synced", reason=None, remote_id="58"))
    [customer_state] = platform_port.sync_states(installation.id, kind="customer")
    assert (customer_state.status, customer_state.remote_id) == ("synced", "58")
    assert platform_port.sync_states(installation.id, status="failed") == []
    by_id = platform_port.sync_states(installation.id, kind="invoice", record_ids=(sent.id,))
    assert by_id == [states[0]]
    assert platform_port.sync_states(installation.id, record_ids=()) == []


# Errors -------------------------------------------------------------------------------------


@pytest.fixture
def other_installation(integrations: Services) -> int:
    """An installation of another tenant."""
    with integrations.db.session() as session:
        other = get_or_create_tenant(session, "other", "Other tenant")
        return integrations.installations.install(session, other.id, "sample", actor="t").id


def test_refusals_are_the_same_exceptions_through_both_adapters(
    platform_port, books, catalog, sent, installation, other_installation
):
    cases: dict[str, Callable[[PlatformPort], Any]] = {
        "unknown customer": lambda p: p.customer("999999"),
        "id that is no id": lambda p: p.payment("not an id"),
        "update unknown item": lambda p: p.update_item("999999", ItemInput(name="X")),
        "delete unknown payment": lambda p: p.delete_payment("999999"),
        "bad e-mail": lambda p: p.create_customer(CustomerInput("Bo", email="bo-at-example")),
        "blank name": lambda p: p.update_customer(catalog.customer.id, CustomerInput(" ")),
        "price in mills": lambda p: p.create_item(ItemInput(name="X", price=D("1.234"))),
        "rate over 100": lambda p: p.create_tax_rate(TaxRateInput("T", D("100.5"))),
        "overpayment": lambda p: p.record_payment(pay(catalog.customer.id, "9999", sent.id)),
        "unknown invoice": lambda p: p.record_payment(pay(catalog.customer.id, "1", "999999")),
        "remote without ref": lambda p: p.record_payment(
            pay(catalog.customer.id, "1", origin="remote")
        ),
        "state of a missing record": lambda p: p.set_sync_state(
            SyncState(installation.id, "invoice", "999999", "synced")
        ),
        "state for another tenant": lambda p: p.set_sync_state(
            SyncState(other_installation, "invoice", sent.id, "synced")
        ),
        "pdf of an unknown invoice": lambda p: p.invoice_pdf("999999"),
        "pdf that is no pdf": lambda p: p.set_invoice_pdf(sent.id, b"<html>", "quickbooks"),
    }
    seen = {name: refusal(partial(call, platform_port)) for name, call in cases.items()}
    assert seen == {name: refusal(partial(call, books)) for name, call in cases.items()}
    assert seen["unknown customer"] == (RecordNotFound, "no customer '999999'", None, 404)
    assert seen["bad e-mail"][2:] == ("email", 422)
    assert seen["overpayment"][2] == "amount"
    assert seen["unknown invoice"][1:3] == ("no invoice '999999'", "invoice_id")
    assert seen["state for another tenant"][2] == "installation_id"
    assert seen["pdf that is no pdf"][2:] == ("content", 422)
    assert books.payments() == [] and books.invoice(sent.id) == sent


def test_an_invoice_pdf_is_stored_replaced_and_read_back(platform_port, books, sent):
    assert platform_port.invoice_pdf(sent.id) is None
    platform_port.set_invoice_pdf(sent.id, b"%PDF-1.4 first", "quickbooks")
    platform_port.set_invoice_pdf(sent.id, b"%PDF-1.4 second", "quickbooks")
    stored = platform_port.invoice_pdf(sent.id)
    assert stored == books.invoice_pdf(sent.id)
    assert (stored.invoice_id, stored.source, stored.content) == (
        sent.id,
        "quickbooks",
        b"%PDF-1.4 second",
    )
    assert books.invoice(sent.id).updated_at == sent.updated_at  # a document is not an edit


# The port a job sees --------------------------------------------------------------------------

PLATFORM_API = {
    "base_url": "/platform/base_url",
    "username": "/platform/username",
    "password": "/platform/password",
}


def count_customers(ctx: JobContext) -> None:
    """Reads the platform's customers and says through which adapter."""
    ctx.count("read", len(ctx.platform.customers()))
    ctx.log.info("platform adapter: %s", type(ctx.platform).__name__)


@pytest.fixture
def sample() -> SampleConnector:
    """The sample connector with a platform step and the manifest pointers into it."""
    schema = sample_schema()
    schema["properties"]["platform"] = {
        "type": "object",
        "title": "Platform API",
        "description": "Where the platform's ledger API answers.",
        "properties": {
            "base_url": {"type": "string"},
            "username": {"type": "string"},
            "password": {"type": "string", "writeOnly": True},
        },
    }
    job = JobDefinition(key="count_customers", title="Count customers", run=count_customers)
    manifest = sample_manifest(platform_api=PLATFORM_API)
    return SampleConnector(manifest=manifest, schema=schema, jobs=[job])


def test_a_job_sees_the_platform_through_the_chosen_adapter(
    platform_adapter, integrations: Services, install_connector, port_for, run_job, books
):
    books.create_customer(CustomerInput("Ann"))
    books.create_customer(CustomerInput("Bo"))
    installation = install_connector("sample", {"account": {"api_key": "k"}})
    port = port_for(installation.id)
    assert isinstance(port, RestPlatform) == (platform_adapter == "rest")
    assert port.customers() == books.customers()

    outcome = run_job(installation.id, "count_customers")
    assert outcome.run.status == "succeeded", outcome.messages
    assert outcome.run.counts == {"read": 2}
    expected = "RestPlatform" if platform_adapter == "rest" else "EmbeddedLedger"
    assert f"platform adapter: {expected}" in outcome.messages
    assert integrations.settings.platform_adapter == platform_adapter
    with integrations.db.session() as session:
        version = integrations.configs.current(session, installation.id)
        assert "password" not in version.values.get("platform", {})
