"""Export invoices, end to end: platform ledger -> export_invoices job -> QBO emulator over HTTP.

Which invoices go, how they are numbered and whose customer they carry. Platform records are
made on a ledger that raises no events, so each test decides when the job runs; the last test
shows the event path.
"""

from __future__ import annotations

from decimal import Decimal

from invoice_support import (
    A_YEAR_AGO,
    custom_numbers,
    customer,
    qbo_invoice,
    qbo_invoices,
    quiet_ledger,
    sent_invoice,
)

DESIGN = [{"description": "Design", "unit_price": "250.00"}]
UNMATCHED = {"items": {"unmatched_one_time_item": "1", "unmatched_recurring_item": "2"}}


def test_sent_invoice_is_created_in_quickbooks_with_prefixed_number(sync):
    sync.configure({"invoices": {"number_prefix": "WEB-"}, **UNMATCHED})
    invoice = sent_invoice(sync, customer(sync), DESIGN)

    outcome = sync.run("export_invoices")

    assert outcome.run.status == "succeeded", outcome.messages
    assert outcome.run.counts["created"] == 1
    remote = qbo_invoice(sync, invoice.id)
    assert remote["DocNumber"] == f"WEB-{invoice.number}"
    assert Decimal(str(remote["TotalAmt"])) == invoice.total
    link = sync.link("invoice", invoice.id)
    assert link.status == "synced"
    assert link.external_url.endswith(f"txnId={link.remote_id}&realmId={sync.realm_id}")
    state = sync.port.sync_states(sync.installation_id, kind="invoice")[0]
    assert (state.status, state.remote_id, state.url) == (
        "synced",
        link.remote_id,
        link.external_url,
    )
    assert sync.link("invoice_number", invoice.id).remote_id == f"WEB-{invoice.number}"


def test_drafts_never_go(sync):
    sync.configure(UNMATCHED)
    draft = quiet_ledger(sync).create_invoice(customer(sync), DESIGN)

    outcome = sync.run("export_invoices")

    assert outcome.run.status == "succeeded"
    assert qbo_invoices(sync) == []
    assert sync.link("invoice", draft.id) is None


def test_only_new_invoices_go_unless_older_ones_were_chosen(sync):
    sync.configure(UNMATCHED)
    buyer = customer(sync)
    older = sent_invoice(sync, buyer, DESIGN, issue_date=A_YEAR_AGO)
    new = sent_invoice(sync, buyer, DESIGN)

    sync.run("export_invoices")

    assert sync.link("invoice", older.id) is None
    assert sync.link("invoice", new.id).status == "synced"

    sync.configure({"invoices": {"which": "all"}})
    quiet_ledger(sync).update_invoice(older.id, note="touched")
    sync.run("export_invoices")
    assert sync.link("invoice", older.id).status == "synced"
    assert len(qbo_invoices(sync)) == 2


def test_backfill_sends_chosen_older_invoices_and_says_where_each_stands(sync):
    sync.configure(UNMATCHED)
    buyer = customer(sync)
    first = sent_invoice(sync, buyer, DESIGN, issue_date=A_YEAR_AGO)
    second = sent_invoice(sync, buyer, DESIGN, issue_date=A_YEAR_AGO)
    draft = quiet_ledger(sync).create_invoice(buyer, DESIGN, issue_date=A_YEAR_AGO)
    sync.run("export_invoices")
    assert qbo_invoices(sync) == []

    result = sync.action("backfill_invoices", {"invoice_ids": [first.id, draft.id]})

    assert result.details["synced"] == [first.id]
    assert result.details["refused"] == {draft.id: "draft: only sent invoices go to QuickBooks"}
    assert len(result.run_ids) == 1
    assert sync.link("invoice", second.id) is None

    result = sync.action("backfill_invoices", {"all": True})

    assert result.ok, result.message
    assert result.details["synced"] == [first.id, second.id]
    assert result.details["needs_sync"] == []
    assert len(qbo_invoices(sync)) == 2


def test_backfill_params_are_validated(sync):
    import pytest

    from core.config import ConfigInvalid

    with pytest.raises(ConfigInvalid):
        sync.action("backfill_invoices", {"invoice_ids": []})
    with pytest.raises(ConfigInvalid):
        sync.action("backfill_invoices", {"all": False})


