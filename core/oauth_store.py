"""OAuth connections at rest: tokens encrypted, status kept for the status circle.

The status circle reads ``status``: *connected* (green), *needs_reconnect* (red, with the reason
and time), or no row at all (grey, not connected).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from core.secrets import KeyRing
from core.store.models import OAuthConnection, utcnow


class ConnectionStore:
    """Reads and writes OAuth connections; tokens only ever decrypted in this process."""

    def __init__(self, ring: KeyRing) -> None:
        self.ring = ring

    def get(self, session: Session, installation_id: int, provider: str) -> OAuthConnection | None:
        return session.scalars(
            select(OAuthConnection).where(
                OAuthConnection.installation_id == installation_id,
                OAuthConnection.provider == provider,
            )
        ).first()

    def save(
        self,
        session: Session,
        installation_id: int,
        provider: str,
        tokens: Mapping[str, Any],
        *,
        account_id: str,
        account_name: str,
    ) -> OAuthConnection:
        """Store a fresh connection (after the code exchange); replaces an older one."""
        connection = self.get(session, installation_id, provider)
        if connection is None:
            connection = OAuthConnection(installation_id=installation_id, provider=provider)
            session.add(connection)
        connection.account_id = account_id
        connection.account_name = account_name
        connection.connected_at = utcnow()
        self._set_tokens(connection, tokens)
        self.mark(connection, "connected", None)
        session.flush()
        return connection

    def update_tokens(self, connection: OAuthConnection, tokens: Mapping[str, Any]) -> None:
        """Store refreshed tokens (Intuit rotates refresh tokens: store before use)."""
        self._set_tokens(connection, tokens)
        connection.refreshed_at = utcnow()

    def tokens(self, connection: OAuthConnection) -> dict[str, Any]:
        return self.ring.decrypt_json(connection.tokens_ciphertext)

    def mark(self, connection: OAuthConnection, status: str, reason: str | None) -> None:
        connection.status = status
        connection.status_reason = reason
        connection.status_at = utcnow()

    def all_tokens(self, session: Session, installation_id: int) -> dict[str, dict[str, Any]]:
        """provider -> tokens, for revoking them when the installation is removed."""
        return {
            c.provider: self.tokens(c)
            for c in session.scalars(
                select(OAuthConnection).where(OAuthConnection.installation_id == installation_id)
            )
        }

    def delete_all(self, session: Session, installation_id: int) -> None:
        session.execute(
            delete(OAuthConnection).where(OAuthConnection.installation_id == installation_id)
        )

    def _set_tokens(self, connection: OAuthConnection, tokens: Mapping[str, Any]) -> None:
        connection.tokens_ciphertext = self.ring.encrypt_json(tokens)
        connection.access_expires_at = _expiry(tokens)


def _expiry(tokens: Mapping[str, Any]) -> datetime | None:
    if "expires_at" in tokens:
        return datetime.fromtimestamp(float(tokens["expires_at"]), tz=utcnow().tzinfo)
    if "expires_in" in tokens:
        return utcnow() + timedelta(seconds=float(tokens["expires_in"]))
    return None
