"""The Test connection action reports, field by field, what the sync still needs."""

from __future__ import annotations

from test_connect_quickbooks import connect

from core.actions import run_action


def save(integrations, installation_id: int, **changes) -> None:
    with integrations.db.session() as session:
        installation = integrations.installations.get(session, 1, installation_id)
        values = integrations.configs.full(integrations.configs.current(session, installation_id))
        for pointer, value in changes.items():
            step, field = pointer.split("__")
            values[step][field] = value
        integrations.installations.save_config(session, installation, values, actor="test")


def press_test_connection(integrations, tenant_id, installation_id):
    return run_action(integrations, tenant_id, installation_id, "test_connection", actor="test")


def test_not_connected_says_to_connect(integrations, tenant_id, installation_id):
    result = press_test_connection(integrations, tenant_id, installation_id)

    assert not result.ok
    assert "Connect to QuickBooks" in result.details["connection"]


def test_platform_numbering_needs_custom_transaction_numbers_in_quickbooks(
    integrations, browser, tenant_id, installation_id, realm
):
    connect(browser, installation_id, realm)

    result = press_test_connection(integrations, tenant_id, installation_id)

    assert not result.ok
    assert "Custom transaction numbers" in result.details["/invoices/numbering"]
    assert result.details["/quickbooks/client_secret"] == "ok"
    assert result.details["connection"] == "connected to Craig's Design and Landscaping"


def test_a_connected_company_with_the_right_settings_passes(
    integrations, browser, tenant_id, installation_id, realm
):
    connect(browser, installation_id, realm)
    save(integrations, installation_id, invoices__numbering="quickbooks")

    result = press_test_connection(integrations, tenant_id, installation_id)

    assert result.ok, result.message
    assert result.details["/initial/region"] == "ok"


def test_wrong_region_is_reported(integrations, browser, tenant_id, installation_id, realm):
    connect(browser, installation_id, realm)
    save(integrations, installation_id, invoices__numbering="quickbooks", initial__region="UK")

    result = press_test_connection(integrations, tenant_id, installation_id)

    assert not result.ok
    assert "the company is in US" in result.details["/initial/region"]


def test_bad_client_secret_is_named(integrations, browser, tenant_id, installation_id, realm):
    connect(browser, installation_id, realm)
    save(integrations, installation_id, quickbooks__client_secret="not-the-secret")

    result = press_test_connection(integrations, tenant_id, installation_id)

    assert not result.ok
    assert "refused the client ID or secret" in result.details["/quickbooks/client_secret"]
    assert "not-the-secret" not in result.message
