"""Export payments, end to end: platform ledger -> export_payments job -> emulator over HTTP.

Invoices are put in QuickBooks and linked the way the invoice export leaves them (entity
``invoice``, platform id -> QBO Invoice Id), so these tests depend on that contract only. Data
is seeded through a ledger whose events go nowhere, so every run here is started by the test
(a recorded payment would otherwise start the export at once).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import httpx
import pytest

from core.platform.ledger import EmbeddedLedger
from core.platform.port import Customer, CustomerInput, Invoice, PaymentInput
from core.records import Records
from plugins.quickbooks.sync.export_payments import IN_FLIGHT, NO_ANSWER
from plugins.quickbooks.sync.payment_mapping import payment_body

JOB = "export_payments"
UNMATCHED_ITEM = "1"  # the emulator's seeded "Services" item


@pytest.fixture
def platform(sync) -> EmbeddedLedger:
    """The tenant's ledger, its events not delivered to connectors."""
    return EmbeddedLedger(sync.services.db, sync.tenant_id)


@pytest.fixture
def customer(sync, platform) -> Customer:
    sync.configure({"items": {"unmatched_one_time_item": UNMATCHED_ITEM}})
    return platform.create_customer(
        CustomerInput(display_name="Ada Lovelace", email="ada@example.com")
    )


def qbo_customer(sync, customer: Customer) -> str:
    created = sync.qbo.create(
        "Customer",
        {"DisplayName": customer.display_name, "PrimaryEmailAddr": {"Address": customer.email}},
    )
    return created["Id"]


def sent_invoice(sync, customer: Customer, amount: str = "100.00") -> Invoice:
    platform = EmbeddedLedger(sync.services.db, sync.tenant_id)
    invoice = platform.create_invoice(
        customer.id, [{"description": "Consulting", "unit_price": Decimal(amount)}]
    )
    return platform.send_invoice(invoice.id)


def sync_invoice(sync, invoice: Invoice, qbo_customer_id: str) -> str:
    """Put the invoice in QuickBooks and link it, as export_invoices does."""
    created = sync.qbo.create(
        "Invoice",
        {
            "CustomerRef": {"value": qbo_customer_id},
            "DocNumber": invoice.number,
            "Line": [
                {
                    "DetailType": "SalesItemLineDetail",
                    "Amount": float(invoice.total),
                    "SalesItemLineDetail": {"ItemRef": {"value": UNMATCHED_ITEM}},
                }
            ],
        },
    )
    records = Records(sync.services.db, sync.installation_id)
    records.synced("invoice", invoice.id, remote_id=created["Id"])
    return created["Id"]


def pay(sync, customer: Customer, amount: str, **fields) -> str:
    data = {
        "customer_id": customer.id,
        "amount": Decimal(amount),
        "date": date(2026, 3, 14),
        "type": "credit_card",
        **fields,
    }
    platform = EmbeddedLedger(sync.services.db, sync.tenant_id)
    return platform.record_payment(PaymentInput(**data)).id


def requests(sync) -> list[dict]:
    url = f"{sync.emulator.url}/_emulator/companies/{sync.realm_id}/requests"
    return httpx.get(url).json()


def forget_requests(sync) -> None:
    httpx.delete(f"{sync.emulator.url}/_emulator/companies/{sync.realm_id}/requests")


def qbo_rows(sync, entity: str) -> list[dict]:
    return list(sync.qbo.query(f"SELECT * FROM {entity}"))


def test_payments_on_synced_invoices_become_payments_applied_to_them(sync, customer) -> None:
    qbo_customer_id = qbo_customer(sync, customer)
    full, partial = sent_invoice(sync, customer), sent_invoice(sync, customer)
    full_qbo = sync_invoice(sync, full, qbo_customer_id)
    partial_qbo = sync_invoice(sync, partial, qbo_customer_id)
    paid = pay(sync, customer, "100.00", invoice_id=full.id, reference="CH-1")
    part = pay(sync, customer, "40.00", invoice_id=partial.id, type="cash")

    outcome = sync.run(JOB)

    assert outcome.run.status == "succeeded", outcome.messages
    assert outcome.run.counts == {"read": 2, "created": 2}
    assert sync.qbo.read("Invoice", full_qbo)["Balance"] == 0
    assert sync.qbo.read("Invoice", partial_qbo)["Balance"] == 60
    links = {link.local_id: link for link in sync.links("payment")}
    payment = sync.qbo.read("Payment", links[paid].remote_id)
    assert payment["TotalAmt"] == 100
    assert payment["Line"][0]["LinkedTxn"] == [{"TxnId": full_qbo, "TxnType": "Invoice"}]
    assert payment["CustomerRef"]["value"] == qbo_customer_id
    assert payment["PaymentMethodRef"]["name"] == "Visa"
    assert payment["PaymentRefNum"] == "CH-1"
    assert payment["TxnDate"] == "2026-03-14"
    assert sync.qbo.read("Payment", links[part].remote_id)["PaymentMethodRef"]["name"] == "Cash"
    states = {s.record_id: s for s in sync.port.sync_states(sync.installation_id, kind="payment")}
    assert states[paid].status == "synced"
    assert states[paid].remote_id == links[paid].remote_id
    assert states[paid].url.endswith(
        f"/app/recvpayment?txnId={links[paid].remote_id}&realmId={sync.realm_id}"
    )


