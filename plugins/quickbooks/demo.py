"""The demo installation: QuickBooks installed, configured and connected for the demo tenant.

``integrations serve`` calls ``prepare_demo`` after loading the demo ledger, so that the first
sign-in shows invoices syncing with their statuses instead of an empty Installed tab. Everything
goes through the same doors a user would take: the emulator's control API registers an app and
creates a company (as a developer does in Intuit's portal), the installation service saves the
configuration, and the connection is made by the real OAuth flow (authorization URL, consent
form, callback) against the running emulator.

The demo company already holds an invoice numbered like one of the ledger's sent invoices (typed
by hand in QuickBooks before the integration existed), so that invoice fails with QuickBooks' own
"Duplicate Document Number" reason: the records page shows a failure and why, next to the synced
ones.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

import httpx

from core.config import with_defaults
from core.store.models import Run
from plugins.quickbooks import environments

if TYPE_CHECKING:
    from core.services import Services

log = logging.getLogger(__name__)

CONNECTOR_ID = "quickbooks"
INSTALLATION_NAME = "QuickBooks Online (demo)"
COMPANY_NAME = "Demo Company (QuickBooks)"
ACTOR = "demo"
FIRST_JOBS = ("import_from_quickbooks", "export_invoices", "export_payments")
MATCHED_CUSTOMER_EMAILS = (
    "ada@analytical.example",
    "grace@cobol.example",
    "katherine@orbits.example",
)
"""Demo ledger customers that already exist in QuickBooks: matched by e-mail, never duplicated;
the others are created by the first export."""
ITEM_NAMES = {
    "unmatched_one_time_item": "Platform one-time item",
    "unmatched_recurring_item": "Platform recurring item",
    "tax_item": "Sales tax",
}
TIMEOUT = 30
FIRST_RUN_SECONDS = 120
THROTTLE_RETRIES = 5


def prepare_demo(services: Services, tenant_id: int, base_url: str) -> None:
    """Install and connect QuickBooks for the demo tenant once, then request its first runs."""
    with services.db.session() as session:
        installed = services.installations.list(session, tenant_id)
        if any(i.connector_id == CONNECTOR_ID for i in installed):
            return
    emulator = environments.emulator_url()
    client_id, client_secret = f"demo-{secrets.token_hex(6)}", secrets.token_urlsafe(24)
    redirect_uris = callback_urls(base_url)
    with httpx.Client(base_url=emulator, timeout=TIMEOUT) as http:
        _control(
            http,
            "/_emulator/apps",
            {
                "client_id": client_id,
                "client_secret": client_secret,
                "redirect_uris": redirect_uris,
            },
        )
        realm_id = _control(
            http,
            "/_emulator/companies",
            {
                "name": COMPANY_NAME,
                "country": "US",
                # Platform numbers are kept, so a number already used in QuickBooks is refused.
                "preferences": {"SalesFormsPrefs": {"CustomTxnNumbers": True}},
            },
        )["realmId"]
        tokens = _control(http, f"/_emulator/companies/{realm_id}/tokens", {"client_id": client_id})
        seeding = _Books(http, realm_id, tokens["access_token"])
        items = seeding.service_items(ITEM_NAMES)
        _seed_company(services, tenant_id, seeding)
    installation_id = _install(services, tenant_id, client_id, client_secret, items)
    _connect(services, tenant_id, installation_id, redirect_uris[0], realm_id)
    threading.Thread(
        target=_first_runs, args=(services, installation_id), name="demo-first-runs", daemon=True
    ).start()
    log.info("demo: %s installed (installation %s)", INSTALLATION_NAME, installation_id)


def _first_runs(services: Services, installation_id: int) -> None:
    """Run the sync jobs once now, one after the other, through the executor.

    In order because each builds on the one before: imported customers are matched by the
    invoice export, and payments are exported only for invoices already in QuickBooks.
    """
    for job_key in FIRST_JOBS:
        run = services.runner.request(
            installation_id, job_key, trigger="manual", requested_by=ACTOR
        )
        if run is None:
            continue
        services.executor.submit(run.id)
        deadline = time.monotonic() + FIRST_RUN_SECONDS
        while time.monotonic() < deadline:
            with services.db.session() as session:
                if session.get(Run, run.id).status not in ("queued", "running"):
                    break
            time.sleep(0.2)


def callback_urls(base_url: str) -> list[str]:
    """The OAuth callback of ``base_url``, under both loopback names a browser may use, so a
    later Connect pressed in the admin (a reconnect) is accepted as well."""
    parts = urlsplit(base_url.rstrip("/"))
    port = f":{parts.port}" if parts.port else ""
    hosts = [parts.hostname or "127.0.0.1"]
    if hosts[0] in ("0.0.0.0", "127.0.0.1", "localhost"):
        hosts = ["127.0.0.1", "localhost"]
    return [f"{parts.scheme}://{host}{port}/oauth/callback" for host in hosts]


def _control(http: httpx.Client, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
    response = http.post(path, json=body)
    if response.status_code >= 400:
        raise RuntimeError(f"emulator refused {path}: {response.status_code} {response.text}")
    return response.json()


class _Books:
    """The demo company's books through the QuickBooks API, with a token minted for seeding.

    QuickBooks allows 10 requests a second per company: a 429 waits as long as it says.
    """

    def __init__(self, http: httpx.Client, realm_id: str, token: str) -> None:
        self.http, self.base = http, f"/v3/company/{realm_id}"
        self.headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        for _ in range(THROTTLE_RETRIES):
            response = self.http.request(
                method, f"{self.base}/{path}", headers=self.headers, **kwargs
            )
            if response.status_code != 429:
                return response
            time.sleep(float(response.headers.get("Retry-After", 1)))
        return response

    def items(self) -> dict[str, dict[str, Any]]:
        """Every item of the company, by name."""
        response = self._send("GET", "query", params={"query": "select * from Item"})
        response.raise_for_status()
        return {i["Name"]: i for i in response.json()["QueryResponse"].get("Item", [])}

    def create(self, entity: str, body: Mapping[str, Any]) -> dict[str, Any]:
        response = self._send("POST", entity.lower(), json=body)
        if response.status_code >= 400:
            raise RuntimeError(f"creating the demo {entity} failed: {response.text}")
        return response.json()[entity]

    def service_items(self, names: Mapping[str, str]) -> dict[str, str]:
        """The ids of the service items named in ``names`` (field -> name), created when
        missing with the income account of QuickBooks' default ``Services`` item."""
        existing = self.items()
        income = existing["Services"]["IncomeAccountRef"]
        ids = {}
        for field, name in names.items():
            found = existing.get(name) or self.create(
                "Item", {"Name": name, "Type": "Service", "IncomeAccountRef": income}
            )
            ids[field] = found["Id"]
        return ids


