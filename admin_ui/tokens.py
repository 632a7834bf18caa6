"""API tokens page: create a token (its value shown this once) and revoke tokens.

The new token is rendered in the answer to the POST that created it, never redirected through
a flashed message: flashes live in the session cookie, which is signed but not encrypted.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for

from admin_ui.blueprint import pages, services, user
from core import api_tokens


def _page(created: str | None = None, error: str | None = None, status: int = 200) -> Any:
    with services().db.session() as session:
        tokens = api_tokens.list_tokens(session, user().tenant_id)
    page = render_template(
        "tokens.html",
        tab="tokens",
        tokens=tokens,
        created=created,
        error=error,
        name=request.form.get("name", ""),
    )
    return page, status


@pages.get("/tokens")
def tokens() -> Any:
    """The tenant's API tokens: name, prefix, when created and last used, revoked or not."""
    return _page()


@pages.post("/tokens")
def create_token() -> Any:
    """Create a token and show its value once."""
    try:
        with services().db.session() as session:
            _, clear = api_tokens.create(
                session, user().tenant_id, request.form.get("name", ""), actor=user().email
            )
    except ValueError as exc:
        return _page(error=str(exc), status=422)
    return _page(created=clear)


@pages.post("/tokens/<int:token_id>/revoke")
def revoke_token(token_id: int) -> Any:
    """Revoke a token at once; calls with it are refused from now on."""
    try:
        with services().db.session() as session:
            token = api_tokens.revoke(session, user().tenant_id, token_id, actor=user().email)
            name = token.name
    except LookupError:
        abort(404, description=f"No API token {token_id}.")
    flash(f"Revoked the API token {name!r}.", "success")
    return redirect(url_for("pages.tokens"))
