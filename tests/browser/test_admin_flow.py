"""The whole admin flow in Chromium: Marketplace, every wizard step with Connect, Run now, the
run, a failed invoice retried after its cause is fixed, and uninstall keeping the data.

The platform has two customers with a sent invoice each; QuickBooks knows only Ada. Under the
strict customer policy (chosen in the wizard) Grace's invoice fails with its reason; once Grace
exists in QuickBooks, Retry on the records page sends it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import httpx
import pytest
from browser_support import COMPANY, LiveApp, Screenshots, unlabelled_fields
from playwright.sync_api import Page, expect

from core.platform.port import CustomerInput, Invoice
from plugins.quickbooks.client import QBOClient, StaticTokenSource

pytestmark = pytest.mark.browser

RUN_TIMEOUT_MS = 30_000
BACK_TO_INSTALLATION = re.compile(r"^\u2039?\s*QuickBooks Online$")
BACK_TO_RUNS = re.compile(r"^\u2039?\s*Runs of QuickBooks Online$")
LINES = [{"description": "Design", "unit_price": "250.00"}]


@dataclass
class Platform:
    """The platform's invoices for the flow and a QuickBooks client of the company."""

    ada_invoice: Invoice
    grace_invoice: Invoice
    qbo: QBOClient


def qbo_client(live: LiveApp) -> QBOClient:
    response = httpx.post(
        f"{live.emulator.url}/_emulator/companies/{live.realm_id}/tokens",
        json={"client_id": live.credentials.client_id},
    )
    response.raise_for_status()
    token = StaticTokenSource(response.json()["access_token"])
    return QBOClient(f"{live.emulator.url}/v3", live.realm_id, token)


@pytest.fixture
def platform(live: LiveApp) -> Platform:
    """Ada (also a QuickBooks customer) and Grace (not), each with a sent invoice of today."""
    ledger = live.services.ledger(live.tenant_id)
    qbo = qbo_client(live)
    qbo.create(
        "Customer",
        {"DisplayName": "Ada Lovelace", "PrimaryEmailAddr": {"Address": "ada@example.com"}},
    )
    invoices = []
    for name, email in (("Ada Lovelace", "ada@example.com"), ("Grace Hopper", "grace@example.com")):
        given, _, family = name.partition(" ")
        customer = ledger.create_customer(
            CustomerInput(display_name=name, email=email, given_name=given, family_name=family)
        )
        draft = ledger.create_invoice(customer.id, LINES)
        invoices.append(ledger.send_invoice(draft.id))
    return Platform(invoices[0], invoices[1], qbo)


def see(page: Page, shots: Screenshots, name: str) -> None:
    """Every page of the flow: each field labelled, no error page; then its screenshot."""
    assert unlabelled_fields(page) == [], f"{name}: fields without a label"
    shots.take(page, name)


def current_step(page: Page) -> str:
    match = re.search(r"/configure/([^/?#]+)$", page.url)
    assert match, f"not a wizard step: {page.url}"
    return match.group(1)


def connect_to_quickbooks(page: Page, live: LiveApp, shots: Screenshots) -> None:
    """Connect, approve on the emulator's consent page for the company, come back green."""
    circle = page.locator("section.connection .status")
    expect(circle).to_have_class(re.compile(r"\bstatus-not_connected\b"))
    page.locator("section.connection").get_by_role("button", name="Connect to QuickBooks").click()
    consent = page.get_by_role("heading", name=f"Connect {live.credentials.client_id}")
    expect(consent).to_be_visible()
    page.locator("select[name=realm_id]").select_option(live.realm_id)
    shots.take(page, "consent")  # the emulator's stand-in for Intuit's page, not ours
    page.get_by_role("button", name="Connect", exact=True).click()

    page.wait_for_url(re.compile(r"/configure/quickbooks$"))
    expect(page.get_by_role("status").filter(has_text="Connected to")).to_contain_text(COMPANY)
    expect(circle).to_have_class(re.compile(r"\bstatus-connected\b"))
    expect(circle).to_contain_text(f"QuickBooks: Connected to {COMPANY}")
    expect(page.locator("#f-quickbooks-client_secret-set")).to_be_visible()
    expect(page.locator("#f-quickbooks-client_secret")).to_have_value("")
    expect(page.locator("#f-quickbooks-client_id")).to_have_value(live.credentials.client_id)
    see(page, shots, "wizard-quickbooks-connected")


def fill_step(page: Page, step: str, live: LiveApp, shots: Screenshots) -> None:
    """What the admin enters on each step; steps not named keep their pre-filled defaults."""
    if step == "initial":
        page.get_by_label("Environment").select_option("emulator")
    elif step == "quickbooks":
        page.get_by_label("Client ID").fill(live.credentials.client_id)
        page.get_by_label("Client secret").fill(live.credentials.client_secret)
        connect_to_quickbooks(page, live, shots)
    elif step == "invoices":
        page.get_by_label("Invoice number prefix").fill("WEB-")
        page.locator("#f-invoices-customer_policy").select_option("existing_only")
    elif step == "items":
        one_time = page.locator("#f-items-unmatched_one_time_item")
        one_time.focus()  # the picker loads the company's items from QuickBooks
        options = page.locator("#f-items-unmatched_one_time_item-options option")
        expect(options).not_to_have_count(0)
        assert "Services" in " ".join(options.evaluate_all("os => os.map(o => o.label)"))
        one_time.fill("1")
        page.locator("#f-items-unmatched_recurring_item").fill("2")


