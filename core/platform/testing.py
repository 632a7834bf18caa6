"""Pytest fixtures to run a test through both platform adapters (re-exported by ``core.testing``).

The same connector test should pass whether its jobs see the embedded ledger or the ledger's
REST API over real HTTP. These fixtures make that one parameter:

* ``platform_adapter``: ``"embedded"`` or ``"rest"``; a test that uses it (directly or through
  the fixtures below) runs once per adapter, with ids ``[embedded]`` and ``[rest]``.
* ``ledger_server``: the host's web app (``create_app(integrations)``, which serves the ledger
  API at ``/api/v1/ledger``) on ``127.0.0.1`` and a free port, in a background thread, stopped
  after the test; ``.url`` is its root. Only started when a test (or the ``rest`` variant)
  asks for it.
* ``ledger_credentials(tenant_id)``: creates an API user of that tenant and returns its
  :class:`LedgerCredentials` (``username`` is ``login@clientcode``, ``password``).
* ``platform_port``: the ``tenant_id`` tenant's :class:`~core.platform.port.PlatformPort` under
  the chosen adapter: the embedded ledger, or a :class:`~core.platform.rest.RestPlatform`
  signed in as a fresh API user of the tenant.
* ``port_for(installation_id)``: the port that installation's jobs will see, opened the way the
  runner opens ``ctx.platform``. Under ``rest`` it first switches the services to the REST
  adapter (``Settings.platform_adapter="rest"`` and the runner's factory rebuilt, just as
  ``INTEGRATIONS_PLATFORM_ADAPTER=rest`` does at start-up), creates an API user of the
  installation's tenant, and saves the server's URL and the credentials into the installation's
  configuration at the JSON pointers the connector's manifest names in ``platform_api``
  (``{"base_url": ..., "username": ..., "password": ...}``). Call it before running jobs.

A QuickBooks sync test, through both adapters::

    def test_sent_invoice_is_exported(install_connector, port_for, run_job, ledger):
        installation = install_connector("quickbooks", config)
        platform = port_for(installation.id)  # embedded, then rest
        invoice = ledger.create_invoice(customer.id, [{"description": "Work", "unit_price": "90"}])
        ledger.send_invoice(invoice.id)
        assert run_job(installation.id, "export_invoices").run.status == "succeeded"
        [state] = platform.sync_states(installation.id, kind="invoice")
        assert state.status == "synced"

To pin one adapter, override the fixture:
``@pytest.fixture\ndef platform_adapter(): return "rest"``.
"""

from __future__ import annotations

import dataclasses
import secrets
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from werkzeug.serving import BaseWSGIServer, make_server

from core import jsonpointer
from core.platform.factory import platform_factory
from core.platform.ledger import EmbeddedLedger, create_api_user
from core.platform.port import PlatformPort
from core.platform.rest import RestPlatform
from core.services import Services
from core.store.models import Installation

ADAPTERS = ("embedded", "rest")


@dataclass(frozen=True)
class LedgerCredentials:
    """An API user of the ledger: HTTP Basic ``username`` (``login@clientcode``), ``password``."""

    tenant_id: int
    username: str
    password: str

    @property
    def auth(self) -> tuple[str, str]:
        """For ``httpx``'s ``auth=``."""
        return (self.username, self.password)


class LedgerServer:
    """The host's web app served over HTTP in a background thread."""

    def __init__(self, services: Services) -> None:
        # Imported here so that loading the pytest plugin does not import the whole web app.
        from core.app import create_app

        self._server: BaseWSGIServer = make_server(
            "127.0.0.1", 0, create_app(services), threaded=True
        )
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="ledger-server", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)


@pytest.fixture(params=ADAPTERS)
def platform_adapter(request: pytest.FixtureRequest) -> str:
    """Which adapter the test's platform port uses; every test using it runs with both."""
    return request.param


