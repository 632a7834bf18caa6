"""Platform payments as QuickBooks Payments and Sales Receipts, and QuickBooks payments back.

Pure functions: no QuickBooks call and no platform call happens here, so every rule can be
tested on plain values. The jobs (``export_payments``, ``import_payments``) look up what these
functions need (customer, invoice and payment-method ids) and send what they return.

The shapes follow qbo-facts §3.6-§3.8:

* a payment on a synced invoice is a ``Payment`` whose one line applies the amount to the
  invoice (``LinkedTxn`` ``TxnType: "Invoice"``), so partial payments reduce the invoice's
  balance by exactly what was paid;
* a payment with no invoice (order form, subscription, booking) is a ``SalesReceipt`` with one
  line on the configured unmatched one-time item, carrying the payment's description;
* a **tip** is income, not a customer credit. Putting it into the Payment's ``TotalAmt`` would
  leave it as ``UnappliedAmt``, which QuickBooks treats as credit the customer may spend on a
  later invoice (§3.7), and a Payment line can only link a transaction, never an item. So the
  tip of an invoice payment goes to QuickBooks as its own Sales Receipt (one "Tip" line on the
  unmatched one-time item, same date, method and reference), and the tip of a payment without
  an invoice is a second "Tip" line of its Sales Receipt. The invoice gets exactly its amount;
  the money received is the Payment plus the receipt.

The method comes from the payment type mapping (``/payment_mapping/to_quickbooks``: platform
type -> QuickBooks PaymentMethod name, and ``/payment_mapping/from_quickbooks`` back). Nothing
is guessed: a type with no mapping, or a mapping to a method the company does not have, is a
:class:`PaymentMappingError` that names the configuration field.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from core.platform.port import Payment
from plugins.quickbooks.sync.invoice_mapping import fit_doc_number

TO_QUICKBOOKS = "/payment_mapping/to_quickbooks"
FROM_QUICKBOOKS = "/payment_mapping/from_quickbooks"
UNMATCHED_ITEM = "/items/unmatched_one_time_item"
MAX_DESCRIPTION = 4000  # Line.Description (qbo-facts §3.5)
MAX_PRIVATE_NOTE = 4000
TIP_DESCRIPTION = "Tip"
CENT = Decimal("0.01")


class PaymentMappingError(ValueError):
    """A payment that cannot be mapped; ``field`` is the configuration field to fix."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field, self.reason = field, reason


@dataclass(frozen=True)
class PaymentMethod:
    """A QuickBooks PaymentMethod (the list the company has; names are unique, §9)."""

    id: str
    name: str
    active: bool = True


class PaymentMethods:
    """The company's payment methods, by name (case-insensitive) and by Id."""

    def __init__(self, methods: Iterable[PaymentMethod]) -> None:
        self._by_id = {m.id: m for m in methods}
        self._by_name = {m.name.casefold(): m for m in self._by_id.values() if m.active}

    @classmethod
    def from_rows(cls, rows: Iterable[Mapping[str, Any]]) -> PaymentMethods:
        """From the rows of ``SELECT * FROM PaymentMethod``."""
        return cls(
            PaymentMethod(str(row["Id"]), str(row.get("Name", "")), row.get("Active", True))
            for row in rows
            if row.get("Id") is not None
        )

    def active_named(self, name: str) -> PaymentMethod | None:
        return self._by_name.get(name.strip().casefold())

    def name_of(self, method_id: str) -> str | None:
        method = self._by_id.get(method_id)
        return method.name if method else None


def money(value: Decimal) -> float:
    """A JSON number for an amount in cents (QBO amounts are numbers, not strings)."""
    return float(value.quantize(CENT))


def method_name(config: Mapping[str, Any], payment_type: str) -> str:
    """The QuickBooks method name the mapping gives a platform payment type."""
    mapping = config.get("payment_mapping", {}).get("to_quickbooks") or {}
    name = mapping.get(payment_type)
    if not isinstance(name, str) or not name.strip():
        raise PaymentMappingError(
            f"{TO_QUICKBOOKS}/{payment_type}",
            f"payment type {payment_type!r} has no QuickBooks payment method in the mapping",
        )
    return name.strip()


def method_ref(
    config: Mapping[str, Any], payment_type: str, methods: PaymentMethods
) -> dict[str, str]:
    """The ``PaymentMethodRef`` of a platform payment type; the method must already exist."""
    name = method_name(config, payment_type)
    method = methods.active_named(name)
    if method is None:
        raise PaymentMappingError(
            f"{TO_QUICKBOOKS}/{payment_type}",
            f"QuickBooks has no active payment method named {name!r}",
        )
    return {"value": method.id, "name": method.name}


def platform_type(config: Mapping[str, Any], method: str | None) -> str:
    """The platform payment type of a QuickBooks method name (the mapping back)."""
    if not method:
        raise PaymentMappingError(
            FROM_QUICKBOOKS, "the QuickBooks payment has no payment method to map to a type"
        )
    mapping = config.get("payment_mapping", {}).get("from_quickbooks") or {}
    folded = {str(k).casefold(): v for k, v in mapping.items()}
    value = folded.get(method.strip().casefold())
    if not isinstance(value, str) or not value.strip():
        raise PaymentMappingError(
            f"{FROM_QUICKBOOKS}/{method}",
            f"QuickBooks payment method {method!r} has no platform type in the mapping",
        )
    return value.strip()


