"""Who is signed in to the web app, the CSRF token of their session, and the session cookie.

The session cookie (signed by Flask, HttpOnly, SameSite=Lax, Secure outside local development)
holds the user id, a random browser-session id and the CSRF token; pages and state-changing
routes ask here, and the admin UI provides the sign-in page at ``/login``.
"""

from __future__ import annotations

import functools
import hmac
import ipaddress
import secrets
from collections.abc import Callable
from typing import Any

from flask import Flask, abort, current_app, g, redirect, request, session, url_for
from flask.sessions import SecureCookieSessionInterface

from core.store.models import User

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def browser_session_id() -> str:
    """A random id for this browser session (OAuth states are bound to it)."""
    if "sid" not in session:
        session["sid"] = secrets.token_urlsafe(24)
    return session["sid"]


def csrf_token() -> str:
    """This session's CSRF token, created on first use; forms carry it in a hidden field."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(24)
    return session["csrf"]


def check_csrf() -> None:
    """Refuse a state-changing request whose form or header lacks this session's token."""
    sent = request.form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or ""
    expected = session.get("csrf") or ""
    # Bytes: compare_digest refuses str with non-ASCII characters, which a caller may send.
    if not sent or not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        abort(400, description="missing or wrong CSRF token: reload the page and try again")


def sign_in(user: User) -> None:
    """Start a fresh session for ``user``: a new browser-session id and CSRF token, so nothing
    from before sign-in (a planted session, an old token) carries over."""
    session.clear()
    session["user_id"] = user.id
    browser_session_id()
    csrf_token()
    g.pop("user", None)


def sign_out() -> None:
    """Forget the user and every token of the session."""
    session.clear()
    g.pop("user", None)


def current_user() -> User | None:
    """The signed-in user of this request (looked up once per request), or None."""
    if "user" not in g:
        services = current_app.extensions["integrations"]
        user_id = session.get("user_id")
        with services.db.session() as db:
            g.user = db.get(User, user_id) if isinstance(user_id, int) else None
    return g.user


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Send anonymous visitors to the sign-in page, then back."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_user() is None:
            return redirect(url_for("pages.login", next=request.full_path))
        return view(*args, **kwargs)

    return wrapper


class SessionCookies(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the Secure flag decided per deployment.

    ``secure`` True or False forces the flag; None (the default) sets it on every request except
    those addressed to this machine (``localhost``, ``127.0.0.1``, ``::1``): local development
    over plain HTTP, where browsers would drop a Secure cookie and nobody else can listen.
    """

    def __init__(self, secure: bool | None) -> None:
        self.secure = secure

    def get_cookie_secure(self, app: Flask) -> bool:
        if self.secure is not None:
            return self.secure
        return not _is_loopback(request.host)


def _is_loopback(host: str) -> bool:
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    name = name.strip("[]")
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False
