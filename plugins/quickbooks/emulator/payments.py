"""Payments and how they settle invoices.

A payment's lines apply amounts to invoices (``LinkedTxn`` ``TxnType: "Invoice"``); what is
not applied is ``UnappliedAmt``, a credit (facts §3.7). An invoice's ``Balance`` is its
``TotalAmt`` less what live payments apply to it, and its ``LinkedTxn`` lists those payments, so
creating, changing, voiding or deleting a payment recomputes exactly the invoices it touched
before and after. An invoice whose balance or links change gets a new SyncToken and
LastUpdatedTime, as an edit would [U: the facts call the invoice-side representation open].
"""

from __future__ import annotations

from decimal import Decimal

from . import faults, rules, seed, values
from .books import Books, Rules

_READ_ONLY = rules.SERVER_FIELDS | {"UnappliedAmt"}


def applied(payment: dict | None, invoice_id: str) -> Decimal | None:
    """What ``payment`` applies to the invoice, or None when it has no line linking it."""
    if payment is None:
        return None
    total = None
    for line in payment.get("Line", []):
        for link in line.get("LinkedTxn", []):
            if link.get("TxnType") == "Invoice" and str(link.get("TxnId")) == invoice_id:
                total = (total or Decimal(0)) + values.decimal(line.get("Amount", 0), "Amount")
    return total


def linked_invoices(payment: dict | None) -> set[str]:
    """Ids of the invoices a payment's lines link to."""
    return {
        str(link.get("TxnId"))
        for line in (payment or {}).get("Line", [])
        for link in line.get("LinkedTxn", [])
        if link.get("TxnType") == "Invoice"
    }


def payments_of(books: Books, invoice: dict, extra: str | None = None) -> tuple[Decimal, list]:
    """(amount paid, payment links) of an invoice, from the payments it lists (+ ``extra``)."""
    candidates = [
        str(link["TxnId"])
        for link in invoice.get("LinkedTxn", [])
        if link.get("TxnType") == "Payment"
    ]
    if extra and extra not in candidates:
        candidates.append(extra)
    paid = Decimal(0)
    links = []
    for payment_id in candidates:
        amount = applied(books.store.get("Payment", payment_id), invoice["Id"])
        if amount is not None:
            paid += amount
            links.append({"TxnId": payment_id, "TxnType": "Payment"})
    return paid, links


def refresh_invoice(books: Books, invoice_id: str, payment_id: str) -> None:
    """Recompute an invoice's Balance and payment links after ``payment_id`` changed."""
    invoice = books.store.get("Invoice", invoice_id)
    if invoice is None:
        return
    paid, payment_links = payments_of(books, invoice, payment_id)
    other_links = [
        link for link in invoice.get("LinkedTxn", []) if link.get("TxnType") != "Payment"
    ]
    total = values.decimal(invoice.get("TotalAmt", 0), "TotalAmt")
    balance = values.number(values.money(total - paid))
    links = other_links + payment_links
    if balance == invoice.get("Balance") and links == invoice.get("LinkedTxn"):
        return
    updated = books.stamp_update({**invoice, "Balance": balance, "LinkedTxn": links}, invoice)
    books.save("Invoice", updated, invoice, "Update")


