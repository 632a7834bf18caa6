"""Job ``export_invoices``: sent platform invoices, their edits and voids, into QuickBooks.

Which invoices: those changed since the cursor (the port's ``changed_since``, oldest change
first), plus those whose record waits (*needs sync*: a backfill, a retry, an interrupted send).
Drafts never go. With ``/invoices/which`` = ``new`` an invoice goes only when its *issue date*
is on or after the day the installation was created (in the installation's time zone): the
invoice date is what accounting periods follow, and a test or an admin can see it on the
invoice. Older ones go through the *backfill* action, and once linked their edits and voids
follow like any other.

What each becomes: a create, a sparse update with the SyncToken when the body differs from
what was last written (content hash), a void, or nothing. Writes go in batches of up to 30;
a stale SyncToken (5010) is re-read and the write retried once. Each record's state is written
as it goes: synced (remote id, SyncToken, hash, *View in QuickBooks* link), failed with
QuickBooks' own reason, or needs sync when QuickBooks could not answer.

After a create the QuickBooks total is compared with the platform's: a difference is a failure
with both amounts (the invoice stays linked, so fixing the cause and retrying updates it).
The number QuickBooks holds is kept as a second link, entity ``invoice_number`` (remote id =
DocNumber): the port has no invoice write, and this keeps the number QuickBooks assigned
beside the invoice's link without overloading its fields.

Crash safety: the client repeats a write's requestid on its own retries, so a lost reply is
answered with the original instead of a second invoice. A run interrupted between the write and
the bookkeeping leaves the records *in flight*; the next run first looks for their invoice in
QuickBooks (same customer and date, the private note naming the platform invoice) and adopts
it instead of creating another. Links and the cursor are written in one transaction per batch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from core.connector import Action, ActionResult
from core.platform.port import Invoice, InvoiceLine, TaxRate
from core.records import content_hash
from core.store.models import Installation
from plugins.quickbooks.client import BatchOperation, BatchResult, QBOClient
from plugins.quickbooks.qbo_errors import QBOError, StaleObjectError
from plugins.quickbooks.sync import scope
from plugins.quickbooks.sync.customers import CustomerNotInQuickBooks, quote, resolve_customer
from plugins.quickbooks.sync.invoice_mapping import (
    MappingError,
    QBOTaxCode,
    Resolved,
    Settings,
    invoice_body,
    private_note,
)
from plugins.quickbooks.sync.products import Products
from plugins.quickbooks.sync.session import invoice_url, qbo_client

if TYPE_CHECKING:
    from core.runner import JobContext

JOB_KEY = "export_invoices"
ENTITY = "invoice"
NUMBER_ENTITY = "invoice_number"
ITEM_ENTITY = "item"
CURSOR = "export_invoices"
IN_FLIGHT = "sent to QuickBooks, waiting for its answer"
EXPORTED_STATUSES = ("sent", "paid")
#: What a voided invoice's link hashes: the void is what was last written.
VOIDED = {"voided_in_quickbooks": True}
_US_PSEUDO_CODES = frozenset({"TAX", "NON", "CustomSalesTax"})


def export_invoices(ctx: JobContext) -> None:
    """The job: send what changed, in batches, and record every invoice's state."""
    export = InvoiceExport(ctx, qbo_client(ctx))
    export.run(export.candidates())


def installed_on(ctx: JobContext) -> date:
    """The day the installation was created, in its time zone (``/initial/timezone``)."""
    with ctx.db.session() as session:
        created = session.scalar(
            select(Installation.created_at).where(Installation.id == ctx.installation.id)
        )
    zone = ZoneInfo(ctx.config.get("initial", {}).get("timezone") or "UTC")
    if created is None:
        return datetime.now(zone).date()
    if created.tzinfo is None:
        created = created.replace(tzinfo=ZoneInfo("UTC"))
    return created.astimezone(zone).date()


def is_older(ctx: JobContext, invoice: Invoice, since: date | None = None) -> bool:
    """Whether the invoice predates the installation (only the backfill sends it then)."""
    return invoice.issue_date < (since or installed_on(ctx))


@dataclass
class Write:
    """One planned write of one invoice."""

    invoice: Invoice
    operation: BatchOperation
    kind: str  # create | update | void
    content: Any


