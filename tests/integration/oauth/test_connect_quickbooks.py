"""Connect to QuickBooks through the emulator's consent page, stay connected, disconnect."""

from __future__ import annotations

import threading
from urllib.parse import urlencode

import httpx
import pytest
from emulator_support import submit_consent
from sqlalchemy import select

from core.oauth import NeedsReconnect
from core.store.models import AuditEntry, Installation, OAuthConnection, Schedule
from plugins.quickbooks import environments


def connect(browser, installation_id: int, realm: str, decision: str = "approve"):
    """Click Connect, answer the consent page, follow the redirect back; the callback reply."""
    start = browser.get(f"/installations/{installation_id}/connect/quickbooks")
    assert start.status_code == 302, start.text
    callback = submit_consent(start.headers["Location"], decision, realm_id=realm)
    return browser.get("/oauth/callback?" + urlencode(callback)), callback


def stored_connection(integrations, installation_id: int) -> OAuthConnection | None:
    with integrations.db.session() as session:
        return integrations.connections.get(session, installation_id, "quickbooks")


def test_connect_stores_encrypted_tokens_with_realm_and_company_name(
    integrations, browser, installation_id, realm
):
    reply, _ = connect(browser, installation_id, realm)

    assert reply.status_code == 200
    assert "Craig&#39;s Design and Landscaping" in reply.text
    connection = stored_connection(integrations, installation_id)
    assert (connection.status, connection.account_id) == ("connected", realm)
    assert connection.account_name == "Craig's Design and Landscaping"
    tokens = integrations.connections.tokens(connection)
    assert tokens["access_token"].encode() not in connection.tokens_ciphertext
    assert tokens["refresh_token"].encode() not in connection.tokens_ciphertext
    with integrations.db.session() as session:
        actions = session.scalars(select(AuditEntry.action)).all()
    assert "connection.connected" in actions


def test_denied_consent_ends_on_a_page_that_says_so_and_stores_nothing(
    integrations, browser, installation_id, realm
):
    reply, callback = connect(browser, installation_id, realm, decision="deny")

    assert callback["error"] == "access_denied"
    assert reply.status_code == 400
    assert "denied" in reply.text
    assert stored_connection(integrations, installation_id) is None


def test_replayed_state_is_refused(integrations, browser, installation_id, realm):
    first, callback = connect(browser, installation_id, realm)
    assert first.status_code == 200

    replay = browser.get("/oauth/callback?" + urlencode(callback))

    assert replay.status_code == 400
    assert "already completed" in replay.text


def test_state_from_another_browser_session_is_refused(
    integrations, browser, installation_id, realm
):
    start = browser.get(f"/installations/{installation_id}/connect/quickbooks")
    callback = submit_consent(start.headers["Location"], "approve", realm_id=realm)
    other = browser.application.test_client()
    other.get("/login")
    with other.session_transaction() as session:
        csrf = session["csrf"]
    other.post(
        "/login", data={"email": "admin@test.example", "password": "pw-123456", "csrf_token": csrf}
    )

    reply = other.get("/oauth/callback?" + urlencode(callback))

    assert reply.status_code == 400
    assert "not started from this browser session" in reply.text
    assert stored_connection(integrations, installation_id) is None


