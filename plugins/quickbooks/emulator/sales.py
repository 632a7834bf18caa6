"""Sales forms: Invoice and SalesReceipt.

Both carry a customer, numbered lines, tax and a DocNumber (facts §3.5, §3.6). An invoice is
paid by payments (its Balance falls; see :mod:`.payments`), a sales receipt is paid on the spot
(Balance 0, deposited to Undeposited Funds unless told otherwise). Voiding zeroes the amounts and
prepends "Voided" to the PrivateNote; a deleted or voided invoice must not still be paid by a
payment, so QBO asks for the payment to be unlinked first.
"""

from __future__ import annotations

from decimal import Decimal

from . import faults, lines, numbering, payments, rules, seed, tax, values
from .books import Books, Rules, reference

PRINT_STATUS = ("NotSet", "NeedToPrint", "PrintComplete")
EMAIL_STATUS = ("NotSet", "NeedToSend", "EmailSent")

_LIMITS = {
    "PrivateNote": 4000,
    "CustomerMemo.value": 1000,
    "BillEmail.Address": 100,
    "BillEmailCc.Address": 200,
    "BillEmailBcc.Address": 200,
    "PaymentRefNum": 21,
}


class SalesFormRules(Rules):
    """What Invoice and SalesReceipt share: customer, lines, tax, totals, number, statuses."""

    entity = ""
    customer_required = False
    read_only = rules.SERVER_FIELDS | {
        "TotalAmt",
        "Balance",
        "HomeBalance",
        "HomeTotalAmt",
        "InvoiceLink",
        "LinkedTxn",
        "DeliveryInfo",
    }

    def prepare(self, books: Books, body: dict, old: dict | None, include: set[str]) -> dict:
        obj = rules.without(body, self.read_only)
        customer = books.resolve("Customer", obj.get("CustomerRef"), "CustomerRef")
        if customer is None and self.customer_required:
            raise faults.required("CustomerRef")
        if customer is not None:
            obj["CustomerRef"] = reference("Customer", customer)
        form_lines = lines.read(books, obj.get("Line"), (old or {}).get("Line", []), customer)
        totals = tax.compute(books, form_lines, obj, customer)
        subtotal = sum((line.amount for line in form_lines.sales), Decimal(0))
        subtotal += form_lines.other_amount
        obj["Line"] = [
            *form_lines.lines,
            {
                "Amount": values.number(subtotal),
                "DetailType": lines.SUBTOTAL,
                lines.SUBTOTAL: {},
            },
        ]
        obj["TxnTaxDetail"] = totals.tax_detail
        obj["TotalAmt"] = values.number(values.money(totals.total))
        doc_number = numbering.assign(books, self.entity, obj, old, include)
        obj.pop("DocNumber", None)
        if doc_number:
            obj["DocNumber"] = doc_number
        if old is None:
            numbering.remember(books, self.entity, doc_number)
        self._header(books, obj, customer)
        self.finish(books, obj, old)
        return obj

    @staticmethod
    def _header(books: Books, obj: dict, customer: dict | None) -> None:
        rules.check_lengths(obj, _LIMITS)
        obj["TxnDate"] = obj.get("TxnDate") or values.today(books.now)
        obj["PrintStatus"] = obj.get("PrintStatus") or "NotSet"
        obj["EmailStatus"] = obj.get("EmailStatus") or "NotSet"
        rules.check_enum(obj, "PrintStatus", PRINT_STATUS)
        rules.check_enum(obj, "EmailStatus", EMAIL_STATUS)
        if customer is not None:
            for field, source in (
                ("BillEmail", "PrimaryEmailAddr"),
                ("BillAddr", "BillAddr"),
                ("ShipAddr", "ShipAddr"),
            ):
                if not obj.get(field) and customer.get(source):
                    obj[field] = customer[source]
        if obj["EmailStatus"] == "NeedToSend" and not (obj.get("BillEmail") or {}).get("Address"):
            raise faults.required("BillEmail")
        obj.setdefault("CurrencyRef", books.home_currency())
        obj["ApplyTaxAfterDiscount"] = values.boolean(obj.get("ApplyTaxAfterDiscount"), False)

    def finish(self, books: Books, obj: dict, old: dict | None) -> None:
        """Entity-specific fields once the shared ones are set."""

    def void(self, books: Books, old: dict) -> dict:
        """Every amount and quantity to zero, "Voided" noted, nothing left to pay."""
        voided_lines = []
        for line in old.get("Line", []):
            line = {**line, "Amount": 0}
            if lines.SALES in line:
                line[lines.SALES] = {**line[lines.SALES], "Qty": 0}
            voided_lines.append(line)
        tax_detail = dict(old.get("TxnTaxDetail") or {})
        tax_detail["TotalTax"] = 0
        tax_detail["TaxLine"] = [
            {**tax_line, "Amount": 0} for tax_line in tax_detail.get("TaxLine", [])
        ]
        return {
            **old,
            "Line": voided_lines,
            "TxnTaxDetail": tax_detail,
            "TotalAmt": 0,
            "Balance": 0,
            "PrivateNote": payments.voided_note(old.get("PrivateNote")),
        }