class PaymentRules(Rules):
    """Payment: TotalAmt and CustomerRef required; lines may not apply more than is open."""

    def prepare(self, books: Books, body: dict, old: dict | None, include: set[str]) -> dict:
        obj = rules.without(body, _READ_ONLY)
        if obj.get("TotalAmt") in (None, ""):
            raise faults.required("TotalAmt")
        total = values.money(values.decimal(obj["TotalAmt"], "TotalAmt"))
        customer = books.resolve("Customer", obj.get("CustomerRef"), "CustomerRef")
        if customer is None:
            raise faults.required("CustomerRef")
        obj["CustomerRef"] = {"value": customer["Id"], "name": customer["DisplayName"]}
        obj["Line"], applied_total = self._lines(books, obj.get("Line") or [], customer, old)
        if applied_total > total:
            raise rules.business(
                f"The amount applied to transactions ({applied_total}) is more than the "
                f"payment's total ({total})"
            )
        obj["TotalAmt"] = values.number(total)
        obj["UnappliedAmt"] = values.number(total - applied_total)
        obj["DepositToAccountRef"] = books.ref(
            "Account",
            obj.get("DepositToAccountRef") or {"value": seed.UNDEPOSITED_FUNDS},
            "DepositToAccountRef",
        )
        if obj.get("PaymentMethodRef"):
            obj["PaymentMethodRef"] = books.ref(
                "PaymentMethod", obj["PaymentMethodRef"], "PaymentMethodRef"
            )
        rules.check_lengths(obj, {"PrivateNote": 4000, "PaymentRefNum": 21})
        obj["TxnDate"] = obj.get("TxnDate") or values.today(books.now)
        obj.setdefault("CurrencyRef", books.home_currency())
        obj["ProcessPayment"] = values.boolean(obj.get("ProcessPayment"), False)
        return obj

    def _lines(
        self, books: Books, sent: list, customer: dict, old: dict | None
    ) -> tuple[list[dict], Decimal]:
        lines = []
        total = Decimal(0)
        per_invoice: dict[str, Decimal] = {}
        for sent_line in sent:
            amount = values.money(values.decimal(sent_line.get("Amount", 0), "Line.Amount"))
            links = [
                {"TxnId": str(link.get("TxnId")), "TxnType": link.get("TxnType")}
                for link in sent_line.get("LinkedTxn") or []
            ]
            for link in links:
                per_invoice[link["TxnId"]] = per_invoice.get(link["TxnId"], Decimal(0)) + amount
                self._check_link(books, link, per_invoice[link["TxnId"]], customer, old)
            lines.append({"Amount": values.number(amount), "LinkedTxn": links})
            total += amount
        return lines, total

    @staticmethod
    def _check_link(
        books: Books, link: dict, amount: Decimal, customer: dict, old: dict | None
    ) -> None:
        if link["TxnType"] != "Invoice":
            raise rules.business(f"Payments can only be linked to invoices, not {link['TxnType']}")
        invoice = books.store.get("Invoice", link["TxnId"])
        if invoice is None:
            raise faults.not_found("Invoice", link["TxnId"])
        if values.ref_value(invoice.get("CustomerRef")) != customer["Id"]:
            raise rules.business(
                f"Invoice {invoice['Id']} belongs to another customer than this payment's"
            )
        already = applied(old, invoice["Id"]) or Decimal(0)
        open_amount = values.decimal(invoice.get("Balance", 0), "Balance") + already
        if amount > open_amount:
            raise rules.business(
                f"The amount applied to Invoice {invoice['Id']} ({amount}) is more than its "
                f"open balance ({open_amount})"
            )

    def after_save(self, books: Books, obj: dict, old: dict | None) -> None:
        for invoice_id in sorted(linked_invoices(old) | linked_invoices(obj)):
            refresh_invoice(books, invoice_id, obj["Id"])

    def after_delete(self, books: Books, old: dict) -> None:
        for invoice_id in sorted(linked_invoices(old)):
            refresh_invoice(books, invoice_id, old["Id"])

    def void(self, books: Books, old: dict) -> dict:
        """Amounts to zero, "Voided" noted; the invoices it paid are open again."""
        lines = [{**line, "Amount": 0} for line in old.get("Line", [])]
        return {
            **old,
            "Line": lines,
            "TotalAmt": 0,
            "UnappliedAmt": 0,
            "PrivateNote": voided_note(old.get("PrivateNote")),
        }


def voided_note(note: str | None) -> str:
    """QBO prepends "Voided" to the PrivateNote of a voided transaction."""
    return f"Voided - {note}" if note else "Voided"
