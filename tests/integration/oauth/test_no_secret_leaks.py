"""No token or secret reaches a log line, an error message, a page or the audit log."""

from __future__ import annotations

import logging

import httpx
import pytest
from sqlalchemy import select
from test_connect_quickbooks import connect, stored_connection

from core.actions import run_action
from core.oauth import NeedsReconnect
from core.store.models import AuditEntry


def test_connect_refresh_lapse_and_test_connection_leak_no_secret(
    integrations, browser, tenant_id, installation_id, realm, emulator, app_credentials, caplog
):
    caplog.set_level(logging.DEBUG)
    pages = [connect(browser, installation_id, realm)[0].text]
    seen = [integrations.connections.tokens(stored_connection(integrations, installation_id))]
    integrations.oauth.refresh(installation_id, "quickbooks")
    seen.append(integrations.connections.tokens(stored_connection(integrations, installation_id)))
    result = run_action(integrations, tenant_id, installation_id, "test_connection", actor="t")
    seen.append(integrations.connections.tokens(stored_connection(integrations, installation_id)))
    httpx.post(
        f"{emulator.url}/_emulator/faults",
        json={"realmId": realm, "kind": "revoke_refresh_tokens", "count": 1},
    ).raise_for_status()
    with pytest.raises(NeedsReconnect) as lapsed:
        integrations.oauth.refresh(installation_id, "quickbooks")
    with integrations.db.session() as session:
        audit = [str(e.detail) for e in session.scalars(select(AuditEntry))]

    secrets = {app_credentials.client_secret}
    for tokens in seen:
        secrets |= {tokens["access_token"], tokens["refresh_token"]}
    texts = [r.getMessage() for r in caplog.records] + pages + audit
    texts += [result.message, str(result.details), str(lapsed.value)]
    leaks = [(secret[:8], text[:80]) for secret in secrets for text in texts if secret in text]
    assert not leaks
    assert len(caplog.records) > 0 and len(secrets) >= 5
