"""Helpers of the invoice export tests: platform records and QuickBooks look-ups in one place."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from core.platform.ledger import EmbeddedLedger
from core.platform.port import CustomerInput, Invoice, ItemInput, TaxRateInput

A_YEAR_AGO = date.today() - timedelta(days=366)


def quiet_ledger(sync) -> EmbeddedLedger:
    """The tenant's ledger without platform events, so a test decides when the job runs."""
    return EmbeddedLedger(sync.services.db, sync.tenant_id)


def customer(sync, name: str = "Ada Lovelace", email: str = "ada@example.com") -> str:
    given, _, family = name.partition(" ")
    created = quiet_ledger(sync).create_customer(
        CustomerInput(display_name=name, email=email, given_name=given, family_name=family)
    )
    return created.id


def item(sync, name: str = "Consulting", price: str = "100.00", **fields: Any) -> str:
    return quiet_ledger(sync).create_item(ItemInput(name=name, price=Decimal(price), **fields)).id


def tax_rate(sync, name: str, rate: str) -> str:
    return quiet_ledger(sync).create_tax_rate(TaxRateInput(name=name, rate=Decimal(rate))).id


def sent_invoice(sync, customer_id: str, lines: list[dict[str, Any]], **fields: Any) -> Invoice:
    ledger = quiet_ledger(sync)
    draft = ledger.create_invoice(customer_id, lines, **fields)
    return ledger.send_invoice(draft.id)


def qbo_invoices(sync) -> list[dict[str, Any]]:
    return list(sync.qbo.query("SELECT * FROM Invoice"))


def qbo_invoice(sync, invoice_id: str) -> dict[str, Any]:
    link = sync.link("invoice", invoice_id)
    assert link is not None and link.remote_id, f"invoice {invoice_id} has no QuickBooks link"
    return sync.qbo.read("Invoice", link.remote_id)


def writes(sync) -> list[dict[str, Any]]:
    """The API requests that could write, as the emulator logged them (POSTs but queries)."""
    import httpx

    response = httpx.get(f"{sync.emulator.url}/_emulator/companies/{sync.realm_id}/requests")
    response.raise_for_status()
    return [
        r for r in response.json() if r["method"] == "POST" and not r["path"].endswith("/query")
    ]


def forget_requests(sync) -> None:
    import httpx

    httpx.delete(
        f"{sync.emulator.url}/_emulator/companies/{sync.realm_id}/requests"
    ).raise_for_status()


def plan_fault(sync, kind: str, **extra: Any) -> None:
    import httpx

    body = {"kind": kind, "realmId": sync.realm_id, **extra}
    httpx.post(f"{sync.emulator.url}/_emulator/faults", json=body).raise_for_status()


def custom_numbers(sync) -> None:
    """Turn on the company's custom transaction numbers (duplicates are refused then)."""
    prefs = sync.qbo.preferences()
    sync.qbo.sparse_update(
        "Preferences",
        prefs["Id"],
        prefs["SyncToken"],
        {"SalesFormsPrefs": {"CustomTxnNumbers": True}},
    )
