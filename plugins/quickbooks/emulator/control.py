"""The control API under ``/_emulator/``: what a test sets up that real Intuit does by hand.

Registering an app (the developer portal), creating a company (a sandbox company), minting tokens
without a browser (consent), planning faults and reading the request log. Every body is
validated; a bad field gets 400 ``{"error": ..., "field": ...}`` naming it.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlparse

from flask import Blueprint, Response, request

from . import faults
from .auth import ACCOUNTING_SCOPE, KNOWN_SCOPES
from .injection import INJECTED_KINDS, PlannedFault
from .oauth import COUNTRIES, token_response
from .state import current_state

control_blueprint = Blueprint("qbo_emulator_control", __name__, url_prefix="/_emulator")

TOKEN_KINDS = ("expire_access_tokens", "revoke_refresh_tokens")
MAX_TIMEOUT_SECONDS = 300.0


class BadRequest(Exception):
    """A control request the emulator refuses, naming the field at fault."""

    def __init__(self, error: str, field: str | None = None, status: int = 400) -> None:
        super().__init__(error)
        self.error, self.field, self.status = error, field, status


@control_blueprint.errorhandler(BadRequest)
def _bad_request(exc: BadRequest) -> Response:
    return _json({"error": exc.error, "field": exc.field}, exc.status)


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status, content_type="application/json")


def _body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object (Content-Type: application/json)")
    return body


def _text(body: dict, name: str, required: bool = True, default: str | None = None) -> str | None:
    value = body.get(name, default)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(f"{name} must be a non-empty string", name)
    return value


def _choice(body: dict, name: str, choices: tuple[str, ...], default: str | None = None) -> str:
    value = body.get(name, default)
    if value not in choices:
        raise BadRequest(f"{name} must be one of {', '.join(choices)}", name)
    return value


def _realm(realm_id: str, field: str = "realmId") -> str:
    if current_state().companies.get(realm_id) is None:
        raise BadRequest(f"no company has realmId {realm_id}", field, status=404)
    return realm_id


@control_blueprint.post("/apps")
def register_app() -> Response:
    """Register (or re-register) an app: client id, secret and allowed redirect URIs."""
    body = _body()
    client_id = _text(body, "client_id")
    client_secret = _text(body, "client_secret")
    redirect_uris = body.get("redirect_uris", [])
    if not isinstance(redirect_uris, list) or not all(_is_url(u) for u in redirect_uris):
        raise BadRequest("redirect_uris must be a list of absolute http(s) URLs", "redirect_uris")
    app = current_state().auth.register_app(client_id, client_secret, redirect_uris)
    return _json({"client_id": app.client_id, "redirect_uris": app.redirect_uris}, 201)


def _is_url(value: object) -> bool:
    if not isinstance(value, str):
        return False
    parsed = urlparse(value)
    return parsed.scheme in ("http", "https") and bool(parsed.netloc)


@control_blueprint.post("/companies")
def create_company() -> Response:
    """Create a seeded company; answers its realmId."""
    body = _body()
    name = _text(body, "name")
    country = _choice(body, "country", COUNTRIES, default="US")
    preferences = body.get("preferences", {})
    if not isinstance(preferences, dict):
        raise BadRequest("preferences must be a JSON object", "preferences")
    try:
        company = current_state().companies.create(
            name=name, country=country, preferences=preferences
        )
    except faults.QBOFault as fault:  # preferences the seeding refuses
        error = fault.errors[0]
        raise BadRequest(error.detail or error.message, error.element or "preferences") from fault
    return _json(
        {"realmId": company.realm_id, "name": company.name, "country": company.country}, 201
    )


@control_blueprint.post("/companies/<realm_id>/tokens")
def mint_tokens(realm_id: str) -> Response:
    """A token response for a registered app and the company, as if the user had consented."""
    _realm(realm_id)
    body = _body()
    client_id = _text(body, "client_id")
    if current_state().auth.app(client_id) is None:
        raise BadRequest(f"no app is registered with client_id {client_id}", "client_id")
    scopes = body.get("scopes", [ACCOUNTING_SCOPE])
    if not isinstance(scopes, list) or not scopes or not set(scopes) <= KNOWN_SCOPES:
        raise BadRequest("scopes must be a non-empty list of Intuit scopes", "scopes")
    return token_response(current_state().auth.issue_grant(client_id, realm_id, scopes))


@control_blueprint.post("/faults")
def plan_fault() -> Response:
    """Plan faults for the next ``count`` API requests, or act on tokens at once."""
    body = _body()
    kind = _choice(body, "kind", INJECTED_KINDS + TOKEN_KINDS)
    realm_id = body.get("realmId")
    if realm_id is not None:
        _realm(_text(body, "realmId"))
    auth = current_state().auth
    if kind == "expire_access_tokens":
        return _json(
            {"kind": kind, "realmId": realm_id, "affected": auth.expire_access_tokens(realm_id)}
        )
    if kind == "revoke_refresh_tokens":
        return _json(
            {"kind": kind, "realmId": realm_id, "affected": auth.revoke_refresh_tokens(realm_id)}
        )
    count = body.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise BadRequest("count must be a positive integer", "count")
    seconds = body.get("seconds", 5.0)
    if (
        isinstance(seconds, bool)
        or not isinstance(seconds, int | float)
        or not 0 < seconds <= MAX_TIMEOUT_SECONDS
    ):
        raise BadRequest(f"seconds must be a number in (0, {MAX_TIMEOUT_SECONDS:g}]", "seconds")
    plan = PlannedFault(kind=kind, remaining=count, realm_id=realm_id, seconds=float(seconds))
    current_state().faults.add(plan)
    return _json(plan.as_json(), 201)


@control_blueprint.get("/faults")
def list_faults() -> Response:
    """The planned faults still waiting for requests."""
    return _json([plan.as_json() for plan in current_state().faults.pending()])


@control_blueprint.delete("/faults")
def clear_faults() -> Response:
    """Cancel every planned fault."""
    current_state().faults.clear()
    return Response(status=204)


@control_blueprint.get("/companies/<realm_id>/requests")
def list_requests(realm_id: str) -> Response:
    """The API requests the company received, oldest first."""
    return _json(current_state().request_log.entries(_realm(realm_id)))


@control_blueprint.delete("/companies/<realm_id>/requests")
def clear_requests(realm_id: str) -> Response:
    """Start counting the company's requests from zero."""
    current_state().request_log.clear(_realm(realm_id))
    return Response(status=204)
