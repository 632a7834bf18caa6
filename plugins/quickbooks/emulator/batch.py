"""``POST /batch``: up to 30 independent operations and queries in one request.

Facts §4.3: each ``BatchItemRequest`` has a ``bId`` and either an entity with an ``operation``
(create, update, delete; ``optionsData: "void"`` voids), a ``Query`` or a ``CDCQuery``. Each
item is answered by its ``bId`` with the entity, a ``QueryResponse``, a ``CDCResponse`` or a
``Fault``; one item failing does not stop the others. More than 30 items is refused as a whole
with 1040. The emulator runs items in the order sent (QBO does not guarantee any order, so a
client must not rely on one item seeing another's result). A batch item's ``CDCResponse`` is a
single object, not the list the ``/cdc`` reply has: the XSD gives the batch item one element
[U].
"""

from __future__ import annotations

from datetime import datetime

from . import accounting, cdc, faults
from .companies import Company
from .entities import BY_NAME
from .queries import run_query

MAX_ITEMS = 30


def run(company: Company, body: object, now: datetime) -> dict:
    """The ``BatchItemResponse`` reply body (without ``time``)."""
    items = body.get("BatchItemRequest") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items:
        raise faults.required("BatchItemRequest")
    if len(items) > MAX_ITEMS:
        raise faults.validation(
            1040,
            "Batch size exceeds allowed limit",
            f"Number of items in the batch request ({len(items)}) exceeds the maximum "
            f"of {MAX_ITEMS}",
        )
    return {"BatchItemResponse": [_answer(company, item, now) for item in items]}


def _answer(company: Company, item: object, now: datetime) -> dict:
    bid = item.get("bId") if isinstance(item, dict) else None
    try:
        if not bid:
            raise faults.required("bId")
        return {"bId": bid, **_perform(company, item, now)}
    except faults.QBOFault as fault:
        return {"bId": bid, "Fault": faults.fault_entry(fault)}


def _perform(company: Company, item: dict, now: datetime) -> dict:
    if "Query" in item:
        return {"QueryResponse": run_query(company, str(item["Query"]), now)}
    if "CDCQuery" in item:
        request = item["CDCQuery"] or {}
        wanted = cdc.parse_entities(request.get("Entities"))
        since = cdc.parse_since(request.get("ChangedSince"), now)
        return {"CDCResponse": cdc.changes(company, wanted, since)[0]}
    names = [key for key in item if key in BY_NAME]
    if len(names) != 1:
        raise faults.validation(
            2010,
            "Request has invalid or unsupported property",
            "A batch item needs exactly one entity, a Query or a CDCQuery",
        )
    entity = BY_NAME[names[0]]
    body = item[entity.name] if isinstance(item[entity.name], dict) else {}
    operation = str(item.get("operation") or "create").lower()
    options = {part.strip().lower() for part in str(item.get("optionsData") or "").split(",")}
    if operation == "delete":
        result = accounting.delete(company, entity, body, now)
    elif operation == "void" or (operation == "update" and "void" in options):
        result = accounting.void(company, entity, body, now)
    elif operation == "update":
        result = accounting.update(company, entity, body, now, options)
    elif operation == "create":
        result = accounting.create(company, entity, body, now, options)
    else:
        raise faults.validation(
            2010,
            "Request has invalid or unsupported property",
            f"Unknown batch operation {operation!r}",
            "operation",
        )
    return {entity.name: result}
