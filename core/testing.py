"""A pytest plugin for connector authors (registered through the ``pytest11`` entry point).

Fixtures, from the bottom up:

* ``integrations_database_url``: a fresh database per test: SQLite in ``tmp_path`` by default,
  or a PostgreSQL database created for the test and dropped after it when
  ``INTEGRATIONS_TEST_DATABASE=postgres`` (server from ``INTEGRATIONS_TEST_POSTGRES_URL``).
* ``integrations_plugins``: the plugins to load, as ``(name, plugin)`` pairs. Override it in
  your ``conftest.py`` to test your plugin alone; by default every installed entry point loads.
* ``integrations``: the host's services over that database and those plugins.
* ``install_connector(connector_id, config)``: an installation configured from a dict.
* ``ledger``: the ``tenant_id`` tenant's embedded ledger (the platform a connector's jobs see
  through ``ctx.platform``); its events (``invoice.sent`` ...) reach the installed connectors,
  so sending an invoice in a test starts the runs your ``on_platform_event`` asks for.
* ``run_job(installation_id, job_key)``: runs one job now and returns the finished run and its
  log lines.

Example::

    @pytest.fixture
    def integrations_plugins():
        return [("mycrm", mycrm.plugin)]

    def test_import_runs(install_connector, run_job):
        installation = install_connector("mycrm", {"account": {"api_key": "k"}})
        outcome = run_job(installation.id, "import_contacts")
        assert outcome.run.status == "succeeded"
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, text

from core.config import with_defaults
from core.platform.ledger import EmbeddedLedger
from core.platform.testing import (  # noqa: F401 (fixtures for connector authors)
    ledger_credentials,
    ledger_server,
    platform_adapter,
    platform_port,
    port_for,
)
from core.plugins import PluginHost
from core.services import Services, build
from core.settings import Settings
from core.store.models import Installation, Run, RunLog
from core.tenants import get_or_create_tenant

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@dataclass(frozen=True)
class RunOutcome:
    """A finished run and what it logged."""

    run: Run
    logs: list[RunLog]

    @property
    def messages(self) -> list[str]:
        return [line.message for line in self.logs]


def postgres_database(server_url: str) -> Iterator[str]:
    """Create a database of the test's own on a PostgreSQL server; drop it afterwards."""
    name = f"it_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = server_url.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def integrations_database_url(tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database for one test."""
    if os.environ.get("INTEGRATIONS_TEST_DATABASE") == "postgres":
        server = os.environ.get("INTEGRATIONS_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
        yield from postgres_database(server)
    else:
        yield f"sqlite:///{tmp_path / 'integrations.db'}"


@pytest.fixture
def integrations_plugins() -> list[tuple[str, object]] | None:
    """Plugins to register as (name, plugin); ``None`` loads every installed entry point."""
    return None


@pytest.fixture
def integrations_settings(tmp_path: Path, integrations_database_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path / "var",
        database_url=integrations_database_url,
        secret_keys=(Fernet.generate_key().decode(),),
    )


@pytest.fixture
def integrations(
    integrations_settings: Settings, integrations_plugins: list[tuple[str, object]] | None
) -> Iterator[Services]:
    """The host's services over a fresh database, with the chosen plugins."""
    host = PluginHost(integrations_settings.disabled_plugins)
    if integrations_plugins is None:
        host.load_entry_points()
    else:
        for name, plugin in integrations_plugins:
            host.register(plugin, name)
    services = build(integrations_settings, host=host)
    try:
        yield services
    finally:
        services.db.dispose()


@pytest.fixture
def tenant_id(integrations: Services) -> int:
    """The id of a tenant named ``test``."""
    with integrations.db.session() as session:
        return get_or_create_tenant(session, "test", "Test tenant").id


@pytest.fixture
def ledger(integrations: Services, tenant_id: int) -> EmbeddedLedger:
    """The test tenant's embedded ledger, its events dispatched to the installed connectors."""
    return integrations.ledger(tenant_id)


@pytest.fixture
def install_connector(
    integrations: Services, tenant_id: int
) -> Callable[[str, Mapping[str, Any]], Installation]:
    """Install a connector and save ``config`` (merged over the schema defaults)."""

    def install(connector_id: str, config: Mapping[str, Any] | None = None) -> Installation:
        with integrations.db.session() as session:
            installation = integrations.installations.install(
                session, tenant_id, connector_id, actor="test"
            )
            schema = integrations.host.connector(connector_id).config_schema
            values = with_defaults(schema, dict(config or {}))
            integrations.installations.save_config(session, installation, values, actor="test")
            return installation

    return install


@pytest.fixture
def run_job(integrations: Services) -> Callable[[int, str], RunOutcome]:
    """Run one job of an installation now, in this thread, and return the outcome."""

    def run(installation_id: int, job_key: str) -> RunOutcome:
        requested = integrations.runner.request(installation_id, job_key, trigger="manual")
        assert requested is not None
        finished = integrations.runner.execute(requested.id)
        return RunOutcome(finished, integrations.runner.logs(finished.id))

    return run
