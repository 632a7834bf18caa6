"""The *Import from QuickBooks* job: customers, items and tax codes into the platform.

Each QuickBooks object read (see :mod:`.import_reading`) is applied to the platform through the
port, and its record link (platform id <-> QuickBooks Id, SyncToken, content hash) is written:

* a linked object whose SyncToken did not move is skipped without a platform call, so a run
  with nothing changed writes nothing;
* an unlinked object is matched by the key link settings (:mod:`.matching`) and updates the
  platform record it matches, or creates one; an object deactivated in QuickBooks, or deleted
  in CDC's words, marks its platform record inactive and is never deleted there;
* an object that cannot be imported (a key shared by two platform records, data the platform
  refuses) is recorded as failed under ``quickbooks_<entity>``, keyed by its QuickBooks Id,
  with the reason; the run goes on, ends *partial*, and the next run reads it again.

Links are written a chunk at a time in one transaction each, and the cursor with the last
chunk, so the cursor never covers data whose links were not committed. Platform writes happen
between those transactions, never inside one: the embedded ledger writes to the same database.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from core.connector import Action, ActionResult
from core.platform.port import (
    CustomerInput,
    ItemInput,
    PlatformError,
    RecordNotFound,
    TaxRateInput,
)
from core.records import Records, content_hash
from core.store.models import RecordLink
from plugins.quickbooks.client import Entity
from plugins.quickbooks.sync import scope
from plugins.quickbooks.sync.import_mapping import (
    MappingError,
    as_input,
    customer_input,
    is_active,
    is_rate_code,
    item_input,
    tax_rate_input,
)
from plugins.quickbooks.sync.import_reading import ChangeReader, Changes
from plugins.quickbooks.sync.matching import KeyIndex, KeyLinks, match_one, normalise
from plugins.quickbooks.sync.session import qbo_client

if TYPE_CHECKING:
    from core.runner import JobContext

JOB_KEY = "import_from_quickbooks"
CURSOR_STREAM = "import_from_quickbooks"
#: The cursor stays this far behind the run's start, so a change QuickBooks stamped while we
#: read, or a few minutes of clock difference, is read again next time (and skipped if seen).
OVERLAP = timedelta(minutes=10)
#: Links written per transaction.
CHUNK = 50

InputT = TypeVar("InputT", CustomerInput, ItemInput, TaxRateInput)


class ImportProblem(Exception):
    """One QuickBooks object that cannot be imported, and why (the run goes on)."""


class LinkWriter:
    """Record-link writes collected as records are applied, committed a chunk at a time."""

    def __init__(self, records: Records) -> None:
        self.records = records
        self.pending: list[Callable[[Records], Any]] = []

    def add(self, write: Callable[[Records], Any]) -> None:
        self.pending.append(write)

    def full(self) -> bool:
        return len(self.pending) >= CHUNK

    def flush(self, cursor: str | None = None) -> None:
        """Commit the collected writes, and the cursor when given, in one transaction."""
        with self.records.transaction():
            for write in self.pending:
                write(self.records)
            if cursor is not None:
                self.records.set_cursor(CURSOR_STREAM, cursor)
        self.pending = []


class EntityImport(ABC, Generic[InputT]):
    """Applies the QuickBooks objects of one list to the platform records of one kind."""

    entity: str  # the record-link entity and platform record kind
    qbo_name: str  # the QuickBooks entity
    key_label: str  # what the key link compares, as a person says it
    input_type: type[InputT]

    def __init__(self, ctx: JobContext, writer: LinkWriter) -> None:
        self.ctx, self.writer = ctx, writer
        links = [link for link in ctx.records.links(self.entity) if link.remote_id]
        self.by_remote: dict[str, RecordLink] = {link.remote_id: link for link in links}
        self.linked: dict[str, str] = {link.local_id: link.remote_id for link in links}
        failed = ctx.records.links(self.failures, status="failed")
        self.failed_ids = {link.local_id for link in failed}
        self._index: KeyIndex | None = None

    @property
    def failures(self) -> str:
        """The record-link entity of failed imports, keyed by QuickBooks Id."""
        return f"quickbooks_{self.entity}"

    # -- what each kind supplies --------------------------------------------------------------

    @abstractmethod
    def key(self, row: Entity) -> str | None: ...

    @abstractmethod
    def listing(self) -> Iterable[tuple[str | None, str]]:
        """(key, id) of every platform record of this kind."""

    @abstractmethod
    def get(self, local_id: str) -> Any: ...

    @abstractmethod
    def build(self, row: Entity, existing: Any) -> InputT: ...

    @abstractmethod
    def create(self, data: InputT) -> Any: ...

    @abstractmethod
    def update(self, local_id: str, data: InputT) -> Any: ...

    def prepare(self, changes: Changes) -> None:
        """Take what applying needs from the whole read, before the first row."""

    def applies(self, row: Entity) -> bool:
        """False for objects of the list that stand for no platform record."""
        return True

    def unchanged(self, link: RecordLink, row: Entity) -> bool:
        """True when the linked object is as last imported: same SyncToken, and synced."""
        return link.status == "synced" and link.remote_version == str(row.get("SyncToken"))

    # -- applying ----------------------------------------------------------------------------

    def apply(self, row: Entity) -> None:
        """Apply one object; its outcome goes to the run's counts, a failure to its record."""
        remote_id = str(row.get("Id"))
        try:
            outcome = self._apply(row, remote_id)
        except (ImportProblem, MappingError, PlatformError) as error:
            reason = _reason(error)
            self.writer.add(lambda records: records.failed(self.failures, remote_id, reason))
            self.ctx.count("failed")
            self.ctx.log.warning(
                "QuickBooks %s %s not imported: %s", self.qbo_name, remote_id, reason
            )
            return
        self.ctx.count(outcome)

    def _apply(self, row: Entity, remote_id: str) -> str:
        link = self.by_remote.get(remote_id)
        if link is not None:
            return self._apply_linked(link, row, remote_id)
        if not self.applies(row) or not is_active(row):
            return "skipped"  # nothing on the platform to mark, and nothing worth creating
        key = self.key(row)
        match = match_one(
            kind=self.entity.replace("_", " "),
            key_label=self.key_label,
            key=key,
            candidate_ids=self.index.ids(key),
            remote_id=remote_id,
            linked=self.linked,
        )
        if match.problem:
            raise ImportProblem(match.problem)
        if match.local_id is not None:
            local_id = match.local_id
            existing = self.get(local_id)
            data = self.build(row, existing)
            outcome = self._update(local_id, existing, data)
        else:
            data = self.build(row, None)
            local_id = self.create(data).id
            self.index.add(key, local_id)
            outcome = "created"
        self.linked[local_id] = remote_id
        self._synced(local_id, remote_id, str(row.get("SyncToken", "")), data)
        return outcome

    def _apply_linked(self, link: RecordLink, row: Entity, remote_id: str) -> str:
        if self.unchanged(link, row):
            return "skipped"
        try:
            existing = self.get(link.local_id)
        except RecordNotFound:
            raise ImportProblem(
                f"platform {self.entity.replace('_', ' ')} {link.local_id}, linked to QuickBooks "
                f"{self.qbo_name} {remote_id}, no longer exists"
            ) from None
        if row.get("status") == "Deleted":  # CDC's word for it: only the Id is left
            data = replace(as_input(existing, self.input_type), active=False)
            version = link.remote_version
        else:
            data = self.build(row, existing)
            version = str(row.get("SyncToken", ""))
        outcome = self._update(link.local_id, existing, data)
        self._synced(link.local_id, remote_id, version, data)
        return outcome

    def _update(self, local_id: str, existing: Any, data: InputT) -> str:
        """Write ``data`` over ``existing`` unless it would change nothing."""
        if data == as_input(existing, self.input_type):
            return "skipped"
        self.update(local_id, data)
        return "updated"

    def _synced(self, local_id: str, remote_id: str, version: str | None, data: InputT) -> None:
        content = asdict(data)
        resolved = remote_id in self.failed_ids
        self.failed_ids.discard(remote_id)

        def write(records: Records) -> None:
            records.synced(
                self.entity, local_id, remote_id=remote_id, remote_version=version, content=content
            )
            if resolved:
                records.synced(self.failures, remote_id, remote_id=remote_id)

        self.writer.add(write)

    @property
    def index(self) -> KeyIndex:
        """The platform's records by key, listed once per run and only when needed."""
        if self._index is None:
            self._index = KeyIndex(self.listing())
        return self._index


