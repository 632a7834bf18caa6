"""Marketplace: *Add another* for a connector already installed, and distinct default names."""

from __future__ import annotations

import html
import re

from sqlalchemy import select

from core.services import Services
from core.store.models import Installation


def card(page: str, name: str) -> str:
    """The Marketplace card of the connector called ``name``."""
    cards = re.findall(r'<li class="card".*?</li>', html.unescape(page), flags=re.S)
    [found] = [c for c in cards if f">{name}</a></h3>" in c]
    return found


def names(integrations: Services, tenant_id: int) -> list[str]:
    with integrations.db.session() as session:
        return list(
            session.scalars(
                select(Installation.name)
                .where(Installation.tenant_id == tenant_id)
                .order_by(Installation.id)
            )
        )


def test_a_connector_not_installed_offers_install_only(browser) -> None:
    quickbooks = card(browser.get("/").text, "QuickBooks Online")

    assert ">Install</button>" in quickbooks
    assert "Add another" not in quickbooks


def test_an_installed_connector_offers_configure_and_add_another(
    browser, integrations, tenant_id
) -> None:
    first = browser.post("/connectors/quickbooks/install")
    assert first.status_code == 302

    quickbooks = card(browser.get("/").text, "QuickBooks Online")
    assert "Configure</a>" in quickbooks
    assert 'action="/connectors/quickbooks/install"' in quickbooks
    assert ">Add another</button>" in quickbooks
    assert ">Install</button>" not in quickbooks

    second = browser.post("/connectors/quickbooks/install")
    third = browser.post("/connectors/quickbooks/install")

    assert second.status_code == third.status_code == 302
    assert names(integrations, tenant_id) == [
        "QuickBooks Online",
        "QuickBooks Online 2",
        "QuickBooks Online 3",
    ]
    installed = html.unescape(browser.get("/installed").text)
    assert "QuickBooks Online 2" in installed and "QuickBooks Online 3" in installed


def test_a_name_freed_by_an_uninstall_is_given_again(browser, integrations, tenant_id) -> None:
    browser.post("/connectors/quickbooks/install")
    browser.post("/connectors/quickbooks/install")
    with integrations.db.session() as session:
        second = session.scalars(
            select(Installation).where(Installation.name == "QuickBooks Online 2")
        ).one()
        integrations.installations.uninstall(session, second, actor="test", purge=False)

    browser.post("/connectors/quickbooks/install")

    with integrations.db.session() as session:
        active = session.scalars(
            select(Installation.name).where(
                Installation.tenant_id == tenant_id, Installation.status != "uninstalled"
            )
        ).all()
    assert sorted(active) == ["QuickBooks Online", "QuickBooks Online 2"]


def test_another_tenants_installation_does_not_make_add_another_appear(
    browser, other_browser
) -> None:
    other_browser.post("/connectors/quickbooks/install")

    quickbooks = card(browser.get("/").text, "QuickBooks Online")

    assert "Add another" not in quickbooks
    assert ">Install</button>" in quickbooks


def test_each_installation_is_named_in_its_wizard(browser, integrations, tenant_id) -> None:
    browser.post("/connectors/quickbooks/install")
    second = browser.post("/connectors/quickbooks/install").headers["Location"]
    installation_id = int(re.search(r"/installations/(\d+)/", second).group(1))

    # The wizard's name field starts with the installation's own (distinct) name ...
    step = html.unescape(browser.get(f"/installations/{installation_id}/configure/initial").text)
    assert 'value="QuickBooks Online 2"' in step

    # ... and what the admin types there names the installation everywhere.
    reply = browser.post(
        f"/installations/{installation_id}/configure/initial",
        data={
            "action": "next",
            "/initial/name": "QuickBooks Online (Beta GmbH)",
            "/initial/environment": "emulator",
            "/initial/region": "US",
            "/initial/timezone": "UTC",
        },
    )
    assert reply.status_code in (302, 303), reply.text
    assert names(integrations, tenant_id) == ["QuickBooks Online", "QuickBooks Online (Beta GmbH)"]
    assert "QuickBooks Online (Beta GmbH)" in html.unescape(browser.get("/installed").text)
