"""Platform events reach connectors and become runs; the adapter factory and its setting."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from sample_plugins import SampleConnector, complete_config

from core import hookimpl
from core.connector import InstallationInfo, JobDefinition, PlatformEvent
from core.installations import info
from core.platform.factory import rest_credentials
from core.platform.ledger import EmbeddedLedger
from core.platform.port import INVOICE_SENT, CustomerInput, PlatformAccount, PlatformError
from core.services import Services
from core.settings import Settings
from core.store.models import Installation, Run
from core.tenants import get_or_create_tenant


class EventfulConnector(SampleConnector):
    """A connector whose ``push`` job reads the platform; it asks for it when an invoice is sent.

    ``push`` is switched on and off by the sample schema's ``/sync/deals_enabled`` toggle.
    """

    def __init__(self) -> None:
        push = JobDefinition(
            key="push", title="Push", run=self.push, toggle_field="/sync/deals_enabled"
        )
        super().__init__(jobs=[push])
        self.answer: Callable[[PlatformEvent], Any] = lambda event: (
            ["push"] if event.name == INVOICE_SENT else None
        )
        self.events: list[tuple[int, str]] = []
        self.accounts: list[PlatformAccount] = []

    def push(self, ctx: Any) -> None:
        self.accounts.append(ctx.platform.account())

    @hookimpl
    def on_platform_event(self, installation: InstallationInfo, event: PlatformEvent) -> Any:
        self.events.append((installation.id, event.name))
        return self.answer(event)


@pytest.fixture
def connector() -> EventfulConnector:
    return EventfulConnector()


@pytest.fixture
def integrations_plugins(connector: EventfulConnector) -> list[tuple[str, object]]:
    return [("sample", connector)]


@pytest.fixture
def active(install_connector: Callable[..., Installation]) -> Installation:
    """An installation of the connector with a complete configuration (so it is active)."""
    installation = install_connector("sample", complete_config())
    assert installation.status == "active"
    return installation


def runs(integrations: Services) -> list[Run]:
    with integrations.db.session() as session:
        return list(session.query(Run).order_by(Run.id))


def send_an_invoice(ledger: EmbeddedLedger) -> str:
    customer = ledger.create_customer(CustomerInput(display_name="Ann"))
    invoice = ledger.create_invoice(customer.id, [{"description": "Work", "unit_price": "10"}])
    ledger.send_invoice(invoice.id)
    return invoice.id


def test_a_sent_invoice_runs_the_job_the_connector_asks_for(
    integrations, ledger, active, connector
):
    invoice_id = send_an_invoice(ledger)
    assert connector.events == [(active.id, INVOICE_SENT)]
    [run] = runs(integrations)
    assert (run.installation_id, run.job_key, run.trigger) == (active.id, "push", "event")
    assert run.requested_by == "event:invoice.sent"
    assert run.status == "succeeded"  # the default executor runs it inline
    # the job saw the tenant's platform through ctx.platform (the embedded ledger)
    assert connector.accounts == [ledger.account()]
    assert ledger.invoice(invoice_id).status == "sent"


def test_a_job_switched_off_in_the_configuration_is_not_started_by_an_event(
    integrations, ledger, install_connector, connector
):
    config = complete_config()
    config["sync"]["deals_enabled"] = False
    installation = install_connector("sample", config)
    assert installation.status == "active"
    send_an_invoice(ledger)
    assert connector.events == [(installation.id, INVOICE_SENT)]
    assert runs(integrations) == []


def test_a_failing_connector_never_breaks_the_platform_operation(
    integrations, ledger, active, connector, caplog
):
    def explode(event: PlatformEvent) -> Any:
        raise RuntimeError("connector bug")

    connector.answer = explode
    with caplog.at_level(logging.ERROR, logger="core.platform.events"):
        invoice_id = send_an_invoice(ledger)
    assert ledger.invoice(invoice_id).status == "sent"
    assert runs(integrations) == []
    assert "failed to handle invoice.sent" in caplog.text


def test_a_job_the_connector_does_not_have_is_logged_and_skipped(
    integrations, ledger, active, connector, caplog
):
    connector.answer = lambda event: ["no_such_job", "push"]
    with caplog.at_level(logging.WARNING, logger="core.platform.events"):
        send_an_invoice(ledger)
    assert [run.job_key for run in runs(integrations)] == ["push"]
    assert "no_such_job" in caplog.text


def test_only_the_tenants_active_installations_hear_its_events(
    integrations, ledger, active, connector
):
    with integrations.db.session() as session:
        other = get_or_create_tenant(session, "other", "Other Inc")
        theirs = integrations.installations.install(session, other.id, "sample", actor="test")
        integrations.installations.save_config(session, theirs, complete_config(), actor="test")
        session.get(Installation, active.id).status = "paused"
    send_an_invoice(ledger)
    assert connector.events == []
    send_an_invoice(integrations.ledger(other.id))
    assert connector.events == [(theirs.id, INVOICE_SENT)]
    assert [run.installation_id for run in runs(integrations)] == [theirs.id]


def test_the_embedded_adapter_opens_the_installations_tenant_ledger(integrations, active):
    port = integrations.runner.platforms(info(active), {}, {})
    assert isinstance(port, EmbeddedLedger)
    assert port.tenant_id == active.tenant_id


MANIFEST = {
    "id": "sample",
    "platform_api": {
        "base_url": "/platform_api/base_url",
        "username": "/platform/api_username",
        "password": "/platform/api_password",
    },
}


def test_rest_credentials_come_from_the_pointers_the_manifest_declares():
    config = {
        "platform_api": {"base_url": "https://platform.example"},
        "platform": {"api_username": "api@100001"},
    }
    secrets = {"/platform/api_password": "s3cret-pass"}
    assert rest_credentials(MANIFEST, config, secrets) == {
        "base_url": "https://platform.example",
        "username": "api@100001",
        "password": "s3cret-pass",
    }
    with pytest.raises(PlatformError) as missing:
        rest_credentials(MANIFEST, config, {})
    assert missing.value.field == "/platform/api_password"
    assert "s3cret" not in missing.value.message
    with pytest.raises(PlatformError, match="declares no platform_api"):
        rest_credentials({"id": "sample"}, config, secrets)


def test_the_adapter_setting_is_checked_at_start_up():
    assert Settings.from_env({}).platform_adapter == "embedded"
    assert Settings.from_env({"INTEGRATIONS_PLATFORM_ADAPTER": "rest"}).platform_adapter == "rest"
    with pytest.raises(ValueError, match="INTEGRATIONS_PLATFORM_ADAPTER: 'soap'"):
        Settings.from_env({"INTEGRATIONS_PLATFORM_ADAPTER": "soap"})
