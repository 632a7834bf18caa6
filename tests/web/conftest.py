"""Web fixtures: the admin pages over the real services, and signed-in test clients."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from web_plugins import broken_connector, markup_connector, widget_connector
from web_support import PASSWORD, Browser, sign_in

import admin_ui.plugin
import plugins.quickbooks.plugin
from core.app import create_app
from core.services import Services
from core.store.models import Tenant
from core.tenants import create_user, get_or_create_tenant


@pytest.fixture
def integrations_database_url(tmp_path: Path) -> Iterator[str]:
    """The pages are database-agnostic: the services' own tests cover PostgreSQL."""
    yield f"sqlite:///{tmp_path / 'web.db'}"


@pytest.fixture
def integrations_plugins() -> list[tuple[str, object]]:
    return [
        ("admin_ui", admin_ui.plugin),
        ("quickbooks", plugins.quickbooks.plugin),
        ("sample", widget_connector()),
        ("markup", markup_connector()),
        ("broken", broken_connector()),
    ]


@pytest.fixture
def app(integrations: Services):
    return create_app(integrations)


def _user(integrations: Services, slug: str, email: str) -> None:
    with integrations.db.session() as session:
        tenant = get_or_create_tenant(session, slug, slug.title())
        create_user(session, session.get(Tenant, tenant.id), email, PASSWORD)


@pytest.fixture
def browser(app, integrations: Services, tenant_id: int) -> Browser:
    """An admin of the ``test`` tenant, signed in."""
    _user(integrations, "test", "admin@test.example")
    return Browser(sign_in(app.test_client(), "admin@test.example"))


@pytest.fixture
def other_browser(app, integrations: Services) -> Browser:
    """An admin of another tenant, signed in."""
    _user(integrations, "other", "admin@other.example")
    return Browser(sign_in(app.test_client(), "admin@other.example"))