def walk_the_wizard(page: Page, live: LiveApp, shots: Screenshots) -> None:
    steps = page.locator("ol.progress li")
    total = steps.count()
    assert total >= 8, "the QuickBooks wizard has a step per part of its schema"
    for index in range(total):
        step = current_step(page)
        expect(page.locator("ol.progress [aria-current=step]")).to_have_text(
            steps.nth(index).inner_text()
        )
        expect(page.locator(".progress-text")).to_have_text(f"Step {index + 1} of {total}")
        see(page, shots, f"wizard-{step}")
        fill_step(page, step, live, shots)
        if index < total - 1:
            page.locator("#wizard-form button[name=action][value=next]").click()
            expect(page.locator(".field-error")).to_have_count(0)
            page.wait_for_url(re.compile(rf"/configure/(?!{step}$)[^/]+$"))
        else:
            see(page, shots, f"wizard-{step}-filled")
            page.locator("#wizard-form button[name=action][value=finish]").click()


def wait_for_outcome(page: Page, outcome: str) -> None:
    """The run page updates itself while the run goes on (no reload, no fixed sleep)."""
    expect(page.locator("[data-run-status]")).to_have_text(outcome, timeout=RUN_TIMEOUT_MS)
    expect(page.get_by_role("button", name="Cancel run")).to_have_count(0)


def record_row(page: Page, invoice: Invoice):
    return page.locator("table.records tbody tr").filter(
        has=page.get_by_role("rowheader", name=re.compile(rf"^Invoice {invoice.number}\b"))
    )


def test_admin_installs_quickbooks_connects_runs_retries_and_uninstalls(
    admin: Page, live: LiveApp, platform: Platform, shots: Screenshots, dialogs: list[str]
):
    page = admin
    see(page, shots, "marketplace")
    page.get_by_label("Search connectors").fill("quickbooks")
    expect(page.locator(".card:visible")).to_have_count(1)
    card = page.locator(".card:visible")
    expect(card).to_contain_text("QuickBooks Online")
    see(page, shots, "marketplace-search")
    card.get_by_role("link", name="QuickBooks Online").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("QuickBooks Online")
    see(page, shots, "detail")
    page.get_by_role("button", name="Install").click()

    page.wait_for_url(re.compile(r"/installations/\d+/configure/initial$"))
    installation_id = int(re.search(r"/installations/(\d+)/", page.url).group(1))
    walk_the_wizard(page, live, shots)

    page.wait_for_url(re.compile(r"/installed$"))
    expect(page.get_by_role("status").first).to_contain_text("is configured")
    row = page.locator(f"#installation-{installation_id}")
    expect(row.locator(".status")).to_have_class(re.compile(r"\bstatus-connected\b"))
    see(page, shots, "installed")
    row.get_by_label("Job").select_option("export_invoices")
    row.get_by_role("button", name="Run now").click()
    started = page.get_by_role("status").filter(has_text="was started")
    run_id = re.search(r"\(run (\d+)\)", started.inner_text()).group(1)

    page.locator(f"#installation-{installation_id} h2 a").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("QuickBooks Online")
    see(page, shots, "installation")
    page.get_by_role("link", name="Run history").click()
    see(page, shots, "runs")
    page.get_by_role("link", name=f"Run {run_id}", exact=True).click()
    wait_for_outcome(page, "partial")
    expect(page.locator('[data-run-count="created"]')).to_have_text("1")
    expect(page.locator('[data-run-count="failed"]')).to_have_text("1")
    see(page, shots, "run-partial")

    page.get_by_role("link", name=BACK_TO_RUNS).click()
    page.get_by_role("link", name=BACK_TO_INSTALLATION).click()
    page.get_by_role("navigation", name="QuickBooks Online").get_by_role(
        "link", name="Records"
    ).click()
    page.get_by_label("Status").select_option("failed")
    page.get_by_role("button", name="Filter").click()
    failed = record_row(page, platform.grace_invoice)
    expect(failed).to_contain_text("failed")
    expect(failed).to_contain_text("customer not in QuickBooks")
    expect(record_row(page, platform.ada_invoice)).to_have_count(0)
    see(page, shots, "records-failed")

    platform.qbo.create(
        "Customer",
        {"DisplayName": "Grace Hopper", "PrimaryEmailAddr": {"Address": "grace@example.com"}},
    )
    failed.get_by_role("button", name="Retry").click()
    page.wait_for_url(re.compile(r"/runs/\d+$"))
    wait_for_outcome(page, "succeeded")
    see(page, shots, "retry-succeeded")

    page.get_by_role("link", name=BACK_TO_RUNS).click()
    page.get_by_role("link", name=BACK_TO_INSTALLATION).click()
    page.get_by_role("navigation", name="QuickBooks Online").get_by_role(
        "link", name="Records"
    ).click()
    for invoice in (platform.ada_invoice, platform.grace_invoice):
        synced = record_row(page, invoice)
        expect(synced).to_contain_text("synced")
        expect(synced.get_by_role("link", name=re.compile("View in QuickBooks"))).to_be_visible()
    see(page, shots, "records-synced")

    page.get_by_role("link", name="Installed").click()
    page.get_by_role("link", name="Uninstall QuickBooks Online").click()
    expect(page.get_by_label("Keep it (secrets are deleted)")).to_be_checked()
    see(page, shots, "uninstall")
    page.get_by_role("button", name="Uninstall").click()
    expect(page.get_by_role("status").first).to_contain_text(
        "QuickBooks Online was uninstalled; its sync data was kept."
    )
    expect(page.locator(f"#installation-{installation_id}")).to_have_count(0)
    see(page, shots, "uninstalled")
    assert dialogs == []
