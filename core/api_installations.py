"""``/api/v1/installations``: install, list, show, pause, resume and uninstall connectors;
their connect URLs, picker options and actions."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, url_for

from core import installation_state, options
from core.actions import run_action
from core.api_common import (
    ApiError,
    actor,
    body,
    boolean,
    changeable,
    document,
    installation,
    invalid,
    iso,
    query,
    services,
    tenant_id,
)
from core.oauth import ConnectError
from core.store.models import Installation

installations_api = Blueprint("installations", __name__, url_prefix="/installations")

INSTALLATION_FIELDS = ("id", "connector_id", "connector_version", "name", "status")


def describe(session: Any, found: Installation) -> dict[str, Any]:
    """An installation with its connections, last run and next scheduled run."""
    state = installation_state.state(services(), session, found)
    last = state.last_run
    return {
        **{name: getattr(found, name) for name in INSTALLATION_FIELDS},
        "paused_reason": found.paused_reason,
        "created_at": iso(found.created_at),
        "updated_at": iso(found.updated_at),
        "connections": [
            {
                "provider": c.provider,
                "title": c.title,
                "status": c.status,
                "account_id": c.account_id,
                "account_name": c.account_name,
                "reason": c.reason,
                "since": iso(c.since),
            }
            for c in state.connections
        ],
        "last_run": None
        if last is None
        else {
            "id": last.id,
            "job": last.job_key,
            "status": last.status,
            "at": iso(last.at),
            "error": last.error,
        },
        "next_run_at": iso(state.next_run_at),
    }


@installations_api.get("")
def list_installations() -> Response:
    """The tenant's installations (uninstalled ones whose data was kept are not listed)."""
    query()
    with services().db.session() as session:
        found = services().installations.list(session, tenant_id())
        return jsonify(installations=[describe(session, i) for i in found])


@installations_api.post("")
def install() -> tuple[Response, int]:
    """Install a connector as a draft configured with its schema's defaults."""
    query()
    data = body(required=("connector_id",), optional=("name",))
    connector_id, name = data["connector_id"], data.get("name")
    if not isinstance(connector_id, str) or connector_id not in services().host.connectors:
        known = ", ".join(sorted(services().host.connectors)) or "none"
        raise invalid("/connector_id", f"{connector_id!r} is not an available connector ({known})")
    if name is not None and (not isinstance(name, str) or not 0 < len(name.strip()) <= 200):
        raise invalid("/name", "must be a text of 1 to 200 characters")
    with services().db.session() as session:
        created = services().installations.install(
            session, tenant_id(), connector_id, actor=actor(), name=name and name.strip()
        )
        return jsonify(describe(session, created)), 201


@installations_api.get("/<int:installation_id>")
def show(installation_id: int) -> Response:
    query()
    with services().db.session() as session:
        return jsonify(describe(session, installation(session, installation_id)))


@installations_api.delete("/<int:installation_id>")
def uninstall(installation_id: int) -> tuple[str, int]:
    """Uninstall: schedules removed, tokens revoked; ``?purge=true`` also deletes its data."""
    query("purge")
    purge = boolean("purge", default=False)
    with services().db.session() as session:
        found = changeable(installation(session, installation_id))
        services().installations.uninstall(session, found, actor=actor(), purge=purge)
    return "", 204


@installations_api.post("/<int:installation_id>/pause")
def pause(installation_id: int) -> Response:
    query()
    with services().db.session() as session:
        found = installation(session, installation_id)
        installation_state.pause(services(), session, found, actor=actor())
        return jsonify(describe(session, found))


@installations_api.post("/<int:installation_id>/resume")
def resume(installation_id: int) -> Response:
    query()
    with services().db.session() as session:
        found = installation(session, installation_id)
        installation_state.resume(services(), session, found, actor=actor())
        return jsonify(describe(session, found))


@installations_api.post("/<int:installation_id>/connect/<provider>")
def connect(installation_id: int, provider: str) -> Response:
    """The provider's authorization URL; the admin's browser goes there to grant access."""
    query()
    with services().db.session() as session:
        changeable(installation(session, installation_id))
    try:
        url = services().oauth.authorization_url(
            tenant_id(),
            installation_id,
            provider,
            redirect_uri=url_for("oauth.callback", _external=True),
            browser_session=None,
            actor=actor(),
        )
    except ConnectError as exc:
        raise ApiError(409, exc.reason) from exc
    return jsonify(authorize_url=url)


@installations_api.get("/<int:installation_id>/options/<source>")
def picker_options(installation_id: int, source: str) -> Response:
    """The choices of a picker (``x-options``), from the connector's option source."""
    query()
    try:
        found = options.fetch_options(services(), tenant_id(), installation_id, source)
    except options.OptionsUnavailable as exc:
        raise ApiError(409, str(exc)) from exc
    return jsonify(options=[{"value": o.value, "label": o.label} for o in found])


@installations_api.post("/<int:installation_id>/actions/<key>")
def action(installation_id: int, key: str) -> Response:
    """Run one of the connector's actions with the parameters sent (validated first)."""
    query()
    params = document()
    with services().db.session() as session:
        changeable(installation(session, installation_id))
    result = run_action(services(), tenant_id(), installation_id, key, params, actor=actor())
    return jsonify(
        ok=result.ok,
        message=result.message,
        details=dict(result.details),
        run_ids=list(result.run_ids),
    )
