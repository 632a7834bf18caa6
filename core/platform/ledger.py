"""The embedded ledger: the platform port's default implementation, in the host's database.

A small business application of its own (customers, items, tax rates, invoices, payments), used
by the demo and by deployments that have no platform of their own to connect. It plays both
sides of the port:

* the **port** (:class:`~core.platform.port.PlatformPort`) a connector's jobs use, and
* the **platform-side operations** the business application performs: create and send
  invoices, void them, record payments. Those raise platform events (``invoice.sent`` ...),
  handed to ``on_event`` after the change is committed; an error there is logged and never
  undoes or fails the operation.

Rules worth knowing:

* ``updated_at`` strictly increases per tenant, in commit order: every write locks the tenant's
  ``LedgerAccount`` row and takes the next stamp from its clock (a microsecond later than the
  last one when the wall clock has not moved). ``changed_since`` is strictly after and returns
  oldest change first, so a cursor may advance record by record without skipping anything.
* Writing a sync state does not change the record's ``updated_at`` (a connector's own
  bookkeeping is not a change of the record).
* Totals follow ``core.platform.totals``. A payment's ``amount`` is what it pays off the
  invoice; its ``tip`` comes on top and does not reduce the balance. An invoice whose balance
  reaches 0 through payments becomes ``paid`` (event ``invoice.paid_in_full``, whatever the
  payment's origin) and goes back to ``sent`` when a payment is removed or reduced.
* ``payment.recorded`` is raised for payments of platform origin only (when recorded and when
  edited, ``data["action"]`` says which): a payment mirrored from the remote system must not be
  sent back to it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload
from werkzeug.security import check_password_hash, generate_password_hash

from core.connector import PlatformEvent
from core.platform import ledger_inputs as check
from core.platform import port
from core.platform.ledger_models import (
    LedgerAccount,
    LedgerApiUser,
    LedgerCustomer,
    LedgerInvoice,
    LedgerInvoiceLine,
    LedgerInvoicePdf,
    LedgerItem,
    LedgerPayment,
    LedgerSubsidiary,
    LedgerSyncState,
    LedgerTaxRate,
)
from core.platform.ledger_records import (
    customer_record,
    invoice_record,
    item_record,
    payment_record,
    sync_state_record,
    tax_rate_record,
)
from core.platform.port import (
    Customer,
    CustomerInput,
    Invoice,
    InvoicePdf,
    InvoiceStatus,
    Item,
    ItemInput,
    Payment,
    PaymentInput,
    PaymentOrigin,
    PlatformAccount,
    PlatformError,
    RecordKind,
    RecordNotFound,
    Subsidiary,
    SyncState,
    SyncStatus,
    TaxRate,
    TaxRateInput,
)
from core.platform.totals import ZERO, TotalsLine, compute
from core.store.database import Database
from core.store.models import Installation, Tenant, utcnow

log = logging.getLogger(__name__)

EventSink = Callable[[PlatformEvent], Any]

INVOICE_FIELDS = frozenset(
    {
        "customer_id",
        "lines",
        "number",
        "issue_date",
        "due_date",
        "currency",
        "subject",
        "note",
        "po_number",
        "custom_field",
        "discount_percent",
        "discount_amount",
        "tax_rate_id",
        "subsidiary_id",
    }
)
LINE_FIELDS = frozenset(
    {"item_id", "description", "quantity", "unit_price", "taxable", "tax_rate_id"}
)
_CLIENT_CODE = re.compile(r"^[A-Za-z0-9]{2,32}$")
_LOGIN = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_TICK = timedelta(microseconds=1)


def slug(name: str) -> str:
    """``"Demo Company"`` -> ``"demo-company"`` (the first part of the unique identifier)."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "account"


@dataclass
class _Write:
    """One write transaction: its session, the tenant's clock and the events to raise."""

    session: Session
    account: LedgerAccount
    events: list[PlatformEvent] = field(default_factory=list)

    def stamp(self) -> datetime:
        """The next ``updated_at`` of this tenant: now, or a tick after the last stamp."""
        stamp = max(utcnow(), self.account.clock + _TICK)
        self.account.clock = stamp
        return stamp


