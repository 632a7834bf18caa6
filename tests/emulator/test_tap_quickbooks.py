"""Fidelity through a client we did not write: singer-io's tap-quickbooks syncs from the emulator.

The tap (PyPI ``tap-quickbooks==2.5.0``) refreshes its token with the client credentials in the
body, checks authorization with a CompanyInfo read, then pages every selected stream through one
``/batch`` request per round, each item a query ``WHERE Metadata.LastUpdatedTime >= bookmark
ORDER BY Metadata.LastUpdatedTime ASC STARTPOSITION n MAXRESULTS m`` (qbo-facts §10.3). If the
emulator's OAuth, batch, query paging, ordering or datetime comparison were wrong, records would be
missed or repeated here.

The tap pins old dependencies, so it lives in its own virtual environment, ``.venv-tap``, created
once and reused; the test is skipped only when the package index cannot be reached.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from emulator_support import AppCredentials

from plugins.quickbooks.emulator.server import EmulatorServer

REPO = Path(__file__).resolve().parents[2]
TAP_VENV = REPO / ".venv-tap"
TAP_REQUIREMENT = "tap-quickbooks==2.5.0"
TAP_RUNNER = Path(__file__).with_name("tap_runner.py")
STREAMS = {"customers": "Customer", "items": "Item", "invoices": "Invoice"}
PAGE_SIZE = 50
SEEDED = {"customers": 120, "items": 60, "invoices": 55}
UNREACHABLE_INDEX_SIGNS = (
    "No matching distribution found",
    "Could not find a version",
    "NewConnectionError",
    "Temporary failure in name resolution",
    "Network is unreachable",
    "Connection refused",
)


def tap_python() -> Path:
    """The tap venv's interpreter, creating the venv on first use (under a lock for xdist)."""
    python = TAP_VENV / "bin" / "python"
    marker = TAP_VENV / f".installed-{TAP_REQUIREMENT}"
    lock_path = Path(tempfile.gettempdir()) / "integrations-venv-tap.lock"
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not marker.exists():
            subprocess.run([sys.executable, "-m", "venv", str(TAP_VENV)], check=True)
            install = subprocess.run(
                [str(python), "-m", "pip", "install", "--quiet", TAP_REQUIREMENT],
                capture_output=True,
                text=True,
            )
            if install.returncode != 0:
                output = install.stdout + install.stderr
                if any(sign in output for sign in UNREACHABLE_INDEX_SIGNS):
                    pytest.skip(f"package index unreachable, cannot install {TAP_REQUIREMENT}")
                raise AssertionError(f"pip install {TAP_REQUIREMENT} failed:\n{output}")
            marker.touch()
    return python


class Api:
    """Just enough of the Accounting API to seed and change a company, over plain HTTP."""

    def __init__(self, url: str, realm_id: str, access_token: str) -> None:
        self.client = httpx.Client(
            base_url=f"{url}/v3/company/{realm_id}",
            headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
            params={"minorversion": "75"},
            timeout=30,
        )

    def create(self, entity: str, body: dict) -> dict:
        response = self.client.post(f"/{entity.lower()}", json=body)
        assert response.status_code == 200, response.text
        return response.json()[entity]

    def query_all(self, entity: str) -> list[dict]:
        """Every row of ``entity``, active or not, paged 1000 at a time."""
        rows: list[dict] = []
        while True:
            statement = (
                f"SELECT * FROM {entity} WHERE Active IN (true, false) "
                f"STARTPOSITION {len(rows) + 1} MAXRESULTS 1000"
            )
            if entity == "Invoice":
                statement = statement.replace("WHERE Active IN (true, false) ", "")
            response = self.client.get("/query", params={"query": statement})
            assert response.status_code == 200, response.text
            page = response.json()["QueryResponse"].get(entity, [])
            rows += page
            if len(page) < 1000:
                return rows


def create_all(api: Api, entity: str, bodies: list[dict], tick: Callable[[], None]) -> list[dict]:
    """Create ``bodies``; the clock ticks before the last, so it alone is the newest."""
    created = [api.create(entity, body) for body in bodies[:-1]]
    tick()
    return [*created, api.create(entity, bodies[-1])]


