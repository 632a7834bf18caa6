"""Copy to QuickBooks from the installation page (a form on a chosen invoice) and from the REST
API's generic actions route, against a company on the emulator."""

from __future__ import annotations

import re

import test_installation_page as installation_page
from web_support import Browser

from core import api_tokens

# The QuickBooks company on the emulator and the connected installation of the page's tests.
company = installation_page.company
quickbooks_id = installation_page.quickbooks_id
sent_invoices = installation_page.sent_invoices

FORM = 'id="action-form-copy_invoice"'


def copy_form(html: str) -> str:
    start = html.index(FORM)
    return html[start : html.index("</form>", start)]


def test_the_form_offers_sent_invoices_customer_tax_code_and_mode(
    browser: Browser, integrations, tenant_id, quickbooks_id
):
    [invoice_id] = sent_invoices(integrations, tenant_id, 1)

    form = copy_form(browser.get(f"/installations/{quickbooks_id}").text)

    assert re.search(rf'<option value="{invoice_id}">INV-\d+ \(', form)
    assert 'name="customer_id"' in form and 'name="tax_code"' in form
    assert '<option value="update_existing">' in form and '<option value="create_new">' in form
    assert "Blank: the invoice&#39;s customer" in form


def test_copy_then_copy_again_offers_update_and_updating_keeps_one_copy(
    browser: Browser, integrations, tenant_id, quickbooks_id, company
):
    [invoice_id] = sent_invoices(integrations, tenant_id, 1)
    url = f"/installations/{quickbooks_id}/actions/copy_invoice"

    first = browser.post(url, {"invoice_id": invoice_id, "customer_id": "", "tax_code": ""})

    assert first.status_code == 200
    assert "Copy an invoice to QuickBooks: done" in first.text
    [copied] = list(company.qbo.query("SELECT * FROM Invoice"))
    assert copied["DocNumber"].endswith("-C1")

    again = browser.post(url, {"invoice_id": invoice_id})
    assert "Copy an invoice to QuickBooks: needs attention" in again.text
    assert "choose mode update_existing" in again.text
    assert f'<option value="{invoice_id}" selected>' in copy_form(again.text)

    updated = browser.post(
        url, {"invoice_id": invoice_id, "tax_code": "2", "mode": "update_existing"}
    )
    assert "Copy an invoice to QuickBooks: done" in updated.text
    [remote] = list(company.qbo.query("SELECT * FROM Invoice"))
    assert (remote["Id"], remote["SyncToken"]) == (copied["Id"], "1")
    assert remote["TxnTaxDetail"]["TxnTaxCodeRef"]["value"] == "2"


def test_a_copy_without_an_invoice_is_refused_naming_the_field(browser: Browser, quickbooks_id):
    reply = browser.post(f"/installations/{quickbooks_id}/actions/copy_invoice", {"mode": ""})

    assert reply.status_code == 400
    assert "invoice_id" in reply.text


def test_the_api_copies_through_the_actions_route(app, integrations, tenant_id, quickbooks_id):
    [invoice_id] = sent_invoices(integrations, tenant_id, 1)
    with integrations.db.session() as session:
        token = api_tokens.create(session, tenant_id, "platform", actor="test")[1]
    client = app.test_client()
    url = f"/api/v1/installations/{quickbooks_id}/actions/copy_invoice"
    headers = {"Authorization": f"Bearer {token}"}

    first = client.post(url, json={"invoice_id": invoice_id}, headers=headers)
    again = client.post(url, json={"invoice_id": invoice_id}, headers=headers)
    other = client.post(url, json={"invoice_id": invoice_id, "mode": "create_new"}, headers=headers)

    assert first.status_code == 200 and first.get_json()["ok"] is True
    assert again.get_json()["ok"] is False
    assert (
        again.get_json()["details"]["update_existing"]["remote_id"]
        == (first.get_json()["details"]["remote_id"])
    )
    assert other.get_json()["details"]["doc_number"].endswith("-C2")
    refused = client.post(url, json={"invoice_id": invoice_id, "mode": "merge"}, headers=headers)
    assert refused.status_code == 422
