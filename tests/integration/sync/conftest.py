"""Fixtures of the end-to-end sync tests: a connected QuickBooks installation per test.

``sync`` runs every sync test three times: on SQLite with the embedded ledger, on SQLite through
the REST adapter over HTTP, and on PostgreSQL with the embedded ledger. (The adapters are
database-agnostic above the ledger, which its own tests run on both databases; the fourth
combination would add minutes and no coverage.) ``qbo_region`` (default ``US``)
chooses the QuickBooks company's country; a test overrides it with
``@pytest.mark.parametrize("qbo_region", ["CA"])``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from postgres_service import POSTGRES_URL, require_postgres

sys.path.insert(0, str(Path(__file__).parents[2] / "emulator"))

from emulator_support import create_company, mint_tokens, register_app, submit_consent
from sync_support import PROVIDER, SyncHarness

from core.platform.port import PlatformPort
from core.services import Services
from core.testing import postgres_database
from plugins.quickbooks.client import QBOClient, StaticTokenSource
from plugins.quickbooks.emulator.server import EmulatorServer

MATRIX = [
    pytest.param(("sqlite", "embedded"), id="sqlite-embedded"),
    pytest.param(("sqlite", "rest"), id="sqlite-rest"),
    pytest.param(("postgres", "embedded"), id="postgres-embedded", marks=pytest.mark.postgres),
]


@pytest.fixture(params=MATRIX)
def sync_variant(request: pytest.FixtureRequest) -> tuple[str, str]:
    """(database, platform adapter) of this run of the test."""
    return request.param


@pytest.fixture
def integrations_database_url(sync_variant: tuple[str, str], tmp_path: Path) -> Iterator[str]:
    if sync_variant[0] == "sqlite":
        yield f"sqlite:///{tmp_path / 'integrations.db'}"
        return
    require_postgres()
    yield from postgres_database(POSTGRES_URL)


@pytest.fixture
def platform_adapter(sync_variant: tuple[str, str]) -> str:
    return sync_variant[1]


@pytest.fixture
def integrations_plugins() -> None:
    """Every installed plugin: the QuickBooks connector among them."""
    return None


@pytest.fixture
def qbo_region() -> str:
    return "US"


@pytest.fixture
def sync(
    integrations: Services,
    tenant_id: int,
    emulator: EmulatorServer,
    install_connector,
    port_for: Callable[[int], PlatformPort],
    qbo_region: str,
) -> SyncHarness:
    """A tenant with QuickBooks installed, configured for the emulator and connected."""
    app = register_app(emulator.url)
    realm_id = create_company(emulator.url, "Sync Test Company", country=qbo_region)
    installation = install_connector(
        "quickbooks",
        {
            "initial": {"environment": "emulator", "region": qbo_region},
            "quickbooks": {"client_id": app.client_id, "client_secret": app.client_secret},
        },
    )
    authorize = integrations.oauth.authorization_url(
        tenant_id,
        installation.id,
        PROVIDER,
        redirect_uri=app.redirect_uri,
        browser_session="sync-harness",
        actor="test",
    )
    callback = submit_consent(authorize, "approve", realm_id=realm_id)
    integrations.oauth.complete(callback, browser_session="sync-harness")
    tokens = mint_tokens(emulator.url, realm_id, app.client_id)
    qbo = QBOClient(f"{emulator.url}/v3", realm_id, StaticTokenSource(tokens["access_token"]))
    ledger = integrations.ledger(tenant_id)
    port = port_for(installation.id)
    return SyncHarness(
        services=integrations,
        tenant_id=tenant_id,
        installation_id=installation.id,
        emulator=emulator,
        realm_id=realm_id,
        ledger=ledger,
        port=port,
        qbo=qbo,
    )
