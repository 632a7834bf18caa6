"""Integrations Library pages."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request

from core.tenants import authenticate
from core.web_auth import csrf_token, sign_in

pages = Blueprint("pages", __name__, template_folder="templates")


@pages.get("/")
def marketplace():
    """The Marketplace: every connector as a card, grouped by category; broken ones listed."""
    host = current_app.extensions["integrations"].host
    categories: dict[str, list] = {}
    for connector in sorted(host.connectors.values(), key=lambda c: c.manifest["name"]):
        categories.setdefault(connector.manifest["category"], []).append(connector.manifest)
    broken = [s for s in host.statuses() if s.broken]
    return render_template("marketplace.html", categories=categories, broken=broken)


@pages.route("/login", methods=["GET", "POST"])
def login():
    """Sign in with e-mail and password; a failure says so without saying which was wrong."""
    error = None
    if request.method == "POST":
        services = current_app.extensions["integrations"]
        with services.db.session() as session:
            user = authenticate(
                session, request.form.get("email", ""), request.form.get("password", "")
            )
        if user is not None:
            sign_in(user)
            target = request.args.get("next", "/")
            return redirect(
                target if target.startswith("/") and not target.startswith("//") else "/"
            )
        error = "Wrong e-mail or password."
    return render_template("login.html", error=error, csrf_token=csrf_token()), (
        401 if error else 200
    )