def test_long_number_is_fitted_to_21_characters(sync):
    sync.configure({"invoices": {"number_prefix": "SUBSIDIARY-EAST-"}, **UNMATCHED})
    invoice = sent_invoice(sync, customer(sync), DESIGN, number="2030-000000000042")

    sync.run("export_invoices")

    assert qbo_invoice(sync, invoice.id)["DocNumber"] == "SUBSI...-000000000042"


def test_quickbooks_numbering_stores_the_assigned_number(sync):
    sync.configure({"invoices": {"numbering": "quickbooks"}, **UNMATCHED})
    custom_numbers(sync)  # an omitted number would stay empty: the job asks for the sequence
    invoice = sent_invoice(sync, customer(sync), DESIGN)

    sync.run("export_invoices")

    assigned = qbo_invoice(sync, invoice.id)["DocNumber"]
    assert assigned and assigned != invoice.number
    assert sync.link("invoice_number", invoice.id).remote_id == assigned


def test_duplicate_number_fails_that_invoice_and_the_run_goes_on(sync):
    sync.configure(UNMATCHED)
    custom_numbers(sync)
    buyer = customer(sync)
    taken = sent_invoice(sync, buyer, DESIGN)
    fine = sent_invoice(sync, buyer, DESIGN)
    someone = sync.qbo.create("Customer", {"DisplayName": "Walk-in"})
    sync.qbo.create(
        "Invoice",
        {
            "CustomerRef": {"value": someone["Id"]},
            "DocNumber": taken.number,
            "Line": [{"DetailType": "SalesItemLineDetail", "Amount": 5}],
        },
    )

    outcome = sync.run("export_invoices")

    assert outcome.run.status == "partial"
    assert outcome.run.counts["failed"] == 1
    failed = sync.link("invoice", taken.id)
    assert failed.status == "failed"
    assert "6140" in failed.reason and "Duplicate Document Number" in failed.reason
    assert sync.link("invoice", fine.id).status == "synced"
    state = sync.port.sync_states(sync.installation_id, kind="invoice", status="failed")[0]
    assert state.reason == failed.reason


def test_customer_is_matched_by_email_or_created_with_a_unique_name(sync):
    sync.configure(UNMATCHED)
    existing = sync.qbo.create(
        "Customer", {"DisplayName": "Ada Lovelace", "PrimaryEmailAddr": {"Address": "ada@x.com"}}
    )
    ada = customer(sync, "Ada Lovelace", "ada@x.com")
    namesake = customer(sync, "Ada Lovelace", "other.ada@x.com")
    first = sent_invoice(sync, ada, DESIGN)
    second = sent_invoice(sync, namesake, DESIGN)

    sync.run("export_invoices")

    assert qbo_invoice(sync, first.id)["CustomerRef"]["value"] == existing["Id"]
    other = qbo_invoice(sync, second.id)["CustomerRef"]["value"]
    assert other != existing["Id"]
    created = sync.qbo.read("Customer", other)
    assert created["DisplayName"] == "Ada Lovelace (other.ada@x.com)"
    assert created["PrimaryEmailAddr"]["Address"] == "other.ada@x.com"
    assert sync.link("customer", namesake).remote_id == other


def test_strict_policy_fails_invoices_of_customers_not_in_quickbooks(sync):
    sync.configure({"invoices": {"customer_policy": "existing_only"}, **UNMATCHED})
    invoice = sent_invoice(sync, customer(sync, "Grace Hopper", "grace@x.com"), DESIGN)

    outcome = sync.run("export_invoices")

    assert outcome.run.status == "partial"
    link = sync.link("invoice", invoice.id)
    assert (link.status, link.reason) == ("failed", "customer not in QuickBooks")
    assert list(sync.qbo.query("SELECT * FROM Customer WHERE DisplayName = 'Grace Hopper'")) == []


def test_sending_an_invoice_exports_it_at_once(sync):
    sync.configure(UNMATCHED)
    draft = sync.ledger.create_invoice(customer(sync), DESIGN)

    sync.ledger.send_invoice(draft.id)  # the platform event starts the export

    assert sync.link("invoice", draft.id).status == "synced"
    assert len(qbo_invoices(sync)) == 1
