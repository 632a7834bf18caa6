"""Helpers for the accounting tests: build and save customers, invoices and payments.

Importable by any emulator test module (``from accounting_support import ...``).
"""

from __future__ import annotations

from quickbooks.objects.base import Ref
from quickbooks.objects.customer import Customer
from quickbooks.objects.detailline import SalesItemLine, SalesItemLineDetail
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.payment import Payment, PaymentLine
from quickbooks.objects.tax import TxnTaxDetail


def ref(value: str) -> Ref:
    """A reference to Id ``value``."""
    reference = Ref()
    reference.value = value
    return reference


def new_customer(qb, name: str = "Amy's Bird Sanctuary") -> Customer:
    """A saved customer called ``name``."""
    customer = Customer()
    customer.DisplayName = name
    return customer.save(qb=qb)


def sales_line(amount: float, qty: float = 0, price: float = 0, item: str = "1", tax="NON"):
    """A sales line as python-quickbooks builds it (Qty/UnitPrice 0 mean "not given")."""
    line = SalesItemLine()
    line.Amount = amount
    line.SalesItemLineDetail = SalesItemLineDetail()
    line.SalesItemLineDetail.ItemRef = ref(item)
    line.SalesItemLineDetail.Qty = qty
    line.SalesItemLineDetail.UnitPrice = price
    if tax:
        line.SalesItemLineDetail.TaxCodeRef = ref(tax)
    return line


def new_invoice(qb, customer: Customer, *lines, tax_code: str | None = None) -> Invoice:
    """A saved invoice for ``customer`` (one 100.00 line unless ``lines`` are given)."""
    invoice = Invoice()
    invoice.CustomerRef = customer.to_ref()
    invoice.Line = list(lines) or [sales_line(100)]
    if tax_code:
        invoice.TxnTaxDetail = TxnTaxDetail()
        invoice.TxnTaxDetail.TxnTaxCodeRef = ref(tax_code)
    return invoice.save(qb=qb)


def pay(qb, customer: Customer, amount: float, *applied: tuple[Invoice, float]) -> Payment:
    """A saved payment of ``amount``, applying ``(invoice, part)`` pairs."""
    payment = Payment()
    payment.CustomerRef = customer.to_ref()
    payment.TotalAmt = amount
    for invoice, part in applied:
        line = PaymentLine()
        line.Amount = part
        line.LinkedTxn.append(invoice.to_linked_txn())
        payment.Line.append(line)
    return payment.save(qb=qb)
