"""Several QuickBooks installations per tenant, each bound to one subsidiary and one company.

The ``sync`` harness gives the first installation (bound here to the *East* subsidiary, its
own QuickBooks company); :func:`add_installation` installs and connects a second one the same
way, through the real consent page of the emulator. Data is seeded through a ledger whose events
go nowhere, so every run is started by the test.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from emulator_support import create_company, mint_tokens, register_app, submit_consent
from sqlalchemy import select
from sync_support import PROVIDER, SyncHarness

from core import installation_state
from core.config import ConfigInvalid, with_defaults
from core.oauth import ConnectError
from core.options import fetch_options
from core.platform.ledger import EmbeddedLedger
from core.platform.port import Customer, CustomerInput, PaymentInput, Subsidiary
from core.store.models import Installation, OAuthConnection, Schedule
from plugins.quickbooks.client import QBOClient, StaticTokenSource

UNMATCHED_ITEM = "1"  # the emulator's seeded "Services" item


@dataclass
class Second:
    """The second installation: its id, and a client of the company it is connected to."""

    installation_id: int
    realm_id: str
    qbo: QBOClient


@pytest.fixture
def platform(sync: SyncHarness) -> EmbeddedLedger:
    """The tenant's ledger, its events not delivered to connectors."""
    return EmbeddedLedger(sync.services.db, sync.tenant_id)


@pytest.fixture
def offices(platform: EmbeddedLedger) -> tuple[Subsidiary, Subsidiary]:
    return platform.create_subsidiary("East office"), platform.create_subsidiary("West office")


@pytest.fixture
def first(sync: SyncHarness, offices) -> SyncHarness:
    """The harness's installation, bound to East."""
    sync.configure(
        {
            "initial": {"subsidiary": offices[0].id},
            "items": {"unmatched_one_time_item": UNMATCHED_ITEM},
        }
    )
    return sync


def connect(sync: SyncHarness, installation_id: int, realm_id: str) -> QBOClient:
    """Connect an installation to ``realm_id`` through the consent page; a client of it."""
    app = register_app(sync.emulator.url)
    with sync.services.db.session() as session:
        installation = session.get(Installation, installation_id)
        values = sync.services.configs.full(sync.services.configs.current(session, installation_id))
        values["quickbooks"] = {"client_id": app.client_id, "client_secret": app.client_secret}
        sync.services.installations.save_config(session, installation, values, actor="test")
    authorize = sync.services.oauth.authorization_url(
        sync.tenant_id,
        installation_id,
        PROVIDER,
        redirect_uri=app.redirect_uri,
        browser_session="second",
        actor="test",
    )
    callback = submit_consent(authorize, "approve", realm_id=realm_id)
    sync.services.oauth.complete(callback, browser_session="second")
    tokens = mint_tokens(sync.emulator.url, realm_id, app.client_id)
    return QBOClient(f"{sync.emulator.url}/v3", realm_id, StaticTokenSource(tokens["access_token"]))


@pytest.fixture
def add_installation(
    first: SyncHarness, install_connector, port_for
) -> Callable[[str, str], Second]:
    """``add_installation(subsidiary_id, realm_id)``: a second QuickBooks installation."""

    def add(subsidiary_id: str, realm_id: str) -> Second:
        installation = install_connector(
            "quickbooks",
            {
                "initial": {"environment": "emulator", "subsidiary": subsidiary_id},
                "items": {"unmatched_one_time_item": UNMATCHED_ITEM},
            },
        )
        port_for(installation.id)  # the REST adapter's API user, when that is the variant
        return Second(installation.id, realm_id, connect(first, installation.id, realm_id))

    return add


def customer_of(platform: EmbeddedLedger, office: Subsidiary, name: str) -> Customer:
    email = f"{name.lower()}@example.com"
    return platform.create_customer(
        CustomerInput(display_name=name, email=email, subsidiary_id=office.id)
    )


