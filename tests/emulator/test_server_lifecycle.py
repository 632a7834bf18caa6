"""Starting and stopping the emulator server: stop() is idempotent and never races the loop.

A stop used to fail now and then with ``OSError: Bad file descriptor`` from waitress when the
serving loop and the stopping thread both touched the sockets. These tests start and stop many
servers, stop with requests in flight and with a request held by a ``timeout`` fault, and check
that stop() returns promptly without raising and that no waitress thread logged an error.
"""

from __future__ import annotations

import logging
import threading
import time

import httpx
import pytest
from emulator_support import create_company, mint_tokens, register_app

from plugins.quickbooks.emulator.server import EmulatorServer, start_emulator
from plugins.quickbooks.emulator.state import EmulatorState

CYCLES = 25
DISCOVERY = "/.well-known/openid_configuration"


@pytest.fixture
def waitress_errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """Error records waitress (or the emulator's server module) logs during the test."""
    caplog.set_level(logging.WARNING)

    def errors() -> list[logging.LogRecord]:
        return [
            record
            for record in caplog.records
            if record.name.startswith(("waitress", "plugins.quickbooks.emulator.server"))
            and record.levelno >= logging.ERROR
        ]

    return errors  # type: ignore[return-value]


def test_many_start_stop_cycles_each_serve_and_stop_cleanly(waitress_errors) -> None:
    for _ in range(CYCLES):
        server = start_emulator(port=0, throttle=False)
        assert httpx.get(server.url + DISCOVERY).status_code == 200
        server.stop()
        server.stop()  # a second stop (a fixture after a test's own) does nothing
        with pytest.raises(httpx.TransportError):
            httpx.get(server.url + DISCOVERY, timeout=2)
    assert waitress_errors() == []


def test_stop_before_start_and_start_after_stop() -> None:
    server = EmulatorServer(EmulatorState.create(throttle=False))
    server.stop()
    server.stop()
    with pytest.raises(RuntimeError, match="not after stop"):
        server.start()
    running = start_emulator(port=0, throttle=False)
    with pytest.raises(RuntimeError, match="starts once"):
        running.start()
    running.stop()


def _hammer(url: str, go: threading.Event, outcomes: list[str]) -> None:
    """GET ``url`` until the server goes away; one outcome per request."""
    go.wait()
    with httpx.Client(timeout=5) as client:
        for _ in range(200):
            try:
                status = client.get(url).status_code
            except httpx.TransportError:
                outcomes.append("refused")
                return
            outcomes.append(str(status))


def test_stop_while_requests_are_in_flight(waitress_errors) -> None:
    for _ in range(5):
        server = start_emulator(port=0, throttle=False)
        outcomes: list[str] = []
        go = threading.Event()
        threads = [
            threading.Thread(target=_hammer, args=(server.url + DISCOVERY, go, outcomes))
            for _ in range(8)
        ]
        for thread in threads:
            thread.start()
        go.set()
        while len(outcomes) < 20:  # requests are flowing
            time.sleep(0.005)
        started = time.monotonic()
        server.stop()
        assert time.monotonic() - started < 5
        for thread in threads:
            thread.join(timeout=10)
            assert not thread.is_alive()
        assert set(outcomes) <= {"200", "refused"}
        assert "refused" in outcomes  # every client saw the server go away, none hung
    assert waitress_errors() == []


def test_stop_answers_a_request_held_by_a_timeout_fault_at_once(waitress_errors) -> None:
    server = start_emulator(port=0, throttle=False)
    app = register_app(server.url)
    realm_id = create_company(server.url)
    token = mint_tokens(server.url, realm_id, app.client_id)["access_token"]
    fault = {"kind": "timeout", "seconds": 300, "realmId": realm_id}
    httpx.post(f"{server.url}/_emulator/faults", json=fault).raise_for_status()
    replies: list[int | str] = []

    def held_request() -> None:
        try:
            reply = httpx.get(
                f"{server.url}/v3/company/{realm_id}/companyinfo/{realm_id}",
                headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
                timeout=30,
            )
            replies.append(reply.status_code)
        except httpx.TransportError:
            replies.append("closed")

    thread = threading.Thread(target=held_request)
    thread.start()
    deadline = time.monotonic() + 5
    while server.state.faults.pending() and time.monotonic() < deadline:
        time.sleep(0.01)  # the request has taken its fault and is being held
    started = time.monotonic()
    server.stop()
    thread.join(timeout=10)
    assert time.monotonic() - started < 5
    assert replies in ([504], ["closed"])
    assert waitress_errors() == []