class InvoiceExport:
    """One run's export; caches what it looked up in QuickBooks for the run's length."""

    def __init__(self, ctx: JobContext, client: QBOClient) -> None:
        self.ctx, self.client = ctx, client
        self.records = ctx.records
        invoices = ctx.config.get("invoices", {})
        self.only_new = invoices.get("which", "new") == "new"
        self.numbering = invoices.get("numbering", "platform")
        self._since: date | None = None
        self._settings: Settings | None = None
        self._items: dict[str, str | None] = {}
        self.products = Products(client, ctx.config)
        self._tax_codes: tuple[QBOTaxCode, ...] | None = None
        self._tax_rates: dict[str, TaxRate] | None = None
        self._held: list[str] | None = None  # warnings held while a transaction is open

    # -- which invoices ----------------------------------------------------------------------

    def candidates(self) -> list[tuple[Invoice, bool]]:
        """(invoice, advances the cursor) for what changed and for what waits to be sent."""
        position = self.records.cursor(CURSOR)
        since = datetime.fromisoformat(position) if position else None
        changed = self.ctx.platform.invoices(changed_since=since)
        seen = {invoice.id for invoice in changed}
        waiting = tuple(
            link.local_id
            for link in self.records.links(ENTITY, status="pending")
            if link.local_id not in seen
        )
        pending = self.ctx.platform.invoices(ids=waiting) if waiting else []
        return [(invoice, True) for invoice in changed] + [(invoice, False) for invoice in pending]

    def run(self, candidates: Sequence[tuple[Invoice, bool]]) -> None:
        """Plan and send in chunks of the batch size; links and cursor per chunk."""
        size = self.client.batch_size
        done = 0
        for start in range(0, len(candidates), size):
            self.ctx.check_cancelled()
            chunk = candidates[start : start + size]
            writes = [w for w in (self.plan(invoice) for invoice, _ in chunk) if w is not None]
            following = candidates[start + size] if start + size < len(candidates) else None
            self.send(writes, self._cursor_after(chunk, following))
            done += len(chunk)
            self.ctx.progress(done, len(candidates), "invoices")

    @staticmethod
    def _cursor_after(
        chunk: Sequence[tuple[Invoice, bool]], following: tuple[Invoice, bool] | None
    ) -> datetime | None:
        """The newest change the chunk covers, unless the next invoice shares its stamp."""
        stamps = [i.updated_at for i, advances in chunk if advances and i.updated_at is not None]
        if not stamps:
            return None
        newest = max(stamps)
        if following is not None and following[1] and following[0].updated_at == newest:
            return None
        return newest

    # -- planning ----------------------------------------------------------------------------

    def plan(self, invoice: Invoice) -> Write | None:
        """What to write for one invoice, or None (skipped, or failed and recorded)."""
        if invoice.status == "draft" or not scope.owns(self.ctx, invoice):
            return None  # another subsidiary's invoice is another installation's
        link = self.records.link(ENTITY, invoice.id)
        self.ctx.count("read")
        if invoice.status == "void":
            return self._plan_void(invoice, link)
        if link is None and self.only_new and is_older(self.ctx, invoice, self.since):
            self.ctx.count("skipped")
            return None
        try:
            body = invoice_body(invoice, self.resolve(invoice), self.settings)
        except (MappingError, CustomerNotInQuickBooks) as error:
            self._fail(invoice, str(error))
            return None
        except QBOError as error:
            self._qbo_failure(invoice, error)
            if error.connection_level:
                raise
            return None
        remote_id = link.remote_id if link is not None else None
        sync_token = link.remote_version if link is not None else None
        if remote_id is None and link is not None and link.reason == IN_FLIGHT:
            adopted = self._find_sent(invoice, body)
            if adopted is not None:
                remote_id, sync_token = str(adopted["Id"]), str(adopted["SyncToken"])
        if remote_id is None:
            return Write(invoice, BatchOperation.create("Invoice", body), "create", body)
        if link is not None and link.status == "synced" and link.content_hash == content_hash(body):
            self.ctx.count("skipped")
            return None
        changes = dict(body)
        if self.numbering == "quickbooks":
            changes.pop("DocNumber", None)  # the number QuickBooks gave stays
        update = {**changes, "Id": remote_id, "SyncToken": sync_token or "0", "sparse": True}
        return Write(invoice, BatchOperation.update("Invoice", update), "update", body)

    def _plan_void(self, invoice: Invoice, link: Any) -> Write | None:
        if link is None or not link.remote_id or link.content_hash == content_hash(VOIDED):
            self.ctx.count("skipped")
            return None
        body = {"Id": link.remote_id, "SyncToken": link.remote_version or "0"}
        return Write(
            invoice, BatchOperation("update", "Invoice", body, options="void"), "void", VOIDED
        )

    def _find_sent(self, invoice: Invoice, body: dict[str, Any]) -> dict[str, Any] | None:
        """The invoice an interrupted run created for ``invoice``, if QuickBooks has it."""
        customer = body["CustomerRef"]["value"]
        statement = (
            f"SELECT * FROM Invoice WHERE CustomerRef = {quote(customer)} "
            f"AND TxnDate = {quote(body['TxnDate'])}"
        )
        note = private_note(invoice)
        for row in self.client.query(statement):
            if str(row.get("PrivateNote") or "").endswith(note):
                return row
        return None

    # -- lookups -----------------------------------------------------------------------------

    @property
    def since(self) -> date:
        if self._since is None:
            self._since = installed_on(self.ctx)
        return self._since

    @property
    def settings(self) -> Settings:
        """The mapping settings; company preferences are read only when QuickBooks numbers."""
        if self._settings is None:
            custom = False
            if self.numbering == "quickbooks":
                prefs = self.client.preferences().get("SalesFormsPrefs", {})
                custom = bool(prefs.get("CustomTxnNumbers", False))
            self._settings = Settings.from_config(self.ctx.config, custom_numbers=custom)
        return self._settings

    def resolve(self, invoice: Invoice) -> Resolved:
        """The QBO customer, items and tax codes the invoice needs."""
        customer = resolve_customer(self.ctx, self.client, invoice.customer_id)
        items = tuple(
            self._item_for(line, number, invoice)
            for number, line in enumerate(invoice.lines, start=1)
        )
        rate_ids = {i.tax_rate_id for i in invoice.lines if i.tax_rate_id} | (
            {invoice.tax_rate_id} if invoice.tax_rate_id else set()
        )
        needs_codes = bool(rate_ids) or self.settings.region != "US"
        rates = self.tax_rates()
        missing = sorted(rate_ids - set(rates))
        if missing:
            raise MappingError(f"platform tax rate {missing[0]} does not exist")
        return Resolved(
            customer_id=customer,
            item_ids=items,
            tax_rates={rate_id: rates[rate_id] for rate_id in rate_ids},
            tax_codes=self.tax_codes() if needs_codes else (),
        )

    def _item_for(self, line: InvoiceLine, number: int, invoice: Invoice) -> str:
        """The QBO item of a line: linked, else same name, else a product created in QuickBooks
        (``/items/missing_products``), else the unmatched item of its kind."""
        name = ""
        if line.item_id:
            link = self.records.link(ITEM_ENTITY, line.item_id)
            if link is not None and link.remote_id:
                return link.remote_id
            name = self.ctx.platform.item(line.item_id).name
            found = self._item_by_name(name)
            if found:
                return found
            if self.products.enabled:
                where = f"invoice {invoice.number} line {number}"
                return self.products.line_item(self.ctx, line.item_id, invoice.customer_id, where)
        kind = "recurring" if line.item_kind == "recurring" else "one_time"
        unmatched = self.ctx.config.get("items", {}).get(f"unmatched_{kind}_item") or ""
        if not unmatched:
            what = f"item {name!r}" if name else "item"
            raise MappingError(
                f"line {number}: no QuickBooks {what} matches and no unmatched "
                f"{kind.replace('_', '-')} item is set (/items/unmatched_{kind}_item)"
            )
        return unmatched

    def _item_by_name(self, name: str) -> str | None:
        if self.ctx.config.get("key_links", {}).get("items_by", "name") != "name":
            return None
        if name not in self._items:
            rows = self.client.query(f"SELECT * FROM Item WHERE Name = {quote(name)}")
            self._items[name] = next((str(row["Id"]) for row in rows), None)
        return self._items[name]

    def tax_rates(self) -> dict[str, TaxRate]:
        if self._tax_rates is None:
            self._tax_rates = {rate.id: rate for rate in self.ctx.platform.tax_rates()}
        return self._tax_rates

    def tax_codes(self) -> tuple[QBOTaxCode, ...]:
        """The company's sales tax codes with their combined rates (two queries per run)."""
        if self._tax_codes is None:
            rates = {
                str(row["Id"]): Decimal(str(row.get("RateValue", 0)))
                for row in self.client.query("SELECT * FROM TaxRate")
            }
            codes = []
            for row in self.client.query("SELECT * FROM TaxCode"):
                if str(row["Id"]) in _US_PSEUDO_CODES:
                    continue
                details = (row.get("SalesTaxRateList") or {}).get("TaxRateDetail") or []
                combined = sum(
                    (
                        rates.get(str((d.get("TaxRateRef") or {}).get("value")), Decimal(0))
                        for d in details
                    ),
                    Decimal(0),
                )
                codes.append(QBOTaxCode(str(row["Id"]), str(row.get("Name", "")), combined))
            self._tax_codes = tuple(codes)
        return self._tax_codes

    # -- sending -----------------------------------------------------------------------------

    def send(self, writes: Sequence[Write], cursor: datetime | None) -> None:
        """One batch request per chunk; then every state and the cursor in one transaction."""
        creates = [w for w in writes if w.kind == "create"]
        if creates:
            with self.records.transaction():
                for write in creates:
                    self.records.needs_sync(ENTITY, write.invoice.id, IN_FLIGHT)
        results = self.client.batch([w.operation for w in writes]) if writes else []
        outcomes = [self._settle(w, r) for w, r in zip(writes, results, strict=True)]
        self._held = []  # the run log writes through its own session: not inside this one
        try:
            with self.records.transaction():
                for write, outcome in zip(writes, outcomes, strict=True):
                    self._record(write, outcome)
                if cursor is not None:
                    self.records.set_cursor(CURSOR, cursor.isoformat())
        finally:
            held, self._held = self._held, None
            for message in held:
                self.ctx.log.warning("%s", message)
        stop = next((o for o in outcomes if isinstance(o, QBOError) and o.connection_level), None)
        if stop is not None:
            raise stop

    def _settle(self, write: Write, result: BatchResult) -> BatchResult:
        """A stale SyncToken is re-read and the write tried once more on its own."""
        if not isinstance(result, StaleObjectError) or write.kind == "create":
            return result
        body = write.operation.body or {}
        try:
            fresh = self.client.read("Invoice", str(body["Id"]))
            token = str(fresh["SyncToken"])
            if write.kind == "void":
                return self.client.void_invoice(str(body["Id"]), token)
            return self.client.update("Invoice", {**body, "SyncToken": token})
        except QBOError as error:
            return error

    def _record(self, write: Write, outcome: BatchResult) -> None:
        invoice = write.invoice
        if isinstance(outcome, QBOError):
            self._qbo_failure(invoice, outcome, in_flight=write.kind == "create")
            return
        remote_id = str(outcome["Id"])
        self.records.synced(
            ENTITY,
            invoice.id,
            remote_id=remote_id,
            remote_version=str(outcome.get("SyncToken", "")),
            content=write.content,
            url=invoice_url(self.ctx, self.client, remote_id),
        )
        if outcome.get("DocNumber"):
            self.records.synced(NUMBER_ENTITY, invoice.id, remote_id=str(outcome["DocNumber"]))
        self.ctx.count("created" if write.kind == "create" else "updated")
        if write.kind == "void":
            return
        total = Decimal(str(outcome.get("TotalAmt", "0")))
        if total != invoice.total:
            self._fail(
                invoice,
                f"QuickBooks' total {total:.2f} differs from the platform's {invoice.total:.2f} "
                "(check the tax codes and discount); the invoice stays linked and a retry "
                "updates it",
            )

    def _fail(self, invoice: Invoice, reason: str) -> None:
        self.records.failed(ENTITY, invoice.id, reason)
        self.ctx.count("failed")
        self._warn(f"invoice {invoice.number} failed: {reason}")

    def _qbo_failure(self, invoice: Invoice, error: QBOError, *, in_flight: bool = False) -> None:
        """A record-level error fails the invoice; anything else leaves it for the next run."""
        if error.record_level:
            self._fail(invoice, error.describe())
            return
        self.records.needs_sync(ENTITY, invoice.id, IN_FLIGHT if in_flight else error.describe())
        self.ctx.count("failed")
        self._warn(f"invoice {invoice.number} not sent: {error.describe()}")

    def _warn(self, message: str) -> None:
        if self._held is not None:
            self._held.append(message)
        else:
            self.ctx.log.warning("%s", message)


