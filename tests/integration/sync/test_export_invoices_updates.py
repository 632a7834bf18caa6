"""Export invoices, end to end: edits, stale SyncTokens, voids, idempotence, interruptions,
batches and retries."""

from __future__ import annotations

from decimal import Decimal

from invoice_support import (
    customer,
    forget_requests,
    plan_fault,
    qbo_invoice,
    qbo_invoices,
    quiet_ledger,
    sent_invoice,
    writes,
)

UNMATCHED = {"items": {"unmatched_one_time_item": "1", "unmatched_recurring_item": "2"}}
DESIGN = [{"description": "Design", "unit_price": "250.00"}]


def synced_invoice(sync, lines=DESIGN):
    """A customer and one invoice already in QuickBooks (later runs make no customer calls)."""
    sync.configure(UNMATCHED)
    buyer = customer(sync)
    invoice = sent_invoice(sync, buyer, lines)
    assert sync.run("export_invoices").run.status == "succeeded"
    return buyer, invoice


def test_an_edited_invoice_is_sent_as_a_sparse_update_with_its_sync_token(sync):
    _, invoice = synced_invoice(sync)
    before = sync.link("invoice", invoice.id)
    quiet_ledger(sync).update_invoice(
        invoice.id, lines=[{"description": "Design", "unit_price": "300.00", "quantity": "2"}]
    )

    outcome = sync.run("export_invoices")

    assert outcome.run.counts["updated"] == 1
    remote = qbo_invoice(sync, invoice.id)
    assert remote["Id"] == before.remote_id
    assert Decimal(str(remote["TotalAmt"])) == Decimal("600.00")
    after = sync.link("invoice", invoice.id)
    assert int(after.remote_version) == int(before.remote_version) + 1
    assert after.content_hash != before.content_hash
    assert len(qbo_invoices(sync)) == 1


def test_a_stale_sync_token_is_read_again_and_the_update_retried(sync):
    _, invoice = synced_invoice(sync)
    link = sync.link("invoice", invoice.id)
    # Someone edits the invoice in QuickBooks: the token the link holds is now stale.
    sync.qbo.sparse_update(
        "Invoice", link.remote_id, link.remote_version, {"DueDate": "2040-01-01"}
    )
    quiet_ledger(sync).update_invoice(
        invoice.id, lines=[{"description": "Design", "unit_price": "275.00"}]
    )

    outcome = sync.run("export_invoices")

    assert outcome.run.status == "succeeded", outcome.messages
    remote = qbo_invoice(sync, invoice.id)
    assert Decimal(str(remote["TotalAmt"])) == Decimal("275.00")
    assert sync.link("invoice", invoice.id).remote_version == str(remote["SyncToken"])
    assert remote["SyncToken"] == "2"  # created 0, edited in QuickBooks 1, our update 2


def test_a_voided_invoice_is_voided_in_quickbooks_once(sync):
    _, invoice = synced_invoice(sync)
    quiet_ledger(sync).void_invoice(invoice.id)

    outcome = sync.run("export_invoices")

    assert outcome.run.counts["updated"] == 1
    remote = qbo_invoice(sync, invoice.id)
    assert remote["TotalAmt"] == 0
    assert remote["PrivateNote"].startswith("Voided")
    link = sync.link("invoice", invoice.id)
    assert link.status == "synced"
    forget_requests(sync)
    assert sync.run("export_invoices").run.status == "succeeded"
    assert writes(sync) == []


def test_nothing_changed_writes_nothing(sync):
    _, invoice = synced_invoice(sync)
    forget_requests(sync)

    sync.configure({"advanced": {"max_retries": 5}})
    again = sync.run("export_invoices")
    # A change of the platform record that the QuickBooks invoice does not show.
    quiet_ledger(sync).update_invoice(invoice.id, note="")
    touched = sync.run("export_invoices")

    assert again.run.status == touched.run.status == "succeeded"
    assert touched.run.counts["skipped"] == 1
    assert writes(sync) == []


def test_writes_go_in_batches_of_30_and_calls_grow_with_changes_only(sync):
    buyer, _ = synced_invoice(sync)
    invoices = [sent_invoice(sync, buyer, DESIGN) for _ in range(35)]
    forget_requests(sync)

    outcome = sync.run("export_invoices")

    assert outcome.run.counts["created"] == 35
    batches = writes(sync)
    assert [r["path"].rsplit("/", 1)[-1] for r in batches] == ["batch", "batch"]
    assert len(qbo_invoices(sync)) == 36

    forget_requests(sync)
    quiet_ledger(sync).update_invoice(invoices[3].id, subject="Changed")
    sync.configure({"invoices": {"memo_source": "subject"}})
    assert sync.run("export_invoices").run.counts["updated"] == 1
    assert len(writes(sync)) == 1


def test_a_lost_reply_is_retried_with_the_same_requestid_and_creates_no_duplicate(sync):
    buyer, _ = synced_invoice(sync)
    fresh = [sent_invoice(sync, buyer, DESIGN) for _ in range(3)]
    plan_fault(sync, "http_500_after_write")

    outcome = sync.run("export_invoices")

    assert outcome.run.status == "succeeded", outcome.messages
    assert len(qbo_invoices(sync)) == 4
    assert all(sync.link("invoice", i.id).status == "synced" for i in fresh)


def test_an_interrupted_run_run_again_creates_no_duplicate(sync):
    buyer, _ = synced_invoice(sync)
    fresh = [sent_invoice(sync, buyer, DESIGN) for _ in range(3)]
    sync.configure({"advanced": {"max_retries": 0}})
    plan_fault(sync, "http_500_after_write")  # QuickBooks writes, the reply is lost

    interrupted = sync.run("export_invoices")

    assert interrupted.run.status == "partial"
    assert len(qbo_invoices(sync)) == 4
    assert {sync.link("invoice", i.id).status for i in fresh} == {"pending"}

    sync.configure({"advanced": {"max_retries": 5}})
    again = sync.run("export_invoices")

    assert again.run.status == "succeeded", again.messages
    assert len(qbo_invoices(sync)) == 4
    assert all(sync.link("invoice", i.id).status == "synced" for i in fresh)
    assert {qbo_invoice(sync, i.id)["DocNumber"] for i in fresh} == {i.number for i in fresh}


def test_a_failed_invoice_can_be_retried_alone(sync):
    sync.configure({"invoices": {"customer_policy": "existing_only"}, **UNMATCHED})
    grace = customer(sync, "Grace Hopper", "grace@x.com")
    alan = customer(sync, "Alan Turing", "alan@x.com")
    first = sent_invoice(sync, grace, DESIGN)
    second = sent_invoice(sync, alan, DESIGN)
    assert sync.run("export_invoices").run.status == "partial"
    sync.qbo.create(
        "Customer", {"DisplayName": "Grace Hopper", "PrimaryEmailAddr": {"Address": "grace@x.com"}}
    )

    result = sync.action("retry_failed", {"invoice_ids": [first.id]})

    assert result.details["synced"] == [first.id]
    assert sync.link("invoice", second.id).status == "failed"
    assert len(qbo_invoices(sync)) == 1

    result = sync.action("retry_failed", {"all": True})

    assert result.details["failed"] == [second.id]
    assert result.details["reasons"] == {second.id: "customer not in QuickBooks"}
