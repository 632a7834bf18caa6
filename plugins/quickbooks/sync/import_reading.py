"""What the import reads from QuickBooks: everything once, afterwards only what changed.

The first run (no cursor) reads every customer, item, tax code and tax rate, active or not, in
pages. Later runs ask Change Data Capture what changed in customers and items since the
cursor, one request whatever the company's size. CDC has limits (facts §4.4) that decide the
fallbacks:

* it looks back at most 30 days: an older cursor means a full read again;
* it answers at most 1000 objects: that many means the window is truncated, so customers and
  items are read with a ``Metadata.LastUpdatedTime`` query instead, in pages;
* it does not cover TaxCode or TaxRate: those are asked with a ``LastUpdatedTime`` query, and
  when any changed, both lists are read whole (a company has a handful, and a code's rate
  depends on its rates).

Records whose import failed before are read again by Id, so a failure is retried on the next
run even when nothing changed in QuickBooks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from plugins.quickbooks.client import Entity, QBOClient
from plugins.quickbooks.sync.customers import quote

#: QuickBooks refuses a CDC ``changedSince`` older than 30 days; a day of margin for clocks.
CDC_MAX_AGE = timedelta(days=29)
#: The most objects one CDC answer holds; an answer that full may have left some out.
CDC_MAX_OBJECTS = 1000
#: Ids per ``Id IN (...)`` query when failed records are read again.
IDS_PER_QUERY = 50
LISTS = ("Customer", "Item")
TAX_LISTS = ("TaxCode", "TaxRate")


@dataclass
class Changes:
    """QuickBooks objects to apply to the platform, per entity name, in the order read."""

    rows: dict[str, list[Entity]] = field(default_factory=dict)
    full: bool = False

    def of(self, entity: str) -> list[Entity]:
        return self.rows.get(entity, [])

    def merge(self, entity: str, extra: Iterable[Entity]) -> None:
        """Add objects read another way, each Id once (the later read wins)."""
        by_id = {str(row.get("Id")): row for row in self.of(entity)}
        for row in extra:
            by_id[str(row.get("Id"))] = row
        self.rows[entity] = list(by_id.values())


class ChangeReader:
    """Reads one company's changes since a cursor, with the fewest requests that suffice."""

    def __init__(self, client: QBOClient) -> None:
        self.client = client

    def read(
        self, since: datetime | None, now: datetime, retry: Mapping[str, Iterable[str]]
    ) -> Changes:
        """Changes since ``since`` (``None``: everything), plus the ``retry`` Ids per entity."""
        if since is None or now - since > CDC_MAX_AGE:
            return Changes({name: self.all(name) for name in (*LISTS, *TAX_LISTS)}, full=True)
        changes = Changes(self._changed_lists(since))
        if list(retry.get("TaxCode", ())) or any(self.since(name, since) for name in TAX_LISTS):
            changes.rows.update({name: self.all(name) for name in TAX_LISTS})
        for name in LISTS:
            wanted = set(retry.get(name, ())) - {str(row.get("Id")) for row in changes.of(name)}
            changes.merge(name, self.by_ids(name, sorted(wanted)))
        return changes

    def all(self, entity: str) -> list[Entity]:
        """Every object of a list, deactivated ones included (QBO hides them otherwise)."""
        return list(
            self.client.query(f"SELECT * FROM {entity} WHERE Active IN (true, false) ORDERBY Id")
        )

    def since(self, entity: str, moment: datetime) -> list[Entity]:
        """Objects of a list changed at or after ``moment`` (paged, in Id order so a change
        during the read cannot shift a page)."""
        stamp = quote(moment.isoformat(timespec="seconds"))
        return list(
            self.client.query(
                f"SELECT * FROM {entity} WHERE Metadata.LastUpdatedTime >= {stamp} "
                "AND Active IN (true, false) ORDERBY Id"
            )
        )

    def by_ids(self, entity: str, ids: list[str]) -> list[Entity]:
        """The objects with these Ids, a bounded number of Ids per query."""
        rows: list[Entity] = []
        for start in range(0, len(ids), IDS_PER_QUERY):
            listed = ", ".join(quote(i) for i in ids[start : start + IDS_PER_QUERY])
            rows += self.client.query(
                f"SELECT * FROM {entity} WHERE Id IN ({listed}) AND Active IN (true, false)"
            )
        return rows

    def _changed_lists(self, since: datetime) -> dict[str, list[Entity]]:
        changed = self.client.cdc(LISTS, since)
        if sum(len(rows) for rows in changed.values()) < CDC_MAX_OBJECTS:
            return {name: changed.get(name, []) for name in LISTS}
        return {name: self.since(name, since) for name in LISTS}