# -- actions ---------------------------------------------------------------------------------

_IDS = {
    "type": "array",
    "items": {"type": "string", "minLength": 1, "maxLength": 128},
    "minItems": 1,
    "maxItems": 1000,
    "uniqueItems": True,
}
#: ``{"invoice_ids": [...]}`` or ``{"all": true}``.
SELECTION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "oneOf": [
        {
            "properties": {"invoice_ids": _IDS},
            "required": ["invoice_ids"],
            "additionalProperties": False,
        },
        {
            "properties": {"all": {"const": True}},
            "required": ["all"],
            "additionalProperties": False,
        },
    ],
}


def backfill_invoices(ctx: JobContext, params: Mapping[str, Any]) -> ActionResult:
    """Send older invoices (the chosen ones, or all from before the installation) now."""
    refused: dict[str, str] = {}
    if params.get("all"):
        since = installed_on(ctx)
        chosen = [
            invoice
            for invoice in ctx.platform.invoices(statuses=EXPORTED_STATUSES)
            if invoice.issue_date < since and scope.owns(ctx, invoice)
        ]
    else:
        ids = list(params["invoice_ids"])
        found = {invoice.id: invoice for invoice in ctx.platform.invoices(ids=tuple(ids))}
        chosen = []
        for invoice_id in ids:
            invoice = found.get(invoice_id)
            if invoice is None:
                refused[invoice_id] = "no such invoice"
            elif invoice.status not in EXPORTED_STATUSES:
                refused[invoice_id] = f"{invoice.status}: only sent invoices go to QuickBooks"
            elif not scope.owns(ctx, invoice):
                refused[invoice_id] = (
                    f"belongs to subsidiary {invoice.subsidiary_id}, not this installation's "
                    "(/initial/subsidiary)"
                )
            else:
                chosen.append(invoice)
    queued = [
        invoice.id
        for invoice in chosen
        if _mark(ctx, invoice.id, "backfill requested", unless_status="synced")
    ]
    return _run_and_report(ctx, [invoice.id for invoice in chosen], queued, refused)