def seed(api: Api, tick: Callable[[], None]) -> dict[str, list[str]]:
    """Create the customers, items and invoices the tap must find; their Ids by stream, in order."""
    income = next(a for a in api.query_all("Account") if a.get("AccountType") == "Income")
    customers = create_all(
        api,
        "Customer",
        [{"DisplayName": f"Tap Customer {n:03d}"} for n in range(SEEDED["customers"])],
        tick,
    )
    items = create_all(
        api,
        "Item",
        [
            {
                "Name": f"Tap Service {n:03d}",
                "Type": "Service",
                "UnitPrice": 10 + n,
                "IncomeAccountRef": {"value": income["Id"]},
            }
            for n in range(SEEDED["items"])
        ],
        tick,
    )
    invoices = create_all(
        api,
        "Invoice",
        [
            {
                "CustomerRef": {"value": customers[n % len(customers)]["Id"]},
                "Line": [
                    {
                        "DetailType": "SalesItemLineDetail",
                        "Amount": 100.0,
                        "SalesItemLineDetail": {"ItemRef": {"value": items[n % len(items)]["Id"]}},
                    }
                ],
            }
            for n in range(SEEDED["invoices"])
        ],
        tick,
    )
    return {
        "customers": [c["Id"] for c in customers],
        "items": [i["Id"] for i in items],
        "invoices": [i["Id"] for i in invoices],
    }


class Tap:
    """Runs the tap in its venv against one emulator, with a config file it may rewrite."""

    def __init__(self, python: Path, emulator_url: str, workdir: Path, config: dict) -> None:
        self.python = python
        self.workdir = workdir
        self.config_path = workdir / "config.json"
        self.config_path.write_text(json.dumps(config))
        self.env = os.environ | {
            "QBO_EMULATOR_API_BASE": emulator_url,
            "QBO_EMULATOR_TOKEN_URL": f"{emulator_url}/oauth2/v1/tokens/bearer",
            "OAUTHLIB_INSECURE_TRANSPORT": "1",
        }

    @property
    def config(self) -> dict:
        return json.loads(self.config_path.read_text())

    def run(self, *args: str) -> str:
        """Run the tap with ``args``; its standard output."""
        completed = subprocess.run(
            [str(self.python), str(TAP_RUNNER), "--config", str(self.config_path), *args],
            capture_output=True,
            text=True,
            env=self.env,
            cwd=self.workdir,
            timeout=300,
        )
        assert completed.returncode == 0, f"tap failed:\n{completed.stderr[-5000:]}"
        return completed.stdout

    def discover(self) -> dict:
        """The catalog the tap writes in discovery mode."""
        return json.loads(self.run("--discover"))

    def sync(self, catalog: dict, state: dict | None = None) -> list[dict]:
        """Run a sync; the Singer messages it wrote, one JSON object a line."""
        catalog_path = self.workdir / "catalog.json"
        catalog_path.write_text(json.dumps(catalog))
        args = ["--catalog", str(catalog_path)]
        if state is not None:
            state_path = self.workdir / "state.json"
            state_path.write_text(json.dumps(state))
            args += ["--state", str(state_path)]
        return [json.loads(line) for line in self.run(*args).splitlines() if line.strip()]


def select(catalog: dict, streams: set[str]) -> dict:
    """The catalog with ``streams`` selected at the stream level, as a Singer UI would."""
    for entry in catalog["streams"]:
        for item in entry["metadata"]:
            if item["breadcrumb"] == []:
                item["metadata"]["selected"] = entry["tap_stream_id"] in streams
    return catalog


def records_by_stream(messages: list[dict]) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {stream: [] for stream in STREAMS}
    for message in messages:
        if message["type"] == "RECORD":
            found[message["stream"]].append(message["record"])
    return found


def last_state(messages: list[dict]) -> dict:
    states = [m["value"] for m in messages if m["type"] == "STATE"]
    assert states, "the tap wrote no STATE message"
    return states[-1]


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def updated_at(record: dict) -> datetime:
    return instant(record["MetaData"]["LastUpdatedTime"])


