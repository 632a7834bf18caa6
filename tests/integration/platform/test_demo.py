"""The demo ledger: loaded once, in every status, with an API user for the REST adapter."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from core.demo import DEMO_CLIENT_CODE, load_demo_data
from core.platform.ledger import EmbeddedLedger
from core.serve import ensure_demo_ledger, ensure_demo_tenant
from core.services import Services
from core.tenants import tenant_by_slug


def snapshot(ledger: EmbeddedLedger) -> tuple:
    return (ledger.customers(), ledger.items(), ledger.invoices(), ledger.payments())


def test_demo_data_covers_every_status_and_loads_once(integrations: Services, tenant_id: int):
    first = load_demo_data(integrations, tenant_id)
    assert first.loaded and first.api_password
    assert first.api_username == f"api@{DEMO_CLIENT_CODE}"
    ledger = EmbeddedLedger(integrations.db, tenant_id)
    before = snapshot(ledger)
    again = load_demo_data(integrations, tenant_id)
    assert (again.loaded, again.api_password) == (False, None)
    assert snapshot(ledger) == before

    customers, items, invoices, payments = before
    assert len(customers) == 8 and all(c.email for c in customers)
    assert len([c for c in customers if c.display_name == "John Smith"]) == 2
    assert {(i.kind, i.taxable) for i in items} == {
        ("one_time", True),
        ("one_time", False),
        ("recurring", True),
        ("recurring", False),
    }
    assert len(ledger.tax_rates()) == 2 and len(ledger.subsidiaries()) == 2
    assert Counter(i.status for i in invoices) == {"draft": 2, "sent": 5, "paid": 3, "void": 2}
    assert any(i.discount_total and i.tax_total for i in invoices)
    assert any(i.status == "sent" and 0 < i.balance < i.total for i in invoices)  # partly paid
    assert any(p.invoice_id is None for p in payments)
    assert any(p.tip for p in payments)
    assert all(i.balance == 0 for i in invoices if i.status in ("paid", "void"))
    assert ledger.account().name == "Demo Company"


def test_the_demo_api_user_signs_in_as_login_at_client_code(integrations, tenant_id):
    demo = load_demo_data(integrations, tenant_id)
    assert integrations.check_api_user(demo.api_username, demo.api_password) == tenant_id
    assert integrations.check_api_user(demo.api_username, "wrong-password") is None
    assert integrations.check_api_user("nobody@DEMO01", demo.api_password) is None
    assert integrations.check_api_user("api@NOPE", demo.api_password) is None


def test_a_configured_api_password_is_used_and_never_printed(integrations, tenant_id):
    configured = replace(
        integrations, settings=replace(integrations.settings, demo_api_password="from-settings")
    )
    demo = load_demo_data(configured, tenant_id)
    assert demo.api_password is None
    assert integrations.check_api_user(demo.api_username, "from-settings") == tenant_id


def test_serve_prints_the_generated_api_password_once(integrations, capsys):
    ensure_demo_tenant(integrations)
    ensure_demo_ledger(integrations)
    first = capsys.readouterr().out
    ensure_demo_ledger(integrations)
    assert capsys.readouterr().out == ""
    with integrations.db.session() as session:
        tenant_id = tenant_by_slug(session, "demo").id
    [line] = [line for line in first.splitlines() if line.startswith("Ledger API user")]
    username, password = line.split(": ", 1)[1].split(" (")[0].split(" / ")
    assert integrations.check_api_user(username, password) == tenant_id
