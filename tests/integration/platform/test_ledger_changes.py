"""What a connector relies on: change cursors, tenant isolation and sync states."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from core.platform.ledger import EmbeddedLedger
from core.platform.port import (
    CustomerInput,
    ItemInput,
    PlatformError,
    RecordNotFound,
    SyncState,
)
from core.services import Services
from core.tenants import get_or_create_tenant


@pytest.fixture
def other_books(integrations: Services) -> EmbeddedLedger:
    """Tenant B's ledger."""
    with integrations.db.session() as session:
        tenant = get_or_create_tenant(session, "other", "Other Inc")
    return EmbeddedLedger(integrations.db, tenant.id)


def test_changed_since_is_strictly_after_and_oldest_change_first(books):
    made = [books.create_customer(CustomerInput(display_name=f"C{i}")) for i in range(5)]
    stamps = [c.updated_at for c in made]
    assert stamps == sorted(stamps) and len(set(stamps)) == 5  # strictly increasing
    books.update_customer(made[1].id, CustomerInput(display_name="C1 renamed"))
    after = books.customers(changed_since=stamps[2])
    assert [c.display_name for c in after] == ["C3", "C4", "C1 renamed"]
    cursor = after[-1].updated_at
    assert books.customers(changed_since=cursor) == []
    assert [c.display_name for c in books.customers()] == ["C0", "C2", "C3", "C4", "C1 renamed"]


def test_a_cursor_advanced_record_by_record_misses_no_change(books):
    """Writes in a burst get distinct stamps, so walking one record at a time loses none."""
    for i in range(30):
        books.create_item(ItemInput(name=f"Item {i}", price=Decimal("1.00")))
    seen, cursor = [], None
    while True:
        batch = books.items(changed_since=cursor)[:1]
        if not batch:
            break
        seen.append(batch[0].name)
        cursor = batch[0].updated_at
    assert seen == [f"Item {i}" for i in range(30)]


def test_stamps_stay_ahead_of_a_clock_that_went_back(books, integrations):
    from core.platform.ledger_models import LedgerAccount

    first = books.create_customer(CustomerInput(display_name="Now"))
    future = datetime.now(UTC) + timedelta(hours=1)
    with integrations.db.session() as session:
        session.query(LedgerAccount).filter_by(tenant_id=books.tenant_id).update({"clock": future})
    later = books.create_customer(CustomerInput(display_name="Later"))
    assert later.updated_at > future > first.updated_at


def test_tenant_b_never_sees_tenant_a_records(books, catalog, other_books):
    invoice = books.create_invoice(
        catalog.customer.id, [{"item_id": catalog.widget.id}], tax_rate_id=catalog.state_tax.id
    )
    assert other_books.customers() == []
    assert other_books.items() == []
    assert other_books.tax_rates() == []
    assert other_books.invoices() == []
    assert other_books.find_customers_by_email("ann@example.com") == []
    with pytest.raises(RecordNotFound):
        other_books.customer(catalog.customer.id)
    with pytest.raises(RecordNotFound):
        other_books.send_invoice(invoice.id)
    with pytest.raises(PlatformError) as refused:
        other_books.create_invoice(catalog.customer.id, [{"description": "x", "unit_price": "1"}])
    assert refused.value.field == "customer_id"
    mine = other_books.create_customer(CustomerInput(display_name="B's own"))
    with pytest.raises(PlatformError) as refused:
        other_books.create_invoice(mine.id, [{"item_id": catalog.widget.id}])
    assert refused.value.field == "lines/0/item_id"
    assert other_books.account().client_code != books.account().client_code


def test_find_customers_by_email_ignores_case(books, catalog):
    assert books.find_customers_by_email("ANN@Example.com") == [catalog.customer]
    assert books.find_customers_by_email("nobody@example.com") == []


def test_customer_input_errors_name_the_field(books):
    for data, field in [
        (CustomerInput(display_name=" "), "display_name"),
        (CustomerInput(display_name="A", email="not-an-email"), "email"),
        (CustomerInput(display_name="A", subsidiary_id="42"), "subsidiary_id"),
        (CustomerInput(display_name="A" * 201), "display_name"),
    ]:
        with pytest.raises(PlatformError) as refused:
            books.create_customer(data)
        assert refused.value.field == field
    with pytest.raises(PlatformError) as refused:
        books.create_item(ItemInput(name="Bad", kind="monthly"))  # type: ignore[arg-type]
    assert refused.value.field == "kind"


def test_account_identity_is_name_dash_client_code(books):
    account = books.account()
    assert account.unique_identifier == f"test-tenant-{account.client_code}"
    books.configure_account(name="Acme & Sons", client_code="AC42")
    assert books.account().unique_identifier == "acme-sons-AC42"


def test_sync_states_upsert_and_filter_without_touching_the_record(books, catalog, installation):
    customer = books.customer(catalog.customer.id)
    last_change = books.customers()[-1].updated_at
    state = SyncState(installation.id, "customer", customer.id, "failed", reason="Duplicate Name")
    books.set_sync_state(state)
    books.set_sync_state(
        SyncState(installation.id, "customer", customer.id, "synced", remote_id="58", url="u")
    )
    books.set_sync_state(SyncState(installation.id, "item", catalog.widget.id, "needs_sync"))
    states = books.sync_states(installation.id)
    assert [(s.kind, s.status, s.remote_id, s.reason) for s in states] == [
        ("customer", "synced", "58", None),
        ("item", "needs_sync", None, None),
    ]
    assert [s.kind for s in books.sync_states(installation.id, status="needs_sync")] == ["item"]
    assert books.sync_states(installation.id, kind="customer", record_ids=("999",)) == []
    # a connector's bookkeeping is not a change of the record: no cursor sees it again
    assert books.customer(customer.id).updated_at == customer.updated_at
    assert books.customers(changed_since=last_change) == []


def test_sync_states_are_refused_for_unknown_records_or_another_tenants_installation(
    books, catalog, installation, other_books
):
    with pytest.raises(RecordNotFound):
        books.set_sync_state(SyncState(installation.id, "invoice", "999", "synced"))
    with pytest.raises(PlatformError) as refused:
        books.set_sync_state(SyncState(installation.id, "vendor", "1", "synced"))  # type: ignore[arg-type]
    assert refused.value.field == "kind"
    mine = other_books.create_customer(CustomerInput(display_name="B"))
    with pytest.raises(PlatformError) as refused:
        other_books.set_sync_state(SyncState(installation.id, "customer", mine.id, "synced"))
    assert refused.value.field == "installation_id"
    assert other_books.sync_states(installation.id) == []


def test_concurrent_writers_get_distinct_stamps_in_commit_order(books, integrations):
    """Four threads writing at once: every stamp differs and a cursor walk sees every record."""
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        ledger = EmbeddedLedger(integrations.db, books.tenant_id)
        try:
            for i in range(10):
                ledger.create_customer(CustomerInput(display_name=f"W{worker}-{i}"))
        except BaseException as exc:  # reported below, with the thread's own error
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    customers = books.customers()
    stamps = [c.updated_at for c in customers]
    assert len(customers) == 40 and len(set(stamps)) == 40
    assert stamps == sorted(stamps)
    # ids are handed out in commit order too: stamps follow them
    assert [c.id for c in customers] == sorted((c.id for c in customers), key=int)
