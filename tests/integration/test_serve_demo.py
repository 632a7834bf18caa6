"""The README's demo: ``integrations serve`` alone shows QuickBooks invoices syncing.

A real ``serve`` process with its QuickBooks emulator: after signing in, the Installed tab has
"QuickBooks Online (demo)", its records page shows invoices synced (and the one whose number is
taken in QuickBooks failed, with QuickBooks' reason), and a restart on the same data directory
installs nothing twice and sends nothing again.
"""

from __future__ import annotations

import html
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from test_serve import EXECUTABLE, free_port, sign_in, wait_for_health

PASSWORD = "correct horse battery staple"
SYNC_SECONDS = 30
JOBS = {"import_from_quickbooks", "export_invoices", "export_payments"}


class Demo:
    """One data directory and emulator port, served by as many processes as a test starts."""

    def __init__(self, data_dir: Path) -> None:
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("INTEGRATIONS_")}
        self.env.update(
            INTEGRATIONS_DATA_DIR=str(data_dir),
            INTEGRATIONS_QBO_EMULATOR_URL=f"http://127.0.0.1:{free_port()}",
            INTEGRATIONS_ADMIN_PASSWORD=PASSWORD,
            PYTHONUNBUFFERED="1",
        )
        self.process: subprocess.Popen | None = None
        self.base = ""

    def start(self) -> str:
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(
            [str(EXECUTABLE), "serve", "--port", str(port)],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        wait_for_health(self.base, self.process)
        return self.base

    def stop(self) -> str:
        """Stop the server as a process manager would; its output."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.terminate()
        try:
            self.process.wait(timeout=25)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        output = self.process.stdout.read() if self.process.stdout else ""
        if self.process.stdout:
            self.process.stdout.close()
        self.process = None
        return output

    def api(self) -> httpx.Client:
        """A REST client with a token made by the CLI on the same data directory."""
        created = subprocess.run(
            [str(EXECUTABLE), "tokens", "create", "demo-test", "--tenant", "demo"],
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        )
        token = created.stdout.strip().splitlines()[-1]
        return httpx.Client(
            base_url=f"{self.base}/api/v1",
            headers={"Authorization": f"Bearer {token}"},
            timeout=5,
        )


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    served = Demo(tmp_path / "data")
    try:
        yield served
    finally:
        if served.process is not None:
            served.stop()


def finished_runs(api: httpx.Client, installation_id: int) -> list[dict]:
    """The installation's first runs once each job has one that ended."""
    deadline = time.monotonic() + SYNC_SECONDS
    while time.monotonic() < deadline:
        runs = api.get(f"/installations/{installation_id}/runs").json()["runs"]
        ended = [r for r in runs if r["status"] not in ("queued", "running")]
        if {r["job"] for r in ended} >= JOBS:
            return ended
        time.sleep(0.3)
    pytest.fail(f"the demo's first runs did not end within {SYNC_SECONDS}s: {runs}")


def records(api: httpx.Client, installation_id: int) -> list[dict]:
    reply = api.get(f"/installations/{installation_id}/records", params={"per_page": 100})
    return reply.json()["records"]


def test_serve_shows_quickbooks_invoices_syncing_and_restarts_without_duplicates(demo: Demo):
    base = demo.start()
    api = demo.api()
    installations = api.get("/installations").json()["installations"]
    assert [(i["connector_id"], i["name"]) for i in installations] == [
        ("quickbooks", "QuickBooks Online (demo)")
    ]
    installation_id = installations[0]["id"]

    runs = finished_runs(api, installation_id)
    statuses = {r["job"]: r["status"] for r in runs}
    assert statuses["import_from_quickbooks"] == "succeeded"
    assert statuses["export_invoices"] == "partial"  # one number is taken in QuickBooks
    assert statuses["export_payments"] == "succeeded"

    links = records(api, installation_id)
    invoices = [r for r in links if r["entity"] == "invoice"]
    synced = [r for r in invoices if r["status"] == "synced"]
    failed = [r for r in invoices if r["status"] == "failed"]
    assert len(synced) >= 5 and all(r["remote_id"] and r["external_url"] for r in synced)
    assert len(failed) == 1 and "Duplicate Document Number" in failed[0]["reason"]
    assert any(r["entity"] == "payment" and r["status"] == "synced" for r in links)

    admin = sign_in(base, "admin@example.com", PASSWORD)
    installed = html.unescape(admin.get("/installed").text)
    assert "QuickBooks Online (demo)" in installed
    page = html.unescape(admin.get(f"/installations/{installation_id}/records").text)
    assert "synced" in page and "Duplicate Document Number" in page
    output = demo.stop()
    assert "Traceback" not in output, output

    # A restart finds the demo installed: nothing is installed, created or sent twice.
    demo.start()
    api = demo.api()
    again = api.get("/installations").json()["installations"]
    assert [i["id"] for i in again] == [installation_id]
    assert len(api.get(f"/installations/{installation_id}/runs").json()["runs"]) == len(runs)
    assert records(api, installation_id) == links
    assert "Traceback" not in demo.stop()
