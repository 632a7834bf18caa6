"""Invoice PDFs from QuickBooks, end to end: fetched after the sync, cached by SyncToken,
fetched again when the invoice changes; nothing fetched while the platform makes its own."""

from __future__ import annotations

import httpx
from invoice_support import customer, forget_requests, quiet_ledger, sent_invoice

UNMATCHED = {"items": {"unmatched_one_time_item": "1", "unmatched_recurring_item": "2"}}
DESIGN = [{"description": "Design", "unit_price": "250.00"}]


def pdf_requests(sync) -> list[str]:
    """The paths of the PDF downloads the emulator's company answered."""
    response = httpx.get(f"{sync.emulator.url}/_emulator/companies/{sync.realm_id}/requests")
    response.raise_for_status()
    return [r["path"] for r in response.json() if r["path"].endswith("/pdf")]


def exported(sync, pdf_source: str):
    sync.configure({**UNMATCHED, "invoices": {"pdf_source": pdf_source}})
    invoice = sent_invoice(sync, customer(sync), DESIGN)
    outcome = sync.run("export_invoices")
    assert outcome.run.status == "succeeded", outcome.messages
    return invoice, outcome


def test_quickbooks_pdf_of_a_synced_invoice_is_stored_on_the_platform(sync):
    invoice, outcome = exported(sync, "quickbooks")

    link = sync.link("invoice", invoice.id)
    stored = sync.port.invoice_pdf(invoice.id)
    assert stored is not None and stored.source == "quickbooks"
    assert stored.content == sync.qbo.pdf("Invoice", link.remote_id)
    assert b"250.00" in stored.content
    assert outcome.run.counts["pdfs"] == 1
    assert sync.link("invoice_pdf", invoice.id).remote_version == link.remote_version


def test_an_unchanged_invoice_is_not_fetched_again(sync):
    invoice, _ = exported(sync, "quickbooks")
    forget_requests(sync)

    outcome = sync.run("export_invoices")

    assert outcome.run.status == "succeeded", outcome.messages
    assert pdf_requests(sync) == []
    assert outcome.run.counts.get("pdfs", 0) == 0
    assert sync.port.invoice_pdf(invoice.id) is not None


def test_an_edited_invoice_gets_its_new_pdf(sync):
    invoice, _ = exported(sync, "quickbooks")
    before = sync.port.invoice_pdf(invoice.id)
    quiet_ledger(sync).update_invoice(
        invoice.id, lines=[{"description": "Design", "unit_price": "300.00", "quantity": "2"}]
    )
    forget_requests(sync)

    outcome = sync.run("export_invoices")

    link = sync.link("invoice", invoice.id)
    assert pdf_requests(sync) == [f"/v3/company/{sync.realm_id}/invoice/{link.remote_id}/pdf"]
    after = sync.port.invoice_pdf(invoice.id)
    assert after.content != before.content and b"600.00" in after.content
    assert outcome.run.counts["pdfs"] == 1
    assert sync.link("invoice_pdf", invoice.id).remote_version == link.remote_version == "1"


def test_platform_pdfs_fetch_nothing_from_quickbooks(sync):
    invoice, outcome = exported(sync, "platform")

    assert sync.link("invoice", invoice.id).status == "synced"
    assert pdf_requests(sync) == []
    assert sync.port.invoice_pdf(invoice.id) is None
    assert sync.link("invoice_pdf", invoice.id) is None
    assert "pdfs" not in outcome.run.counts
