"""Pause, resume and wizard drafts of an installation, and the state the Installed tab shows.

``InstallationService`` saves configurations and activates a draft on its first complete save.
The wizard needs one thing more: saving its steps as it goes without activating anything, so the
jobs start only when the admin presses *Finish*. Pausing and resuming wrap ``ScheduleBook`` with
the tenant check, the status rules and the audit entry the UI and the API both need.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import audit
from core.config import SaveResult
from core.services import Services
from core.store.models import Installation, Run, Schedule

ConnectionStatus = Literal["connected", "needs_reconnect", "not_connected"]


class StateError(ValueError):
    """A pause or resume that the installation's status does not allow; the message says why."""


@dataclass(frozen=True)
class ConnectionState:
    """One OAuth provider of an installation, as its status circle shows it."""

    provider: str
    title: str
    status: ConnectionStatus
    account_id: str | None = None
    account_name: str | None = None
    reason: str | None = None
    since: datetime | None = None


@dataclass(frozen=True)
class LastRun:
    """The most recent run of any job of an installation."""

    id: int
    job_key: str
    status: str
    at: datetime
    error: str | None


@dataclass(frozen=True)
class InstallationState:
    """What an admin sees of an installation at a glance."""

    installation: Installation
    connections: tuple[ConnectionState, ...]
    last_run: LastRun | None
    next_run_at: datetime | None


def pause(services: Services, session: Session, installation: Installation, *, actor: str) -> None:
    """Stop scheduling the installation's jobs until it is resumed (runs already going finish)."""
    if installation.status != "active":
        raise StateError(
            f"installation {installation.id} is {installation.status}: only an "
            "active installation can be paused"
        )
    services.schedules.pause(session, installation, f"paused by {actor}")
    _audit(session, installation, actor, "installation.paused")


def resume(services: Services, session: Session, installation: Installation, *, actor: str) -> None:
    """Schedule the jobs again from their next slot (missed slots are not replayed)."""
    if installation.status != "paused":
        raise StateError(
            f"installation {installation.id} is {installation.status}: only a "
            "paused installation can be resumed"
        )
    services.schedules.resume(session, installation)
    _audit(session, installation, actor, "installation.resumed")


def save_draft(
    services: Services,
    session: Session,
    installation: Installation,
    values: Mapping[str, Any],
    *,
    actor: str,
) -> SaveResult:
    """Save a draft's configuration as the wizard goes, keeping it a draft.

    Missing required fields are reported, not refused, and no schedule is created even when
    nothing is missing any more: *Finish* (``InstallationService.save_config``) activates it.
    """
    if installation.status != "draft":
        raise StateError(f"installation {installation.id} is {installation.status}, not a draft")
    return services.installations.save_config(
        session, installation, values, actor=actor, note="wizard draft", keep_draft=True
    )


def state(services: Services, session: Session, installation: Installation) -> InstallationState:
    """Connection circles, the last run and the next scheduled run of one installation."""
    connector = services.host.connectors.get(installation.connector_id)
    providers = connector.oauth_providers.values() if connector is not None else ()
    connections = tuple(
        _connection_state(services, session, installation.id, p.key, p.title) for p in providers
    )
    last = session.scalars(
        select(Run)
        .where(Run.installation_id == installation.id)
        .order_by(Run.created_at.desc(), Run.id.desc())
        .limit(1)
    ).first()
    last_run = (
        LastRun(last.id, last.job_key, last.status, last.finished_at or last.created_at, last.error)
        if last is not None
        else None
    )
    next_run_at = session.scalar(
        select(func.min(Schedule.next_run_at)).where(Schedule.installation_id == installation.id)
    )
    return InstallationState(installation, connections, last_run, next_run_at)


def _connection_state(
    services: Services, session: Session, installation_id: int, provider: str, title: str
) -> ConnectionState:
    connection = services.connections.get(session, installation_id, provider)
    if connection is None:
        return ConnectionState(provider, title, "not_connected")
    status: ConnectionStatus = (
        "connected" if connection.status == "connected" else "needs_reconnect"
    )
    return ConnectionState(
        provider,
        title,
        status,
        account_id=connection.account_id,
        account_name=connection.account_name,
        reason=connection.status_reason,
        since=connection.connected_at if status == "connected" else connection.status_at,
    )


def _audit(session: Session, installation: Installation, actor: str, action: str) -> None:
    audit.record(
        session, actor, action, tenant_id=installation.tenant_id, installation_id=installation.id
    )
