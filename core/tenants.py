"""Tenants and their admin users (passwords hashed with Werkzeug's scrypt)."""

from __future__ import annotations

import re
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from core.store.models import Tenant, User

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


def get_or_create_tenant(session: Session, slug: str, name: str) -> Tenant:
    """The tenant with this slug, created when missing."""
    if not _SLUG.match(slug):
        raise ValueError(f"tenant slug {slug!r}: lower-case letters, digits and dashes only")
    tenant = session.scalars(select(Tenant).where(Tenant.slug == slug)).first()
    if tenant is None:
        tenant = Tenant(slug=slug, name=name)
        session.add(tenant)
        session.flush()
    return tenant


def tenant_by_slug(session: Session, slug: str) -> Tenant:
    tenant = session.scalars(select(Tenant).where(Tenant.slug == slug)).first()
    if tenant is None:
        raise LookupError(f"no tenant {slug!r}")
    return tenant


def create_user(session: Session, tenant: Tenant, email: str, password: str | None = None):
    """Create an admin user; returns (user, password) — the password is generated when None."""
    if "@" not in email:
        raise ValueError(f"email {email!r} is not an e-mail address")
    password = password or secrets.token_urlsafe(12)
    user = User(
        tenant_id=tenant.id, email=email.lower(), password_hash=generate_password_hash(password)
    )
    session.add(user)
    session.flush()
    return user, password


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The user when the password matches, otherwise None (same answer for unknown e-mails)."""
    user = session.scalars(select(User).where(User.email == email.lower())).first()
    if user is None or not check_password_hash(user.password_hash, password):
        return None
    return user