def test_a_second_run_sends_nothing_and_calls_quickbooks_not_at_all(sync, customer) -> None:
    invoice = sent_invoice(sync, customer)
    sync_invoice(sync, invoice, qbo_customer(sync, customer))
    pay(sync, customer, "25.00", invoice_id=invoice.id)
    assert sync.run(JOB).run.counts["created"] == 1
    forget_requests(sync)

    second = sync.run(JOB)

    assert second.run.status == "succeeded"
    assert second.run.counts == {"read": 0}
    assert requests(sync) == []
    assert len(qbo_rows(sync, "Payment")) == 1


def test_a_tip_is_booked_as_its_own_sales_receipt_not_as_customer_credit(sync, customer) -> None:
    invoice = sent_invoice(sync, customer)
    invoice_qbo = sync_invoice(sync, invoice, qbo_customer(sync, customer))
    paid = pay(
        sync, customer, "100.00", invoice_id=invoice.id, tip=Decimal("15.00"), reference="T9"
    )

    outcome = sync.run(JOB)

    assert outcome.run.status == "succeeded", outcome.messages
    payment = sync.qbo.read("Payment", sync.link("payment", paid).remote_id)
    assert payment["TotalAmt"] == 100
    assert payment["UnappliedAmt"] == 0
    assert sync.qbo.read("Invoice", invoice_qbo)["Balance"] == 0
    receipt = sync.qbo.read("SalesReceipt", sync.link("payment_tip", paid).remote_id)
    assert receipt["TotalAmt"] == 15
    (line,) = [line for line in receipt["Line"] if line["DetailType"] == "SalesItemLineDetail"]
    assert line["Description"] == "Tip with payment T9"
    assert line["SalesItemLineDetail"]["ItemRef"]["value"] == UNMATCHED_ITEM


def test_a_payment_waits_until_its_invoice_is_synced(sync, customer) -> None:
    invoice = sent_invoice(sync, customer)
    paid = pay(sync, customer, "30.00", invoice_id=invoice.id)

    waiting = sync.run(JOB)

    assert waiting.run.status == "succeeded"
    assert waiting.run.counts == {"read": 1, "skipped": 1}
    link = sync.link("payment", paid)
    assert (link.status, link.reason, link.remote_id) == ("pending", "invoice not synced yet", None)
    (state,) = sync.port.sync_states(sync.installation_id, kind="payment")
    assert (state.status, state.reason) == ("needs_sync", "invoice not synced yet")
    assert qbo_rows(sync, "Payment") == []

    invoice_qbo = sync_invoice(sync, invoice, qbo_customer(sync, customer))
    later = sync.run(JOB)

    assert later.run.counts == {"read": 1, "created": 1}
    assert sync.link("payment", paid).status == "synced"
    assert sync.qbo.read("Invoice", invoice_qbo)["Balance"] == 70


def test_payment_without_invoice_is_a_sales_receipt_for_a_customer_found_by_email(
    sync, customer
) -> None:
    paid = pay(sync, customer, "49.00", description="Booking: Saturday yoga class", type="cash")

    outcome = sync.run(JOB)

    assert outcome.run.status == "succeeded", outcome.messages
    receipt = sync.qbo.read("SalesReceipt", sync.link("payment", paid).remote_id)
    assert receipt["TotalAmt"] == 49
    assert receipt["PaymentMethodRef"]["name"] == "Cash"
    (line,) = [line for line in receipt["Line"] if line["DetailType"] == "SalesItemLineDetail"]
    assert line["Description"] == "Booking: Saturday yoga class"
    assert line["SalesItemLineDetail"]["ItemRef"]["value"] == UNMATCHED_ITEM
    created = sync.qbo.read("Customer", receipt["CustomerRef"]["value"])
    assert created["PrimaryEmailAddr"]["Address"] == "ada@example.com"
    assert sync.link("payment", paid).external_url.split("?")[0].endswith("/app/salesreceipt")


def test_failures_do_not_stop_the_run_which_ends_partial_with_reasons(sync, customer) -> None:
    sync.configure({"payment_mapping": {"to_quickbooks": {"wire": "Wire transfer"}}})
    invoice = sent_invoice(sync, customer, "300.00")
    sync_invoice(sync, invoice, qbo_customer(sync, customer))
    unmapped = pay(sync, customer, "10.00", invoice_id=invoice.id, type="crypto")
    missing = pay(sync, customer, "20.00", invoice_id=invoice.id, type="wire")
    good = pay(sync, customer, "30.00", invoice_id=invoice.id)

    outcome = sync.run(JOB)

    assert outcome.run.status == "partial"
    assert outcome.run.counts == {"read": 3, "failed": 2, "created": 1}
    assert sync.link("payment", unmapped).reason == (
        "/payment_mapping/to_quickbooks/crypto: payment type 'crypto' has no QuickBooks "
        "payment method in the mapping"
    )
    assert "no active payment method named 'Wire transfer'" in sync.link("payment", missing).reason
    assert sync.link("payment", good).status == "synced"
    failed = sync.port.sync_states(sync.installation_id, kind="payment", status="failed")
    assert {s.record_id for s in failed} == {unmapped, missing}

    sync.configure({"payment_mapping": {"to_quickbooks": {"crypto": "Cash", "wire": "Check"}}})
    retried = sync.run(JOB)

    assert retried.run.status == "succeeded", retried.messages
    assert retried.run.counts == {"read": 2, "created": 2}
    assert len(qbo_rows(sync, "PaymentMethod")) == 7  # none was created


