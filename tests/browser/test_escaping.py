"""Text from plugin manifests and schemas is shown as text: markup in it never becomes markup."""

from __future__ import annotations

import pytest
from browser_plugins import BOLD, MARKUP, SCRIPT
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def assert_shown_as_text(page: Page, dialogs: list[str]) -> None:
    """No element came out of the plugin's texts, no script ran, and the text reads literally."""
    main = page.locator("main")
    expect(main.locator("b")).to_have_count(0)
    expect(main.locator("script")).to_have_count(0)
    assert SCRIPT in main.inner_text() and BOLD in main.inner_text()
    assert dialogs == []


def test_markup_in_a_plugins_texts_is_shown_as_text(admin: Page, dialogs, shots):
    admin.get_by_label("Search connectors").fill("markup")
    card = admin.locator(".card").filter(has_text=f"Markup {MARKUP}")
    expect(card).to_be_visible()
    expect(card).to_contain_text(f"Summary {MARKUP}")
    expect(admin.get_by_role("heading", name=f"Category {MARKUP}")).to_be_visible()
    assert_shown_as_text(admin, dialogs)
    shots.take(admin, "marketplace")

    card.get_by_role("link", name=f"Markup {MARKUP}").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text(f"Markup {MARKUP}")
    expect(admin.get_by_text(f"Description {MARKUP}")).to_be_visible()
    assert_shown_as_text(admin, dialogs)
    assert f"Markup {MARKUP}" in admin.title()
    shots.take(admin, "detail")

    admin.get_by_role("button", name="Install").click()
    expect(admin.locator("#wizard-form h2")).to_have_text(f"Step {MARKUP}")
    expect(admin.get_by_label(f"Field {MARKUP}")).to_have_value(MARKUP)
    expect(admin.get_by_text(f"Field help {MARKUP}")).to_be_visible()
    choice = admin.locator("select[name='/step/choice']")
    expect(choice.locator("option:checked")).to_have_text(MARKUP)
    expect(admin.locator("ol.progress [aria-current=step]")).to_have_text(f"Step {MARKUP}")
    assert_shown_as_text(admin, dialogs)
    shots.take(admin, "wizard")

    admin.get_by_role("button", name="Finish").click()
    expect(admin.get_by_role("link", name=f"Configure Markup {MARKUP}")).to_be_visible()
    assert_shown_as_text(admin, dialogs)
    shots.take(admin, "installed")
