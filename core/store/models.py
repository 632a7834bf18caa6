"""The host's tables, as typed SQLAlchemy 2.0 models.

Secrets never sit here in clear: configuration secrets and OAuth tokens are Fernet tokens
(``*_ciphertext`` columns) made by ``core.secrets``. Alembic migrations under
``core/store/migrations`` create these tables; a test checks that models and migrations agree.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Timezone-aware now; every timestamp the host writes is UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware DateTime stored in UTC, aware on the way out on every database.

    A ``TypeDecorator``, not a ``DateTime`` subclass: SQLite adapts ``DateTime`` to its own type
    and a subclass's result processor is dropped, so values came back naive. SQLite also keeps no
    offset, so values are converted to UTC before they are written.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if isinstance(value, datetime) and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


class Tenant(Base):
    """A customer of the platform; every installation and user belongs to one."""

    __tablename__ = "tenants"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class User(Base):
    """An admin who signs in to the Integrations Library of one tenant."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Installation(Base):
    """One connector installed for one tenant; a tenant may install a connector several times."""

    __tablename__ = "installations"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    connector_id: Mapped[str] = mapped_column(String(64), index=True)
    connector_version: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    # active | paused | uninstalled (kept for its sync data when the admin chose to keep it)
    status: Mapped[str] = mapped_column(String(16), default="active")
    paused_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    config_versions: Mapped[list[ConfigVersion]] = relationship(
        back_populates="installation",
        order_by="ConfigVersion.version",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class ConfigVersion(Base):
    """One saved configuration of an installation; the highest version is the current one.

    ``values`` holds everything but secrets; ``secrets_ciphertext`` holds the secrets as one
    encrypted JSON document, so restoring a version restores its secrets too. ``changes`` lists
    the JSON pointers that changed from the previous version (secret values never appear).
    """

    __tablename__ = "config_versions"
    __table_args__ = (UniqueConstraint("installation_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    installation_id: Mapped[int] = mapped_column(
        ForeignKey("installations.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int] = mapped_column(Integer)
    connector_version: Mapped[str] = mapped_column(String(32))
    values: Mapped[dict[str, Any]] = mapped_column(default=dict)
    secrets_ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary)
    changes: Mapped[list[Any]] = mapped_column(default=list)
    created_by: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str | None] = mapped_column(Text)

    installation: Mapped[Installation] = relationship(back_populates="config_versions")


class OAuthConnection(Base):
    """The link between an installation and a remote account, with its encrypted tokens."""

    __tablename__ = "oauth_connections"
    __table_args__ = (UniqueConstraint("installation_id", "provider"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    installation_id: Mapped[int] = mapped_column(
        ForeignKey("installations.id", ondelete="CASCADE"), index=True
    )
    provider: Mapped[str] = mapped_column(String(64))
    # connected | needs_reconnect
    status: Mapped[str] = mapped_column(String(20), default="connected")
    status_reason: Mapped[str | None] = mapped_column(Text)
    status_at: Mapped[datetime] = mapped_column(default=utcnow)
    account_id: Mapped[str] = mapped_column(String(128))
    account_name: Mapped[str] = mapped_column(String(300), default="")
    tokens_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    access_expires_at: Mapped[datetime | None] = mapped_column()
    connected_at: Mapped[datetime] = mapped_column(default=utcnow)
    refreshed_at: Mapped[datetime | None] = mapped_column()


class OAuthState(Base):
    """A pending authorization: the ``state`` sent to the provider, bound to one browser session
    and one installation, usable once. Only a hash of the state is stored."""

    __tablename__ = "oauth_states"

    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    installation_id: Mapped[int] = mapped_column(
        ForeignKey("installations.id", ondelete="CASCADE"), index=True
    )
    provider: Mapped[str] = mapped_column(String(64))
    binding_hash: Mapped[str] = mapped_column(String(64))
    redirect_uri: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column()


class Schedule(Base):
    """When one job of an installation runs next; rewritten whenever the configuration changes."""

    __tablename__ = "schedules"
    __table_args__ = (UniqueConstraint("installation_id", "job_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    installation_id: Mapped[int] = mapped_column(
        ForeignKey("installations.id", ondelete="CASCADE"), index=True
    )
    job_key: Mapped[str] = mapped_column(String(64))
    cron: Mapped[str] = mapped_column(String(120))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    offset_seconds: Mapped[int] = mapped_column(Integer, default=0)
    paused_reason: Mapped[str | None] = mapped_column(Text)
    next_run_at: Mapped[datetime | None] = mapped_column(index=True)


RUN_STATUSES = (
    "queued",
    "running",
    "succeeded",
    "partial",
    "failed",
    "cancelled",
    "skipped",
    "interrupted",
)
"""Every status a run goes through; the pages, the API and its document offer these."""


class Run(Base):
    """One execution of a job: a row before it is work, so a slot fires once.

    ``(installation_id, job_key, trigger, scheduled_for)`` is unique: however many schedulers
    tick, only one of them inserts the row for a scheduled slot.
    """

    __tablename__ = "runs"
    __table_args__ = (
        UniqueConstraint("installation_id", "job_key", "trigger", "scheduled_for"),
        Index("ix_runs_installation_job_status", "installation_id", "job_key", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    installation_id: Mapped[int] = mapped_column(ForeignKey("installations.id", ondelete="CASCADE"))
    job_key: Mapped[str] = mapped_column(String(64))
    # schedule | manual | event | retry
    trigger: Mapped[str] = mapped_column(String(16))
    scheduled_for: Mapped[datetime] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)  # RUN_STATUSES
    config_version: Mapped[int | None] = mapped_column(Integer)
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    progress: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    requested_by: Mapped[str | None] = mapped_column(String(254))
    cancel_requested: Mapped[bool] = mapped_column(default=False)
    # why the run was asked to stop: the actor's cancel, "shutdown", or the time limit exceeded
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    # the interrupted run this one retries
    retry_of: Mapped[int | None] = mapped_column(
        ForeignKey("runs.id", ondelete="SET NULL"), index=True
    )
    lease_owner: Mapped[str | None] = mapped_column(String(128))
    lease_expires_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()


class RunLog(Base):
    """A log line of a run (bounded per run, secrets redacted before they are written)."""

    __tablename__ = "run_logs"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    level: Mapped[str] = mapped_column(String(10))
    message: Mapped[str] = mapped_column(Text)


class RecordLink(Base):
    """The sync state of one local record for one installation and entity."""

    __tablename__ = "record_links"
    __table_args__ = (UniqueConstraint("installation_id", "entity", "local_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    installation_id: Mapped[int] = mapped_column(
        ForeignKey("installations.id", ondelete="CASCADE"), index=True
    )
    entity: Mapped[str] = mapped_column(String(64))
    local_id: Mapped[str] = mapped_column(String(128))
    remote_id: Mapped[str | None] = mapped_column(String(128))
    remote_version: Mapped[str | None] = mapped_column(String(64))
    content_hash: Mapped[str | None] = mapped_column(String(64))
    # pending | synced | failed | skipped
    status: Mapped[str] = mapped_column(String(16), default="pending")
    reason: Mapped[str | None] = mapped_column(Text)
    external_url: Mapped[str | None] = mapped_column(Text)
    synced_at: Mapped[datetime | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Cursor(Base):
    """An incremental position of one stream; advanced only with the data it covers."""

    __tablename__ = "cursors"

    installation_id: Mapped[int] = mapped_column(
        ForeignKey("installations.id", ondelete="CASCADE"), primary_key=True
    )
    stream: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AuditEntry(Base):
    """Who did what, when: installs, configuration saves, connections, key rotations."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id", ondelete="SET NULL"))
    installation_id: Mapped[int | None] = mapped_column(
        ForeignKey("installations.id", ondelete="SET NULL"), index=True
    )
    actor: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiToken(Base):
    """A tenant's API token for ``/api/v1``: only its SHA-256 hash is kept, and a short prefix
    so an admin can tell tokens apart; the clear token is shown once, when it is created."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()
