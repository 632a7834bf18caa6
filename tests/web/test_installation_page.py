"""The installation page: configuration by step, connection, jobs, actions and config history.

The QuickBooks tests connect a real installation to the emulator over HTTP through its consent
page, so *Test connection*, *Backfill* and *Disconnect* do what they do in production.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from sample_plugins import SECRET, complete_config
from web_plugins import MARKUP
from web_support import Browser

from core.config import with_defaults
from core.platform.ledger import EmbeddedLedger
from core.platform.port import CustomerInput, ItemInput
from core.store.models import OAuthConnection, RecordLink, Run
from plugins.quickbooks.client import QBOClient, StaticTokenSource

sys.path.insert(0, str(Path(__file__).parents[1] / "emulator"))

from emulator_support import (
    AppCredentials,
    create_company,
    mint_tokens,
    register_app,
    submit_consent,
)


@pytest.fixture
def active_id(integrations, tenant_id) -> int:
    """A configured sample installation (its API key is the secret ``SECRET``)."""
    with integrations.db.session() as session:
        installation = integrations.installations.install(session, tenant_id, "sample", actor="t")
        schema = integrations.host.connector("sample").config_schema
        values = with_defaults(schema, complete_config())
        integrations.installations.save_config(session, installation, values, actor="t")
        return installation.id


def page_of(browser: Browser, installation_id: int):
    return browser.get(f"/installations/{installation_id}")


# The page --------------------------------------------------------------------------------------


def test_the_page_shows_the_configuration_by_step_with_secrets_only_as_set(
    browser: Browser, active_id
):
    page = page_of(browser, active_id)

    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    text = page.text
    assert "<h3>Account</h3>" in text and "<h3>Sync settings</h3>" in text
    assert '<dt>API key</dt><dd><span class="badge">set</span></dd>' in text
    assert "<dt>region</dt><dd>US</dd>" in text
    assert "<dt>contacts_enabled</dt><dd>on</dd>" in text
    assert SECRET not in text


def test_a_secret_not_set_reads_not_set(browser: Browser, integrations, tenant_id):
    with integrations.db.session() as session:
        draft = integrations.installations.install(session, tenant_id, "sample", actor="t").id

    text = page_of(browser, draft).text

    assert '<dt>API key</dt><dd><span class="badge">not set</span></dd>' in text
    assert "setup not finished" in text
    assert "after Finish" in text  # no Run now on a draft


def test_jobs_show_their_schedule_in_words_and_next_run(browser: Browser, active_id):
    text = page_of(browser, active_id).text

    assert "<code>0 * * * *</code><br>Every hour (UTC)" in text
    assert "<code>*/30 * * * *</code><br>Every 30 minutes (UTC)" in text
    assert text.count('<time datetime="') >= 2  # the next runs of both jobs
    assert f'action="/installations/{active_id}/jobs/import_contacts/run"' in text
    assert 'aria-label="Run Import contacts now"' in text


def test_the_page_links_its_runs_records_and_wizard(browser: Browser, active_id):
    text = page_of(browser, active_id).text

    assert f'href="/installations/{active_id}/runs"' in text
    assert f'href="/installations/{active_id}/records"' in text
    assert f'href="/installations/{active_id}/configure' in text


def test_the_installed_tab_links_each_installation_to_its_page(browser: Browser, active_id):
    assert f'href="/installations/{active_id}"' in browser.get("/installed").text


def test_markup_in_the_connectors_texts_is_shown_as_text(browser: Browser, integrations, tenant_id):
    with integrations.db.session() as session:
        evil = integrations.installations.install(session, tenant_id, "markup", actor="t").id

    text = page_of(browser, evil).text

    assert MARKUP not in text
    assert "&lt;script&gt;" in text


# Config history --------------------------------------------------------------------------------


def test_history_lists_versions_and_restore_makes_an_old_one_current(
    browser: Browser, integrations, active_id
):
    with integrations.db.session() as session:
        installation = integrations.installations.get(session, 1, active_id)
        schema = integrations.host.connector("sample").config_schema
        values = with_defaults(schema, complete_config(label="changed"))
        integrations.installations.save_config(session, installation, values, actor="someone")
        before = integrations.configs.current(session, active_id).version
    text = page_of(browser, active_id).text
    assert f"{before} (current)" in text
    assert "<code>/account/label</code>" in text
    assert "someone" in text

    reply = browser.post(f"/installations/{active_id}/config/{before - 1}/restore")

    assert reply.status_code == 302
    page = browser.get(reply.headers["Location"]).text
    assert f"Version {before - 1} was restored as version {before + 1}." in page
    with integrations.db.session() as session:
        current = integrations.configs.current(session, active_id)
        assert current.values["account"]["label"] == "main"
        assert integrations.configs.full(current)["account"]["api_key"] == SECRET
        assert current.note == f"restored {before - 1}"


def test_restoring_an_unknown_version_is_not_found(browser: Browser, active_id):
    reply = browser.post(f"/installations/{active_id}/config/99/restore")

    assert reply.status_code == 404
    assert "has no version 99" in reply.text


# Actions, tenancy and CSRF ---------------------------------------------------------------------


def test_an_unknown_action_is_refused_by_name(browser: Browser, active_id):
    reply = browser.post(f"/installations/{active_id}/actions/explode")

    assert reply.status_code == 400
    assert "action: &#39;explode&#39; is not an action of this connector (none)" in reply.text


def test_another_tenants_installation_is_not_found(other_browser: Browser, integrations, active_id):
    assert page_of(other_browser, active_id).status_code == 404
    assert other_browser.post(f"/installations/{active_id}/config/1/restore").status_code == 404
    assert other_browser.post(f"/installations/{active_id}/actions/x").status_code == 404
    with integrations.db.session() as session:
        assert len(integrations.configs.history(session, active_id)) == 2


def test_an_unknown_or_uninstalled_installation_is_not_found(
    browser: Browser, integrations, active_id
):
    assert page_of(browser, 999).status_code == 404
    with integrations.db.session() as session:
        installation = integrations.installations.get(session, 1, active_id)
        integrations.installations.uninstall(session, installation, actor="t", purge=False)

    reply = page_of(browser, active_id)

    assert reply.status_code == 404
    assert "was uninstalled" in reply.text


@pytest.mark.parametrize("path", ["/config/1/restore", "/actions/test_connection"])
def test_posts_without_the_csrf_token_are_refused(browser: Browser, integrations, active_id, path):
    reply = browser.client.post(f"/installations/{active_id}{path}")

    assert reply.status_code == 400
    assert "missing or wrong CSRF token" in reply.text
    with integrations.db.session() as session:
        assert len(integrations.configs.history(session, active_id)) == 2


# QuickBooks, connected to the emulator ---------------------------------------------------------


@dataclass
class Company:
    """A QuickBooks company on the emulator, an app allowed into it, and a client to seed it."""

    app: AppCredentials
    realm_id: str
    qbo: QBOClient


@pytest.fixture
def company(emulator) -> Company:
    """A company that sells the platform's item "Consulting"."""
    app = register_app(emulator.url)
    realm_id = create_company(emulator.url, "Page Test Company")
    tokens = mint_tokens(emulator.url, realm_id, app.client_id)
    qbo = QBOClient(f"{emulator.url}/v3", realm_id, StaticTokenSource(tokens["access_token"]))
    qbo.create("Item", {"Name": "Consulting", "Type": "Service"})
    return Company(app, realm_id, qbo)


