"""The records page: sync states with their reasons and links, filters, and retrying failures."""

from __future__ import annotations

import pytest
from sample_plugins import SECRET, SampleConnector, complete_config, sample_jobs, sample_manifest
from web_support import Browser

import admin_ui.plugin
from core.config import with_defaults
from core.connector import JobDefinition
from core.platform.ledger import EmbeddedLedger
from core.platform.port import CustomerInput
from core.records import Records
from core.runner import JobContext
from core.store.models import RecordLink, Run

CONTACT_URL = "https://crm.example/contacts/{}"


def send_contacts(ctx: JobContext) -> None:
    """Sends every contact waiting to be synced; contact ``bad`` is refused by the CRM again."""
    for link in ctx.records.links("contact", status="pending"):
        ctx.count("read")
        if link.local_id == "bad":
            ctx.records.failed("contact", "bad", "CRM says: e-mail is invalid")
            ctx.count("failed")
        else:
            url = CONTACT_URL.format(link.local_id)
            ctx.records.synced("contact", link.local_id, remote_id=f"R{link.local_id}", url=url)
            ctx.count("updated")


def records_connector() -> SampleConnector:
    """The sample connector with a job that resends contacts (``entities``)."""
    send = JobDefinition(
        key="send_contacts", title="Send contacts", run=send_contacts, entities=("contact",)
    )
    return SampleConnector(
        manifest=sample_manifest(id="records", name="Records CRM"), jobs=[*sample_jobs(), send]
    )


@pytest.fixture
def integrations_plugins():
    return [("admin_ui", admin_ui.plugin), ("records", records_connector())]


@pytest.fixture
def installation_id(integrations, tenant_id) -> int:
    with integrations.db.session() as session:
        installation = integrations.installations.install(session, tenant_id, "records", actor="t")
        schema = integrations.host.connector("records").config_schema
        values = with_defaults(schema, complete_config())
        integrations.installations.save_config(session, installation, values, actor="t")
        return installation.id


@pytest.fixture
def records(integrations, installation_id) -> Records:
    return Records(integrations.db, installation_id)


def link_id(integrations, entity: str, local_id: str) -> int:
    with integrations.db.session() as session:
        return session.query(RecordLink).filter_by(entity=entity, local_id=local_id).one().id


def status_of(integrations, entity: str, local_id: str) -> str:
    with integrations.db.session() as session:
        return session.query(RecordLink).filter_by(entity=entity, local_id=local_id).one().status


def url(installation_id: int, query: str = "") -> str:
    return f"/installations/{installation_id}/records" + (f"?{query}" if query else "")


# The list --------------------------------------------------------------------------------------


def test_records_show_status_reason_remote_id_and_view_link(
    browser: Browser, records, installation_id
):
    records.synced("contact", "7", remote_id="R7", url=CONTACT_URL.format(7))
    records.failed("contact", "8", "CRM says: <b>duplicate</b> name")

    page = browser.get(url(installation_id))

    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    text = page.text
    assert "2 record(s); page 1 of 1. 1 failed in all." in text
    assert "<td>R7</td>" in text
    assert (
        '<a href="https://crm.example/contacts/7" rel="noopener noreferrer" target="_blank">'
        "View in Records CRM" in text
    )
    assert "CRM says: &lt;b&gt;duplicate&lt;/b&gt; name" in text
    assert 'outcome-failed">failed</span>' in text
    assert ">Retry</button>" in text


def test_records_filter_by_kind_and_status(browser: Browser, records, installation_id):
    records.synced("contact", "1", remote_id="R1")
    records.failed("contact", "2", "refused")
    records.failed("deal", "3", "refused too")

    failed = browser.get(url(installation_id, "status=failed")).text
    contacts = browser.get(url(installation_id, "entity=contact")).text
    both = browser.get(url(installation_id, "entity=contact&status=failed")).text

    assert 'id="record-' in failed and "<td>R1</td>" not in failed
    assert failed.count('<tr id="record-') == 2
    assert contacts.count('<tr id="record-') == 2 and "refused too" not in contacts
    assert both.count('<tr id="record-') == 1
    assert "Retry all failed contact records" in both


def test_records_page_by_50(browser: Browser, records, installation_id):
    for n in range(51):
        records.synced("contact", str(n), remote_id=f"R{n}")

    first = browser.get(url(installation_id)).text
    second = browser.get(url(installation_id, "page=2")).text

    assert first.count('<tr id="record-') == 50
    assert second.count('<tr id="record-') == 1
    assert "page 2 of 2" in second


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("entity=planet", "entity: &#39;planet&#39; is not a kind of record here (contact)"),
        ("status=great", "status: &#39;great&#39; is not one of pending, synced, failed"),
        ("page=abc", "page: &#39;abc&#39; is not a page number"),
        ("page=2", "page: 2 is past the last page (1)"),
    ],
)
def test_records_refuse_bad_filters_by_name(browser: Browser, installation_id, query, message):
    reply = browser.get(url(installation_id, query))

    assert reply.status_code == 400
    assert message in reply.text


