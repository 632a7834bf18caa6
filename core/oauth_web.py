"""Browser routes of OAuth connections: Connect, the provider's callback, Disconnect."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, url_for

from core.oauth import ConnectError
from core.web_auth import browser_session_id, check_csrf, current_user, login_required

oauth_pages = Blueprint("oauth", __name__, template_folder="templates")


def _services():
    return current_app.extensions["integrations"]


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
        return render_template("oauth_result.html", ok=False, reason=reason), 400
    return redirect(url)


@oauth_pages.get("/oauth/callback")
@login_required
def callback():
    """Where the provider sends the admin back; says what happened either way."""
    try:
        result = _services().oauth.complete(request.args, browser_session=browser_session_id())
    except ConnectError as exc:
        return render_template("oauth_result.html", ok=False, reason=exc.reason), 400
    return render_template("oauth_result.html", ok=True, result=result)


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
    return redirect(request.form.get("next") or "/")
