"""Key links: which platform record a QuickBooks record is, when no link says so yet.

The configuration's *Key link settings* step (``/key_links``) says how records are recognised on
both sides: customers by e-mail, items by name (or by the QuickBooks SKU, compared with the
platform item's name, the only key the platform's items have). Tax codes are matched by name.

Matching never guesses. A key shared by several platform records, or a platform record already
linked to another QuickBooks record, is a problem the admin must settle: the caller marks that
QuickBooks record failed with the reason and goes on. Only a key nobody has means "create".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

ItemKey = Literal["name", "sku"]
ITEM_KEYS: tuple[ItemKey, ...] = ("name", "sku")


class KeyLinkError(ValueError):
    """The key link settings cannot be used; ``pointer`` names the configuration field."""

    def __init__(self, pointer: str, reason: str) -> None:
        super().__init__(f"{pointer}: {reason}")
        self.pointer, self.reason = pointer, reason


@dataclass(frozen=True)
class KeyLinks:
    """The key link settings of one installation."""

    customers_by: Literal["email"] = "email"
    items_by: ItemKey = "name"

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> KeyLinks:
        """Read ``/key_links``; a value the import cannot honour names its field."""
        settings = config.get("key_links") or {}
        customers_by = settings.get("customers_by", "email")
        if customers_by != "email":
            raise KeyLinkError(
                "/key_links/customers_by",
                f"customers can only be matched by email, not {customers_by!r}",
            )
        items_by = settings.get("items_by", "name")
        if items_by not in ITEM_KEYS:
            raise KeyLinkError(
                "/key_links/items_by", f"items are matched by name or sku, not {items_by!r}"
            )
        return cls(customers_by=customers_by, items_by=items_by)

    def item_key(self, qbo_item: Mapping[str, Any]) -> str | None:
        """The key of a QuickBooks item under these settings (None: it has none)."""
        field = "Sku" if self.items_by == "sku" else "Name"
        return normalise(qbo_item.get(field))


def normalise(value: Any) -> str | None:
    """A key as compared: trimmed and case-folded; blank is no key at all.

    QuickBooks treats names and e-mails case-insensitively in queries, and people type both
    with stray capitals and spaces, so ``Jane@Example.com `` and ``jane@example.com`` are one key.
    """
    if not isinstance(value, str):
        return None
    key = value.strip().casefold()
    return key or None


@dataclass(frozen=True)
class Match:
    """What to do with one QuickBooks record: update ``local_id``, create (no local id), or
    fail with ``problem``."""

    local_id: str | None = None
    problem: str | None = None


def match_one(
    *,
    kind: str,
    key_label: str,
    key: str | None,
    candidate_ids: Iterable[str],
    remote_id: str,
    linked: Mapping[str, str],
) -> Match:
    """Decide for one unlinked QuickBooks record from the platform records sharing its key.

    ``linked`` maps a platform id to the QuickBooks id it is already linked to; a platform
    record linked to another QuickBooks record cannot take a second one.
    """
    ids = sorted(set(candidate_ids))
    if key is None or not ids:
        return Match()
    if len(ids) > 1:
        return Match(
            problem=(
                f"{key_label} {key!r} matches {len(ids)} platform {kind}s ({', '.join(ids)}); "
                f"give each a distinct {key_label} or link one by hand"
            )
        )
    local_id = ids[0]
    other = linked.get(local_id)
    if other is not None and other != remote_id:
        return Match(
            problem=(
                f"platform {kind} {local_id} with {key_label} {key!r} is already linked to "
                f"QuickBooks {kind} {other}"
            )
        )
    return Match(local_id=local_id)


class KeyIndex:
    """Platform records by key, for matching many QuickBooks records against one listing."""

    def __init__(self, keyed: Iterable[tuple[str | None, str]]) -> None:
        self._ids: dict[str, list[str]] = defaultdict(list)
        for key, record_id in keyed:
            if key is not None:
                self._ids[key].append(record_id)

    def ids(self, key: str | None) -> list[str]:
        return list(self._ids.get(key, ())) if key is not None else []

    def add(self, key: str | None, record_id: str) -> None:
        """Index a record created during the run, so a later duplicate key sees it."""
        if key is not None:
            self._ids[key].append(record_id)
