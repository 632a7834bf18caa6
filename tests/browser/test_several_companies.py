"""Several QuickBooks installations in Chromium: one per subsidiary, each with its own company.

The platform has two subsidiaries, Alpha and Beta. The admin installs QuickBooks for Alpha
(picked in the wizard's subsidiary picker, PDFs from QuickBooks, missing products created in
QuickBooks) on company 1, then presses *Add another* in the Marketplace for Beta on company 2.
A third installation that picks Alpha and connects to company 1 is refused with the reason on
the page the consent page returns to.
Finally *Copy an invoice to QuickBooks* on Alpha's installation copies an Alpha invoice; the
second copy without a mode offers update existing / create new, and update existing succeeds.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pytest
from browser_support import COMPANY, LiveApp, Screenshots, unlabelled_fields
from emulator_support import create_company
from playwright.sync_api import Page, expect

from core.platform.port import CustomerInput, Invoice, ItemInput, Subsidiary

pytestmark = pytest.mark.browser

SECOND_COMPANY = "Second Browser Company"
COPY_ACTION = "Copy an invoice to QuickBooks"


@dataclass
class Subsidiaries:
    """The platform's two subsidiaries, an invoice of Alpha's and the second company's realm.

    The invoice's product is not in QuickBooks: the copy creates it (missing products setting).
    """

    alpha: Subsidiary
    beta: Subsidiary
    alpha_invoice: Invoice
    second_realm: str


@pytest.fixture
def subsidiaries(live: LiveApp) -> Subsidiaries:
    ledger = live.services.ledger(live.tenant_id)
    alpha = ledger.create_subsidiary("Alpha Ltd")
    beta = ledger.create_subsidiary("Beta GmbH")
    design = ledger.create_item(ItemInput(name="Design Sprint", price=Decimal("250.00")))
    lines = [{"item_id": design.id, "description": "Design", "unit_price": "250.00"}]
    invoices = []
    for name, email, subsidiary in (
        ("Ada Lovelace", "ada@example.com", alpha),
        ("Grace Hopper", "grace@example.com", beta),
    ):
        given, _, family = name.partition(" ")
        customer = ledger.create_customer(
            CustomerInput(
                display_name=name,
                email=email,
                given_name=given,
                family_name=family,
                subsidiary_id=subsidiary.id,
            )
        )
        invoices.append(ledger.send_invoice(ledger.create_invoice(customer.id, lines).id))
    assert invoices[0].subsidiary_id == alpha.id
    return Subsidiaries(alpha, beta, invoices[0], create_company(live.emulator.url, SECOND_COMPANY))


def see(page: Page, shots: Screenshots, name: str) -> None:
    """Every page of the flow: each field labelled; then its screenshot."""
    assert unlabelled_fields(page) == [], f"{name}: fields without a label"
    shots.take(page, name)


def current_step(page: Page) -> str:
    match = re.search(r"/configure/([^/?#]+)$", page.url)
    assert match, f"not a wizard step: {page.url}"
    return match.group(1)


def pick_subsidiary(page: Page, subsidiary: Subsidiary, shots: Screenshots, label: str) -> None:
    """Pick in the picker: it loads the platform's subsidiaries by name when focused."""
    picker = page.get_by_label("Subsidiary", exact=True)
    picker.focus()
    options = page.locator("#f-initial-subsidiary-options option")
    expect(options).to_have_count(3)  # all, Alpha, Beta
    labels = options.evaluate_all("os => os.map(o => o.label)")
    assert "Alpha Ltd" in labels and "Beta GmbH" in labels, labels
    picker.fill(subsidiary.id)
    picker.blur()  # closes the list of choices, which would swallow the next click
    expect(picker).to_have_value(subsidiary.id)
    see(page, shots, f"{label}-initial-subsidiary")


def press_connect(page: Page, live: LiveApp, realm_id: str, shots: Screenshots, label: str):
    """Connect, and on the emulator's consent page approve for the company ``realm_id``."""
    page.get_by_label("Client ID").fill(live.credentials.client_id)
    page.get_by_label("Client secret").fill(live.credentials.client_secret)
    page.locator("section.connection").get_by_role("button", name="Connect to QuickBooks").click()
    expect(
        page.get_by_role("heading", name=f"Connect {live.credentials.client_id}")
    ).to_be_visible()
    page.locator("select[name=realm_id]").select_option(realm_id)
    shots.take(page, f"{label}-consent")  # the emulator's stand-in for Intuit's page
    page.get_by_role("button", name="Connect", exact=True).click()


def connected(page: Page, company: str, shots: Screenshots, label: str) -> None:
    page.wait_for_url(re.compile(r"/configure/quickbooks$"))
    expect(page.get_by_role("status").filter(has_text="Connected to")).to_contain_text(company)
    expect(page.locator("section.connection .status")).to_contain_text(
        f"QuickBooks: Connected to {company}"
    )
    see(page, shots, f"{label}-connected")


def next_step(page: Page) -> None:
    step = current_step(page)
    page.locator("#wizard-form button[name=action][value=next]").click()
    expect(page.locator(".field-error")).to_have_count(0)
    page.wait_for_url(re.compile(rf"/configure/(?!{step}$)[^/]+$"))


def walk(page: Page, fill: Callable[[str], None], shots: Screenshots, label: str) -> None:
    """Every step of the wizard with ``fill`` on each, then Finish."""
    total = page.locator("ol.progress li").count()
    for index in range(total):
        step = current_step(page)
        fill(step)
        see(page, shots, f"{label}-{step}")
        if index < total - 1:
            next_step(page)
    page.locator("#wizard-form button[name=action][value=finish]").click()
    page.wait_for_url(re.compile(r"/installed$"))
    expect(page.get_by_role("status").first).to_contain_text("is configured")


