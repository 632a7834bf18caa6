"""Per-record sync bookkeeping of one installation: links, statuses and cursors.

For every (installation, entity, local id) a :class:`RecordLink` holds the remote id, the remote
version (a SyncToken), a hash of what was last written, the status and the reason. Cursors per
(installation, stream) hold incremental positions. :meth:`Records.transaction` lets a job write
links and advance a cursor in one database transaction, so a run interrupted at any point never
advances a cursor past data it did not record.

Every status change is also reported to the platform (``PlatformPort.set_sync_state``), so the
business application shows *synced*, *failed* or *needs sync* beside its own records.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.platform.port import PlatformPort, RecordKind, SyncState
from core.store.database import Database
from core.store.models import Cursor, RecordLink, utcnow

PORT_STATUS = {"synced": "synced", "failed": "failed", "pending": "needs_sync"}


def content_hash(payload: Any) -> str:
    """A stable hash of what was written, to tell an unchanged record from a changed one."""
    text = json.dumps(payload, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


class Records:
    """The links and cursors of one installation (``ctx.records`` in a job)."""

    def __init__(
        self, db: Database, installation_id: int, platform: PlatformPort | None = None
    ) -> None:
        self.db, self.installation_id, self.platform = db, installation_id, platform
        self._session: Session | None = None
        self._unreported: list[RecordLink] = []

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group the writes inside into one transaction (links and cursor together)."""
        if self._session is not None:
            yield
            return
        try:
            with self.db.session() as session:
                self._session = session
                yield
        finally:
            self._session = None
            unreported, self._unreported = self._unreported, []
        for link in unreported:
            self._report(link)

    @contextmanager
    def _use(self) -> Iterator[Session]:
        if self._session is not None:
            yield self._session
        else:
            with self.db.session() as session:
                yield session

    def link(self, entity: str, local_id: str) -> RecordLink | None:
        with self._use() as session:
            return session.scalar(
                select(RecordLink).where(
                    RecordLink.installation_id == self.installation_id,
                    RecordLink.entity == entity,
                    RecordLink.local_id == local_id,
                )
            )

    def by_remote(self, entity: str, remote_id: str) -> RecordLink | None:
        with self._use() as session:
            return session.scalar(
                select(RecordLink).where(
                    RecordLink.installation_id == self.installation_id,
                    RecordLink.entity == entity,
                    RecordLink.remote_id == remote_id,
                )
            )

    def links(self, entity: str, *, status: str | None = None) -> list[RecordLink]:
        with self._use() as session:
            query = select(RecordLink).where(
                RecordLink.installation_id == self.installation_id, RecordLink.entity == entity
            )
            if status is not None:
                query = query.where(RecordLink.status == status)
            return list(session.scalars(query.order_by(RecordLink.id)))

    def synced(
        self,
        entity: str,
        local_id: str,
        *,
        remote_id: str,
        remote_version: str | None = None,
        content: Any = None,
        url: str | None = None,
    ) -> RecordLink:
        """Record a successful write (or read) of one record."""
        return self._write(
            entity,
            local_id,
            status="synced",
            reason=None,
            remote_id=remote_id,
            remote_version=remote_version,
            content_hash=None if content is None else content_hash(content),
            external_url=url,
            synced_at=utcnow(),
        )

    def failed(self, entity: str, local_id: str, reason: str) -> RecordLink:
        """Record a failure with the remote system's own reason; the record can be retried."""
        return self._write(entity, local_id, status="failed", reason=reason)

    def needs_sync(self, entity: str, local_id: str, reason: str | None = None) -> RecordLink:
        """Mark a record to be (re)sent by the next run (a retry, or a change seen)."""
        return self._write(entity, local_id, status="pending", reason=reason)

    def cursor(self, stream: str) -> str | None:
        with self._use() as session:
            row = session.get(Cursor, (self.installation_id, stream))
            return row.position if row else None

    def set_cursor(self, stream: str, position: str) -> None:
        with self._use() as session:
            row = session.get(Cursor, (self.installation_id, stream))
            if row is None:
                session.add(
                    Cursor(installation_id=self.installation_id, stream=stream, position=position)
                )
            else:
                row.position = position

    def _write(self, entity: str, local_id: str, **values: Any) -> RecordLink:
        with self._use() as session:
            link = session.scalar(
                select(RecordLink).where(
                    RecordLink.installation_id == self.installation_id,
                    RecordLink.entity == entity,
                    RecordLink.local_id == local_id,
                )
            )
            if link is None:
                link = RecordLink(
                    installation_id=self.installation_id, entity=entity, local_id=local_id
                )
                session.add(link)
            for name, value in values.items():
                setattr(link, name, value)
            session.flush()
        if self._session is not None:
            self._unreported.append(link)  # reported once the transaction commits
        else:
            self._report(link)
        return link

    def _report(self, link: RecordLink) -> None:
        if self.platform is None or link.entity not in _KINDS or link.status not in PORT_STATUS:
            return
        self.platform.set_sync_state(
            SyncState(
                installation_id=self.installation_id,
                kind=link.entity,  # type: ignore[arg-type]
                record_id=link.local_id,
                status=PORT_STATUS[link.status],  # type: ignore[arg-type]
                reason=link.reason,
                remote_id=link.remote_id,
                url=link.external_url,
                at=utcnow(),
            )
        )


_KINDS: frozenset[str] = frozenset(RecordKind.__args__)  # type: ignore[attr-defined]
