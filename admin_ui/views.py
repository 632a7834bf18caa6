"""Integrations Library pages."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

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
