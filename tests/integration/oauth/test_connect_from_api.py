"""A connect started through the REST API is completed by a visitor with no admin session;
a connect pressed in the admin still needs the browser session that pressed it."""

from __future__ import annotations

from urllib.parse import urlencode

from emulator_support import submit_consent
from test_connect_quickbooks import stored_connection

from core import api_tokens


def api_token(integrations, tenant_id: int) -> str:
    with integrations.db.session() as session:
        _, clear = api_tokens.create(session, tenant_id, "platform backend", actor="test")
    return clear


def test_an_api_started_connect_completes_without_an_admin_session(
    integrations, browser, tenant_id, installation_id, realm
):
    api = browser.application.test_client()
    started = api.post(
        f"/api/v1/installations/{installation_id}/connect/quickbooks",
        headers={"Authorization": f"Bearer {api_token(integrations, tenant_id)}"},
    )
    assert started.status_code == 200, started.text
    callback = submit_consent(started.json["authorize_url"], "approve", realm_id=realm)

    visitor = browser.application.test_client()  # the platform's user: never signed in here
    reply = visitor.get("/oauth/callback?" + urlencode(callback))

    assert reply.status_code == 200, reply.text
    assert "Connected" in reply.text
    assert stored_connection(integrations, installation_id).account_id == realm
    replay = visitor.get("/oauth/callback?" + urlencode(callback))
    assert replay.status_code == 400 and "already completed" in replay.text


def test_a_connect_pressed_in_the_admin_cannot_be_completed_by_a_visitor(
    integrations, browser, installation_id, realm
):
    start = browser.get(f"/installations/{installation_id}/connect/quickbooks")
    callback = submit_consent(start.headers["Location"], "approve", realm_id=realm)

    visitor = browser.application.test_client()
    reply = visitor.get("/oauth/callback?" + urlencode(callback))

    assert reply.status_code == 400
    assert "not started from this browser session" in reply.text
    assert stored_connection(integrations, installation_id) is None
