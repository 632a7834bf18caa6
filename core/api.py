"""The versioned JSON API (``/api/v1``): the same services the pages use."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify

api = Blueprint("api", __name__, url_prefix="/api/v1")


def services() -> Any:
    return current_app.extensions["integrations"]


@api.get("/health")
def health():
    """Liveness and database reachability, for load balancers and the tests."""
    with services().db.engine.connect() as connection:
        connection.exec_driver_sql("SELECT 1")
    return jsonify(status="ok")


@api.get("/catalog")
def catalog():
    """Every connector the Marketplace offers, and the plugins that are broken and why."""
    host = services().host
    connectors = [
        {key: c.manifest.get(key) for key in ("id", "name", "version", "category", "summary")}
        for c in sorted(host.connectors.values(), key=lambda c: c.manifest["name"])
    ]
    broken = [
        {"plugin": s.name, "problems": [str(p) for p in s.problems]}
        for s in host.statuses()
        if s.broken
    ]
    return jsonify(connectors=connectors, broken=broken)