class InvoiceRules(SalesFormRules):
    """Invoice: CustomerRef required; Balance = TotalAmt - Deposit - what payments applied."""

    entity = "Invoice"
    customer_required = True

    def finish(self, books: Books, obj: dict, old: dict | None) -> None:
        obj["DueDate"] = obj.get("DueDate") or obj["TxnDate"]
        obj["LinkedTxn"] = (old or {}).get("LinkedTxn", [])
        deposit = values.optional_decimal(obj.get("Deposit"), "Deposit") or Decimal(0)
        paid = Decimal(0)
        if old is not None:
            paid, _ = payments.payments_of(books, {**obj, "Id": old["Id"]})
        balance = values.money(values.decimal(obj["TotalAmt"], "TotalAmt") - deposit - paid)
        if balance < 0:
            raise rules.business(
                f"The invoice total ({obj['TotalAmt']}) is less than what has been paid "
                f"and deposited ({paid + deposit})"
            )
        obj["Balance"] = values.number(balance)
        if obj.get("DepositToAccountRef"):
            obj["DepositToAccountRef"] = books.ref(
                "Account", obj["DepositToAccountRef"], "DepositToAccountRef"
            )

    def before_delete(self, books: Books, old: dict) -> None:
        self._refuse_if_paid(old, "deleted")

    def void(self, books: Books, old: dict) -> dict:
        self._refuse_if_paid(old, "voided")
        return super().void(books, old)

    @staticmethod
    def _refuse_if_paid(invoice: dict, what: str) -> None:
        paid_by = [
            link["TxnId"]
            for link in invoice.get("LinkedTxn", [])
            if link.get("TxnType") == "Payment"
        ]
        if paid_by:
            raise rules.business(
                f"Invoice {invoice['Id']} cannot be {what} while payments are linked to it "
                f"(Payment Id {', '.join(paid_by)}); unlink or delete the payments first"
            )


class SalesReceiptRules(SalesFormRules):
    """SalesReceipt: paid at once (Balance 0), deposited to Undeposited Funds by default.

    CustomerRef is optional: the reference table calls it required but Intuit's own create
    sample omits it and succeeds (facts §3.6 [U]).
    """

    entity = "SalesReceipt"

    def finish(self, books: Books, obj: dict, old: dict | None) -> None:
        obj["Balance"] = 0
        obj["DepositToAccountRef"] = books.ref(
            "Account",
            obj.get("DepositToAccountRef") or {"value": seed.UNDEPOSITED_FUNDS},
            "DepositToAccountRef",
        )
        if obj.get("PaymentMethodRef"):
            obj["PaymentMethodRef"] = books.ref(
                "PaymentMethod", obj["PaymentMethodRef"], "PaymentMethodRef"
            )