def test_tap_quickbooks_syncs_every_record_once_and_resumes_from_its_bookmarks(
    emulator: EmulatorServer,
    app_credentials: AppCredentials,
    company: str,
    tokens: dict,
    tmp_path: Path,
) -> None:
    python = tap_python()
    api = Api(emulator.url, company, tokens["access_token"])
    existing = {
        stream: {row["Id"] for row in api.query_all(entity)} for stream, entity in STREAMS.items()
    }
    seeded = seed(api, lambda: emulator.state.clock.advance(timedelta(seconds=1)))
    expected = {stream: existing[stream] | set(seeded[stream]) for stream in STREAMS}
    assert {stream: len(set(ids)) for stream, ids in seeded.items()} == SEEDED

    tap = Tap(
        python,
        emulator.url,
        tmp_path,
        {
            "realm_id": company,
            "client_id": app_credentials.client_id,
            "client_secret": app_credentials.client_secret,
            "refresh_token": tokens["refresh_token"],
            "start_date": "2000-01-01T00:00:00Z",
            "user_agent": "integrations-library emulator test",
            "sandbox": True,
            "max_results": PAGE_SIZE,
        },
    )

    # Discovery refreshes the token and writes the rotated one back to the config file.
    catalog = select(tap.discover(), set(STREAMS))
    after_discovery = tap.config
    assert after_discovery["refresh_token"] != tokens["refresh_token"]
    assert after_discovery["access_token"]

    first = tap.sync(catalog)
    first_records = records_by_stream(first)
    for stream in STREAMS:
        emitted = Counter(record["Id"] for record in first_records[stream])
        assert set(emitted) == expected[stream], stream
        assert max(emitted.values()) == 1, f"{stream} records emitted twice"
    assert tap.config["refresh_token"] != after_discovery["refresh_token"]

    state = last_state(first)
    bookmarks = {
        stream: instant(state["bookmarks"][stream]["LastUpdatedTime"]) for stream in STREAMS
    }
    for stream in STREAMS:
        assert bookmarks[stream] == max(updated_at(r) for r in first_records[stream]), stream
    at_bookmark = {
        stream: {r["Id"] for r in first_records[stream] if updated_at(r) >= bookmarks[stream]}
        for stream in STREAMS
    }
    # Each stream's last record was created a second after the others: it alone is the newest.
    assert at_bookmark == {stream: {seeded[stream][-1]} for stream in STREAMS}

    # One customer changes after the bookmark; the emulated clock moves on so it is later.
    emulator.state.clock.advance(timedelta(seconds=2))
    changed_id = seeded["customers"][0]
    changed = next(r for r in api.query_all("Customer") if r["Id"] == changed_id)
    api.create(
        "Customer",
        {
            "Id": changed_id,
            "SyncToken": changed["SyncToken"],
            "sparse": True,
            "DisplayName": "Tap Customer renamed",
        },
    )

    before_second = tap.config["refresh_token"]
    second = records_by_stream(tap.sync(catalog, state))
    # The tap's filter is ``>=`` its bookmark, so the record stamped exactly at the bookmark
    # comes again; nothing older may, and the changed customer must.
    for stream in STREAMS:
        wanted = at_bookmark[stream] | ({changed_id} if stream == "customers" else set())
        emitted = Counter(record["Id"] for record in second[stream])
        assert set(emitted) == wanted, stream
        assert max(emitted.values(), default=1) == 1, f"{stream} records emitted twice"
    renamed = next(r for r in second["customers"] if r["Id"] == changed_id)
    assert renamed["DisplayName"] == "Tap Customer renamed"
    assert updated_at(renamed) > bookmarks["customers"]

    # The rotated token was written back, and the one it replaced no longer works.
    assert tap.config["refresh_token"] != before_second
    stale = httpx.post(
        f"{emulator.url}/oauth2/v1/tokens/bearer",
        data={"grant_type": "refresh_token", "refresh_token": before_second},
        auth=(app_credentials.client_id, app_credentials.client_secret),
        headers={"Accept": "application/json"},
    )
    assert (stale.status_code, stale.json()["error"]) == (400, "invalid_grant")