def retry_failed(ctx: JobContext, params: Mapping[str, Any]) -> ActionResult:
    """Send failed invoices again (the chosen ones, or every failed one)."""
    failed = {link.local_id for link in ctx.records.links(ENTITY, status="failed")}
    refused: dict[str, str] = {}
    if params.get("all"):
        chosen = sorted(failed)
    else:
        chosen = [i for i in params["invoice_ids"] if i in failed]
        refused = {i: "not failed" for i in params["invoice_ids"] if i not in failed}
    queued = [i for i in chosen if _mark(ctx, i, "retry requested")]
    return _run_and_report(ctx, chosen, queued, refused)


def _mark(ctx: JobContext, invoice_id: str, reason: str, unless_status: str = "") -> bool:
    link = ctx.records.link(ENTITY, invoice_id)
    if link is not None and unless_status and link.status == unless_status:
        return False
    ctx.records.needs_sync(ENTITY, invoice_id, reason)
    return True


def _run_and_report(
    ctx: JobContext, chosen: list[str], queued: list[str], refused: dict[str, str]
) -> ActionResult:
    """Start a run for what was queued, then say where each chosen invoice stands."""
    run_id = ctx.start_run(JOB_KEY) if queued else None
    states: dict[str, list[str]] = {"synced": [], "needs_sync": [], "failed": []}
    reasons: dict[str, str] = {}
    for invoice_id in chosen:
        link = ctx.records.link(ENTITY, invoice_id)
        status = {"synced": "synced", "failed": "failed"}.get(
            link.status if link else "", "needs_sync"
        )
        states[status].append(invoice_id)
        if status == "failed" and link is not None and link.reason:
            reasons[invoice_id] = link.reason
    message = (
        f"{len(chosen)} invoice(s): {len(states['synced'])} synced, "
        f"{len(states['needs_sync'])} need sync, {len(states['failed'])} failed"
    )
    if refused:
        message += f", {len(refused)} refused"
    return ActionResult(
        ok=not refused and (run_id is not None or not queued),
        message=message,
        details={**states, "reasons": reasons, "refused": refused},
        run_ids=(run_id,) if run_id is not None else (),
    )


BACKFILL = Action(
    key="backfill_invoices",
    title="Backfill invoices",
    run=backfill_invoices,
    description="Sends invoices from before the installation to QuickBooks: the chosen ones "
    '({"invoice_ids": [...]}) or all ({"all": true}); reports which are synced and which '
    "need sync.",
    params_schema=SELECTION_SCHEMA,
)
RETRY_FAILED = Action(
    key="retry_failed",
    title="Retry failed invoices",
    run=retry_failed,
    description='Sends failed invoices again: the chosen ones ({"invoice_ids": [...]}) or all '
    '({"all": true}).',
    params_schema=SELECTION_SCHEMA,
)
