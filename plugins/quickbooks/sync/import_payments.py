"""Job ``import_payments``: payments recorded in QuickBooks, mirrored on the platform.

One way, from QuickBooks, and off unless ``/sync/import_payments/enabled`` is on (a manual run
of a disabled import changes nothing and says so). Only payments applied to an invoice this
installation exported count (found through the invoice links, ``by_remote("invoice", id)``);
a payment this installation exported itself is recognised by its own link and never comes back.

Each QuickBooks Payment becomes one platform payment of origin ``remote`` with ``remote_ref`` =
its QuickBooks Id, for the amount it applies to the synced invoice (a partial payment stays
partial; an unapplied remainder is QuickBooks credit, not a payment of the invoice). Its type
comes from ``/payment_mapping/from_quickbooks``. An edit in QuickBooks updates the mirror, a
deletion, a void (amount 0) or unlinking it from the invoice deletes it. The platform itself
raises ``invoice.paid_in_full`` when a payment settles an invoice.

Which payments: the first run reads them all; later runs ask Change Data Capture for what changed
since the cursor (QuickBooks' own LastUpdatedTime of the last payment handled), falling back to
a LastUpdatedTime query when the cursor is older than CDC's 30 days (deletions in that gap cannot
be seen; the log says so). A chunk of at most 30 payments is handled, then its links and the
cursor are written in one transaction. A re-run after an interruption finds a mirror already
made through its ``remote_ref``, so none is made twice. A payment applied to several synced
invoices fails with the reason, since a platform payment pays one invoice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from core.platform.port import Payment, PaymentInput, PlatformError, RecordNotFound
from core.records import content_hash
from plugins.quickbooks import environments
from plugins.quickbooks.client import QBOClient
from plugins.quickbooks.qbo_errors import QBOError
from plugins.quickbooks.sync import payment_mapping as mapping
from plugins.quickbooks.sync.session import qbo_client

if TYPE_CHECKING:
    from core.records import Records
    from core.runner import JobContext

JOB_KEY = "import_payments"
TOGGLE = "/sync/import_payments/enabled"
ENTITY = "payment"
#: QuickBooks payments that could not be mirrored, by QuickBooks Id (they have no platform id).
FAILED_ENTITY = "payment_import"
INVOICE_ENTITY = "invoice"
CURSOR = "import_payments.changed_since"
CDC_LOOK_BACK = timedelta(days=29)  # QBO allows 30; a day of margin for clocks and zones
CDC_MAX_OBJECTS = 1000
CHUNK = 30


def enabled(config: Mapping[str, Any]) -> bool:
    return bool(config.get("sync", {}).get("import_payments", {}).get("enabled", False))


def run(ctx: JobContext) -> None:
    """Mirror the QuickBooks payments of synced invoices that changed since the last run."""
    if not enabled(ctx.config):
        ctx.log.info("import payments is turned off (%s); nothing imported", TOGGLE)
        return
    PaymentImport(ctx, qbo_client(ctx)).run()


class PaymentImport:
    """One run of the import."""

    def __init__(self, ctx: JobContext, client: QBOClient) -> None:
        self.ctx, self.client = ctx, client
        self.records: Records = ctx.records
        self._methods: mapping.PaymentMethods | None = None
        self._env = environments.resolve(ctx.config)

    def run(self) -> None:
        rows = sorted(self._changes(self.records.cursor(CURSOR)), key=_updated)
        self.ctx.count("read", len(rows))
        for start in range(0, len(rows), CHUNK):
            self.ctx.check_cancelled()
            chunk = rows[start : start + CHUNK]
            outcomes = [(row, self._mirror(row)) for row in chunk]
            with self.records.transaction():
                for row, outcome in outcomes:
                    self._record(row, outcome)
                stamp = max((_updated(row) for row in chunk), default=None)
                if stamp is not None and stamp > datetime.min.replace(tzinfo=UTC):
                    self.records.set_cursor(CURSOR, stamp.isoformat())
            self.ctx.progress(start + len(chunk), len(rows), "payments")

    # -- what changed -------------------------------------------------------------------------

    def _changes(self, cursor: str | None) -> list[dict[str, Any]]:
        if cursor is None:
            return list(self.client.query("SELECT * FROM Payment ORDERBY Id"))
        since = datetime.fromisoformat(cursor)
        if datetime.now(UTC) - since > CDC_LOOK_BACK:
            self.ctx.log.warning(
                "payments cursor %s is older than Change Data Capture reaches; payments "
                "deleted in QuickBooks before then are not seen",
                cursor,
            )
            return self._query_since(cursor)
        rows = self.client.cdc(["Payment"], since).get("Payment", [])
        if len(rows) >= CDC_MAX_OBJECTS:
            # CDC stops at 1000 objects: take the deletions it saw and query the rest in full.
            return [r for r in rows if mapping.is_deleted(r)] + self._query_since(cursor)
        return rows

    def _query_since(self, cursor: str) -> list[dict[str, Any]]:
        statement = f"SELECT * FROM Payment WHERE MetaData.LastUpdatedTime >= '{cursor}'"
        return list(self.client.query(statement + " ORDERBY MetaData.LastUpdatedTime"))

    # -- one payment --------------------------------------------------------------------------

    def _mirror(self, row: dict[str, Any]) -> Outcome:
        """Bring the platform in line with one QuickBooks payment."""
        try:
            return self._apply(row)
        except mapping.PaymentMappingError as error:
            return Outcome("failed", reason=str(error))
        except QBOError as error:
            if error.connection_level:
                raise
            return Outcome("failed", reason=error.describe())
        except PlatformError as error:  # the platform refused it: this record fails, not the run
            where = f"{error.field}: " if error.field else ""
            return Outcome("failed", reason=f"the platform refused it: {where}{error.message}")

    def _apply(self, row: dict[str, Any]) -> Outcome:
        remote_id = str(row["Id"])
        link = self.records.by_remote(ENTITY, remote_id)
        mirror = self._platform_payment(link.local_id) if link is not None else None
        if mirror is not None and mirror.origin == "platform":
            return Outcome("skipped")  # exported by this installation: never imported back
        if mapping.is_deleted(row):
            return self._remove(mirror, "deleted in QuickBooks")
        synced = self._synced_invoices(row)
        if not synced:
            return self._remove(mirror, "no longer applied to a synced invoice")
        if len(synced) > 1:
            names = ", ".join(sorted(synced))
            return Outcome(
                "failed",
                reason=f"applies to {len(synced)} synced invoices ({names}); a platform "
                "payment pays one invoice, so record one QuickBooks payment per invoice",
            )
        ((_, (invoice_id, amount)),) = synced.items()
        if amount <= 0:
            return self._remove(mirror, "voided in QuickBooks")
        if mirror is None:
            mirror = self._find_mirror(invoice_id, remote_id)
        data = self._input(row, invoice_id, amount)
        content = _content(data)
        if mirror is not None and link is not None and link.content_hash == content_hash(content):
            return Outcome("unchanged", mirror.id, content)
        if mirror is None:
            created = self.ctx.platform.record_payment(data)
            return Outcome("created", created.id, content)
        updated = self.ctx.platform.update_payment(mirror.id, data)
        return Outcome("updated", updated.id, content)

    def _synced_invoices(self, row: dict[str, Any]) -> dict[str, tuple[str, Decimal]]:
        """QuickBooks invoice Id -> (platform invoice id, amount applied) for synced invoices."""
        found = {}
        for qbo_invoice, amount in mapping.applied_amounts(row).items():
            link = self.records.by_remote(INVOICE_ENTITY, qbo_invoice)
            if link is not None:
                found[qbo_invoice] = (link.local_id, amount)
        return found

    def _input(self, row: dict[str, Any], invoice_id: str, amount: Decimal) -> PaymentInput:
        invoice = self.ctx.platform.invoice(invoice_id)
        return PaymentInput(
            customer_id=invoice.customer_id,
            amount=amount,
            date=date.fromisoformat(str(row.get("TxnDate"))[:10]),
            type=mapping.platform_type(self.ctx.config, self._method_name(row)),
            invoice_id=invoice_id,
            reference=str(row.get("PaymentRefNum") or ""),
            subsidiary_id=invoice.subsidiary_id,
            origin="remote",
            remote_ref=str(row["Id"]),
            description=f"QuickBooks payment {row['Id']}",
        )

    def _method_name(self, row: dict[str, Any]) -> str | None:
        ref = row.get("PaymentMethodRef") or {}
        if ref.get("name"):
            return str(ref["name"])
        if not ref.get("value"):
            return None
        return self.methods().name_of(str(ref["value"]))

    def methods(self) -> mapping.PaymentMethods:
        """The company's payment methods, read once per run, only when a name is missing."""
        if self._methods is None:
            rows = self.client.query("SELECT * FROM PaymentMethod WHERE Active IN (true, false)")
            self._methods = mapping.PaymentMethods.from_rows(rows)
        return self._methods

    def _platform_payment(self, payment_id: str) -> Payment | None:
        try:
            return self.ctx.platform.payment(payment_id)
        except RecordNotFound:
            return None

    def _find_mirror(self, invoice_id: str, remote_id: str) -> Payment | None:
        """A mirror made by an interrupted run (its link was never written)."""
        for payment in self.ctx.platform.payments(invoice_id=invoice_id, origin="remote"):
            if payment.remote_ref == remote_id:
                return payment
        return None

    def _remove(self, mirror: Payment | None, why: str) -> Outcome:
        if mirror is None:
            return Outcome("skipped")
        self.ctx.platform.delete_payment(mirror.id)
        self.ctx.log.info("payment %s deleted on the platform: %s", mirror.id, why)
        return Outcome("deleted", mirror.id)

    # -- record states ------------------------------------------------------------------------

    def _record(self, row: dict[str, Any], outcome: Outcome) -> None:
        remote_id = str(row["Id"])
        if outcome.status == "failed":
            self.records.failed(FAILED_ENTITY, remote_id, outcome.reason)
            self.ctx.count("failed")
            return
        if outcome.status in ("skipped", "unchanged"):
            self.ctx.count("skipped")
            return
        self.ctx.count(outcome.status)
        if self.records.link(FAILED_ENTITY, remote_id) is not None:
            self.records.synced(FAILED_ENTITY, remote_id, remote_id=remote_id)
        if outcome.status == "deleted":
            # The platform payment is gone, and with it its sync state; its link stays behind
            # pointing at nothing, which a later run reads as "no mirror".
            return
        assert outcome.local_id is not None
        self.records.synced(
            ENTITY,
            outcome.local_id,
            remote_id=remote_id,
            remote_version=str(row.get("SyncToken", "")),
            content=outcome.content,
            url=self._url(remote_id),
        )

    def _url(self, remote_id: str) -> str:
        url = f"{self._env.app_url}/app/recvpayment?txnId={remote_id}"
        if self._env.name == "emulator":
            url += f"&realmId={self.client.realm_id}"
        return url


class Outcome:
    """What mirroring one QuickBooks payment did: created, updated, deleted, unchanged,
    skipped (not about a synced invoice) or failed (with the reason)."""

    def __init__(
        self,
        status: str,
        local_id: str | None = None,
        content: Mapping[str, Any] | None = None,
        *,
        reason: str = "",
    ) -> None:
        self.status, self.local_id, self.content = status, local_id, content
        self.reason = reason


def _content(data: PaymentInput) -> dict[str, Any]:
    return {key: str(value) for key, value in asdict(data).items()}


def _updated(row: Mapping[str, Any]) -> datetime:
    """QuickBooks' LastUpdatedTime of a row (aware); the oldest possible when it has none."""
    text = (row.get("MetaData") or {}).get("LastUpdatedTime")
    if not text:
        return datetime.min.replace(tzinfo=UTC)
    stamp = datetime.fromisoformat(str(text))
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)
