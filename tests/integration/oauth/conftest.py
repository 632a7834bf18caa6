"""Connect-to-QuickBooks tests: the host's services, signed-in browser, a running emulator."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# The emulator's test helpers (apps, companies, consent clicking) are shared, not copied.
sys.path.insert(0, str(Path(__file__).parents[2] / "emulator"))

from emulator_support import AppCredentials, create_company

from core.app import create_app
from core.services import Services
from core.tenants import create_user
from plugins.quickbooks.emulator.server import EmulatorServer

CALLBACK = "http://localhost/oauth/callback"


@pytest.fixture
def integrations_plugins() -> None:
    """The installed plugins, the QuickBooks connector and the admin pages among them."""
    return None


@pytest.fixture
def app_credentials(emulator: EmulatorServer) -> AppCredentials:
    import httpx

    credentials = AppCredentials("app-connect-test", "s3cret-value-for-tests", CALLBACK)
    httpx.post(
        f"{emulator.url}/_emulator/apps",
        json={
            "client_id": credentials.client_id,
            "client_secret": credentials.client_secret,
            "redirect_uris": [CALLBACK],
        },
    ).raise_for_status()
    return credentials


@pytest.fixture
def realm(emulator: EmulatorServer) -> str:
    return create_company(emulator.url, "Craig's Design and Landscaping")


@pytest.fixture
def installation_id(install_connector, app_credentials: AppCredentials) -> int:
    installation = install_connector(
        "quickbooks",
        {
            "initial": {"environment": "emulator"},
            "quickbooks": {
                "client_id": app_credentials.client_id,
                "client_secret": app_credentials.client_secret,
            },
        },
    )
    return installation.id


@pytest.fixture
def browser(integrations: Services, tenant_id: int):
    """A Flask test client signed in as an admin of the test tenant."""
    with integrations.db.session() as session:
        from core.store.models import Tenant

        create_user(session, session.get(Tenant, tenant_id), "admin@test.example", "pw-123456")
    client = create_app(integrations).test_client()
    client.get("/login")  # the sign-in form's CSRF token lives in the session
    with client.session_transaction() as session:
        csrf = session["csrf"]
    reply = client.post(
        "/login",
        data={"email": "admin@test.example", "password": "pw-123456", "csrf_token": csrf},
    )
    assert reply.status_code == 302
    return client
