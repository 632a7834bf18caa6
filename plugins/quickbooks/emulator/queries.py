"""Running a query statement against one company's stored rows.

The query language itself is :mod:`.query`; this module supplies the rows of the entity a
statement names (live objects only: deleted transactions are gone, inactive list records are
hidden by the query unless it filters on ``Active``).
"""

from __future__ import annotations

from datetime import datetime

from . import accounting, entities, query
from .companies import Company


def run_query(company: Company, text: str, now: datetime) -> dict:
    """The ``QueryResponse`` value for statement ``text`` (4000/4001 Faults from the parser)."""
    parsed = query.parse(text)
    entity = entities.BY_NAME[parsed.entity]
    rows = accounting.rows(company, entity)
    return query.run(parsed, rows, list_entity=entity.list_entity, now=now)