def sent_invoice(platform: EmbeddedLedger, customer: Customer, amount: str) -> str:
    invoice = platform.create_invoice(
        customer.id, [{"description": "Consulting", "unit_price": Decimal(amount)}]
    )
    return platform.send_invoice(invoice.id).id


def run(sync: SyncHarness, installation_id: int, job_key: str):
    requested = sync.services.runner.request(installation_id, job_key, trigger="manual")
    assert requested is not None
    return sync.services.runner.execute(requested.id)


def totals(qbo: QBOClient, entity: str) -> list[float]:
    return sorted(float(row["TotalAmt"]) for row in qbo.query(f"SELECT * FROM {entity}"))


def test_each_installation_exports_only_its_subsidiarys_invoices_and_payments(
    first, platform, offices, add_installation
) -> None:
    east, west = offices
    second = add_installation(west.id, create_company(first.emulator.url, "West company"))
    ada, bob = customer_of(platform, east, "Ada"), customer_of(platform, west, "Bob")
    east_invoice = sent_invoice(platform, ada, "100.00")
    west_invoice = sent_invoice(platform, bob, "250.00")
    payments = {
        office.id: platform.record_payment(
            PaymentInput(
                customer_id=who.id,
                amount=Decimal(amount),
                date=date(2026, 3, 14),
                type="cash",
                invoice_id=invoice,
            )
        ).id
        for office, who, amount, invoice in (
            (east, ada, "40.00", east_invoice),
            (west, bob, "60.00", west_invoice),
        )
    }

    for installation_id in (first.installation_id, second.installation_id):
        for job in ("export_invoices", "export_payments"):
            finished = run(first, installation_id, job)
            assert finished.status == "succeeded", (installation_id, job, finished.error)
            assert finished.counts.get("created") == 1, (installation_id, job, finished.counts)

    assert totals(first.qbo, "Invoice") == [100.0]
    assert totals(second.qbo, "Invoice") == [250.0]
    assert totals(first.qbo, "Payment") == [40.0]
    assert totals(second.qbo, "Payment") == [60.0]
    east_states = first.port.sync_states(first.installation_id, kind="invoice")
    west_states = first.port.sync_states(second.installation_id, kind="invoice")
    assert [s.record_id for s in east_states] == [east_invoice]
    assert [s.record_id for s in west_states] == [west_invoice]
    assert f"realmId={second.realm_id}" in (west_states[0].url or "")
    paid = first.port.sync_states(second.installation_id, kind="payment")
    assert [s.record_id for s in paid] == [payments[west.id]]
    with first.services.db.session() as session:
        owners = session.scalars(select(Schedule.installation_id)).all()
    assert Counter(owners)[first.installation_id] == Counter(owners)[second.installation_id] > 0


def test_customers_imported_by_an_installation_join_its_subsidiary(
    first, platform, offices, add_installation
) -> None:
    west = offices[1]
    second = add_installation(west.id, create_company(first.emulator.url, "West company"))
    second.qbo.create(
        "Customer",
        {"DisplayName": "Grace Hopper", "PrimaryEmailAddr": {"Address": "grace@example.com"}},
    )

    finished = run(first, second.installation_id, "import_from_quickbooks")

    assert finished.status == "succeeded", finished.error
    grace = platform.find_customers_by_email("grace@example.com")
    assert [c.subsidiary_id for c in grace] == [west.id]


def test_the_subsidiary_picker_lists_the_platforms_subsidiaries(first, offices) -> None:
    options = fetch_options(
        first.services, first.tenant_id, first.installation_id, "platform_subsidiaries"
    )

    assert [(o.value, o.label) for o in options] == [
        ("", "All (the platform has no subsidiaries)"),
        (offices[0].id, "East office"),
        (offices[1].id, "West office"),
    ]