class CustomerImport(EntityImport[CustomerInput]):
    entity, qbo_name, key_label, input_type = "customer", "Customer", "email", CustomerInput

    def key(self, row: Entity) -> str | None:
        return normalise((row.get("PrimaryEmailAddr") or {}).get("Address"))

    def listing(self) -> Iterable[tuple[str | None, str]]:
        return (
            (normalise(c.email), c.id)
            for c in self.ctx.platform.customers()
            if scope.owns(self.ctx, c)  # another subsidiary's customers are not matched
        )

    def get(self, local_id: str) -> Any:
        return self.ctx.platform.customer(local_id)

    def build(self, row: Entity, existing: Any) -> CustomerInput:
        return customer_input(row, existing)

    def create(self, data: CustomerInput) -> Any:
        """A new platform customer joins this installation's subsidiary."""
        return self.ctx.platform.create_customer(
            replace(data, subsidiary_id=scope.subsidiary_of_new(self.ctx))
        )

    def update(self, local_id: str, data: CustomerInput) -> Any:
        return self.ctx.platform.update_customer(local_id, data)


class ItemImport(EntityImport[ItemInput]):
    entity, qbo_name, input_type = "item", "Item", ItemInput

    def __init__(self, ctx: JobContext, writer: LinkWriter, key_links: KeyLinks) -> None:
        super().__init__(ctx, writer)
        self.key_links = key_links
        self.key_label = key_links.items_by
        self.recurring_item_id = str(
            ctx.config.get("items", {}).get("unmatched_recurring_item") or ""
        )

    def key(self, row: Entity) -> str | None:
        return self.key_links.item_key(row)

    def listing(self) -> Iterable[tuple[str | None, str]]:
        return ((normalise(i.name), i.id) for i in self.ctx.platform.items())

    def get(self, local_id: str) -> Any:
        return self.ctx.platform.item(local_id)

    def build(self, row: Entity, existing: Any) -> ItemInput:
        return item_input(row, existing, recurring_item_id=self.recurring_item_id)

    def create(self, data: ItemInput) -> Any:
        return self.ctx.platform.create_item(data)

    def update(self, local_id: str, data: ItemInput) -> Any:
        return self.ctx.platform.update_item(local_id, data)


