"""The API tokens page of the admin UI: create (shown once), list, revoke, per tenant."""

from __future__ import annotations

import re

import pytest
from api_client import Api
from flask import Flask
from flask.testing import FlaskClient

from core.services import Services
from core.tenants import create_user, get_or_create_tenant

PASSWORD = "pw-123456-tokens"


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def signed_in(app: Flask, integrations: Services, slug: str) -> tuple[FlaskClient, str]:
    """A browser signed in as the admin of tenant ``slug``, and its CSRF token."""
    with integrations.db.session() as session:
        tenant = get_or_create_tenant(session, slug, slug.title())
        create_user(session, tenant, f"admin@{slug}.example", PASSWORD)
    client = app.test_client()
    form = {"email": f"admin@{slug}.example", "password": PASSWORD}
    client.post("/login", data={**form, "csrf_token": csrf_of(client.get("/login").text)})
    return client, csrf_of(client.get("/tokens").text)


@pytest.fixture
def browser(app: Flask, integrations: Services, tenant_id: int) -> tuple[FlaskClient, str]:
    return signed_in(app, integrations, "test")


def created_token(html: str) -> str:
    return re.search(r'id="created-token" type="text" readonly value="([^"]+)"', html).group(1)


def test_a_created_token_is_shown_once_and_works(app: Flask, browser) -> None:
    client, csrf = browser

    page = client.post("/tokens", data={"name": "Billing <b>app</b>", "csrf_token": csrf})

    assert page.status_code == 200
    clear = created_token(page.text)
    assert clear.startswith("il_")
    assert "Billing &lt;b&gt;app&lt;/b&gt;" in page.text
    assert page.headers["Cache-Control"] == "no-store"
    listed = client.get("/tokens").text
    assert clear not in listed
    assert clear[:11] + "…" in listed
    assert 'aria-current="page">API tokens' in listed
    assert Api(app, clear).get("/api/v1/installations").status_code == 200


def test_revoking_a_token_stops_it_at_once(app: Flask, browser) -> None:
    client, csrf = browser
    clear = created_token(client.post("/tokens", data={"name": "cron", "csrf_token": csrf}).text)

    reply = client.post("/tokens/1/revoke", data={"csrf_token": csrf})

    assert reply.status_code == 302
    assert "Revoked the API token &#39;cron&#39;." in client.get("/tokens").text
    assert Api(app, clear).get("/api/v1/installations").status_code == 401


def test_the_forms_need_the_csrf_token_and_a_name(browser) -> None:
    client, csrf = browser

    assert client.post("/tokens", data={"name": "no csrf"}).status_code == 400
    blank = client.post("/tokens", data={"name": "  ", "csrf_token": csrf})
    assert blank.status_code == 422
    assert "name: give the token a name" in blank.text
    assert 'id="created-token"' not in blank.text


def test_another_tenants_token_cannot_be_revoked(
    app: Flask, integrations: Services, browser
) -> None:
    client, csrf = browser
    client.post("/tokens", data={"name": "ours", "csrf_token": csrf})
    other, other_csrf = signed_in(app, integrations, "other")

    assert other.post("/tokens/1/revoke", data={"csrf_token": other_csrf}).status_code == 404
    assert "ours" not in other.get("/tokens").text
    assert "revoked" not in client.get("/tokens").text