def _seed_company(services: Services, tenant_id: int, books: _Books) -> None:
    """Customers that already exist in QuickBooks, and one invoice typed there by hand."""
    ledger = services.ledger(tenant_id)
    by_email = {c.email: c for c in ledger.customers()}
    remote_ids = []
    for email in MATCHED_CUSTOMER_EMAILS:
        customer = by_email.get(email)
        if customer is None:
            continue
        remote = books.create(
            "Customer",
            {
                "DisplayName": customer.display_name,
                "CompanyName": customer.company_name,
                "PrimaryEmailAddr": {"Address": email},
            },
        )
        remote_ids.append(remote["Id"])
    sent = ledger.invoices(statuses=("sent",))
    if sent and remote_ids:
        latest = max(sent, key=lambda i: (i.issue_date, i.id))
        books.create(
            "Invoice",
            {
                "DocNumber": latest.number,
                "CustomerRef": {"value": remote_ids[0]},
                "PrivateNote": "Typed in QuickBooks by hand before the integration",
                "Line": [
                    {
                        "DetailType": "SalesItemLineDetail",
                        "Amount": 100,
                        "SalesItemLineDetail": {"ItemRef": {"value": "1"}, "Qty": 1},
                    }
                ],
            },
        )


def _install(
    services: Services,
    tenant_id: int,
    client_id: str,
    client_secret: str,
    items: Mapping[str, str],
) -> int:
    """An active installation: emulator environment, the demo app's credentials (stored
    encrypted, as secrets), the demo items, and older invoices included."""
    schema = services.host.connector(CONNECTOR_ID).config_schema
    with services.db.session() as session:
        installation = services.installations.install(
            session, tenant_id, CONNECTOR_ID, actor=ACTOR, name=INSTALLATION_NAME
        )
        values = with_defaults(
            schema,
            {
                "initial": {"name": INSTALLATION_NAME, "environment": "emulator", "region": "US"},
                "quickbooks": {"client_id": client_id, "client_secret": client_secret},
                "invoices": {"which": "all"},
                "items": dict(items),
            },
        )
        services.installations.save_config(
            session, installation, values, actor=ACTOR, note="demo installation"
        )
        return installation.id


def _connect(
    services: Services, tenant_id: int, installation_id: int, redirect_uri: str, realm_id: str
) -> None:
    """The real OAuth flow, with the consent form submitted for the demo company."""
    url = services.oauth.authorization_url(
        tenant_id,
        installation_id,
        "quickbooks",
        redirect_uri=redirect_uri,
        browser_session=None,
        actor=ACTOR,
    )
    with httpx.Client(timeout=TIMEOUT) as browser:
        page = browser.get(url)
        page.raise_for_status()
        # The consent form posts the request's own parameters back with the user's choices.
        form = dict(parse_qsl(urlsplit(url).query))
        reply = browser.post(
            url.split("?", 1)[0], data=form | {"realm_id": realm_id, "decision": "approve"}
        )
    if reply.status_code != 302:
        raise RuntimeError(f"the emulator's consent page refused: {reply.status_code}")
    callback = dict(parse_qsl(urlsplit(reply.headers["location"]).query))
    services.oauth.complete(callback, browser_session=None)
