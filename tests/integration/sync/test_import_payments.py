"""Import payments, end to end: payments made in the emulator -> import_payments -> platform.

Invoices are put in QuickBooks and linked as the invoice export leaves them; the platform is
seeded through a ledger whose events go nowhere, so only the job under test runs.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from core.connector import PlatformEvent
from core.platform.ledger import EmbeddedLedger
from core.platform.port import INVOICE_PAID_IN_FULL, Customer, CustomerInput, PaymentInput
from core.records import Records

JOB = "import_payments"
ON = {"sync": {"import_payments": {"enabled": True}}}


@pytest.fixture
def platform(sync) -> EmbeddedLedger:
    return EmbeddedLedger(sync.services.db, sync.tenant_id)


@pytest.fixture
def customer(platform) -> Customer:
    return platform.create_customer(
        CustomerInput(display_name="Grace Hopper", email="grace@example.com")
    )


@pytest.fixture
def qbo_customer(sync, customer) -> str:
    created = sync.qbo.create(
        "Customer",
        {"DisplayName": customer.display_name, "PrimaryEmailAddr": {"Address": customer.email}},
    )
    return created["Id"]


@pytest.fixture
def events(sync, monkeypatch) -> list[PlatformEvent]:
    """The platform events the jobs' ledger raises (still delivered to connectors)."""
    seen: list[PlatformEvent] = []
    deliver = sync.services.events.dispatch

    def record(event: PlatformEvent) -> list[int]:
        seen.append(event)
        return deliver(event)

    monkeypatch.setattr(sync.services.events, "dispatch", record)
    return seen


def synced_invoice(sync, platform, customer, qbo_customer, amount="100.00") -> tuple[str, str]:
    """A sent platform invoice and its QuickBooks copy, linked: (platform id, QBO id)."""
    invoice = platform.create_invoice(
        customer.id, [{"description": "Audit", "unit_price": Decimal(amount)}]
    )
    platform.send_invoice(invoice.id)
    created = sync.qbo.create(
        "Invoice",
        {
            "CustomerRef": {"value": qbo_customer},
            "Line": [
                {
                    "DetailType": "SalesItemLineDetail",
                    "Amount": float(amount),
                    "SalesItemLineDetail": {"ItemRef": {"value": "1"}},
                }
            ],
        },
    )
    Records(sync.services.db, sync.installation_id).synced(
        "invoice", invoice.id, remote_id=created["Id"]
    )
    return invoice.id, created["Id"]


def qbo_payment(sync, customer_id: str, applied: dict[str, float], **fields) -> dict:
    body = {
        "CustomerRef": {"value": customer_id},
        "TotalAmt": sum(applied.values()),
        "TxnDate": "2026-04-01",
        "PaymentMethodRef": {"value": "3"},  # Visa
        "Line": [
            {"Amount": amount, "LinkedTxn": [{"TxnId": invoice, "TxnType": "Invoice"}]}
            for invoice, amount in applied.items()
        ],
        **fields,
    }
    return sync.qbo.create("Payment", body)


def mirrors(sync, invoice_id: str):
    return sync.port.payments(invoice_id=invoice_id, origin="remote")


def test_off_by_default_nothing_is_imported(sync, platform, customer, qbo_customer) -> None:
    invoice, invoice_qbo = synced_invoice(sync, platform, customer, qbo_customer)
    qbo_payment(sync, qbo_customer, {invoice_qbo: 40.0})

    outcome = sync.run(JOB)

    assert outcome.run.status == "succeeded"
    assert mirrors(sync, invoice) == []
    assert any("turned off" in line for line in outcome.messages)


def test_partial_payment_edit_to_full_and_deletion_are_mirrored(
    sync, platform, customer, qbo_customer, events
) -> None:
    sync.configure(ON)
    invoice, invoice_qbo = synced_invoice(sync, platform, customer, qbo_customer)
    made = qbo_payment(sync, qbo_customer, {invoice_qbo: 40.0}, PaymentRefNum="QB-77")

    first = sync.run(JOB)

    assert first.run.status == "succeeded", first.messages
    assert first.run.counts == {"read": 1, "created": 1}
    (mirror,) = mirrors(sync, invoice)
    assert (mirror.amount, mirror.type, mirror.reference) == (
        Decimal("40.00"),
        "credit_card",
        "QB-77",
    )
    assert (mirror.remote_ref, mirror.date, mirror.customer_id) == (
        made["Id"],
        date(2026, 4, 1),
        customer.id,
    )
    assert sync.port.invoice(invoice).balance == Decimal("60.00")
    link = sync.link("payment", mirror.id)
    assert (link.status, link.remote_id) == ("synced", made["Id"])
    assert not [e for e in events if e.name == INVOICE_PAID_IN_FULL]

    sync.qbo.sparse_update(
        "Payment",
        made["Id"],
        made["SyncToken"],
        {
            "TotalAmt": 100.0,
            "Line": [
                {"Amount": 100.0, "LinkedTxn": [{"TxnId": invoice_qbo, "TxnType": "Invoice"}]}
            ],
        },
    )
    edited = sync.run(JOB)

    assert edited.run.counts == {"read": 1, "updated": 1}
    (mirror,) = mirrors(sync, invoice)
    assert mirror.amount == Decimal("100.00")
    assert sync.port.invoice(invoice).status == "paid"
    paid = [e for e in events if e.name == INVOICE_PAID_IN_FULL]
    assert [e.record_id for e in paid] == [invoice]

    current = sync.qbo.read("Payment", made["Id"])
    sync.qbo.delete("Payment", made["Id"], current["SyncToken"])
    deleted = sync.run(JOB)

    assert deleted.run.counts == {"read": 1, "deleted": 1}
    assert mirrors(sync, invoice) == []
    restored = sync.port.invoice(invoice)
    assert (restored.status, restored.balance) == ("sent", Decimal("100.00"))


