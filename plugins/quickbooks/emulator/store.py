"""One company's data: entities, Id counters, the change log, and all-or-nothing writes.

Everything lives in named tables of JSON values (``Invoice`` -> Id -> object, ``counter`` ->
sequence -> int, ``change`` -> seq -> event, ...). That single shape is what makes two things
simple: persistence writes the rows a write touched, and a failed request is undone by putting
back the rows it had touched before the error, so a Fault raised half-way through (a bad
reference on the third line, a payment over the balance) never leaves half a change behind.

Objects are copied in and out (except :meth:`EntityStore.snapshot`, for queries over many rows):
callers can never mutate stored state by accident.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

Row = tuple[str, str, Any]  # (table, key, value); value None means the row is gone
Sink = Callable[[list[Row]], None]

_MISSING = object()

#: Tables that are not entities.
COUNTER = "counter"
META = "meta"
CHANGE = "change"
TOMBSTONE = "tombstone"
REQUEST = "requestid"


class EntityStore:
    """The tables of one company, with an undo log for the write in progress."""

    def __init__(self, sink: Sink | None = None) -> None:
        self._tables: dict[str, dict[str, Any]] = {}
        self._sink = sink
        self._undo: dict[tuple[str, str], Any] | None = None

    # -- loading -------------------------------------------------------------------------------

    def load(self, rows: list[Row]) -> None:
        """Fill the tables from persisted rows (at start-up; no undo, no write-back)."""
        for table, key, value in rows:
            self._tables.setdefault(table, {})[key] = value

    # -- generic rows --------------------------------------------------------------------------

    def get_row(self, table: str, key: str) -> Any:
        """A copy of one row's value, or None."""
        value = self._tables.get(table, {}).get(key)
        return copy.deepcopy(value)

    def rows(self, table: str) -> dict[str, Any]:
        """The live table (read-only by convention: callers copy what they keep)."""
        return self._tables.get(table, {})

    def set_row(self, table: str, key: str, value: Any) -> None:
        """Write one row (``None`` removes it), remembering the old value for undo."""
        current = self._tables.setdefault(table, {})
        if self._undo is not None and (table, key) not in self._undo:
            self._undo[(table, key)] = copy.deepcopy(current.get(key, _MISSING))
        if value is None:
            current.pop(key, None)
        else:
            current[key] = copy.deepcopy(value)
        if self._undo is None and self._sink is not None:
            self._sink([(table, key, value)])

    # -- entities ------------------------------------------------------------------------------

    def get(self, entity: str, entity_id: str) -> dict | None:
        """A copy of the object, or None."""
        return self.get_row(entity, str(entity_id))

    def snapshot(self, entity: str) -> list[dict]:
        """The stored objects of ``entity`` themselves, in Id order, for read-only use.

        Safe to use after the lock is released: a stored object is never changed in place (every
        write stores a new copy), so a snapshot is a consistent view of the moment it was taken.
        Callers must not mutate what they get; the query engine copies the rows it returns.
        """
        table = self._tables.get(entity, {})
        return [table[key] for key in sorted(table, key=_id_order)]

    def put(self, entity: str, obj: dict) -> None:
        """Store ``obj`` under its ``Id``."""
        self.set_row(entity, obj["Id"], obj)

    def remove(self, entity: str, entity_id: str) -> None:
        """Forget the object (deleted transactions)."""
        self.set_row(entity, entity_id, None)

    def next_id(self, sequence: str) -> str:
        """The next Id of a sequence, as the numeric string QBO uses."""
        value = int(self.get_row(COUNTER, sequence) or 0) + 1
        self.set_row(COUNTER, sequence, value)
        return str(value)

    def log_change(self, when: float, entity: str, entity_id: str, operation: str) -> None:
        """Append to the change log that CDC (and webhooks) read."""
        seq = self.next_id("change")
        self.set_row(CHANGE, seq.zfill(12), [when, entity, entity_id, operation])

    # -- all-or-nothing writes -----------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group writes: on an exception every row is put back; on success they are persisted.

        Nested use joins the outer transaction. The caller holds the company lock.
        """
        if self._undo is not None:
            yield
            return
        self._undo = {}
        try:
            yield
        except BaseException:
            for (table, key), value in self._undo.items():
                if value is _MISSING:
                    self._tables.get(table, {}).pop(key, None)
                else:
                    self._tables.setdefault(table, {})[key] = value
            raise
        finally:
            touched, self._undo = self._undo, None
        if self._sink is not None and touched:
            self._sink([(t, k, self._tables.get(t, {}).get(k)) for t, k in touched])


def _id_order(key: str) -> tuple[int, int | str]:
    """Numeric Ids in numeric order, then the others (US tax codes ``TAX``/``NON``)."""
    return (0, int(key)) if key.isdigit() else (1, key)
