"""``qbo-emulator``: the command's options, and the emulator it runs as a separate process."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from click.testing import CliRunner

from plugins.quickbooks.emulator.cli import qbo_emulator

REPO_ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_emulator(*options: str) -> Iterator[str]:
    """Run ``python -m plugins.quickbooks.emulator.cli`` until the block ends; yields its URL."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "plugins.quickbooks.emulator.cli", "--port", str(port), *options],
        cwd=REPO_ROOT,
        env=os.environ
        | {"PYTHONPATH": os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")])},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            assert process.poll() is None, process.stdout.read()
            try:
                httpx.get(f"{url}/.well-known/openid_configuration", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the emulator did not start listening"
                time.sleep(0.1)
        yield url
    finally:
        process.send_signal(signal.SIGINT)  # Ctrl-C
        assert process.wait(timeout=15) == 0


def test_help_lists_the_options():
    result = CliRunner().invoke(qbo_emulator, ["--help"])

    assert result.exit_code == 0
    for option in (
        "--host",
        "--port",
        "--data",
        "--time-scale",
        "--no-throttle",
        "--client-id",
        "--client-secret",
        "--redirect-uri",
    ):
        assert option in result.output


def test_integrations_cli_offers_the_command():
    integrations = Path(sys.executable).with_name("integrations")

    result = subprocess.run(
        [str(integrations), "qbo-emulator", "--help"], capture_output=True, text=True, check=False
    )

    assert result.returncode == 0, result.stderr
    assert "--time-scale" in result.stdout


def test_client_id_without_secret_is_a_usage_error():
    result = CliRunner().invoke(qbo_emulator, ["--client-id", "abc"])

    assert result.exit_code == 2
    assert "--client-secret" in result.output


def test_started_emulator_serves_discovery_and_stops_on_ctrl_c():
    with running_emulator("--no-throttle") as url:
        doc = httpx.get(f"{url}/.well-known/openid_sandbox_configuration/").json()

    assert doc["token_endpoint"] == f"{url}/oauth2/v1/tokens/bearer"


def test_app_given_on_the_command_line_is_registered():
    options = ("--client-id", "cli-app", "--client-secret", "cli-secret")
    with running_emulator(*options, "--redirect-uri", "http://localhost:9/cb") as url:
        response = httpx.post(
            f"{url}/oauth2/v1/tokens/bearer",
            auth=("cli-app", "cli-secret"),
            data={"grant_type": "refresh_token", "refresh_token": "AB11unknown"},
        )

    # The client authenticated (not 401 invalid_client); only the refresh token is unknown.
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_data_file_keeps_companies_apps_and_tokens_across_restarts(tmp_path):
    data = str(tmp_path / "emulator.sqlite")
    options = ("--data", data, "--client-id", "keep-app", "--client-secret", "keep-secret")
    with running_emulator(*options) as url:
        realm_id = httpx.post(f"{url}/_emulator/companies", json={"name": "Kept Co"}).json()[
            "realmId"
        ]
        tokens = httpx.post(
            f"{url}/_emulator/companies/{realm_id}/tokens", json={"client_id": "keep-app"}
        ).json()

    with running_emulator("--data", data) as url:
        read = httpx.get(
            f"{url}/v3/company/{realm_id}/companyinfo/{realm_id}",
            headers={"Authorization": f"Bearer {tokens['access_token']}"},
        )
        refreshed = httpx.post(
            f"{url}/oauth2/v1/tokens/bearer",
            auth=("keep-app", "keep-secret"),
            data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        )

    assert read.status_code == 200
    assert refreshed.status_code == 200