def test_invoices_show_the_platforms_invoice_number(
    browser: Browser, integrations, tenant_id, records, installation_id
):
    ledger = EmbeddedLedger(integrations.db, tenant_id)
    customer = ledger.create_customer(CustomerInput(display_name="Ada", email="ada@example.com"))
    invoice = ledger.create_invoice(customer.id, [{"description": "Work", "unit_price": 10}])
    records.failed("invoice", invoice.id, "QuickBooks refused it")

    text = browser.get(url(installation_id, "entity=invoice")).text

    assert f'Invoice {invoice.number} <span class="hint">({invoice.id})</span>' in text
    assert "no job of this connector resends this kind on request" in text


# Retry -----------------------------------------------------------------------------------------


def test_retry_one_marks_it_and_runs_the_job_that_sends_it(
    browser: Browser, integrations, records, installation_id
):
    records.failed("contact", "5", "CRM was down")
    records.failed("contact", "6", "CRM was down")

    reply = browser.post(
        f"/installations/{installation_id}/records/retry",
        {"link_id": str(link_id(integrations, "contact", "5"))},
    )

    assert reply.status_code == 302
    with integrations.db.session() as session:
        run = session.query(Run).one()
        assert (run.job_key, run.status, run.requested_by) == (
            "send_contacts",
            "succeeded",
            "admin@test.example",
        )
    assert reply.headers["Location"] == f"/runs/{run.id}"
    assert "1 record(s) will be sent again." in browser.get(reply.headers["Location"]).text
    assert status_of(integrations, "contact", "5") == "synced"
    assert status_of(integrations, "contact", "6") == "failed"


def test_retry_all_failed_sends_each_again(
    browser: Browser, integrations, records, installation_id
):
    records.failed("contact", "5", "CRM was down")
    records.failed("contact", "bad", "CRM says: e-mail is invalid")
    records.synced("contact", "7", remote_id="R7")

    browser.post(f"/installations/{installation_id}/records/retry", {"all": "on"})

    assert status_of(integrations, "contact", "5") == "synced"
    assert status_of(integrations, "contact", "bad") == "failed"
    text = browser.get(url(installation_id, "status=failed")).text
    assert "CRM says: e-mail is invalid" in text
    assert "1 failed in all" in text


def test_retry_all_leaves_kinds_no_job_resends_and_says_so(
    browser: Browser, integrations, records, installation_id
):
    records.failed("contact", "5", "CRM was down")
    records.failed("deal", "9", "no stage")

    reply = browser.post(f"/installations/{installation_id}/records/retry", {"all": "on"})

    text = browser.get(reply.headers["Location"]).text
    assert "1 record(s) will be sent again; 1 were left: no job of this connector resends" in text
    assert status_of(integrations, "deal", "9") == "failed"


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"link_id": "x"}, "link_id: &#39;x&#39; is not a record id"),
        ({}, "link_id: &#39;&#39; is not a record id; choose a record or all"),
        ({"all": "on"}, "all: there is no failed record to retry"),
    ],
)
def test_retry_refuses_bad_input_by_name(browser: Browser, installation_id, form, message):
    reply = browser.post(f"/installations/{installation_id}/records/retry", form)

    assert reply.status_code == 400
    assert message in reply.text


def test_retry_of_a_synced_record_or_an_unsendable_kind_is_refused(
    browser: Browser, integrations, records, installation_id
):
    records.synced("contact", "7", remote_id="R7")
    records.failed("deal", "9", "no stage")
    retry = f"/installations/{installation_id}/records/retry"

    synced = browser.post(retry, {"link_id": str(link_id(integrations, "contact", "7"))})
    deal = browser.post(retry, {"link_id": str(link_id(integrations, "deal", "9"))})

    assert synced.status_code == 400
    assert "record" in synced.text and "is synced; only a failed one is retried" in synced.text
    assert deal.status_code == 400
    assert "no job of this connector resends deal records" in deal.text
    with integrations.db.session() as session:
        assert session.query(Run).count() == 0


# Tenancy, CSRF, secrets ------------------------------------------------------------------------


def test_another_tenants_records_are_not_found(
    other_browser: Browser, integrations, records, installation_id
):
    records.failed("contact", "5", "CRM was down")
    record = str(link_id(integrations, "contact", "5"))

    assert other_browser.get(url(installation_id)).status_code == 404
    reply = other_browser.post(
        f"/installations/{installation_id}/records/retry", {"link_id": record}
    )
    assert reply.status_code == 404
    assert status_of(integrations, "contact", "5") == "failed"


def test_a_record_of_another_installation_is_not_found(
    browser: Browser, integrations, tenant_id, records, installation_id
):
    with integrations.db.session() as session:
        other = integrations.installations.install(session, tenant_id, "records", actor="t").id
    Records(integrations.db, other).failed("contact", "5", "elsewhere")
    with integrations.db.session() as session:
        foreign = session.query(RecordLink).filter_by(installation_id=other).one().id

    reply = browser.post(f"/installations/{installation_id}/records/retry", {"link_id": foreign})

    assert reply.status_code == 404


def test_retry_without_the_csrf_token_is_refused(
    browser: Browser, integrations, records, installation_id
):
    records.failed("contact", "5", "CRM was down")

    reply = browser.client.post(
        f"/installations/{installation_id}/records/retry", data={"all": "on"}
    )

    assert reply.status_code == 400
    assert "missing or wrong CSRF token" in reply.text
    assert status_of(integrations, "contact", "5") == "failed"


def test_the_records_page_never_shows_the_installations_secret(
    browser: Browser, records, installation_id
):
    records.failed("contact", "5", "CRM was down")

    assert SECRET not in browser.get(url(installation_id)).text