class EmbeddedLedger:
    """One tenant's ledger; implements :class:`~core.platform.port.PlatformPort`."""

    def __init__(self, db: Database, tenant_id: int, on_event: EventSink | None = None) -> None:
        self.db, self.tenant_id, self.on_event = db, tenant_id, on_event
        self._account_ready = False

    # Account and subsidiaries ------------------------------------------------------------------

    def account(self) -> PlatformAccount:
        self.ensure_account()
        with self.db.session() as session:
            row = self._account_row(session)
            return PlatformAccount(
                unique_identifier=f"{slug(row.name)}-{row.client_code}",
                client_code=row.client_code,
                name=row.name,
            )

    def configure_account(
        self, *, name: str | None = None, client_code: str | None = None
    ) -> PlatformAccount:
        """Rename the account or set its client code (unique across tenants)."""
        with self._write() as tx:
            if name is not None:
                tx.account.name = check.text(name, "name", max_length=200, required=True)
            if client_code is not None:
                code = check.text(client_code, "client_code", max_length=32, required=True)
                if not _CLIENT_CODE.match(code):
                    raise PlatformError("letters and digits only, 2 to 32", "client_code")
                taken = tx.session.scalar(
                    select(LedgerAccount.tenant_id).where(
                        LedgerAccount.client_code == code,
                        LedgerAccount.tenant_id != self.tenant_id,
                    )
                )
                if taken is not None:
                    raise PlatformError(f"{code!r} is another account's code", "client_code")
                tx.account.client_code = code
            tx.account.updated_at = tx.stamp()
        return self.account()

    def subsidiaries(self) -> list[Subsidiary]:
        with self.db.session() as session:
            rows = session.scalars(
                select(LedgerSubsidiary)
                .where(LedgerSubsidiary.tenant_id == self.tenant_id)
                .order_by(LedgerSubsidiary.id)
            )
            return [Subsidiary(id=str(r.id), name=r.name) for r in rows]

    def create_subsidiary(self, name: str) -> Subsidiary:
        with self._write() as tx:
            row = LedgerSubsidiary(
                tenant_id=self.tenant_id,
                name=check.text(name, "name", max_length=200, required=True),
                updated_at=tx.stamp(),
            )
            tx.session.add(row)
            tx.session.flush()
            return Subsidiary(id=str(row.id), name=row.name)

    # Customers ---------------------------------------------------------------------------------

    def customers(self, *, changed_since: datetime | None = None) -> list[Customer]:
        with self.db.session() as session:
            return [
                customer_record(r) for r in self._changed(session, LedgerCustomer, changed_since)
            ]

    def customer(self, customer_id: str) -> Customer:
        with self.db.session() as session:
            return customer_record(self._get(session, LedgerCustomer, customer_id, "customer"))

    def find_customers_by_email(self, email: str) -> list[Customer]:
        address = check.email(email)
        if address is None:
            return []
        with self.db.session() as session:
            rows = session.scalars(
                select(LedgerCustomer)
                .where(
                    LedgerCustomer.tenant_id == self.tenant_id,
                    func.lower(LedgerCustomer.email) == address.lower(),
                )
                .order_by(LedgerCustomer.id)
            )
            return [customer_record(r) for r in rows]

    def create_customer(self, data: CustomerInput) -> Customer:
        with self._write() as tx:
            row = LedgerCustomer(tenant_id=self.tenant_id)
            self._fill_customer(tx, row, data)
            tx.session.add(row)
            tx.session.flush()
            return customer_record(row)

    def update_customer(self, customer_id: str, data: CustomerInput) -> Customer:
        with self._write() as tx:
            row = self._get(tx.session, LedgerCustomer, customer_id, "customer")
            self._fill_customer(tx, row, data)
            return customer_record(row)

    def _fill_customer(self, tx: _Write, row: LedgerCustomer, data: CustomerInput) -> None:
        row.display_name = check.text(
            data.display_name, "display_name", max_length=200, required=True
        )
        row.email = check.email(data.email)
        row.given_name = check.text(data.given_name, "given_name", max_length=100)
        row.family_name = check.text(data.family_name, "family_name", max_length=100)
        row.company_name = check.text(data.company_name, "company_name", max_length=200)
        row.phone = check.text(data.phone, "phone", max_length=40)
        row.subsidiary_id = self._optional_id(
            tx.session, LedgerSubsidiary, data.subsidiary_id, "subsidiary_id"
        )
        row.active = check.flag(data.active, "active")
        row.updated_at = tx.stamp()

    # Items and tax rates -----------------------------------------------------------------------

    def items(self, *, changed_since: datetime | None = None) -> list[Item]:
        with self.db.session() as session:
            return [item_record(r) for r in self._changed(session, LedgerItem, changed_since)]

    def item(self, item_id: str) -> Item:
        with self.db.session() as session:
            return item_record(self._get(session, LedgerItem, item_id, "item"))

    def create_item(self, data: ItemInput) -> Item:
        with self._write() as tx:
            row = LedgerItem(tenant_id=self.tenant_id)
            _fill_item(tx, row, data)
            tx.session.add(row)
            tx.session.flush()
            return item_record(row)

    def update_item(self, item_id: str, data: ItemInput) -> Item:
        with self._write() as tx:
            row = self._get(tx.session, LedgerItem, item_id, "item")
            _fill_item(tx, row, data)
            return item_record(row)

    def tax_rates(self) -> list[TaxRate]:
        with self.db.session() as session:
            rows = session.scalars(
                select(LedgerTaxRate)
                .where(LedgerTaxRate.tenant_id == self.tenant_id)
                .order_by(LedgerTaxRate.id)
            )
            return [tax_rate_record(r) for r in rows]

    def tax_rate(self, tax_rate_id: str) -> TaxRate:
        with self.db.session() as session:
            return tax_rate_record(self._get(session, LedgerTaxRate, tax_rate_id, "tax_rate"))

    def create_tax_rate(self, data: TaxRateInput) -> TaxRate:
        with self._write() as tx:
            row = LedgerTaxRate(tenant_id=self.tenant_id)
            _fill_tax_rate(tx, row, data)
            tx.session.add(row)
            tx.session.flush()
            return tax_rate_record(row)

    def update_tax_rate(self, tax_rate_id: str, data: TaxRateInput) -> TaxRate:
        with self._write() as tx:
            row = self._get(tx.session, LedgerTaxRate, tax_rate_id, "tax_rate")
            _fill_tax_rate(tx, row, data)
            return tax_rate_record(row)

    # Invoices: reading (the port) --------------------------------------------------------------

    def invoices(
        self,
        *,
        statuses: tuple[InvoiceStatus, ...] | None = None,
        changed_since: datetime | None = None,
        ids: tuple[str, ...] | None = None,
    ) -> list[Invoice]:
        with self.db.session() as session:
            query = (
                select(LedgerInvoice)
                .where(LedgerInvoice.tenant_id == self.tenant_id)
                .options(selectinload(LedgerInvoice.lines))
                .order_by(LedgerInvoice.updated_at, LedgerInvoice.id)
            )
            if statuses is not None:
                query = query.where(LedgerInvoice.status.in_(statuses))
            if changed_since is not None:
                query = query.where(LedgerInvoice.updated_at > changed_since)
            if ids is not None:
                wanted = [i for i in (check.record_id(v, "ids") for v in ids) if i is not None]
                query = query.where(LedgerInvoice.id.in_(wanted))
            return [invoice_record(r) for r in session.scalars(query)]

    def invoice(self, invoice_id: str) -> Invoice:
        with self.db.session() as session:
            return invoice_record(self._get(session, LedgerInvoice, invoice_id, "invoice"))

    # Invoices: the platform's side -------------------------------------------------------------

    def create_invoice(
        self, customer_id: str, lines: Sequence[Mapping[str, Any]], **fields: Any
    ) -> Invoice:
        """A draft invoice. ``lines`` are mappings of ``item_id``, ``description``,
        ``quantity`` (default 1), ``unit_price``, ``taxable``, ``tax_rate_id`` (an item fills
        the description, price and taxable it leaves out). ``fields`` are any of
        ``INVOICE_FIELDS``: ``number`` (default the next ``INV-0001``), ``issue_date`` (default
        today), ``due_date``, ``discount_percent`` or ``discount_amount``, ``tax_rate_id`` (the
        default of taxable lines), ``subject``, ``note``, ``po_number``, ``custom_field``,
        ``subsidiary_id`` (default the customer's), ``currency``."""
        with self._write() as tx:
            row = LedgerInvoice(
                tenant_id=self.tenant_id,
                status="draft",
                issue_date=date.today(),
                currency="USD",
                subject="",
                note="",
                po_number="",
                custom_field="",
                created_at=utcnow(),
            )
            changes = {"customer_id": customer_id, "lines": lines, **fields}
            changes.setdefault("number", None)
            self._apply_invoice(tx, row, changes, paid=ZERO)
            tx.session.add(row)
            tx.session.flush()
            return invoice_record(row)

    def update_invoice(self, invoice_id: str, **changes: Any) -> Invoice:
        """Change fields or lines (same names as ``create_invoice``); totals are recomputed.
        A sent or paid invoice raises ``invoice.updated``; a void one cannot change."""
        with self._write() as tx:
            row = self._get(tx.session, LedgerInvoice, invoice_id, "invoice")
            if row.status == "void":
                raise PlatformError(f"invoice {row.number} is void", "status", status=409)
            if "customer_id" in changes and self._paid(tx.session, row.id):
                raise PlatformError("an invoice with payments keeps its customer", "customer_id")
            was_paid = row.status == "paid"
            self._apply_invoice(tx, row, changes, paid=self._paid(tx.session, row.id))
            if row.status != "draft":
                tx.events.append(self._event(port.INVOICE_UPDATED, row))
            if row.status == "paid" and not was_paid:
                tx.events.append(self._event(port.INVOICE_PAID_IN_FULL, row))
            return invoice_record(row)

    def send_invoice(self, invoice_id: str) -> Invoice:
        """Draft to sent (event ``invoice.sent``); sending a sent invoice again changes nothing."""
        with self._write() as tx:
            row = self._get(tx.session, LedgerInvoice, invoice_id, "invoice")
            if row.status == "void":
                raise PlatformError(
                    f"invoice {row.number} is void and cannot be sent", "status", status=409
                )
            if row.status == "draft":
                row.status, row.sent_at, row.updated_at = "sent", utcnow(), tx.stamp()
                tx.events.append(self._event(port.INVOICE_SENT, row))
            return invoice_record(row)

    def void_invoice(self, invoice_id: str) -> Invoice:
        """Void an invoice without payments (event ``invoice.voided``); its balance becomes 0."""
        with self._write() as tx:
            row = self._get(tx.session, LedgerInvoice, invoice_id, "invoice")
            if row.status == "void":
                return invoice_record(row)
            if self._paid(tx.session, row.id):
                raise PlatformError(
                    f"invoice {row.number} has payments; delete them before voiding it",
                    "status",
                    status=409,
                )
            row.status, row.balance, row.voided_at = "void", ZERO, utcnow()
            row.updated_at = tx.stamp()
            tx.events.append(self._event(port.INVOICE_VOIDED, row))
            return invoice_record(row)

    def _apply_invoice(
        self, tx: _Write, row: LedgerInvoice, changes: Mapping[str, Any], *, paid: Decimal
    ) -> None:
        unknown = sorted(set(changes) - INVOICE_FIELDS)
        if unknown:
            raise PlatformError("is not a field of an invoice", unknown[0])
        session = tx.session
        if "customer_id" in changes:
            customer = self._get_input(
                session, LedgerCustomer, changes["customer_id"], "customer_id"
            )
            row.customer_id = customer.id
            if "subsidiary_id" not in changes and row.id is None:
                row.subsidiary_id = customer.subsidiary_id
        for name, limit in (("subject", 200), ("note", 10000), ("po_number", 64)):
            if name in changes:
                setattr(row, name, check.text(changes[name], name, max_length=limit))
        if "custom_field" in changes:
            row.custom_field = check.text(changes["custom_field"], "custom_field", max_length=200)
        if "currency" in changes:
            currency = check.text(changes["currency"], "currency", max_length=3, required=True)
            if not re.fullmatch(r"[A-Z]{3}", currency):
                raise PlatformError("must be a three-letter ISO code such as USD", "currency")
            row.currency = currency
        if "issue_date" in changes:
            row.issue_date = check.day(changes["issue_date"], "issue_date")
        if "due_date" in changes:
            row.due_date = check.optional_day(changes["due_date"], "due_date")
        if row.due_date is not None and row.due_date < row.issue_date:
            raise PlatformError("is before the issue date", "due_date")
        if "subsidiary_id" in changes:
            row.subsidiary_id = self._optional_id(
                session, LedgerSubsidiary, changes["subsidiary_id"], "subsidiary_id"
            )
        if "tax_rate_id" in changes:
            row.tax_rate_id = self._optional_id(
                session, LedgerTaxRate, changes["tax_rate_id"], "tax_rate_id", active=True
            )
        self._apply_discount(row, changes)
        if "number" in changes:
            self._apply_number(tx, row, changes["number"])
        stamp = tx.stamp()
        if "lines" in changes:
            row.lines = self._lines(session, changes["lines"], stamp)
        self._compute(session, row, paid)
        row.updated_at = stamp

    def _apply_discount(self, row: LedgerInvoice, changes: Mapping[str, Any]) -> None:
        percent, amount = changes.get("discount_percent"), changes.get("discount_amount")
        if percent is not None and amount is not None:
            raise PlatformError(
                "give discount_percent or discount_amount, not both", "discount_amount"
            )
        if "discount_percent" in changes:
            row.discount_percent = (
                None
                if percent is None
                else check.number(
                    percent, "discount_percent", places=4, minimum=ZERO, maximum=Decimal(100)
                )
            )
            if percent is not None:
                row.discount_amount = None
        if "discount_amount" in changes:
            row.discount_amount = (
                None if amount is None else check.number(amount, "discount_amount", minimum=ZERO)
            )
            if amount is not None:
                row.discount_percent = None

    def _apply_number(self, tx: _Write, row: LedgerInvoice, value: Any) -> None:
        if value is None:
            row.number = self._next_number(tx)
            return
        number = check.text(value, "number", max_length=64, required=True)
        clash = tx.session.scalar(
            select(LedgerInvoice.id).where(
                LedgerInvoice.tenant_id == self.tenant_id,
                LedgerInvoice.number == number,
                LedgerInvoice.id != (row.id or 0),
            )
        )
        if clash is not None:
            raise PlatformError(f"{number!r} is already the number of invoice {clash}", "number")
        row.number = number

    def _next_number(self, tx: _Write) -> str:
        while True:
            number = f"INV-{tx.account.next_invoice_number:04d}"
            tx.account.next_invoice_number += 1
            taken = tx.session.scalar(
                select(LedgerInvoice.id).where(
                    LedgerInvoice.tenant_id == self.tenant_id, LedgerInvoice.number == number
                )
            )
            if taken is None:
                return number

    def _lines(self, session: Session, raw_lines: Any, stamp: datetime) -> list[LedgerInvoiceLine]:
        if not isinstance(raw_lines, Sequence) or isinstance(raw_lines, str) or not raw_lines:
            raise PlatformError("an invoice needs at least one line", "lines")
        return [self._line(session, raw, i, stamp) for i, raw in enumerate(raw_lines)]

    def _line(self, session: Session, raw: Any, index: int, stamp: datetime) -> LedgerInvoiceLine:
        where = f"lines/{index}"
        if not isinstance(raw, Mapping):
            raise PlatformError("must be an object", where)
        unknown = sorted(set(raw) - LINE_FIELDS)
        if unknown:
            raise PlatformError("is not a field of an invoice line", f"{where}/{unknown[0]}")
        item = None
        if raw.get("item_id") is not None:
            item = self._get_input(session, LedgerItem, raw["item_id"], f"{where}/item_id")
            if not item.active:
                raise PlatformError(f"item {item.name!r} is inactive", f"{where}/item_id")
        description = raw.get("description", item.name if item else None)
        unit_price = raw.get("unit_price", item.price if item else None)
        if unit_price is None:
            raise PlatformError("is required for a line without an item", f"{where}/unit_price")
        taxable = check.flag(
            raw.get("taxable", item.taxable if item else False), f"{where}/taxable"
        )
        tax_rate_id = self._optional_id(
            session, LedgerTaxRate, raw.get("tax_rate_id"), f"{where}/tax_rate_id", active=True
        )
        if tax_rate_id is not None and not taxable:
            raise PlatformError("is set on a line that is not taxable", f"{where}/tax_rate_id")
        return LedgerInvoiceLine(
            tenant_id=self.tenant_id,
            position=index,
            item_id=item.id if item else None,
            item_kind=item.kind if item else "one_time",
            description=check.text(
                description, f"{where}/description", max_length=4000, required=True
            ),
            quantity=check.number(
                raw.get("quantity", 1), f"{where}/quantity", places=4, positive=True
            ),
            unit_price=check.number(unit_price, f"{where}/unit_price", minimum=ZERO),
            amount=ZERO,
            taxable=taxable,
            tax_rate_id=tax_rate_id,
            updated_at=stamp,
        )

    def _compute(self, session: Session, row: LedgerInvoice, paid: Decimal) -> None:
        """Totals, balance and paid/sent status of ``row`` from its lines and ``paid``."""
        rate_ids = {line.tax_rate_id or row.tax_rate_id for line in row.lines if line.taxable}
        rates = {
            r.id: r.rate
            for r in session.scalars(
                select(LedgerTaxRate).where(LedgerTaxRate.id.in_(rate_ids - {None}))
            )
        }
        totals_lines = []
        for line in row.lines:
            rate_id = line.tax_rate_id or row.tax_rate_id
            if line.taxable and rate_id is None:
                raise PlatformError(
                    "a taxable line needs a tax rate (on the line or the invoice's tax_rate_id)",
                    f"lines/{line.position}/tax_rate_id",
                )
            tax = (str(rate_id), rates[rate_id]) if line.taxable else None
            totals_lines.append(TotalsLine(line.quantity, line.unit_price, tax))
        totals = compute(
            totals_lines,
            discount_percent=row.discount_percent,
            discount_amount=row.discount_amount,
        )
        for line, amount in zip(row.lines, totals.line_amounts, strict=True):
            line.amount = amount
        if totals.total < paid:
            raise PlatformError(
                f"the new total {totals.total} is less than the {paid} already paid", "lines"
            )
        row.subtotal, row.discount_total = totals.subtotal, totals.discount_total
        row.tax_total, row.total = totals.tax_total, totals.total
        self._settle(row, paid)

    @staticmethod
    def _settle(row: LedgerInvoice, paid: Decimal) -> None:
        if row.status == "void":
            return
        row.balance = row.total - paid
        if row.status in ("sent", "paid"):
            row.status = "paid" if row.balance == 0 and paid > 0 else "sent"

    def _paid(self, session: Session, invoice_id: int) -> Decimal:
        session.flush()
        total = session.scalar(
            select(func.sum(LedgerPayment.amount)).where(LedgerPayment.invoice_id == invoice_id)
        )
        return Decimal(total or 0).quantize(Decimal("0.01"))

    # Payments ----------------------------------------------------------------------------------

    def payments(
        self,
        *,
        changed_since: datetime | None = None,
        invoice_id: str | None = None,
        origin: PaymentOrigin | None = None,
    ) -> list[Payment]:
        with self.db.session() as session:
            query = (
                select(LedgerPayment)
                .where(LedgerPayment.tenant_id == self.tenant_id)
                .order_by(LedgerPayment.updated_at, LedgerPayment.id)
            )
            if changed_since is not None:
                query = query.where(LedgerPayment.updated_at > changed_since)
            if invoice_id is not None:
                query = query.where(
                    LedgerPayment.invoice_id == check.record_id(invoice_id, "invoice_id")
                )
            if origin is not None:
                query = query.where(
                    LedgerPayment.origin == check.choice(origin, "origin", ("platform", "remote"))
                )
            return [payment_record(r) for r in session.scalars(query)]

    def payment(self, payment_id: str) -> Payment:
        with self.db.session() as session:
            return payment_record(self._get(session, LedgerPayment, payment_id, "payment"))

    def record_payment(self, data: PaymentInput) -> Payment:
        with self._write() as tx:
            row = LedgerPayment(tenant_id=self.tenant_id)
            self._fill_payment(tx, row, data)
            if row.origin == "platform":
                tx.events.append(self._payment_event(row, "recorded"))
            self._resettle(tx, row.invoice_id)
            return payment_record(row)

    def update_payment(self, payment_id: str, data: PaymentInput) -> Payment:
        with self._write() as tx:
            row = self._get(tx.session, LedgerPayment, payment_id, "payment")
            if data.origin != row.origin:
                raise PlatformError(f"a {row.origin} payment stays {row.origin}", "origin")
            previous = row.invoice_id
            self._fill_payment(tx, row, data)
            if row.origin == "platform":
                tx.events.append(self._payment_event(row, "updated"))
            self._resettle(tx, previous, row.invoice_id)
            return payment_record(row)

    def delete_payment(self, payment_id: str) -> None:
        with self._write() as tx:
            row = self._get(tx.session, LedgerPayment, payment_id, "payment")
            tx.session.delete(row)
            self._resettle(tx, row.invoice_id)

    def _fill_payment(self, tx: _Write, row: LedgerPayment, data: PaymentInput) -> None:
        session = tx.session
        customer = self._get_input(session, LedgerCustomer, data.customer_id, "customer_id")
        amount = check.number(data.amount, "amount", positive=True)
        origin = check.choice(data.origin, "origin", ("platform", "remote"))
        remote_ref = check.text(data.remote_ref, "remote_ref", max_length=128) or None
        if origin == "remote" and remote_ref is None:
            raise PlatformError(
                "is required for a payment mirrored from the remote system", "remote_ref"
            )
        if origin == "platform" and remote_ref is not None:
            raise PlatformError("only a payment of remote origin has one", "remote_ref")
        if remote_ref is not None:
            clash = session.scalar(
                select(LedgerPayment.id).where(
                    LedgerPayment.tenant_id == self.tenant_id,
                    LedgerPayment.remote_ref == remote_ref,
                    LedgerPayment.id != (row.id or 0),
                )
            )
            if clash is not None:
                raise PlatformError(f"is already payment {clash}'s", "remote_ref")
        invoice = None
        if data.invoice_id is not None:
            invoice = self._get_input(session, LedgerInvoice, data.invoice_id, "invoice_id")
            self._check_payable(session, invoice, customer, amount, row)
        row.customer_id = customer.id
        row.invoice_id = invoice.id if invoice else None
        row.amount = amount
        row.tip = check.number(data.tip, "tip", minimum=ZERO)
        row.date = check.day(data.date, "date")
        row.type = check.text(data.type, "type", max_length=64, required=True)
        row.reference = check.text(data.reference, "reference", max_length=100)
        row.description = check.text(data.description, "description", max_length=4000)
        row.origin, row.remote_ref = origin, remote_ref
        default_subsidiary = invoice.subsidiary_id if invoice else customer.subsidiary_id
        row.subsidiary_id = (
            self._optional_id(session, LedgerSubsidiary, data.subsidiary_id, "subsidiary_id")
            if data.subsidiary_id is not None
            else default_subsidiary
        )
        row.updated_at = tx.stamp()
        session.add(row)
        session.flush()

    def _check_payable(
        self,
        session: Session,
        invoice: LedgerInvoice,
        customer: LedgerCustomer,
        amount: Decimal,
        row: LedgerPayment,
    ) -> None:
        if invoice.customer_id != customer.id:
            raise PlatformError(
                f"invoice {invoice.number} belongs to another customer", "invoice_id"
            )
        if invoice.status in ("draft", "void"):
            raise PlatformError(
                f"invoice {invoice.number} is {invoice.status}; only sent invoices take payments",
                "invoice_id",
            )
        open_amount = invoice.balance + (row.amount if row.invoice_id == invoice.id else ZERO)
        if amount > open_amount:
            raise PlatformError(
                f"is more than the {open_amount} still owed on invoice {invoice.number}",
                "amount",
            )

    def _resettle(self, tx: _Write, *invoice_ids: int | None) -> None:
        """Recompute balances after payments changed; raise paid_in_full for those now paid."""
        for invoice_id in sorted({i for i in invoice_ids if i is not None}):
            invoice = tx.session.get(LedgerInvoice, invoice_id)
            was_paid = invoice.status == "paid"
            self._settle(invoice, self._paid(tx.session, invoice.id))
            invoice.updated_at = tx.stamp()
            if invoice.status == "paid" and not was_paid:
                tx.events.append(self._event(port.INVOICE_PAID_IN_FULL, invoice))

    # Invoice PDFs ------------------------------------------------------------------------------

    def invoice_pdf(self, invoice_id: str) -> InvoicePdf | None:
        """The document stored for the invoice, or None when the platform renders its own."""
        with self.db.session() as session:
            invoice = self._get(session, LedgerInvoice, invoice_id, "invoice")
            row = session.scalar(
                select(LedgerInvoicePdf).where(LedgerInvoicePdf.invoice_id == invoice.id)
            )
            if row is None:
                return None
            return InvoicePdf(str(invoice.id), row.source, row.content, row.updated_at)

    def set_invoice_pdf(self, invoice_id: str, content: bytes, source: str) -> None:
        """Store (or replace) the invoice's document; not an edit of the invoice itself."""
        source = check.text(source, "source", max_length=64, required=True)
        check.pdf(content, "content")
        with self.db.session() as session:
            invoice = self._get(session, LedgerInvoice, invoice_id, "invoice")
            row = session.scalar(
                select(LedgerInvoicePdf).where(LedgerInvoicePdf.invoice_id == invoice.id)
            )
            if row is None:
                row = LedgerInvoicePdf(tenant_id=self.tenant_id, invoice_id=invoice.id)
                session.add(row)
            row.source, row.content, row.updated_at = source, bytes(content), utcnow()

    # Sync states -------------------------------------------------------------------------------

    def set_sync_state(self, state: SyncState) -> None:
        kind = check.choice(state.kind, "kind", port.RECORD_KINDS)
        status = check.choice(state.status, "status", ("synced", "failed", "needs_sync"))
        with self._write() as tx:
            owner = tx.session.scalar(
                select(Installation.tenant_id).where(Installation.id == state.installation_id)
            )
            if owner != self.tenant_id:
                raise PlatformError(
                    f"no installation {state.installation_id} of this tenant", "installation_id"
                )
            self._get(tx.session, _KIND_MODELS[kind], state.record_id, kind)
            row = tx.session.scalar(
                select(LedgerSyncState).where(
                    LedgerSyncState.installation_id == state.installation_id,
                    LedgerSyncState.kind == kind,
                    LedgerSyncState.record_id == state.record_id,
                )
            )
            if row is None:
                row = LedgerSyncState(
                    tenant_id=self.tenant_id,
                    installation_id=state.installation_id,
                    kind=kind,
                    record_id=state.record_id,
                )
                tx.session.add(row)
            row.status, row.reason = status, state.reason
            row.remote_id, row.url = state.remote_id, state.url
            row.at = state.at or utcnow()
            row.updated_at = tx.stamp()

    def sync_states(
        self,
        installation_id: int,
        *,
        kind: RecordKind | None = None,
        status: SyncStatus | None = None,
        record_ids: tuple[str, ...] | None = None,
    ) -> list[SyncState]:
        with self.db.session() as session:
            query = (
                select(LedgerSyncState)
                .where(
                    LedgerSyncState.tenant_id == self.tenant_id,
                    LedgerSyncState.installation_id == installation_id,
                )
                .order_by(LedgerSyncState.id)
            )
            if kind is not None:
                query = query.where(LedgerSyncState.kind == kind)
            if status is not None:
                query = query.where(LedgerSyncState.status == status)
            if record_ids is not None:
                query = query.where(LedgerSyncState.record_id.in_(record_ids))
            return [sync_state_record(r) for r in session.scalars(query)]

    # Plumbing ----------------------------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[_Write]:
        """A write transaction holding the tenant's clock; events are raised after commit."""
        self.ensure_account()
        with self.db.session() as session:
            # Lock the account row first (also SQLite's write lock), so stamps follow commits.
            session.execute(
                update(LedgerAccount)
                .where(LedgerAccount.tenant_id == self.tenant_id)
                .values(clock=LedgerAccount.clock)
            )
            tx = _Write(session, self._account_row(session))
            yield tx
        for event in tx.events:
            self._emit(event)

    def _emit(self, event: PlatformEvent) -> None:
        if self.on_event is None:
            return
        try:
            self.on_event(event)
        except Exception:
            log.exception(
                "handling %s of %s %s failed", event.name, event.tenant_id, event.record_id
            )

    def ensure_account(self) -> None:
        """Create the tenant's account on first use (named after the tenant)."""
        if self._account_ready:
            return
        try:
            with self.db.session() as session:
                if (
                    session.scalar(
                        select(LedgerAccount.id).where(LedgerAccount.tenant_id == self.tenant_id)
                    )
                    is None
                ):
                    tenant = session.get(Tenant, self.tenant_id)
                    if tenant is None:
                        raise RecordNotFound("tenant", str(self.tenant_id))
                    session.add(
                        LedgerAccount(
                            tenant_id=self.tenant_id,
                            name=tenant.name,
                            client_code=str(100000 + self.tenant_id),
                        )
                    )
        except IntegrityError:
            pass  # created meanwhile by another process
        self._account_ready = True

    def _account_row(self, session: Session) -> LedgerAccount:
        return session.scalars(
            select(LedgerAccount).where(LedgerAccount.tenant_id == self.tenant_id)
        ).one()

    def _changed(self, session: Session, model: Any, changed_since: datetime | None) -> list[Any]:
        query = (
            select(model)
            .where(model.tenant_id == self.tenant_id)
            .order_by(model.updated_at, model.id)
        )
        if changed_since is not None:
            query = query.where(model.updated_at > changed_since)
        return list(session.scalars(query))

    def _get(
        self, session: Session, model: Any, record_id: Any, kind: str, field: str | None = None
    ) -> Any:
        """This tenant's row of ``model``; RecordNotFound for any other id."""
        pk = check.record_id(record_id, field or f"{kind}_id")
        row = session.get(model, pk) if pk is not None else None
        if row is None or row.tenant_id != self.tenant_id:
            raise RecordNotFound(kind, str(record_id))
        return row

    def _get_input(self, session: Session, model: Any, record_id: Any, field_name: str) -> Any:
        """Like ``_get`` for an id given as input: an unknown one names the field (422)."""
        kind = field_name.rsplit("/", 1)[-1].removesuffix("_id")
        try:
            return self._get(session, model, record_id, kind, field_name)
        except RecordNotFound as exc:
            raise PlatformError(exc.message, field_name) from None

    def _optional_id(
        self, session: Session, model: Any, record_id: Any, field_name: str, *, active: bool = False
    ) -> int | None:
        if record_id in (None, ""):
            return None
        row = self._get_input(session, model, record_id, field_name)
        if active and not row.active:
            raise PlatformError(f"{row.name!r} is inactive", field_name)
        return row.id

    def _event(self, name: str, invoice: LedgerInvoice) -> PlatformEvent:
        return PlatformEvent(
            name=name,
            tenant_id=self.tenant_id,
            record_id=str(invoice.id),
            data={
                "kind": "invoice",
                "number": invoice.number,
                "status": invoice.status,
                "total": str(invoice.total),
                "balance": str(invoice.balance),
            },
        )

    def _payment_event(self, payment: LedgerPayment, action: str) -> PlatformEvent:
        return PlatformEvent(
            name=port.PAYMENT_RECORDED,
            tenant_id=self.tenant_id,
            record_id=str(payment.id),
            data={
                "kind": "payment",
                "action": action,
                "invoice_id": None if payment.invoice_id is None else str(payment.invoice_id),
                "amount": str(payment.amount),
            },
        )


