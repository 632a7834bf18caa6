"""The admin pages' blueprint and what every page shares: sign-in, CSRF, caching and headers.

Every page requires a signed-in admin except the sign-in page and the static files; every POST
must carry the session's CSRF token; no page is cached (they show tenant configuration), and the
Content-Security-Policy allows only this app's own scripts and styles, so even a plugin text that
slipped past escaping could not run.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)

from core.services import Services
from core.store.models import User
from core.web_auth import SAFE_METHODS, check_csrf, csrf_token, current_user

pages = Blueprint(
    "pages",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/admin-static",
)

PUBLIC_ENDPOINTS = frozenset({"pages.login", "pages.static"})

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data: https:; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'"
)


def services() -> Services:
    return current_app.extensions["integrations"]


def user() -> User:
    """The signed-in admin (the guard below has made sure there is one)."""
    signed_in = current_user()
    assert signed_in is not None
    return signed_in


def wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json" or request.path.endswith(".json")


@pages.before_request
def guard() -> Any:
    """Sign-in first, then the CSRF token on anything that changes state."""
    if request.endpoint not in PUBLIC_ENDPOINTS and current_user() is None:
        if wants_json():
            return jsonify(error="sign in first"), 401
        return redirect(url_for("pages.login", next=request.full_path.rstrip("?")))
    if request.method not in SAFE_METHODS:
        check_csrf()
    return None


@pages.after_request
def headers(response: Response) -> Response:
    """Pages show configuration and tenant data: never cached, never framed."""
    if request.endpoint != "pages.static":
        response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


@pages.errorhandler(400)
def bad_request(error: Any) -> Any:
    """A refused request says why (a missing CSRF token, a malformed form) in the page."""
    if wants_json():
        return jsonify(error=error.description), 400
    return render_template("error.html", title="Request refused", message=error.description), 400


@pages.errorhandler(404)
def not_found(error: Any) -> Any:
    if wants_json():
        return jsonify(error=error.description), 404
    return render_template("error.html", title="Not found", message=error.description), 404


@pages.context_processor
def shared() -> dict[str, Any]:
    return {"csrf_token": csrf_token, "signed_in": current_user()}
