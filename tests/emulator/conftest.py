"""Fixtures for every emulator test: a running emulator, an app, a company, tokens, clients.

The emulator runs once per session on a free port with throttling off (tests fire requests
faster than QBO allows); each test gets a fresh company, so realm-scoped state (entities,
request log, planned faults) never leaks between tests. ``throttled_emulator`` is the one with
QBO's limits on, and time running 20 times faster so a throttle minute lasts 3 seconds.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from emulator_support import (
    AppCredentials,
    create_company,
    mint_tokens,
    quickbooks_client,
    register_app,
)
from quickbooks import QuickBooks

from plugins.quickbooks.emulator.server import EmulatorServer, start_emulator

THROTTLED_TIME_SCALE = 20.0


@pytest.fixture(scope="session")
def emulator() -> Iterator[EmulatorServer]:
    """The session's emulator (throttling off); ``.url`` and ``.state``."""
    server = start_emulator(port=0, throttle=False)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def throttled_emulator() -> Iterator[EmulatorServer]:
    """An emulator enforcing QBO's rate limits, its clock 20x faster than the wall clock."""
    server = start_emulator(port=0, throttle=True, time_scale=THROTTLED_TIME_SCALE)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def app_credentials(emulator: EmulatorServer) -> AppCredentials:
    """An app registered on the session's emulator."""
    return register_app(emulator.url)


@pytest.fixture
def company(emulator: EmulatorServer) -> str:
    """A fresh US company on the session's emulator; its realm id."""
    return create_company(emulator.url)


@pytest.fixture
def tokens(emulator: EmulatorServer, app_credentials: AppCredentials, company: str) -> dict:
    """A token response (accounting scope) for ``company`` and ``app_credentials``."""
    return mint_tokens(emulator.url, company, app_credentials.client_id)


@pytest.fixture
def insecure_transport(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let oauthlib send tokens over http (the emulator serves plain http on loopback)."""
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")


@pytest.fixture
def qb_client(
    emulator: EmulatorServer,
    app_credentials: AppCredentials,
    company: str,
    tokens: dict,
    insecure_transport: None,
) -> QuickBooks:
    """python-quickbooks, connected to ``company`` on the session's emulator."""
    return quickbooks_client(emulator.url, app_credentials, company, tokens)