@pytest.fixture
def ledger_server(integrations: Services) -> Iterator[LedgerServer]:
    """The web app, serving the ledger API over real HTTP on a free port of 127.0.0.1."""
    server = LedgerServer(integrations)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def ledger_credentials(integrations: Services) -> Callable[[int], LedgerCredentials]:
    """Create an API user of a tenant (a new login each call) and return its credentials."""
    created = 0

    def create(tenant_id: int) -> LedgerCredentials:
        nonlocal created
        created += 1
        login, password = f"api-{created}", secrets.token_urlsafe(18)
        create_api_user(integrations.db, tenant_id, login, password)
        code = EmbeddedLedger(integrations.db, tenant_id).account().client_code
        return LedgerCredentials(tenant_id, f"{login}@{code}", password)

    return create


def _rest_port(server_url: str, credentials: LedgerCredentials) -> RestPlatform:
    return RestPlatform(
        server_url, credentials.username, credentials.password, credentials.tenant_id
    )


@pytest.fixture
def platform_port(
    platform_adapter: str,
    integrations: Services,
    tenant_id: int,
    request: pytest.FixtureRequest,
) -> Iterator[PlatformPort]:
    """The test tenant's platform port under ``platform_adapter``."""
    if platform_adapter == "embedded":
        yield integrations.ledger(tenant_id)
        return
    server: LedgerServer = request.getfixturevalue("ledger_server")
    credentials = request.getfixturevalue("ledger_credentials")(tenant_id)
    with _rest_port(server.url, credentials) as port:
        yield port


@pytest.fixture
def port_for(
    platform_adapter: str, integrations: Services, request: pytest.FixtureRequest
) -> Iterator[Callable[[int], PlatformPort]]:
    """``port_for(installation_id)``: the platform port that installation's jobs will see."""
    opened: dict[int, PlatformPort] = {}

    def open_port(installation_id: int) -> PlatformPort:
        if installation_id not in opened:
            if platform_adapter == "rest":
                _use_rest_adapter(integrations)
                _configure_platform_api(integrations, installation_id, request)
            opened[installation_id] = _job_port(integrations, installation_id)
        return opened[installation_id]

    try:
        yield open_port
    finally:
        for port in opened.values():
            if isinstance(port, RestPlatform):
                port.close()


def _use_rest_adapter(services: Services) -> None:
    """What ``INTEGRATIONS_PLATFORM_ADAPTER=rest`` does at start-up, done to running services."""
    if services.settings.platform_adapter == "rest":
        return
    services.settings = dataclasses.replace(services.settings, platform_adapter="rest")
    services.runner.platforms = platform_factory(services.settings, services.db, services.events)


def _configure_platform_api(
    services: Services, installation_id: int, request: pytest.FixtureRequest
) -> None:
    """Save the served URL and a new API user into the configuration, where the manifest says."""
    server: LedgerServer = request.getfixturevalue("ledger_server")
    with services.db.session() as session:
        installation = session.get(Installation, installation_id)
        if installation is None:
            raise LookupError(f"no installation {installation_id}")
        tenant_id = installation.tenant_id
        pointers = services.host.connector(installation.connector_id).manifest.get("platform_api")
    if not pointers:
        raise LookupError(
            f"installation {installation_id}'s connector declares no platform_api pointers in "
            "its manifest, so it cannot run on the rest platform adapter"
        )
    credentials = request.getfixturevalue("ledger_credentials")(tenant_id)
    values = {"base_url": server.url, **dataclasses.asdict(credentials)}
    with services.db.session() as session:
        installation = session.get(Installation, installation_id)
        config = services.configs.full(services.configs.current(session, installation_id))
        for name in ("base_url", "username", "password"):
            jsonpointer.set_value(config, pointers[name], values[name])
        services.installations.save_config(
            session, installation, config, actor="test", note="platform API for the rest adapter"
        )


def _job_port(services: Services, installation_id: int) -> PlatformPort:
    """Open the port exactly as a job's ``ctx.platform`` does."""
    with services.db.session() as session:
        installation = session.get(Installation, installation_id)
        return services.runner.context_now(session, installation).platform


__all__ = [
    "LedgerCredentials",
    "LedgerServer",
    "ledger_credentials",
    "ledger_server",
    "platform_adapter",
    "platform_port",
    "port_for",
]