def test_two_subsidiaries_may_share_a_company_but_not_one_subsidiary(
    first, offices, add_installation
) -> None:
    east, west = offices
    second = add_installation(west.id, first.realm_id)  # two subsidiaries, one company: allowed

    with first.services.db.session() as session:
        installation = session.get(Installation, second.installation_id)
        values = first.services.configs.full(
            first.services.configs.current(session, second.installation_id)
        )
        values["initial"]["subsidiary"] = east.id
        schema = first.services.host.connector("quickbooks").config_schema
        with pytest.raises(ConfigInvalid) as refused:
            first.services.installations.save_config(
                session, installation, with_defaults(schema, values), actor="test"
            )

    [error] = refused.value.errors
    assert error.pointer == "/initial/subsidiary"
    assert f"#{first.installation_id}" in error.message
    assert f"subsidiary {east.id}" in error.message
    assert first.realm_id in error.message


def test_a_wizard_draft_is_refused_the_subsidiary_already_synced_to_its_company(
    first, offices, add_installation
) -> None:
    east, west = offices
    second = add_installation(west.id, first.realm_id)

    with first.services.db.session() as session:
        installation = session.get(Installation, second.installation_id)
        installation.status = "draft"  # as while the admin walks the wizard again
        values = first.services.configs.full(
            first.services.configs.current(session, second.installation_id)
        )
        values["initial"]["subsidiary"] = east.id
        with pytest.raises(ConfigInvalid) as refused:
            installation_state.save_draft(first.services, session, installation, values, actor="t")

    [error] = refused.value.errors
    assert error.pointer == "/initial/subsidiary"
    assert f"#{first.installation_id}" in error.message


def test_connecting_a_subsidiary_to_the_company_it_already_syncs_to_is_refused(
    first, offices, add_installation
) -> None:
    east = offices[0]

    with pytest.raises(ConnectError) as refused:
        add_installation(east.id, first.realm_id)

    assert "QuickBooks Online" in refused.value.reason
    assert f"#{first.installation_id}" in refused.value.reason
    assert f"already syncs subsidiary {east.id} with account {first.realm_id}" in (
        refused.value.reason
    )
    with first.services.db.session() as session:
        connected = session.query(OAuthConnection).filter_by(account_id=first.realm_id).count()
    assert connected == 1


def test_one_subsidiary_may_go_to_two_companies(first, offices, add_installation) -> None:
    east = offices[0]
    second = add_installation(east.id, create_company(first.emulator.url, "Second company"))

    with first.services.db.session() as session:
        realms = {c.installation_id: c.account_id for c in session.query(OAuthConnection).all()}
    assert realms == {
        first.installation_id: first.realm_id,
        second.installation_id: second.realm_id,
    }


def test_an_installation_for_all_subsidiaries_overlaps_each_one(first, add_installation) -> None:
    with pytest.raises(ConnectError) as refused:
        add_installation("", first.realm_id)

    assert "already syncs subsidiary" in refused.value.reason


def test_backfill_leaves_other_subsidiaries_invoices_alone(first, platform, offices) -> None:
    east, west = offices
    ada, bob = customer_of(platform, east, "Ada"), customer_of(platform, west, "Bob")
    old = date(2020, 1, 15)
    ours, theirs = (
        platform.send_invoice(
            platform.create_invoice(
                who.id,
                [{"description": "Consulting", "unit_price": Decimal("10.00")}],
                issue_date=old,
            ).id
        ).id
        for who in (ada, bob)
    )

    chosen = first.action("backfill_invoices", {"invoice_ids": [ours, theirs]})
    everything = first.action("backfill_invoices", {"all": True})

    assert chosen.details["refused"] == {
        theirs: f"belongs to subsidiary {west.id}, not this installation's (/initial/subsidiary)"
    }
    assert chosen.details["synced"] == [ours]
    assert everything.details["synced"] == [ours]
    assert first.link("invoice", theirs) is None
    assert totals(first.qbo, "Invoice") == [10.0]