# API users (Basic auth of the ledger's REST API) --------------------------------------------

_DUMMY_HASH = generate_password_hash("not a password of anyone")


def create_api_user(db: Database, tenant_id: int, login: str, password: str) -> None:
    """Let ``login@<client code>`` use the tenant's ledger API with ``password``."""
    login = check.text(login, "login", max_length=64, required=True)
    if not _LOGIN.match(login):
        raise PlatformError("letters, digits, dot, dash and underscore only", "login")
    if not isinstance(password, str) or len(password) < 8:
        raise PlatformError("must be at least 8 characters", "password")
    EmbeddedLedger(db, tenant_id).ensure_account()
    with db.session() as session:
        taken = session.scalar(
            select(LedgerApiUser.id).where(
                LedgerApiUser.tenant_id == tenant_id, LedgerApiUser.login == login
            )
        )
        if taken is not None:
            raise PlatformError(f"{login!r} is already an API user", "login")
        session.add(
            LedgerApiUser(
                tenant_id=tenant_id,
                login=login,
                password_hash=generate_password_hash(password),
                updated_at=utcnow(),
            )
        )


def api_user_exists(db: Database, tenant_id: int, login: str) -> bool:
    with db.session() as session:
        return (
            session.scalar(
                select(LedgerApiUser.id).where(
                    LedgerApiUser.tenant_id == tenant_id, LedgerApiUser.login == login
                )
            )
            is not None
        )