def test_quickbooks_refusal_is_the_records_reason(sync, customer) -> None:
    invoice = sent_invoice(sync, customer)
    invoice_qbo = sync_invoice(sync, invoice, qbo_customer(sync, customer))
    paid = pay(sync, customer, "80.00", invoice_id=invoice.id)
    # Someone pays most of the invoice directly in QuickBooks, so ours no longer fits.
    sync.qbo.create(
        "Payment",
        {
            "CustomerRef": {"value": sync.qbo.read("Invoice", invoice_qbo)["CustomerRef"]["value"]},
            "TotalAmt": 50,
            "Line": [{"Amount": 50, "LinkedTxn": [{"TxnId": invoice_qbo, "TxnType": "Invoice"}]}],
        },
    )

    outcome = sync.run(JOB)

    assert outcome.run.status == "partial"
    reason = sync.link("payment", paid).reason
    assert "more than its open balance" in reason


def test_many_payments_go_in_batches_of_thirty(sync, customer) -> None:
    invoice = sent_invoice(sync, customer, "1000.00")
    sync_invoice(sync, invoice, qbo_customer(sync, customer))
    for _ in range(35):
        pay(sync, customer, "1.00", invoice_id=invoice.id)
    forget_requests(sync)

    outcome = sync.run(JOB)

    assert outcome.run.counts == {"read": 35, "created": 35}
    calls = [r["path"].rsplit("/", 1)[1] for r in requests(sync)]
    # Two batches (30 + 5); the payment methods read once; the customer found once by e-mail
    # and linked for the other 34.
    assert sorted(calls) == ["batch", "batch", "query", "query"]
    assert len(qbo_rows(sync, "Payment")) == 35


@pytest.mark.parametrize("reason", [IN_FLIGHT, f"{NO_ANSWER}: code 10000"])
def test_a_create_that_may_have_landed_is_found_again_instead_of_sent_twice(
    sync, customer, reason
) -> None:
    """What an interrupted run leaves: the Payment in QuickBooks, the record not linked."""
    invoice = sent_invoice(sync, customer)
    invoice_qbo = sync_invoice(sync, invoice, qbo_customer(sync, customer))
    paid_id = pay(sync, customer, "45.00", invoice_id=invoice.id)
    customer_qbo = sync.qbo.read("Invoice", invoice_qbo)["CustomerRef"]["value"]
    body = payment_body(
        sync.port.payment(paid_id),
        customer_id=customer_qbo,
        invoice_id=invoice_qbo,
        method={"value": "3"},
    )
    landed = sync.qbo.create("Payment", body)
    records = Records(sync.services.db, sync.installation_id)
    if reason == IN_FLIGHT:
        records.needs_sync("payment", paid_id, reason)
    else:
        records.failed("payment", paid_id, reason)

    outcome = sync.run(JOB)

    assert outcome.run.status == "succeeded", outcome.messages
    assert [p["Id"] for p in qbo_rows(sync, "Payment")] == [landed["Id"]]
    link = sync.link("payment", paid_id)
    assert (link.status, link.remote_id) == ("synced", landed["Id"])
    assert sync.qbo.read("Invoice", invoice_qbo)["Balance"] == 55


def test_an_exported_payment_edited_on_the_platform_is_updated_in_quickbooks(
    sync, customer, platform
) -> None:
    invoice = sent_invoice(sync, customer)
    invoice_qbo = sync_invoice(sync, invoice, qbo_customer(sync, customer))
    paid = pay(sync, customer, "20.00", invoice_id=invoice.id)
    assert sync.run(JOB).run.counts["created"] == 1
    before = sync.qbo.read("Payment", sync.link("payment", paid).remote_id)
    current = platform.payment(paid)
    platform.update_payment(
        paid,
        PaymentInput(
            customer_id=current.customer_id,
            amount=Decimal("35.00"),
            date=current.date,
            type=current.type,
            invoice_id=current.invoice_id,
        ),
    )

    outcome = sync.run(JOB)

    assert outcome.run.counts == {"read": 1, "updated": 1}
    after = sync.qbo.read("Payment", before["Id"])
    assert (after["TotalAmt"], after["Line"][0]["Amount"]) == (35, 35)
    assert int(after["SyncToken"]) == int(before["SyncToken"]) + 1
    assert sync.qbo.read("Invoice", invoice_qbo)["Balance"] == 65
    assert len(qbo_rows(sync, "Payment")) == 1