class TaxRateImport(EntityImport[TaxRateInput]):
    """QuickBooks tax codes as platform tax rates (a code's rate is the sum of its rates)."""

    entity, qbo_name, key_label, input_type = "tax_rate", "TaxCode", "name", TaxRateInput
    rates: dict[str, Entity]

    def prepare(self, changes: Changes) -> None:
        self.rates = {str(rate.get("Id")): rate for rate in changes.of("TaxRate")}

    def applies(self, row: Entity) -> bool:
        return is_rate_code(row)

    def unchanged(self, link: RecordLink, row: Entity) -> bool:
        """A rate edit changes a code's rate without moving the code's SyncToken: compare what
        would be written instead."""
        try:
            content = asdict(self.build(row, None))
        except MappingError:
            return False
        return link.status == "synced" and link.content_hash == content_hash(content)

    def key(self, row: Entity) -> str | None:
        return normalise(row.get("Name"))

    def listing(self) -> Iterable[tuple[str | None, str]]:
        return ((normalise(t.name), t.id) for t in self.ctx.platform.tax_rates())

    def get(self, local_id: str) -> Any:
        return self.ctx.platform.tax_rate(local_id)

    def build(self, row: Entity, existing: Any) -> TaxRateInput:
        return tax_rate_input(row, self.rates)

    def create(self, data: TaxRateInput) -> Any:
        return self.ctx.platform.create_tax_rate(data)

    def update(self, local_id: str, data: TaxRateInput) -> Any:
        return self.ctx.platform.update_tax_rate(local_id, data)


def import_from_quickbooks(ctx: JobContext) -> None:
    """Bring QuickBooks' customers, items and tax codes into the platform (see module doc)."""
    key_links = KeyLinks.from_config(ctx.config)
    client = qbo_client(ctx)
    started = datetime.now(UTC)
    position = ctx.records.cursor(CURSOR_STREAM)
    since = datetime.fromisoformat(position) if position else None
    writer = LinkWriter(ctx.records)
    imports: list[EntityImport[Any]] = [
        TaxRateImport(ctx, writer),
        ItemImport(ctx, writer, key_links),
        CustomerImport(ctx, writer),
    ]
    retry = {step.qbo_name: sorted(step.failed_ids) for step in imports}
    changes = ChangeReader(client).read(since, started, retry)
    total = sum(len(changes.of(step.qbo_name)) for step in imports)
    ctx.log.info(
        "read %d QuickBooks records (%s)",
        total,
        "everything" if changes.full else f"changed since {position}",
    )
    done = 0
    try:
        for step in imports:
            step.prepare(changes)
            for row in changes.of(step.qbo_name):
                ctx.count("read")
                step.apply(row)
                done += 1
                if writer.full():
                    writer.flush()
                    ctx.progress(done, total)
                    ctx.check_cancelled()
    except BaseException:
        writer.flush()  # what reached the platform keeps its links; the cursor stays
        raise
    writer.flush(cursor=(started - OVERLAP).isoformat())
    ctx.progress(done, total, "done")


def _reason(error: Exception) -> str:
    if isinstance(error, PlatformError):
        return f"the platform refused it: {error.message}" + (
            f" (field {error.field})" if error.field else ""
        )
    return str(error)


def force_sync(ctx: JobContext, params: Mapping[str, Any]) -> ActionResult:
    """The *Force sync from QB* button: a manual run of the import, now."""
    run_id = ctx.start_run(JOB_KEY)
    if run_id is None:
        return ActionResult(
            ok=False, message="An import was requested at this same moment; try again."
        )
    return ActionResult(
        ok=True, message=f"Import from QuickBooks started (run {run_id}).", run_ids=(run_id,)
    )


FORCE_SYNC = Action(
    key="force_sync",
    title="Force sync from QB",
    run=force_sync,
    description="Runs Import from QuickBooks now instead of waiting for its schedule.",
    params_schema={"type": "object", "additionalProperties": False},
)
