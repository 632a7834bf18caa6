"""The emulator's control API as the client tests drive it (apps, companies, tokens, faults).

A module of its own, not part of ``conftest.py``, so test modules can import it by a name no
other test directory uses.
"""

from __future__ import annotations

import uuid

import httpx


class Control:
    """The emulator's control API, as a test drives it."""

    def __init__(self, url: str) -> None:
        self.url = url

    def register_app(self) -> str:
        """A new app; its client id."""
        client_id = f"app-{uuid.uuid4().hex[:12]}"
        body = {"client_id": client_id, "client_secret": uuid.uuid4().hex, "redirect_uris": []}
        httpx.post(f"{self.url}/_emulator/apps", json=body).raise_for_status()
        return client_id

    def create_company(self) -> str:
        """A fresh seeded US company; its realm id."""
        body = {"name": f"Client Test {uuid.uuid4().hex[:6]}", "country": "US"}
        response = httpx.post(f"{self.url}/_emulator/companies", json=body)
        response.raise_for_status()
        return response.json()["realmId"]

    def access_token(self, realm_id: str, client_id: str) -> str:
        """An access token for ``realm_id`` without the consent page."""
        response = httpx.post(
            f"{self.url}/_emulator/companies/{realm_id}/tokens", json={"client_id": client_id}
        )
        response.raise_for_status()
        return response.json()["access_token"]

    def plan_fault(self, kind: str, realm_id: str, **extra: object) -> None:
        """The next request(s) of ``realm_id`` get ``kind`` (or, for token kinds, act now)."""
        body = {"kind": kind, "realmId": realm_id, **extra}
        httpx.post(f"{self.url}/_emulator/faults", json=body).raise_for_status()

    def requests(self, realm_id: str) -> list[dict]:
        """The API requests the company received, oldest first."""
        response = httpx.get(f"{self.url}/_emulator/companies/{realm_id}/requests")
        response.raise_for_status()
        return response.json()
