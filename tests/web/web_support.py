"""What the web tests share besides fixtures: signing in, CSRF tokens, a signed-in client.

Kept out of ``conftest.py`` so test modules import it by its own name (``from conftest import``
breaks when another folder's conftest is loaded first).
"""

from __future__ import annotations

import re

from flask.testing import FlaskClient

PASSWORD = "pw-123456-web"


def csrf_of(html: str) -> str:
    """The CSRF token a page's forms carry."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def sign_in(client: FlaskClient, email: str) -> FlaskClient:
    page = client.get("/login")
    reply = client.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": csrf_of(page.text)}
    )
    assert reply.status_code == 302, reply.text
    return client


class Browser:
    """A signed-in test client that adds the session's CSRF token to every POST."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.token = csrf_of(client.get("/").text)

    def get(self, path: str, **kwargs):
        return self.client.get(path, **kwargs)

    def post(self, path: str, data: dict | None = None, **kwargs):
        return self.client.post(path, data={"csrf_token": self.token, **(data or {})}, **kwargs)