def unmatched_item(config: Mapping[str, Any]) -> str:
    """The QuickBooks item Id that receipts of payments without an invoice are booked on."""
    item = (config.get("items", {}).get("unmatched_one_time_item") or "").strip()
    if not item:
        raise PaymentMappingError(
            UNMATCHED_ITEM, "no unmatched one-time item is set, so a receipt has no item"
        )
    return item


def private_note(payment: Payment, *, tip: bool = False) -> str:
    """Says where a transaction came from, for a person reading it in QuickBooks and for an
    interrupted export looking for what it already created (the tip receipt has its own)."""
    what = "Tip of payment" if tip else "Payment"
    return f"{what} {payment.id} from the platform"[:MAX_PRIVATE_NOTE]


def _common(
    payment: Payment, customer_id: str, method: Mapping[str, str], *, tip: bool = False
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "CustomerRef": {"value": customer_id},
        "TxnDate": payment.date.isoformat(),
        "PaymentMethodRef": dict(method),
        "PrivateNote": private_note(payment, tip=tip),
    }
    if payment.reference.strip():
        body["PaymentRefNum"] = fit_doc_number(payment.reference.strip())
    return body


def payment_body(
    payment: Payment, *, customer_id: str, invoice_id: str, method: Mapping[str, str]
) -> dict[str, Any]:
    """The QBO Payment for a payment on a synced invoice: its amount applied to that invoice.

    ``customer_id`` and ``invoice_id`` are QuickBooks Ids; the tip is not part of it (see the
    module docstring and :func:`tip_receipt_body`).
    """
    if payment.amount <= 0:
        raise ValueError(f"payment {payment.id}: amount must be positive, not {payment.amount}")
    return {
        **_common(payment, customer_id, method),
        "TotalAmt": money(payment.amount),
        "Line": [
            {
                "Amount": money(payment.amount),
                "LinkedTxn": [{"TxnId": invoice_id, "TxnType": "Invoice"}],
            }
        ],
    }


def _item_line(amount: Decimal, item_id: str, description: str) -> dict[str, Any]:
    return {
        "DetailType": "SalesItemLineDetail",
        "Amount": money(amount),
        "Description": description[:MAX_DESCRIPTION],
        "SalesItemLineDetail": {
            "ItemRef": {"value": item_id},
            "Qty": 1,
            "UnitPrice": money(amount),
        },
    }


def receipt_description(payment: Payment) -> str:
    """The line text of a receipt: the payment's description, else what identifies it."""
    text = " ".join(payment.description.split())
    if text:
        return text
    reference = payment.reference.strip()
    return f"Payment {reference}" if reference else f"Payment {payment.id}"


def sales_receipt_body(
    payment: Payment, *, customer_id: str, item_id: str, method: Mapping[str, str]
) -> dict[str, Any]:
    """The QBO SalesReceipt for a payment without an invoice (tip as a second line)."""
    if payment.amount <= 0:
        raise ValueError(f"payment {payment.id}: amount must be positive, not {payment.amount}")
    lines = [_item_line(payment.amount, item_id, receipt_description(payment))]
    if payment.tip > 0:
        lines.append(_item_line(payment.tip, item_id, TIP_DESCRIPTION))
    return {**_common(payment, customer_id, method), "Line": lines}


def tip_receipt_body(
    payment: Payment, *, customer_id: str, item_id: str, method: Mapping[str, str]
) -> dict[str, Any]:
    """The QBO SalesReceipt that books the tip of a payment on an invoice."""
    if payment.tip <= 0:
        raise ValueError(f"payment {payment.id} has no tip")
    reference = payment.reference.strip()
    description = f"{TIP_DESCRIPTION} with payment {reference or payment.id}"
    return {
        **_common(payment, customer_id, method, tip=True),
        "Line": [_item_line(payment.tip, item_id, description)],
    }


def applied_amounts(qbo_payment: Mapping[str, Any]) -> dict[str, Decimal]:
    """What a QuickBooks Payment applies to each invoice, by QuickBooks Invoice Id."""
    applied: dict[str, Decimal] = {}
    for line in qbo_payment.get("Line") or []:
        amount = Decimal(str(line.get("Amount") or 0)).quantize(CENT)
        for link in line.get("LinkedTxn") or []:
            if link.get("TxnType") == "Invoice" and link.get("TxnId") is not None:
                invoice_id = str(link["TxnId"])
                applied[invoice_id] = applied.get(invoice_id, Decimal("0.00")) + amount
    return applied


def is_deleted(qbo_payment: Mapping[str, Any]) -> bool:
    """A CDC row of a deleted payment (``"status": "Deleted"``, qbo-facts §4.4)."""
    return str(qbo_payment.get("status", "")).lower() == "deleted"
