"""Import from QuickBooks, end to end: emulator over HTTP -> connector -> platform port.

Issue 5, item 4: customers, items and tax codes come into the platform, matched by the key
link settings; the first run reads everything, later runs only what changed; deactivated
records become inactive, never deleted; a record that cannot be imported fails alone.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from sync_support import SyncHarness

from core.platform.port import CustomerInput, ItemInput
from core.records import Records
from core.store.models import Run
from plugins.quickbooks.client import BatchOperation
from plugins.quickbooks.sync.import_records import CURSOR_STREAM, JOB_KEY

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


def qbo_customer(sync: SyncHarness, name: str, email: str | None = None, **extra) -> dict:
    body = {"DisplayName": name, **extra}
    if email:
        body["PrimaryEmailAddr"] = {"Address": email}
    return sync.qbo.create("Customer", body)


def qbo_item(sync: SyncHarness, name: str, price: float, taxable: bool = False) -> dict:
    return sync.qbo.create(
        "Item",
        {
            "Name": name,
            "Type": "Service",
            "UnitPrice": price,
            "Taxable": taxable,
            "IncomeAccountRef": {"value": "1"},
        },
    )


def deactivate(sync: SyncHarness, entity: str, row: dict) -> dict:
    current = sync.qbo.read(entity, row["Id"])
    return sync.qbo.sparse_update(entity, current["Id"], current["SyncToken"], {"Active": False})


def requests_log(sync: SyncHarness) -> list[dict]:
    url = f"{sync.emulator.url}/_emulator/companies/{sync.realm_id}/requests"
    return httpx.get(url).json()


def clear_requests(sync: SyncHarness) -> None:
    httpx.delete(f"{sync.emulator.url}/_emulator/companies/{sync.realm_id}/requests")


def link_of(sync: SyncHarness, entity: str, remote_id: str):
    return next(link for link in sync.links(entity) if link.remote_id == remote_id)


def latest_change(sync: SyncHarness) -> datetime:
    stamps = [r.updated_at for r in [*sync.port.customers(), *sync.port.items()]]
    stamps += [r.updated_at for r in sync.port.tax_rates()]
    return max(s for s in stamps if s is not None)


def test_first_run_brings_customers_items_and_tax_codes(sync: SyncHarness) -> None:
    jane = qbo_customer(
        sync,
        "Jane Doe",
        "jane@example.com",
        GivenName="Jane",
        FamilyName="Doe",
        CompanyName="Doe Design",
        PrimaryPhone={"FreeFormNumber": "(555) 555-0101"},
    )
    design = qbo_item(sync, "Web design", 120.5, taxable=True)

    outcome = sync.run(JOB_KEY)

    assert outcome.run.status == "succeeded", outcome.messages
    local = sync.port.customer(link_of(sync, "customer", jane["Id"]).local_id)
    assert (local.display_name, local.email, local.given_name, local.family_name) == (
        "Jane Doe",
        "jane@example.com",
        "Jane",
        "Doe",
    )
    assert (local.company_name, local.phone, local.active) == ("Doe Design", "(555) 555-0101", True)
    item = sync.port.item(link_of(sync, "item", design["Id"]).local_id)
    assert (item.name, item.kind, item.price, item.taxable) == (
        "Web design",
        "one_time",
        Decimal("120.50"),
        True,
    )
    # The US company's sales tax code "California" is 7.25 % + 1 %; TAX/NON are no rates.
    rates = {rate.name: rate.rate for rate in sync.port.tax_rates()}
    assert rates == {"California": Decimal("8.25")}
    link = link_of(sync, "customer", jane["Id"])
    assert (link.status, link.remote_version, link.content_hash is not None) == (
        "synced",
        "0",
        True,
    )
    assert {link.remote_id for link in sync.links("item")} == {"1", "2", design["Id"]}
    assert outcome.run.counts["created"] == 1 + 3 + 1  # Jane, three items, one tax rate


def test_existing_platform_records_are_matched_by_email_and_name_not_duplicated(
    sync: SyncHarness,
) -> None:
    mine = sync.ledger.create_customer(
        CustomerInput(display_name="J. Doe", email="Jane@Example.com")
    )
    hours = sync.ledger.create_item(ItemInput(name="hours", kind="recurring", price=Decimal("1")))
    jane = qbo_customer(sync, "Jane Doe", "jane@example.com")

    outcome = sync.run(JOB_KEY)

    assert outcome.run.status == "succeeded", outcome.messages
    assert link_of(sync, "customer", jane["Id"]).local_id == mine.id
    assert [c.display_name for c in sync.port.customers()] == ["Jane Doe"]
    assert link_of(sync, "item", "2").local_id == hours.id  # QBO's "Hours", by name
    updated = sync.port.item(hours.id)
    assert (updated.name, updated.kind, updated.price) == ("Hours", "recurring", Decimal("0.00"))
    assert len(sync.port.items()) == 2


def test_the_chosen_unmatched_recurring_item_comes_in_as_recurring(sync: SyncHarness) -> None:
    sync.configure({"items": {"unmatched_recurring_item": "2"}})

    outcome = sync.run(JOB_KEY)

    assert outcome.run.status == "succeeded", outcome.messages
    kinds = {item.name: item.kind for item in sync.port.items()}
    assert kinds == {"Services": "one_time", "Hours": "recurring"}


def test_nothing_changed_writes_nothing_and_calls_grow_with_changes_not_total(
    sync: SyncHarness,
) -> None:
    people = [
        BatchOperation.create(
            "Customer",
            {"DisplayName": f"Customer {n}", "PrimaryEmailAddr": {"Address": f"c{n}@example.com"}},
        )
        for n in range(120)
    ]
    created = sync.qbo.batch(people)
    assert sync.run(JOB_KEY).run.counts["created"] == 120 + 3  # and the two items, one rate
    mark = latest_change(sync)

    clear_requests(sync)
    second = sync.run(JOB_KEY)

    assert second.run.status == "succeeded", second.messages
    assert second.run.counts.get("created", 0) == second.run.counts.get("updated", 0) == 0
    assert sync.port.customers(changed_since=mark) == []
    assert sync.port.items(changed_since=mark) == []
    # CDC, the tax lists' change queries, and (the company's tax codes being minutes old, inside
    # the cursor's overlap) the two tax lists read whole: a few requests, for 120 customers.
    unchanged_calls = len(requests_log(sync))
    assert unchanged_calls <= 5

    for person in created[:2]:
        sync.qbo.sparse_update(
            "Customer", person["Id"], person["SyncToken"], {"PrimaryPhone": {"FreeFormNumber": "1"}}
        )
    clear_requests(sync)
    third = sync.run(JOB_KEY)

    assert third.run.counts["updated"] == 2
    changed = sync.port.customers(changed_since=mark)
    assert sorted(c.display_name for c in changed) == ["Customer 0", "Customer 1"]
    assert len(requests_log(sync)) == unchanged_calls


def test_deactivated_in_quickbooks_becomes_inactive_on_the_platform_never_deleted(
    sync: SyncHarness,
) -> None:
    gone = qbo_customer(sync, "Gone Customer", "gone@example.com")
    old = qbo_item(sync, "Old service", 10)
    sync.run(JOB_KEY)
    customer_id = link_of(sync, "customer", gone["Id"]).local_id
    item_id = link_of(sync, "item", old["Id"]).local_id

    deactivate(sync, "Customer", gone)
    deactivate(sync, "Item", old)
    outcome = sync.run(JOB_KEY)

    assert outcome.run.status == "succeeded", outcome.messages
    assert outcome.run.counts["updated"] == 2
    assert sync.port.customer(customer_id).active is False
    assert sync.port.item(item_id).active is False
    assert link_of(sync, "customer", gone["Id"]).remote_version == "1"


def test_a_never_imported_inactive_record_is_not_created(sync: SyncHarness) -> None:
    deactivate(sync, "Customer", qbo_customer(sync, "Old Friend", "old@example.com"))

    outcome = sync.run(JOB_KEY)

    assert sync.port.customers() == []
    assert outcome.run.counts["skipped"] >= 1


def test_an_ambiguous_email_fails_that_customer_only_and_is_retried_next_run(
    sync: SyncHarness,
) -> None:
    first = sync.ledger.create_customer(
        CustomerInput(display_name="Sam A", email="sam@example.com")
    )
    second = sync.ledger.create_customer(
        CustomerInput(display_name="Sam B", email="sam@example.com")
    )
    sam = qbo_customer(sync, "Sam", "sam@example.com")
    qbo_customer(sync, "Kim", "kim@example.com")

    outcome = sync.run(JOB_KEY)

    assert outcome.run.status == "partial"
    assert outcome.run.counts["failed"] == 1
    assert outcome.run.counts["created"] >= 1  # Kim
    failure = sync.link("quickbooks_customer", sam["Id"])
    assert failure is not None and failure.status == "failed"
    both = ", ".join(sorted([first.id, second.id]))
    assert failure.reason == (
        f"email 'sam@example.com' matches 2 platform customers ({both}); "
        "give each a distinct email or link one by hand"
    )
    assert any("not imported" in message for message in outcome.messages)

    # The admin fixes the platform; nothing changes in QuickBooks, yet the next run retries.
    sync.ledger.update_customer(
        second.id, CustomerInput(display_name="Sam B", email="b@example.com")
    )
    retried = sync.run(JOB_KEY)

    assert retried.run.status == "succeeded", retried.messages
    assert link_of(sync, "customer", sam["Id"]).local_id == first.id
    assert sync.link("quickbooks_customer", sam["Id"]).status == "synced"


def test_a_cursor_older_than_cdc_allows_reads_everything_again(sync: SyncHarness) -> None:
    qbo_customer(sync, "Ann", "ann@example.com")
    sync.run(JOB_KEY)
    records = Records(sync.services.db, sync.installation_id)
    records.set_cursor(CURSOR_STREAM, (datetime.now(UTC) - timedelta(days=31)).isoformat())
    late = qbo_customer(sync, "Late", "late@example.com")

    clear_requests(sync)
    outcome = sync.run(JOB_KEY)

    assert outcome.run.status == "succeeded", outcome.messages
    paths = [entry["path"] for entry in requests_log(sync)]
    assert not any(path.endswith("/cdc") for path in paths)
    assert outcome.run.counts["created"] == 1
    assert link_of(sync, "customer", late["Id"])
    assert len(sync.port.customers()) == 2
    cursor = datetime.fromisoformat(records.cursor(CURSOR_STREAM))
    assert datetime.now(UTC) - cursor < timedelta(hours=1)


def test_the_cursor_moves_only_when_the_run_completes(sync: SyncHarness) -> None:
    qbo_customer(sync, "Ann", "ann@example.com")
    records = Records(sync.services.db, sync.installation_id)
    httpx.post(
        f"{sync.emulator.url}/_emulator/faults",
        json={"kind": "revoke_refresh_tokens", "realmId": sync.realm_id},
    )
    httpx.post(
        f"{sync.emulator.url}/_emulator/faults",
        json={"kind": "expire_access_tokens", "realmId": sync.realm_id},
    )

    outcome = sync.run(JOB_KEY)

    assert outcome.run.status == "failed"
    assert records.cursor(CURSOR_STREAM) is None


@pytest.mark.parametrize("qbo_region", ["CA"])
def test_canadian_tax_codes_become_rates_combined_codes_summed(sync: SyncHarness) -> None:
    outcome = sync.run(JOB_KEY)

    assert outcome.run.status == "succeeded", outcome.messages
    rates = {rate.name: rate.rate for rate in sync.port.tax_rates()}
    assert rates == {
        "Exempt": Decimal("0"),
        "Zero-rated": Decimal("0"),
        "GST": Decimal("5"),
        "HST ON": Decimal("13"),
        "PST BC": Decimal("7"),
        "GST/PST BC": Decimal("12"),
    }
    assert {link.remote_id for link in sync.links("tax_rate")} == {"2", "3", "4", "5", "6", "7"}
    # CA items carry a sales tax code instead of Taxable.
    assert all(item.taxable for item in sync.port.items())


def test_force_sync_starts_a_manual_import_and_reports_its_run(sync: SyncHarness) -> None:
    jane = qbo_customer(sync, "Jane Doe", "jane@example.com")

    result = sync.action("force_sync")

    assert result.ok, result.message
    (run_id,) = result.run_ids
    assert f"run {run_id}" in result.message
    with sync.services.db.session() as session:
        run = session.get(Run, run_id)
        assert (run.job_key, run.trigger) == (JOB_KEY, "manual")
    assert link_of(sync, "customer", jane["Id"])
