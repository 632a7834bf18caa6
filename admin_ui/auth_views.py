"""Sign in and sign out."""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, url_for

from admin_ui.blueprint import pages, services
from core.tenants import authenticate
from core.web_auth import sign_in, sign_out


def _safe_next(target: str | None) -> str:
    """Only a path on this site: ``//evil.example`` or ``https://…`` would leave it."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return url_for("pages.marketplace")


@pages.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """Sign in with e-mail and password; a failure says so without saying which was wrong."""
    error = None
    if request.method == "POST":
        with services().db.session() as session:
            found = authenticate(
                session, request.form.get("email", ""), request.form.get("password", "")
            )
        if found is not None:
            sign_in(found)
            return redirect(_safe_next(request.args.get("next")))
        error = "Wrong e-mail or password."
    return render_template("login.html", error=error), (401 if error else 200)


@pages.post("/logout")
def logout() -> Any:
    sign_out()
    return redirect(url_for("pages.login"))
