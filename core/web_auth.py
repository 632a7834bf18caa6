"""Who is signed in to the web app, and the CSRF token of their session.

The session cookie (signed by Flask, HttpOnly, SameSite=Lax) holds the user id and a random
browser-session id; pages and state-changing routes ask here, and the admin UI provides the
sign-in page at ``/login``.
"""

from __future__ import annotations

import functools
import hmac
import secrets
from collections.abc import Callable
from typing import Any

from flask import abort, current_app, g, redirect, request, session, url_for

from core.store.models import User


def browser_session_id() -> str:
    """A random id for this browser session (OAuth states are bound to it)."""
    if "sid" not in session:
        session["sid"] = secrets.token_urlsafe(24)
    return session["sid"]


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(24)
    return session["csrf"]


def check_csrf() -> None:
    """Refuse a state-changing request whose form or header lacks this session's token."""
    sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
    if not hmac.compare_digest(sent, session.get("csrf", "")) or not sent:
        abort(400, description="missing or wrong CSRF token: reload the page and try again")


def sign_in(user: User) -> None:
    session.clear()
    session["user_id"] = user.id
    browser_session_id()
    csrf_token()


def current_user() -> User | None:
    if "user" not in g:
        services = current_app.extensions["integrations"]
        user_id = session.get("user_id")
        with services.db.session() as db:
            g.user = db.get(User, user_id) if user_id else None
    return g.user


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Send anonymous visitors to the sign-in page, then back."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_user() is None:
            return redirect(url_for("pages.login", next=request.full_path))
        return view(*args, **kwargs)

    return wrapper
