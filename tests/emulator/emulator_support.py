"""Helpers for emulator tests: set up apps, companies and tokens, build clients, click consent.

Importable by any test module (``from emulator_support import ...``); the fixtures in
``conftest.py`` are built from them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urljoin, urlsplit

import httpx
from intuitlib.client import AuthClient
from quickbooks import QuickBooks


@dataclass(frozen=True)
class AppCredentials:
    """A registered app, as a developer copies it from the portal."""

    client_id: str
    client_secret: str
    redirect_uri: str


def register_app(url: str) -> AppCredentials:
    """Register a new app with a unique client id on the emulator at ``url``."""
    credentials = AppCredentials(
        client_id=f"app-{uuid.uuid4().hex[:12]}",
        client_secret=uuid.uuid4().hex,
        redirect_uri="http://127.0.0.1:8765/oauth/callback",
    )
    response = httpx.post(
        f"{url}/_emulator/apps",
        json={
            "client_id": credentials.client_id,
            "client_secret": credentials.client_secret,
            "redirect_uris": [credentials.redirect_uri],
        },
    )
    response.raise_for_status()
    return credentials


def create_company(url: str, name: str | None = None, country: str = "US") -> str:
    """Create a company on the emulator at ``url``; returns its realm id."""
    response = httpx.post(
        f"{url}/_emulator/companies",
        json={"name": name or f"Test Co {uuid.uuid4().hex[:6]}", "country": country},
    )
    response.raise_for_status()
    return response.json()["realmId"]


def mint_tokens(url: str, realm_id: str, client_id: str, scopes: list[str] | None = None) -> dict:
    """A token response for ``realm_id`` straight from the control API (no consent page)."""
    body: dict = {"client_id": client_id}
    if scopes is not None:
        body["scopes"] = scopes
    response = httpx.post(f"{url}/_emulator/companies/{realm_id}/tokens", json=body)
    response.raise_for_status()
    return response.json()


def discovery_url(url: str) -> str:
    """The sandbox discovery document URL, in the trailing-slash form intuit-oauth uses."""
    return f"{url}/.well-known/openid_sandbox_configuration/"


def quickbooks_client(
    url: str, credentials: AppCredentials, realm_id: str, tokens: dict
) -> QuickBooks:
    """A python-quickbooks client for ``realm_id`` whose every URL points at the emulator."""
    auth_client = AuthClient(
        client_id=credentials.client_id,
        client_secret=credentials.client_secret,
        redirect_uri=credentials.redirect_uri,
        environment=discovery_url(url),
        access_token=tokens["access_token"],
        refresh_token=tokens["refresh_token"],
        realm_id=realm_id,
    )
    client = QuickBooks(
        auth_client=auth_client,
        refresh_token=tokens["refresh_token"],
        company_id=realm_id,
        minorversion=75,
    )
    client.api_url_v3 = client.sandbox_api_url_v3 = f"{url}/v3"
    return client


class _FormReader(HTMLParser):
    """Collects the consent form's action and its input defaults, as a browser would submit."""

    def __init__(self) -> None:
        super().__init__()
        self.action = ""
        self.fields: dict[str, str] = {}
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.action = attributes.get("action", "")
        elif tag == "input" and attributes.get("name"):
            self.fields[attributes["name"]] = attributes.get("value", "")
        elif tag == "select":
            self._select = attributes.get("name")
        elif tag == "option" and self._select and self._select not in self.fields:
            self.fields[self._select] = attributes.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def submit_consent(authorize_url: str, decision: str = "approve", **choices: str) -> dict:
    """Open the consent page, submit it with ``decision`` and ``choices``; the callback's query.

    ``choices`` override form fields: ``realm_id`` (an existing company, or "new"),
    ``company_name`` and ``country`` for a new one.
    """
    with httpx.Client() as browser:
        page = browser.get(authorize_url)
        assert page.status_code == 200, page.text
        form = _FormReader()
        form.feed(page.text)
        fields = form.fields | choices | {"decision": decision}
        reply = browser.post(urljoin(authorize_url, form.action), data=fields)
    assert reply.status_code == 302, reply.text
    return dict(parse_qsl(urlsplit(reply.headers["location"]).query))
