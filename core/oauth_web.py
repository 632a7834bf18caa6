"""Browser routes of OAuth connections: Connect, the provider's callback, Disconnect.

The admin comes back where Connect was pressed (the wizard's connection step): Connect remembers
that page (its ``next`` parameter, else the same-site page that sent the browser here) in the
browser session, and a successful callback redirects there with a message, so the status circle
is seen turning green. A failed callback shows the reason with a link back to the same page.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from core.oauth import ConnectError, ConnectResult
from core.web_auth import browser_session_id, check_csrf, current_user, login_required

oauth_pages = Blueprint("oauth", __name__, template_folder="templates")

RETURN_KEY = "oauth_return"
"""Session key of the page to come back to after the provider's consent page."""


def _services():
    return current_app.extensions["integrations"]


def local_path(target: str | None) -> str | None:
    """``target`` when it is a path on this site; ``//host`` or ``https://…`` would leave it."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return None


def _referring_page() -> str | None:
    """The page of this site that sent the browser here (Connect is pressed on a page)."""
    referrer = urlsplit(request.referrer or "")
    if referrer.scheme != request.scheme or referrer.netloc != request.host:
        return None
    return local_path(referrer.path + (f"?{referrer.query}" if referrer.query else ""))


def _remember_return(installation_id: int) -> None:
    back = local_path(request.args.get("next")) or _referring_page()
    if back is None:
        session.pop(RETURN_KEY, None)
    else:
        session[RETURN_KEY] = {"installation_id": installation_id, "path": back}


def _take_return(result: ConnectResult | None = None) -> str | None:
    """The remembered page (once), for this installation when the connection succeeded."""
    remembered = session.pop(RETURN_KEY, None)
    if not isinstance(remembered, dict):
        return None
    if result is not None and remembered.get("installation_id") != result.installation_id:
        return None
    return local_path(remembered.get("path"))


@oauth_pages.get("/installations/<int:installation_id>/connect/<provider>")
@login_required
def connect(installation_id: int, provider: str):
    """Redirect to the provider's consent page with a fresh one-time state."""
    user = current_user()
    try:
        url = _services().oauth.authorization_url(
            user.tenant_id,
            installation_id,
            provider,
            redirect_uri=url_for("oauth.callback", _external=True),
            browser_session=browser_session_id(),
            actor=user.email,
        )
    except (ConnectError, LookupError) as exc:
        reason = exc.reason if isinstance(exc, ConnectError) else str(exc.args[0])
        back = local_path(request.args.get("next")) or _referring_page()
        return render_template("oauth_result.html", ok=False, reason=reason, back=back), 400
    _remember_return(installation_id)
    return redirect(url)


@oauth_pages.get("/oauth/callback")
def callback() -> Any:
    """Where the provider sends the admin back; says what happened either way.

    Open without sign-in: a connect started through the REST API is completed by the
    platform's user, who has no admin session; a state bound to an admin session still needs it.
    """
    signed_in = current_user() is not None
    try:
        result = _services().oauth.complete(
            request.args, browser_session=browser_session_id() if signed_in else None
        )
    except ConnectError as exc:
        back = _take_return()
        return render_template("oauth_result.html", ok=False, reason=exc.reason, back=back), 400
    back = _take_return(result)
    if back is not None:
        flash(f"Connected to {result.account_name} (company {result.account_id}).", "ok")
        return redirect(back, code=303)
    return render_template("oauth_result.html", ok=True, result=result, back=None)


@oauth_pages.post("/installations/<int:installation_id>/disconnect/<provider>")
@login_required
def disconnect(installation_id: int, provider: str):
    """Revoke the tokens at the provider and forget them."""
    check_csrf()
    user = current_user()
    try:
        _services().oauth.disconnect(user.tenant_id, installation_id, provider, actor=user.email)
    except LookupError as exc:
        return render_template("oauth_result.html", ok=False, reason=str(exc.args[0])), 404
    return redirect(local_path(request.form.get("next")) or "/")