def check_api_user(db: Database, username: str, password: str) -> int | None:
    """The tenant id when ``username`` (``login@clientcode``) and ``password`` match."""
    login, _, code = username.rpartition("@")
    with db.session() as session:
        user = session.scalar(
            select(LedgerApiUser)
            .join(LedgerAccount, LedgerAccount.tenant_id == LedgerApiUser.tenant_id)
            .where(LedgerAccount.client_code == code, LedgerApiUser.login == login)
        )
    if user is None:
        check_password_hash(_DUMMY_HASH, password)  # same time for unknown users
        return None
    return user.tenant_id if check_password_hash(user.password_hash, password) else None


# Rules of single records ----------------------------------------------------------------------

_KIND_MODELS: dict[str, Any] = {
    "customer": LedgerCustomer,
    "item": LedgerItem,
    "tax_rate": LedgerTaxRate,
    "invoice": LedgerInvoice,
    "payment": LedgerPayment,
}


def _fill_item(tx: _Write, row: LedgerItem, data: ItemInput) -> None:
    row.name = check.text(data.name, "name", max_length=200, required=True)
    row.kind = check.choice(data.kind, "kind", ("one_time", "recurring"))
    row.price = check.number(data.price, "price", minimum=ZERO)
    row.taxable = check.flag(data.taxable, "taxable")
    row.description = check.text(data.description, "description", max_length=4000)
    row.active = check.flag(data.active, "active")
    row.updated_at = tx.stamp()


def _fill_tax_rate(tx: _Write, row: LedgerTaxRate, data: TaxRateInput) -> None:
    row.name = check.text(data.name, "name", max_length=100, required=True)
    row.rate = check.number(data.rate, "rate", places=4, minimum=ZERO, maximum=Decimal(100))
    row.active = check.flag(data.active, "active")
    row.updated_at = tx.stamp()