def add(page: Page, shots: Screenshots, label: str, *, another: bool) -> int:
    """From the Marketplace: Install, or Add another beside the installed QuickBooks."""
    page.goto("/")
    card = page.locator(".card").filter(has_text="QuickBooks Online")
    if another:
        expect(card.get_by_role("link", name="Configure")).to_be_visible()
        see(page, shots, f"{label}-marketplace")
        card.get_by_role("button", name="Add another QuickBooks Online").click()
    else:
        card.get_by_role("button", name="Install").click()
    page.wait_for_url(re.compile(r"/installations/\d+/configure/initial$"))
    return int(re.search(r"/installations/(\d+)/", page.url).group(1))


def initial(page: Page, subsidiary: Subsidiary, shots: Screenshots, label: str) -> None:
    page.get_by_label("Environment").select_option("emulator")
    pick_subsidiary(page, subsidiary, shots, label)


def copy_invoice(page: Page, invoice: Invoice, mode: str | None) -> None:
    form = page.locator("#action-form-copy_invoice")
    form.get_by_label("Invoice").select_option(invoice.id)
    expect(form.get_by_label("QuickBooks customer ID")).to_have_value("")
    expect(form.get_by_label("QuickBooks tax code ID")).to_have_value("")
    form.get_by_label("If it was copied before").select_option(mode or "")
    form.get_by_role("button", name=COPY_ACTION).click()


def test_one_installation_per_subsidiary_and_company_and_copy_an_invoice(
    admin: Page, live: LiveApp, subsidiaries: Subsidiaries, shots: Screenshots, dialogs: list[str]
):
    page = admin
    alpha, beta = subsidiaries.alpha, subsidiaries.beta

    first = add(page, shots, "alpha", another=False)

    def fill_alpha(step: str) -> None:
        if step == "initial":
            initial(page, alpha, shots, "alpha")
        elif step == "quickbooks":
            press_connect(page, live, live.realm_id, shots, "alpha")
            connected(page, COMPANY, shots, "alpha")
        elif step == "invoices":
            page.get_by_label("Invoice PDFs from").select_option("quickbooks")
        elif step == "items":
            page.get_by_label("Products missing in QuickBooks").select_option(
                "create_in_quickbooks"
            )
            expect(page.get_by_label("Name of a created product")).to_have_value("{item_name}")

    walk(page, fill_alpha, shots, "alpha")
    see(page, shots, "alpha-installed")

    second = add(page, shots, "beta", another=True)
    assert second != first

    def fill_beta(step: str) -> None:
        if step == "initial":
            initial(page, beta, shots, "beta")
        elif step == "quickbooks":
            press_connect(page, live, subsidiaries.second_realm, shots, "beta")
            connected(page, SECOND_COMPANY, shots, "beta")

    walk(page, fill_beta, shots, "beta")
    for installation, name in ((first, "QuickBooks Online"), (second, "QuickBooks Online 2")):
        row = page.locator(f"#installation-{installation}")
        expect(row).to_contain_text(name)
        expect(row.locator(".status")).to_have_class(re.compile(r"\bstatus-connected\b"))
    see(page, shots, "both-installed")

    # A third installation for Alpha may not connect to Alpha's company.
    add(page, shots, "third", another=True)
    initial(page, alpha, shots, "third")
    next_step(page)
    assert current_step(page) == "quickbooks"
    press_connect(page, live, live.realm_id, shots, "third")
    expect(page.get_by_role("heading", name="Not connected")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text(
        f"installation 'QuickBooks Online' (#{first}) already syncs subsidiary {alpha.id} "
        f"with account {live.realm_id}"
    )
    see(page, shots, "third-refused")

    # Copy an invoice of Alpha's to company 1 from Alpha's installation page.
    page.goto(f"/installations/{first}")
    expect(page.get_by_role("heading", level=1)).to_have_text("QuickBooks Online")
    see(page, shots, "alpha-installation")
    invoice = subsidiaries.alpha_invoice
    copy_invoice(page, invoice, None)
    result = page.locator("#action-result")
    expect(result).to_have_class(re.compile(r"\bflash-ok\b"))
    expect(result.get_by_role("heading")).to_have_text(f"{COPY_ACTION}: done")
    expect(result).to_contain_text(f"invoice {invoice.number} created in QuickBooks as invoice")
    copied = re.search(r"as invoice (\d+)", result.inner_text()).group(1)
    see(page, shots, "copy-created")

    copy_invoice(page, invoice, None)
    expect(result.get_by_role("heading")).to_have_text(f"{COPY_ACTION}: needs attention")
    expect(result).to_have_attribute("role", "alert")
    expect(result).to_contain_text(
        f"invoice {invoice.number} was already copied to QuickBooks (invoice {copied})"
    )
    expect(result).to_contain_text("update_existing, create_new")
    expect(page.locator("#copy_invoice-invoice_id")).to_have_value(invoice.id)
    see(page, shots, "copy-choose-mode")

    copy_invoice(page, invoice, "update_existing")
    expect(result.get_by_role("heading")).to_have_text(f"{COPY_ACTION}: done")
    expect(result).to_contain_text(
        f"invoice {invoice.number} updated in QuickBooks as invoice {copied}"
    )
    see(page, shots, "copy-updated")
    assert dialogs == []