@pytest.fixture
def quickbooks_id(integrations, tenant_id, company, install_connector) -> int:
    """QuickBooks installed, configured for the emulator and connected through consent."""
    installation = install_connector(
        "quickbooks",
        {
            "initial": {"environment": "emulator"},
            "quickbooks": {
                "client_id": company.app.client_id,
                "client_secret": company.app.client_secret,
            },
        },
    )
    authorize = integrations.oauth.authorization_url(
        tenant_id,
        installation.id,
        "quickbooks",
        redirect_uri=company.app.redirect_uri,
        browser_session="page-test",
        actor="test",
    )
    callback = submit_consent(authorize, "approve", realm_id=company.realm_id)
    integrations.oauth.complete(callback, browser_session="page-test")
    return installation.id


def sent_invoices(integrations, tenant_id: int, n: int, item_name: str = "Consulting") -> list[str]:
    """``n`` sent invoices on the platform, without events (the test decides what runs)."""
    ledger = EmbeddedLedger(integrations.db, tenant_id)
    customer = ledger.create_customer(
        CustomerInput(display_name="Ada Lovelace", email="ada@example.com")
    )
    item = ledger.create_item(ItemInput(name=item_name, price=100))
    ids = []
    for _ in range(n):
        draft = ledger.create_invoice(customer.id, [{"item_id": item.id, "quantity": 1}])
        ids.append(ledger.send_invoice(draft.id).id)
    return ids


def test_connection_shows_company_realm_since_and_its_buttons(
    browser: Browser, integrations, quickbooks_id
):
    text = page_of(browser, quickbooks_id).text

    with integrations.db.session() as session:
        realm = session.query(OAuthConnection).one().account_id
    assert "status-connected" in text
    assert "<dt>Company</dt><dd>Page Test Company</dd>" in text
    assert f"<dt>Company ID (realm)</dt><dd>{realm}</dd>" in text
    assert "<dt>Connected since</dt><dd><time" in text
    connect = f'href="/installations/{quickbooks_id}/connect/quickbooks"'
    assert f"{connect}>Reconnect to QuickBooks" in text
    assert f'action="/installations/{quickbooks_id}/disconnect/quickbooks"' in text
    assert ">Test connection</button>" in text
    assert '<dt>Client secret</dt><dd><span class="badge">set</span></dd>' in text


def test_test_connection_reports_each_check(browser: Browser, quickbooks_id):
    reply = browser.post(f"/installations/{quickbooks_id}/actions/test_connection")

    assert reply.status_code == 200
    assert reply.headers["Cache-Control"] == "no-store"
    assert "Test connection: " in reply.text
    assert "<dt><code>connection</code></dt><dd>connected to Page Test Company</dd>" in reply.text
    assert "<dt><code>/quickbooks/client_secret</code></dt><dd>ok</dd>" in reply.text
    assert "<dt><code>/invoices/numbering</code></dt>" in reply.text


