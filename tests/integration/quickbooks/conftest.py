"""Fixtures for the QuickBooks client tests: a real emulator over HTTP, a company, a client.

The client under test talks to the emulator only over HTTP; the control API (``/_emulator/``)
sets up apps, companies, tokens and faults and reads the request log. The emulator runs without
throttling here and the client's limiter is sped up, so these tests do not wait out QBO's real
rate limits; the burst test starts its own throttling emulator.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from qbo_client_support import Control

from plugins.quickbooks.client import QBOClient, StaticTokenSource
from plugins.quickbooks.emulator.server import EmulatorServer, start_emulator
from plugins.quickbooks.rate_limit import Limits, RateLimiter
from plugins.quickbooks.retry import Backoff

#: Limits sped up so far that tests never wait for them (the emulator does not throttle here).
UNHURRIED = Limits(time_scale=10_000)
#: Retries without real waits.
QUICK_BACKOFF = Backoff(base=0.01, cap=0.05)


@pytest.fixture(scope="session")
def emulator() -> Iterator[EmulatorServer]:
    """One emulator for the session, throttling off; every test gets its own company."""
    server = start_emulator(port=0, throttle=False)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def control(emulator: EmulatorServer) -> Control:
    return Control(emulator.url)


@pytest.fixture(scope="session")
def client_id(control: Control) -> str:
    return control.register_app()


@pytest.fixture
def realm_id(control: Control) -> str:
    return control.create_company()


@pytest.fixture
def access_token(control: Control, realm_id: str, client_id: str) -> str:
    return control.access_token(realm_id, client_id)


@pytest.fixture
def make_client(emulator: EmulatorServer, realm_id: str, access_token: str):
    """Build a client for the test's company; keyword arguments override the test defaults."""

    def make(**overrides: object) -> QBOClient:
        options: dict = {
            "limiter": RateLimiter(UNHURRIED),
            "backoff": QUICK_BACKOFF,
        }
        options.update(overrides)
        token_source = options.pop("token_source", StaticTokenSource(access_token))
        return QBOClient(f"{emulator.url}/v3", realm_id, token_source, **options)

    return make


@pytest.fixture
def client(make_client) -> QBOClient:
    """A client for the test's company with the test defaults."""
    return make_client()
