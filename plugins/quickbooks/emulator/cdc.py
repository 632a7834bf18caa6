"""Change Data Capture: what changed in a company since a moment, deletions included.

Facts §4.4: ``GET /cdc?entities=Customer,Invoice&changedSince=<date or date-time>``; the look-back
is at most 30 days; at most 1000 objects come back; changed objects come in full, deleted ones as
``{"Id", "domain", "status": "Deleted", "MetaData": {"LastUpdatedTime"}}``. The reply groups
objects per entity inside ``CDCResponse[0].QueryResponse[]``, the shape python-quickbooks parses.

Entities QBO supports but the emulator does not store (Vendor, Bill, ...) answer with no
changes, so that a client asking for many entities at once (tap-quickbooks asks for 24) works;
TaxCode/TaxRate/TaxAgency/JournalCode/TimeActivity are refused as QBO refuses them. The codes
of those refusals, and of a too-old ``changedSince``, are [U]; the emulator uses 4001 ("Invalid
query"), the code of the query language's validation errors.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from . import accounting, faults, values
from .companies import Company
from .entities import CDC_UNSUPPORTED, Entity, by_name
from .store import CHANGE

WINDOW = timedelta(days=30)
MAX_OBJECTS = 1000

#: QBO entities CDC accepts that the emulator does not store (facts §7's webhook list).
NOT_STORED = frozenset(
    {
        "Bill",
        "BillPayment",
        "Budget",
        "Class",
        "CreditMemo",
        "Currency",
        "Department",
        "Deposit",
        "Employee",
        "Estimate",
        "JournalEntry",
        "Purchase",
        "PurchaseOrder",
        "RefundReceipt",
        "Term",
        "Transfer",
        "Vendor",
        "VendorCredit",
    }
)
_NOT_STORED_FOLDED = {name.casefold(): name for name in NOT_STORED}


def invalid(detail: str) -> faults.QBOFault:
    """4001: a CDC request the service refuses."""
    return faults.validation(4001, "Invalid query", detail)


def parse_entities(text: str | None) -> list[Entity | str]:
    """The requested entities: stored ones as :class:`Entity`, the others by name."""
    if not text or not text.strip():
        raise faults.required("entities")
    result: list[Entity | str] = []
    for raw in text.split(","):
        name = raw.strip()
        entity = by_name(name)
        if entity is not None and entity.name not in CDC_UNSUPPORTED:
            result.append(entity)
        elif name.casefold() in _NOT_STORED_FOLDED:
            result.append(_NOT_STORED_FOLDED[name.casefold()])
        else:
            raise invalid(f"Change data capture does not support the entity {name!r}")
    return result


def parse_since(text: str | None, now: datetime) -> datetime:
    """``changedSince`` as an aware datetime (offset-less means Pacific, like QBO's own times)."""
    if not text or not text.strip():
        raise faults.required("changedSince")
    try:
        moment = datetime.fromisoformat(text.strip().replace(" ", "+"))
    except ValueError:
        raise invalid(f"changedSince {text!r} is not an ISO 8601 date or date-time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=values.QBO_ZONE)
    if moment < now - WINDOW:
        raise invalid("changedSince cannot be more than 30 days in the past")
    return moment


def changes(company: Company, wanted: list[Entity | str], since: datetime) -> list[dict]:
    """The ``CDCResponse`` list for ``wanted`` entities changed at or after ``since``."""
    with company.lock:
        return [{"QueryResponse": _groups(company, wanted, since.timestamp())}]


def _groups(company: Company, wanted: list[Entity | str], cutoff: float) -> list[dict]:
    names = {entity.name for entity in wanted if isinstance(entity, Entity)}
    latest: dict[tuple[str, str], float] = {}
    for when, entity, entity_id, _ in company.store.rows(CHANGE).values():
        if when >= cutoff and entity in names:
            latest[(entity, entity_id)] = max(when, latest.get((entity, entity_id), when))
    chosen = sorted(latest, key=latest.__getitem__)[:MAX_OBJECTS]
    groups = []
    for entity in wanted:
        if not isinstance(entity, Entity):
            groups.append({})
            continue
        gone = accounting.tombstones(company, entity)
        objects = [
            company.store.get(entity.name, entity_id) or gone[entity_id]
            for kind, entity_id in chosen
            if kind == entity.name
            and (entity_id in gone or company.store.get(entity.name, entity_id) is not None)
        ]
        groups.append(
            {entity.name: objects, "startPosition": 1, "maxResults": len(objects)}
            if objects
            else {}
        )
    return groups
