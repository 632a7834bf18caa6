"""The keyboard alone signs in and walks a wizard step; the focus ring is always drawn and every
field has a label (checked in Chromium's DOM: ``input.labels``)."""

from __future__ import annotations

import re

import pytest
from browser_support import EMAIL, PASSWORD, LiveApp, focused, tab_to, unlabelled_fields
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def test_sign_in_with_the_keyboard_alone(page: Page, live: LiveApp, shots):
    page.goto("/login")
    assert unlabelled_fields(page) == []
    assert focused(page)["id"] == "email", "the e-mail field has the focus on arrival"

    page.keyboard.type(EMAIL)
    page.keyboard.press("Tab")
    now = focused(page)
    assert (now["id"], now["ring"]) == ("password", True)
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Tab")
    now = focused(page)
    assert (now["tag"], now["text"], now["ring"]) == ("button", "Sign in", True)
    shots.take(page, "sign-in-button-focused")
    page.keyboard.press("Enter")

    page.wait_for_url(f"{live.url}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Marketplace")
    page.keyboard.press("Tab")
    skip = focused(page)
    assert (skip["text"], skip["ring"]) == ("Skip to content", True)
    shots.take(page, "skip-link-focused")


def test_a_wizard_step_by_keyboard_with_labelled_fields_and_visible_focus(
    admin: Page, live: LiveApp, shots
):
    with live.services.db.session() as session:
        installation = live.services.installations.install(
            session, live.tenant_id, "quickbooks", actor="test"
        )
        installation_id = installation.id
    admin.goto(f"/installations/{installation_id}/configure/invoices")
    form_fields = admin.locator("#wizard-form").evaluate(
        """form => [...form.querySelectorAll('input:not([type=hidden]), select, textarea')]
                   .map(el => el.id)"""
    )
    assert len(form_fields) >= 5
    assert unlabelled_fields(admin) == []

    visited = tab_to(admin, "f-invoices-number_prefix")
    assert all(step["ring"] for step in visited), f"focus drawn without a ring: {visited}"
    reached = [step["id"] for step in tab_to(admin, form_fields[-1])]
    assert [i for i in reached if i in form_fields] == form_fields[1:], "Tab follows the form"
    shots.take(admin, "last-field-focused")

    admin.locator("#f-invoices-number_prefix").focus()
    admin.keyboard.press("Control+A")
    admin.keyboard.type("KEY-")
    admin.keyboard.press("Enter")  # submits with the form's first button: Next
    admin.wait_for_url(re.compile(r"/configure/items$"))
    expect(admin.locator("ol.progress [aria-current=step]")).to_have_text(re.compile("Items"))
    shots.take(admin, "next-step")

    next_button = admin.locator("#wizard-form button[value=next]")
    next_button.focus()
    admin.keyboard.press("Tab")
    back = focused(admin)
    assert (back["text"], back["ring"]) == ("Back", True)
    admin.keyboard.press("Space")
    admin.wait_for_url(re.compile(r"/configure/invoices$"))
    expect(admin.get_by_label("Invoice number prefix")).to_have_value("KEY-")
    shots.take(admin, "back-with-value-kept")
