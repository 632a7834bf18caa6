"""The versioned JSON API (``/api/v1``): the same services the pages use, for platforms that
embed the marketplace in their own front end.

Every call but ``/health`` and ``/openapi.json`` needs ``Authorization: Bearer <token>`` with a
tenant's API token (:mod:`core.api_tokens`), and sees only that tenant: another tenant's ids are
answered 404 like missing ones. The browser session cookie of the admin pages is never
consulted, so a page cannot be made to call the API with a signed-in admin's rights, which is
also why no CSRF token is asked for. Refused input is 422 with ``{"errors": [{"field",
"message"}]}``; other refusals are ``{"error": "..."}`` with 401, 404 or 409. The resources live
in ``core/api_*.py`` as blueprints nested in this one; ``core/openapi.py`` documents them all.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, jsonify, request
from werkzeug.exceptions import HTTPException

from core import api_tokens
from core.api_common import ApiError, InputInvalid, field_errors, services
from core.api_config import config_api
from core.api_installations import installations_api
from core.api_records import records_api
from core.api_runs import runs_api
from core.config import ConfigInvalid
from core.installation_state import StateError
from core.oauth import NeedsReconnect
from core.openapi import openapi_document

api = Blueprint("api", __name__, url_prefix="/api/v1")
for child in (installations_api, config_api, runs_api, records_api):
    api.register_blueprint(child)

PUBLIC_ENDPOINTS = frozenset({"api.health", "api.openapi"})
CHALLENGE = 'Bearer realm="integrations"'

# The catalog entry's manifest fields; the detail adds what the connector brings.
SUMMARY_FIELDS = ("id", "name", "version", "category", "summary")
DETAIL_FIELDS = (*SUMMARY_FIELDS, "description", "icon", "docs_url", "regions", "syncs")


@api.before_request
def authenticate() -> Response | None:
    """A valid API token decides the tenant; nothing else (no cookie) is looked at."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    credentials = request.authorization
    owner = None
    if credentials is not None and credentials.type == "bearer" and credentials.token:
        with services().db.session() as session:
            owner = api_tokens.authenticate(session, credentials.token)
    if owner is None:
        response = jsonify(error="send Authorization: Bearer <API token> (a valid, unrevoked one)")
        response.status_code = 401
        response.headers["WWW-Authenticate"] = CHALLENGE
        return response
    g.api_caller = owner
    return None


@api.after_request
def no_store(response: Response) -> Response:
    """Answers hold tenant configuration and records: never cached by a proxy or a browser."""
    response.headers["Cache-Control"] = "no-store"
    return response


# Errors ----------------------------------------------------------------------------------------


def _error(status: int, message: str) -> tuple[Response, int]:
    return jsonify(error=message), status


@api.errorhandler(ApiError)
def refused(exc: ApiError) -> tuple[Response, int]:
    return _error(exc.status, exc.message)


@api.errorhandler(InputInvalid)
def input_invalid(exc: InputInvalid) -> tuple[Response, int]:
    return jsonify(errors=[{"field": p.field, "message": p.message} for p in exc.problems]), 422


@api.errorhandler(ConfigInvalid)
def config_invalid(exc: ConfigInvalid) -> tuple[Response, int]:
    return jsonify(errors=field_errors(exc.errors)), 422


@api.errorhandler(LookupError)
def not_found(exc: LookupError) -> tuple[Response, int]:
    """The services' "no installation 7", "no run 3": the caller's tenant has no such thing."""
    return _error(404, str(exc.args[0]) if exc.args else "not found")


@api.errorhandler(StateError)
@api.errorhandler(NeedsReconnect)
def conflict(exc: Exception) -> tuple[Response, int]:
    """Not possible in the installation's current state (paused, not connected...)."""
    return _error(409, str(exc))


@api.errorhandler(HTTPException)
def http_error(exc: HTTPException) -> tuple[Response, int]:
    return _error(exc.code or 500, exc.description or exc.name)


# Health, catalog and the document ------------------------------------------------------------


@api.get("/health")
def health() -> Response:
    """Liveness and database reachability, for load balancers and the tests."""
    with services().db.engine.connect() as connection:
        connection.exec_driver_sql("SELECT 1")
    return jsonify(status="ok")


@api.get("/openapi.json")
def openapi() -> Response:
    """This API described in OpenAPI 3.1 (public: it holds no tenant data)."""
    return jsonify(openapi_document())


@api.get("/catalog")
def catalog() -> Response:
    """Every connector the Marketplace offers, and the plugins that are broken and why."""
    host = services().host
    connectors = [
        {key: c.manifest.get(key) for key in SUMMARY_FIELDS}
        for c in sorted(host.connectors.values(), key=lambda c: c.manifest["name"])
    ]
    broken = [
        {"plugin": s.name, "problems": [str(p) for p in s.problems]}
        for s in host.statuses()
        if s.broken
    ]
    return jsonify(connectors=connectors, broken=broken)


@api.get("/catalog/<connector_id>")
def catalog_entry(connector_id: str) -> Response:
    """One connector: its manifest, jobs, actions, connections and configuration schema."""
    connector = services().host.connectors.get(connector_id)
    if connector is None:
        raise ApiError(404, f"no connector {connector_id!r}")
    entry: dict[str, Any] = {key: connector.manifest.get(key) for key in DETAIL_FIELDS}
    entry["jobs"] = [
        {"key": j.key, "title": j.title, "description": j.description}
        for j in connector.jobs.values()
    ]
    entry["actions"] = [
        {
            "key": a.key,
            "title": a.title,
            "description": a.description,
            "params_schema": dict(a.params_schema),
        }
        for a in connector.actions.values()
    ]
    entry["oauth_providers"] = [
        {"key": p.key, "title": p.title} for p in connector.oauth_providers.values()
    ]
    entry["option_sources"] = sorted(connector.option_sources)
    entry["config_schema"] = connector.config_schema
    return jsonify(entry)