def test_refresh_racing_from_two_threads_refreshes_once(
    integrations, browser, installation_id, realm
):
    connect(browser, installation_id, realm)
    before = integrations.connections.tokens(stored_connection(integrations, installation_id))
    results: list[str] = []

    def refresh() -> None:
        results.append(
            integrations.oauth.refresh(installation_id, "quickbooks", stale=before["access_token"])
        )

    threads = [threading.Thread(target=refresh) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # A second refresh would have sent the rotated (dead) refresh token and lost the connection.
    assert len(set(results)) == 1 and results[0] != before["access_token"]
    connection = stored_connection(integrations, installation_id)
    assert connection.status == "connected"
    after = integrations.connections.tokens(connection)
    assert after["refresh_token"] != before["refresh_token"]


def test_invalid_grant_turns_the_connection_red_and_pauses_the_jobs(
    integrations, browser, installation_id, realm, emulator
):
    connect(browser, installation_id, realm)
    httpx.post(
        f"{emulator.url}/_emulator/faults",
        json={"realmId": realm, "kind": "revoke_refresh_tokens", "count": 1},
    ).raise_for_status()

    with pytest.raises(NeedsReconnect):
        integrations.oauth.refresh(installation_id, "quickbooks")

    connection = stored_connection(integrations, installation_id)
    assert connection.status == "needs_reconnect"
    assert "reconnect" in connection.status_reason
    with integrations.db.session() as session:
        installation = session.get(Installation, installation_id)
        assert installation.status == "paused"
        assert "reconnect" in installation.paused_reason
        schedules = session.scalars(select(Schedule)).all()
    assert all(s.paused_reason and s.next_run_at is None for s in schedules)
    # It stops asking Intuit until the admin reconnects.
    with pytest.raises(NeedsReconnect):
        integrations.oauth.access_token(installation_id, "quickbooks")


def test_reconnecting_resumes_paused_jobs(integrations, browser, installation_id, realm, emulator):
    connect(browser, installation_id, realm)
    httpx.post(
        f"{emulator.url}/_emulator/faults",
        json={"realmId": realm, "kind": "revoke_refresh_tokens", "count": 1},
    ).raise_for_status()
    with pytest.raises(NeedsReconnect):
        integrations.oauth.refresh(installation_id, "quickbooks")

    reply, _ = connect(browser, installation_id, realm)

    assert reply.status_code == 200
    assert stored_connection(integrations, installation_id).status == "connected"
    with integrations.db.session() as session:
        assert session.get(Installation, installation_id).status == "active"
        assert all(s.next_run_at for s in session.scalars(select(Schedule)))


def test_disconnect_revokes_the_tokens_at_intuit_and_deletes_them(
    integrations, browser, installation_id, realm, emulator, app_credentials
):
    connect(browser, installation_id, realm)
    tokens = integrations.connections.tokens(stored_connection(integrations, installation_id))
    with browser.session_transaction() as session:
        csrf = session["csrf"]

    reply = browser.post(
        f"/installations/{installation_id}/disconnect/quickbooks", data={"csrf_token": csrf}
    )

    assert reply.status_code == 302
    assert stored_connection(integrations, installation_id) is None
    refused = httpx.post(
        f"{emulator.url}/oauth2/v1/tokens/bearer",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=(app_credentials.client_id, app_credentials.client_secret),
    )
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"


def test_disconnect_without_csrf_token_is_refused(integrations, browser, installation_id, realm):
    connect(browser, installation_id, realm)

    reply = browser.post(f"/installations/{installation_id}/disconnect/quickbooks")

    assert reply.status_code == 400
    assert stored_connection(integrations, installation_id) is not None


@pytest.mark.parametrize(
    ("environment", "url"),
    [("production", "http://quickbooks.example.com/v3"), ("emulator", "http://10.0.0.5/v3")],
)
def test_api_base_override_must_be_https_or_a_loopback_emulator(environment, url):
    config = {"initial": {"environment": environment}, "advanced": {"api_base_url": url}}

    with pytest.raises(environments.EnvironmentError, match="/advanced/api_base_url"):
        environments.resolve(config)


def test_loopback_override_is_accepted_for_the_emulator():
    config = {
        "initial": {"environment": "emulator"},
        "advanced": {"api_base_url": "http://127.0.0.1:6000/v3"},
    }

    assert environments.resolve(config).api_base == "http://127.0.0.1:6000/v3"


def test_oauth_endpoints_come_from_the_discovery_document_when_one_is_set(emulator):
    config = {
        "initial": {"environment": "emulator"},
        "advanced": {"discovery_url": f"{emulator.url}/.well-known/openid_configuration"},
    }

    endpoints = environments.oauth_endpoints(config)

    assert endpoints.token_url.endswith("/oauth2/v1/tokens/bearer")
    assert endpoints.revoke_url and endpoints.authorize_url


def test_a_plain_http_discovery_url_is_refused_outside_the_emulator():
    config = {
        "initial": {"environment": "sandbox"},
        "advanced": {"discovery_url": "http://developer.example.com/.well-known/x"},
    }

    with pytest.raises(environments.EnvironmentError, match="/advanced/discovery_url"):
        environments.oauth_endpoints(config)
