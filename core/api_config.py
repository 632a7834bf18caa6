"""``/api/v1/installations/<id>/config``: read (secrets masked), replace, merge, history, restore.

Secrets never leave the server: a set secret reads as ``"********"``. Sending a secret blank,
as the mask, or leaving it out keeps the stored one, so a client can send back what it read.
PATCH is a JSON merge patch (RFC 7396) over the current configuration: objects merge, ``null``
removes a field, anything else replaces it.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Response, jsonify
from sqlalchemy.orm import Session

from core.api_common import (
    actor,
    body,
    changeable,
    document,
    field_errors,
    installation,
    invalid,
    iso,
    query,
    services,
    whole,
)
from core.config import SaveResult, validate
from core.store.models import ConfigVersion, Installation

config_api = Blueprint("config", __name__, url_prefix="/installations/<int:installation_id>/config")


def shown(session: Session, found: Installation, saved: SaveResult | None = None) -> dict[str, Any]:
    """The current configuration as a client may see it, and the required fields it lacks."""
    connector = services().host.connector(found.connector_id)
    version = saved.version if saved else services().configs.current(session, found.id)
    if saved is not None:
        missing = saved.missing
    else:
        full = services().configs.full(version)
        missing = [e for e in validate(connector.config_schema, full) if e.message == "is required"]
    return {
        "installation_id": found.id,
        "status": found.status,
        "version": version.version,
        "created_at": iso(version.created_at),
        "created_by": version.created_by,
        "values": services().configs.shown(connector.config_schema, version),
        "missing": field_errors(missing),
    }


@config_api.get("")
def read(installation_id: int) -> Response:
    query()
    with services().db.session() as session:
        return jsonify(shown(session, installation(session, installation_id)))


@config_api.put("")
def replace(installation_id: int) -> Response:
    """Save the whole configuration sent (validated; a draft may still lack required fields)."""
    query()
    values = document()
    with services().db.session() as session:
        found = changeable(installation(session, installation_id))
        saved = services().installations.save_config(session, found, values, actor=actor())
        return jsonify(shown(session, found, saved))


@config_api.patch("")
def merge(installation_id: int) -> Response:
    """Change only the fields sent (a JSON merge patch over the current configuration)."""
    query()
    patch = document()
    with services().db.session() as session:
        found = changeable(installation(session, installation_id))
        current = services().configs.full(services().configs.current(session, found.id))
        merged = merge_patch(current, patch)
        saved = services().installations.save_config(session, found, merged, actor=actor())
        return jsonify(shown(session, found, saved))


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396: ``patch`` applied to ``target`` (neither is changed)."""
    if not isinstance(patch, Mapping):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, Mapping) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


@config_api.get("/history")
def history(installation_id: int) -> Response:
    """Every saved version, newest first: who, when, why and which fields changed (a secret's
    change is listed without its value)."""
    query()
    with services().db.session() as session:
        found = installation(session, installation_id)
        versions = services().configs.history(session, found.id)
        return jsonify(versions=[_version(v) for v in versions])


def _version(version: ConfigVersion) -> dict[str, Any]:
    return {
        "version": version.version,
        "connector_version": version.connector_version,
        "created_at": iso(version.created_at),
        "created_by": version.created_by,
        "note": version.note,
        "changes": version.changes,
    }


@config_api.post("/restore")
def restore(installation_id: int) -> Response:
    """Make an old version (its secrets included) the current configuration again."""
    query()
    number = whole("/version", body(required=("version",))["version"])
    with services().db.session() as session:
        found = changeable(installation(session, installation_id))
        try:
            services().configs.version(session, found.id, number)
        except LookupError:
            raise invalid("/version", f"installation {found.id} has no version {number}") from None
        saved = services().installations.restore_config(session, found, number, actor=actor())
        return jsonify(shown(session, found, saved))
