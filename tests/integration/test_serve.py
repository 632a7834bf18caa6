"""``integrations serve`` as a real process: it comes up, serves the Marketplace, and stops."""

from __future__ import annotations

import html
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

EXECUTABLE = Path(sys.executable).with_name("integrations")
STARTUP_SECONDS = 30


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_health(base: str, process: subprocess.Popen) -> httpx.Response:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read() if process.stdout else ""
            pytest.fail(f"serve exited with {process.returncode} before answering:\n{output}")
        try:
            response = httpx.get(f"{base}/api/v1/health", timeout=2)
            if response.status_code == 200:
                return response
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"serve did not answer /api/v1/health within {STARTUP_SECONDS}s")


def sign_in(base: str, email: str, password: str) -> httpx.Client:
    """A client signed in through the real sign-in form (its CSRF token included)."""
    client = httpx.Client(base_url=base, timeout=5)
    form = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    reply = client.post("/login", data={"email": email, "password": password, "csrf_token": token})
    assert reply.status_code == 302, reply.text
    return client


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen]]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTEGRATIONS_")}
    env.update(
        INTEGRATIONS_DATA_DIR=str(tmp_path / "data"),
        INTEGRATIONS_ADMIN_PASSWORD="correct horse battery staple",
        PYTHONUNBUFFERED="1",
    )
    process = subprocess.Popen(
        [str(EXECUTABLE), "serve", "--port", str(port), "--no-services"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield f"http://127.0.0.1:{port}", process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
        if process.stdout:
            process.stdout.close()


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
def test_serve_answers_and_stops_on_a_signal(
    server: tuple[str, subprocess.Popen], stop_signal: signal.Signals, tmp_path: Path
):
    base, process = server
    assert wait_for_health(base, process).json() == {"status": "ok"}

    anonymous = httpx.get(f"{base}/", timeout=5)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    page = sign_in(base, "admin@example.com", "correct horse battery staple").get("/")
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert "QuickBooks Online" in text
    section = text[text.index("Accounting & Finance") :]
    assert "QuickBooks Online" in section.split("</section>")[0]

    # The REST API answers only to a tenant's API token.
    assert httpx.get(f"{base}/api/v1/catalog", timeout=5).status_code == 401

    process.send_signal(stop_signal)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        pytest.fail(f"serve did not exit within 20s of {stop_signal.name}")
    output = process.stdout.read()
    assert process.returncode == 0, output  # a clean stop, not killed by the signal
    assert "Scheduler has been shut down" in output
    assert "Admin user created: admin@example.com (password from" in output
    assert "correct horse battery staple" not in output
    assert (tmp_path / "data" / "app.db").exists()
