"""Per-tenant API tokens for ``/api/v1``: created, listed, revoked, and checked on each call.

A token is ``il_`` followed by 43 random URL-safe characters (256 bits). Only its SHA-256 hash
is stored: a token has that much entropy, so a fast hash is enough (unlike a password) and a
lookup by hash needs no per-row comparison. The clear token is returned once, by
:func:`create`; afterwards an admin recognises a token by its name and short prefix.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.store.models import ApiToken, utcnow

TOKEN_PREFIX = "il_"
SHOWN_CHARACTERS = 8  # of the random part, kept in clear so an admin can tell tokens apart
NAME_MAX = 100
# ``last_used_at`` is written at most this often per token: every API call writing a row would
# serialise the calls on SQLite's single writer for a date nobody needs to the second.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class TokenOwner:
    """Who an authenticated API call acts for: the token's tenant, and the token (for audit)."""

    tenant_id: int
    token_id: int
    actor: str


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_name(name: object) -> str:
    """A token's name, trimmed; raises ``ValueError`` saying what is wrong with it."""
    if not isinstance(name, str) or not name.strip():
        raise ValueError("name: give the token a name (what or who uses it)")
    name = name.strip()
    if len(name) > NAME_MAX:
        raise ValueError(f"name: at most {NAME_MAX} characters")
    return name


def create(session: Session, tenant_id: int, name: str, *, actor: str) -> tuple[ApiToken, str]:
    """A new token of the tenant: (its row, the clear token, which is never retrievable again)."""
    clear = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        tenant_id=tenant_id,
        name=check_name(name),
        prefix=clear[: len(TOKEN_PREFIX) + SHOWN_CHARACTERS],
        token_hash=hash_token(clear),
        created_by=actor,
    )
    session.add(token)
    session.flush()
    audit.record(
        session,
        actor,
        "api_token.created",
        tenant_id=tenant_id,
        detail={"id": token.id, "name": token.name, "prefix": token.prefix},
    )
    return token, clear


def list_tokens(session: Session, tenant_id: int) -> list[ApiToken]:
    """The tenant's tokens, revoked ones included (they show when they were revoked)."""
    return list(
        session.scalars(
            select(ApiToken).where(ApiToken.tenant_id == tenant_id).order_by(ApiToken.id)
        )
    )


def revoke(session: Session, tenant_id: int, token_id: int, *, actor: str) -> ApiToken:
    """Revoke a token at once; revoking it again changes nothing. Another tenant's token is
    as unknown as a missing one."""
    token = session.get(ApiToken, token_id)
    if token is None or token.tenant_id != tenant_id:
        raise LookupError(f"no API token {token_id}")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record(
            session,
            actor,
            "api_token.revoked",
            tenant_id=tenant_id,
            detail={"id": token.id, "name": token.name, "prefix": token.prefix},
        )
    return token


def authenticate(session: Session, clear: str) -> TokenOwner | None:
    """The owner of a valid, unrevoked token (and its use noted), or None."""
    if not clear.startswith(TOKEN_PREFIX):
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(clear)))
    if token is None or token.revoked_at is not None:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        token.last_used_at = now
    return TokenOwner(token.tenant_id, token.id, f"api token {token.prefix}… ({token.name})")