def test_a_second_run_writes_nothing(sync, platform, customer, qbo_customer) -> None:
    sync.configure(ON)
    invoice, invoice_qbo = synced_invoice(sync, platform, customer, qbo_customer)
    qbo_payment(sync, qbo_customer, {invoice_qbo: 25.0})
    assert sync.run(JOB).run.counts["created"] == 1
    before = mirrors(sync, invoice)

    again = sync.run(JOB)

    assert again.run.status == "succeeded"
    assert not {"created", "updated", "deleted", "failed"} & set(again.run.counts)
    assert mirrors(sync, invoice) == before


def test_payments_this_installation_exported_are_not_imported_back(
    sync, platform, customer, qbo_customer
) -> None:
    sync.configure({**ON, "items": {"unmatched_one_time_item": "1"}})
    invoice, _ = synced_invoice(sync, platform, customer, qbo_customer)
    platform.record_payment(
        PaymentInput(
            customer_id=customer.id,
            amount=Decimal("30.00"),
            date=date(2026, 4, 2),
            type="cash",
            invoice_id=invoice,
        )
    )
    assert sync.run("export_payments").run.counts["created"] == 1

    outcome = sync.run(JOB)

    assert outcome.run.status == "succeeded", outcome.messages
    assert outcome.run.counts.get("created", 0) == 0
    assert mirrors(sync, invoice) == []
    assert len(sync.port.payments(invoice_id=invoice)) == 1


def test_only_synced_invoices_count_and_failures_end_the_run_partial(
    sync, platform, customer, qbo_customer
) -> None:
    sync.configure(ON)
    first, first_qbo = synced_invoice(sync, platform, customer, qbo_customer)
    second, second_qbo = synced_invoice(sync, platform, customer, qbo_customer)
    unsynced = sync.qbo.create(
        "Invoice",
        {
            "CustomerRef": {"value": qbo_customer},
            "Line": [
                {
                    "DetailType": "SalesItemLineDetail",
                    "Amount": 10.0,
                    "SalesItemLineDetail": {"ItemRef": {"value": "1"}},
                }
            ],
        },
    )
    not_ours = qbo_payment(sync, qbo_customer, {unsynced["Id"]: 10.0})
    split = qbo_payment(sync, qbo_customer, {first_qbo: 10.0, second_qbo: 20.0})
    discover = qbo_payment(sync, qbo_customer, {first_qbo: 5.0}, PaymentMethodRef={"value": "5"})
    good = qbo_payment(sync, qbo_customer, {second_qbo: 15.0})

    outcome = sync.run(JOB)

    assert outcome.run.status == "partial"
    assert outcome.run.counts == {"read": 4, "skipped": 1, "failed": 2, "created": 1}
    failures = {link.local_id: link.reason for link in sync.links("payment_import")}
    assert set(failures) == {split["Id"], discover["Id"]}
    assert "applies to 2 synced invoices" in failures[split["Id"]]
    assert failures[discover["Id"]] == (
        "/payment_mapping/from_quickbooks/American Express: QuickBooks payment method "
        "'American Express' has no platform type in the mapping"
    )
    (mirror,) = mirrors(sync, second)
    assert mirror.remote_ref == good["Id"]
    assert mirrors(sync, first) == []
    assert not_ours["Id"] not in {link.remote_id for link in sync.links("payment")}


def test_a_payment_the_platform_refuses_fails_with_the_platforms_reason(
    sync, platform, customer, qbo_customer
) -> None:
    sync.configure(ON)
    invoice, invoice_qbo = synced_invoice(sync, platform, customer, qbo_customer)
    platform.record_payment(
        PaymentInput(
            customer_id=customer.id,
            amount=Decimal("80.00"),
            date=date(2026, 4, 1),
            type="cash",
            invoice_id=invoice,
        )
    )
    too_much = qbo_payment(sync, qbo_customer, {invoice_qbo: 40.0})

    outcome = sync.run(JOB)

    assert outcome.run.status == "partial"
    (failure,) = sync.links("payment_import")
    assert failure.local_id == too_much["Id"]
    assert failure.reason.startswith("the platform refused it: amount: is more than the 20.00")
    assert mirrors(sync, invoice) == []