def test_disconnect_from_the_page_turns_the_circle_grey(
    browser: Browser, integrations, quickbooks_id
):
    page = f"/installations/{quickbooks_id}"

    reply = browser.post(f"{page}/disconnect/quickbooks", {"next": page})

    assert reply.status_code == 302
    assert reply.headers["Location"] == page
    text = browser.get(page).text
    assert "status-not_connected" in text
    assert "Connect to QuickBooks" in text
    with integrations.db.session() as session:
        assert session.query(OAuthConnection).count() == 0


def test_backfill_lists_unsynced_invoices_and_sends_the_chosen_one(
    browser: Browser, integrations, tenant_id, quickbooks_id
):
    first, second = sent_invoices(integrations, tenant_id, 2)
    text = page_of(browser, quickbooks_id).text
    assert "2 sent invoice(s) not synced yet" in text
    assert f'name="invoice_ids" value="{first}"' in text
    assert f'name="invoice_ids" value="{second}"' in text
    assert "Tick every invoice listed" in text  # revealed by runs.js

    reply = browser.post(
        f"/installations/{quickbooks_id}/actions/backfill_invoices", {"invoice_ids": [first]}
    )

    assert reply.status_code == 200
    assert "1 invoice(s): 1 synced, 0 need sync, 0 failed" in reply.text
    with integrations.db.session() as session:
        run = session.query(Run).one()
        assert (run.job_key, run.status) == ("export_invoices", "succeeded")
    assert f'href="/runs/{run.id}">Follow run {run.id}</a>' in reply.text
    assert f'name="invoice_ids" value="{first}"' not in page_of(browser, quickbooks_id).text


def test_backfill_without_a_choice_says_what_to_choose(browser: Browser, quickbooks_id):
    reply = browser.post(f"/installations/{quickbooks_id}/actions/backfill_invoices")

    assert reply.status_code == 400
    assert "invoice_ids: choose at least one invoice, or all of them" in reply.text


def test_backfill_of_an_unknown_invoice_reports_it_refused(browser: Browser, quickbooks_id):
    reply = browser.post(
        f"/installations/{quickbooks_id}/actions/backfill_invoices", {"invoice_ids": ["424242"]}
    )

    assert reply.status_code == 200
    assert "needs attention" in reply.text
    assert "<code>424242</code>: no such invoice" in reply.text


def test_force_sync_starts_the_import_and_links_its_run(
    browser: Browser, integrations, quickbooks_id
):
    reply = browser.post(f"/installations/{quickbooks_id}/actions/force_sync")

    with integrations.db.session() as session:
        run = session.query(Run).one()
    assert run.job_key == "import_from_quickbooks"
    assert f"Import from QuickBooks started (run {run.id})." in reply.text
    assert f'href="/runs/{run.id}"' in reply.text


def test_the_quickbooks_page_never_shows_its_secrets(browser: Browser, integrations, quickbooks_id):
    with integrations.db.session() as session:
        version = integrations.configs.current(session, quickbooks_id)
        secret = integrations.configs.full(version)["quickbooks"]["client_secret"]
        tokens = integrations.connections.tokens(session.query(OAuthConnection).one())

    text = page_of(browser, quickbooks_id).text

    assert secret not in text
    assert tokens["access_token"] not in text
    assert tokens["refresh_token"] not in text


def test_a_failed_invoice_shows_its_reason_and_retry_sends_it(
    browser: Browser, integrations, tenant_id, company, quickbooks_id
):
    [invoice_id] = sent_invoices(integrations, tenant_id, 1, item_name="Gardening")
    browser.post(f"/installations/{quickbooks_id}/jobs/export_invoices/run")
    failed = browser.get(f"/installations/{quickbooks_id}/records?status=failed").text
    number = EmbeddedLedger(integrations.db, tenant_id).invoice(invoice_id).number
    assert f'Invoice {number} <span class="hint">({invoice_id})</span>' in failed
    assert "no QuickBooks item &#39;Gardening&#39; matches" in failed
    company.qbo.create("Item", {"Name": "Gardening", "Type": "Service"})
    with integrations.db.session() as session:
        record = session.query(RecordLink).filter_by(entity="invoice").one().id

    reply = browser.post(f"/installations/{quickbooks_id}/records/retry", {"link_id": str(record)})

    run = browser.get(reply.headers["Location"]).text
    assert "Export invoices to QuickBooks" in run and "succeeded" in run
    synced = browser.get(f"/installations/{quickbooks_id}/records?entity=invoice").text
    assert 'outcome-synced">synced</span>' in synced
    assert 'rel="noopener noreferrer" target="_blank">View in QuickBooks' in synced
    state = EmbeddedLedger(integrations.db, tenant_id).sync_states(quickbooks_id, kind="invoice")
    assert [s.status for s in state] == ["synced"]
