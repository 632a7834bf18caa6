"""The audit log: one line per thing an admin or the system did to an installation."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from core.store.models import AuditEntry


def record(
    session: Session,
    actor: str,
    action: str,
    *,
    tenant_id: int | None = None,
    installation_id: int | None = None,
    detail: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Add an audit entry in the caller's transaction (it commits with the change it records)."""
    entry = AuditEntry(
        actor=actor,
        action=action,
        tenant_id=tenant_id,
        installation_id=installation_id,
        detail=dict(detail or {}),
    )
    session.add(entry)
    return entry
