"""Job ``export_payments``: the platform's payments into QuickBooks.

Which payments: those of platform origin changed since the cursor (``changed_since`` of the
port, oldest change first), plus those whose record still waits (*needs sync*, e.g. "invoice
not synced yet") or failed, so a payment on an invoice that is exported later goes on a later
run without anyone touching it. Payments mirrored *from* QuickBooks (origin ``remote``) are
never sent back.

What each becomes is :mod:`.payment_mapping`'s business (a Payment applied to the synced
invoice, a Sales Receipt when there is no invoice, a tip receipt beside an invoice payment).
Here: looking up what the mapping needs, sending creates in batches of up to 30, sending edits
of already exported payments as sparse updates, and writing each record's state.

Crash safety: before a batch of creates goes out, its records are marked *in flight* in one
transaction; after the batch, the links (remote id, SyncToken, content hash, URL) and the cursor
are written in one transaction. A run interrupted in between leaves records in flight, and a
create QuickBooks never answered (after the client's retries with the same requestid) fails
saying so; for both, the next run first looks for the transaction in QuickBooks (by customer,
date and the private note naming the platform payment) before creating anything, so no payment
is booked twice.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from core.platform.port import Payment, RecordNotFound
from core.records import content_hash
from plugins.quickbooks import environments
from plugins.quickbooks.client import BatchOperation, QBOClient
from plugins.quickbooks.qbo_errors import QBOError
from plugins.quickbooks.sync import payment_mapping as mapping
from plugins.quickbooks.sync import scope
from plugins.quickbooks.sync.customers import CustomerNotInQuickBooks, resolve_customer
from plugins.quickbooks.sync.session import qbo_client

if TYPE_CHECKING:
    from core.records import Records
    from core.runner import JobContext

JOB_KEY = "export_payments"
ENTITY = "payment"
TIP_ENTITY = "payment_tip"
INVOICE_ENTITY = "invoice"
CURSOR = "export_payments.changed_since"
WAITING_FOR_INVOICE = "invoice not synced yet"
IN_FLIGHT = "being sent to QuickBooks"
#: Starts the reason of a create QuickBooks never answered: it may have been recorded there.
NO_ANSWER = "QuickBooks did not answer, it may hold the payment already"
_PAGES = {"Payment": "recvpayment", "SalesReceipt": "salesreceipt"}


@dataclass
class Write:
    """One QuickBooks transaction a payment needs: its main one, or the receipt of its tip.

    ``action`` is what it needs: ``create`` (not in QuickBooks yet), ``update`` (exported, then
    changed on the platform) or ``none`` (QuickBooks holds exactly this); ``done`` and ``error``
    say how sending it went.
    """

    link_entity: str
    qbo_entity: str
    body: dict[str, Any]
    action: str = "create"
    remote_id: str | None = None
    remote_version: str | None = None
    done: bool = False
    error: str | None = None

    @property
    def content(self) -> dict[str, Any]:
        return {"entity": self.qbo_entity, "body": self.body}


@dataclass
class Plan:
    """What one payment needs, and what became of it."""

    payment: Payment
    writes: list[Write] = field(default_factory=list)


def run(ctx: JobContext) -> None:
    """Send the changed and waiting payments of the platform to QuickBooks."""
    PaymentExport(ctx, qbo_client(ctx)).run()


class PaymentExport:
    """One run of the export: the work list, then chunks of at most one batch each."""

    def __init__(self, ctx: JobContext, client: QBOClient) -> None:
        self.ctx, self.client = ctx, client
        self.records: Records = ctx.records
        self._methods: mapping.PaymentMethods | None = None
        self._env = environments.resolve(ctx.config)
        self._stop: QBOError | None = None

    def run(self) -> None:
        cursor = self.records.cursor(CURSOR)
        since = datetime.fromisoformat(cursor) if cursor else None
        changed = self.ctx.platform.payments(changed_since=since, origin="platform")
        changed_ids = {p.id for p in changed}
        work = self._waiting(changed_ids) + changed
        self.ctx.count("read", len(work))
        done = 0
        for chunk in _chunks(work, self.client.batch_size):
            self.ctx.check_cancelled()
            self._export(chunk, changed_ids)
            done += len(chunk)
            self.ctx.progress(done, len(work), "payments")

    # -- the work list ------------------------------------------------------------------------

    def _waiting(self, changed_ids: set[str]) -> list[Payment]:
        """Payments whose record waits or failed (and did not change since): tried again."""
        payments = []
        for status in ("pending", "failed"):
            for link in self.records.links(ENTITY, status=status):
                if link.local_id in changed_ids:
                    continue
                try:
                    payment = self.ctx.platform.payment(link.local_id)
                except RecordNotFound:
                    continue  # deleted on the platform: nothing left to send
                if payment.origin == "platform":
                    payments.append(payment)
        return payments

    # -- one chunk ----------------------------------------------------------------------------

    def _export(self, chunk: Sequence[Payment], changed_ids: set[str]) -> None:
        plans = [plan for plan in (self._plan(p) for p in chunk) if plan is not None]
        creates = [(plan, w) for plan in plans for w in plan.writes if w.action == "create"]
        self._recover(creates)
        creates = [(plan, w) for plan, w in creates if not w.done]
        self._mark_in_flight({plan.payment.id for plan, _ in creates})
        operations = [BatchOperation.create(w.qbo_entity, w.body) for _, w in creates]
        for (_, write), result in zip(creates, self.client.batch(operations), strict=True):
            self._take(write, result)
        for plan in plans:
            for write in plan.writes:
                if write.action == "update":
                    self._update(write)
        stamps = [p.updated_at for p in chunk if p.id in changed_ids and p.updated_at]
        with self.records.transaction():
            for plan in plans:
                self._record(plan)
            if stamps:
                self.records.set_cursor(CURSOR, max(stamps).isoformat())
        if self._stop is not None:
            raise self._stop

    def _plan(self, payment: Payment) -> Plan | None:
        """The writes a payment needs; None when it waits, failed before QuickBooks, or is
        exactly what QuickBooks already holds."""
        if not scope.owns(self.ctx, payment):
            return None  # another subsidiary's payment is another installation's
        try:
            plan = self._build(payment)
        except WaitingForInvoice:
            self.records.needs_sync(ENTITY, payment.id, WAITING_FOR_INVOICE)
            self.ctx.count("skipped")
            return None
        except (CustomerNotInQuickBooks, mapping.PaymentMappingError) as error:
            self._fail(payment, str(error))
            return None
        except QBOError as error:
            if error.connection_level:
                raise
            self._fail(payment, error.describe())
            return None
        link = self.records.link(ENTITY, payment.id)
        if all(w.action == "none" for w in plan.writes) and link and link.status == "synced":
            self.ctx.count("skipped")
            return None
        return plan

    def _build(self, payment: Payment) -> Plan:
        config = self.ctx.config
        plan = Plan(payment)
        if payment.invoice_id:
            invoice = self.records.link(INVOICE_ENTITY, payment.invoice_id)
            if invoice is None or not invoice.remote_id:
                raise WaitingForInvoice()
            method = mapping.method_ref(config, payment.type, self.methods())
            customer = resolve_customer(self.ctx, self.client, payment.customer_id)
            body = mapping.payment_body(
                payment, customer_id=customer, invoice_id=invoice.remote_id, method=method
            )
            plan.writes.append(self._write(ENTITY, "Payment", body, payment.id))
            if payment.tip > 0:
                tip = mapping.tip_receipt_body(
                    payment,
                    customer_id=customer,
                    item_id=mapping.unmatched_item(config),
                    method=method,
                )
                plan.writes.append(self._write(TIP_ENTITY, "SalesReceipt", tip, payment.id))
        else:
            item = mapping.unmatched_item(config)
            method = mapping.method_ref(config, payment.type, self.methods())
            customer = resolve_customer(self.ctx, self.client, payment.customer_id)
            body = mapping.sales_receipt_body(
                payment, customer_id=customer, item_id=item, method=method
            )
            plan.writes.append(self._write(ENTITY, "SalesReceipt", body, payment.id))
        return plan

    def _write(self, link_entity: str, qbo_entity: str, body: dict, local_id: str) -> Write:
        write = Write(link_entity, qbo_entity, body)
        link = self.records.link(link_entity, local_id)
        if link is not None and link.remote_id:
            write.remote_id, write.remote_version = link.remote_id, link.remote_version
            unchanged = link.content_hash == content_hash(write.content)
            write.action = "none" if unchanged else "update"
        return write

    def methods(self) -> mapping.PaymentMethods:
        """The company's payment methods, read once per run (creating none)."""
        if self._methods is None:
            rows = self.client.query("SELECT * FROM PaymentMethod WHERE Active IN (true, false)")
            self._methods = mapping.PaymentMethods.from_rows(rows)
        return self._methods

    # -- QuickBooks writes --------------------------------------------------------------------

    def _recover(self, creates: list[tuple[Plan, Write]]) -> None:
        """Find the transactions an interrupted run created but did not record."""
        for plan, write in creates:
            link = self.records.link(ENTITY, plan.payment.id)
            if link is None or not _maybe_sent(link.reason):
                continue
            customer = write.body["CustomerRef"]["value"]
            statement = (
                f"SELECT * FROM {write.qbo_entity} WHERE CustomerRef = '{customer}' "
                f"AND TxnDate = '{write.body['TxnDate']}'"
            )
            for row in self.client.query(statement):
                if row.get("PrivateNote") == write.body["PrivateNote"]:
                    self._take(write, row)
                    self.ctx.log.info(
                        "payment %s: %s %s was created by an interrupted run",
                        plan.payment.id,
                        write.qbo_entity,
                        row.get("Id"),
                    )
                    break

    def _mark_in_flight(self, payment_ids: set[str]) -> None:
        if not payment_ids:
            return
        with self.records.transaction():
            for payment_id in sorted(payment_ids):
                self.records.needs_sync(ENTITY, payment_id, IN_FLIGHT)

    def _take(self, write: Write, result: dict[str, Any] | QBOError) -> None:
        if isinstance(result, QBOError):
            write.error = result.describe()
            if result.retryable and write.action == "create":
                write.error = f"{NO_ANSWER}: {write.error}"
            if result.connection_level:
                self._stop = result
            return
        write.done = True
        write.remote_id = str(result["Id"])
        write.remote_version = str(result.get("SyncToken", ""))

    def _update(self, write: Write) -> None:
        """Send an edit of an exported payment (its SyncToken re-read once when stale)."""
        assert write.remote_id is not None
        try:
            result = self.client.sparse_update(
                write.qbo_entity, write.remote_id, write.remote_version or "0", write.body
            )
        except QBOError as error:
            self._take(write, error)
            return
        self._take(write, result)

    # -- record states ------------------------------------------------------------------------

    def _record(self, plan: Plan) -> None:
        payment = plan.payment
        failures = []
        for write in plan.writes:
            if write.error is not None:
                prefix = "tip: " if write.link_entity == TIP_ENTITY else ""
                failures.append(prefix + write.error)
                continue
            self.records.synced(
                write.link_entity,
                payment.id,
                remote_id=str(write.remote_id),
                remote_version=write.remote_version,
                content=write.content,
                url=self._url(write),
            )
        actions = {w.action for w in plan.writes if w.done}
        if failures:
            self.records.failed(ENTITY, payment.id, "; ".join(failures))
            self.ctx.count("failed")
        elif "create" in actions:
            self.ctx.count("created")
        elif "update" in actions:
            self.ctx.count("updated")
        else:
            self.ctx.count("skipped")

    def _url(self, write: Write) -> str:
        """The "View in QuickBooks" link of a Payment or Sales Receipt."""
        url = f"{self._env.app_url}/app/{_PAGES[write.qbo_entity]}?txnId={write.remote_id}"
        if self._env.name == "emulator":
            url += f"&realmId={self.client.realm_id}"
        return url

    def _fail(self, payment: Payment, reason: str) -> None:
        self.records.failed(ENTITY, payment.id, reason)
        self.ctx.count("failed")


class WaitingForInvoice(Exception):
    """The payment's invoice has no QuickBooks invoice yet; the payment goes on a later run."""


def _maybe_sent(reason: str | None) -> bool:
    """Whether a record's last create may have reached QuickBooks without being recorded."""
    return reason == IN_FLIGHT or NO_ANSWER in (reason or "")


def _chunks(items: Sequence[Payment], size: int) -> Iterator[Sequence[Payment]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
