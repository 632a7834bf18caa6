"""Actions: the buttons a connector puts on an installation (test connection, force sync...).

An action runs at once, in the request, with the same context a job gets but no run row; its
parameters are validated against the action's own schema first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core import audit
from core.config import ConfigInvalid, validate
from core.connector import ActionResult
from core.services import Services


def run_action(
    services: Services,
    tenant_id: int,
    installation_id: int,
    key: str,
    params: Mapping[str, Any] | None = None,
    *,
    actor: str,
) -> ActionResult:
    """Validate ``params``, run the action, audit it and return what it reported."""
    params = dict(params or {})
    with services.db.session() as session:
        installation = services.installations.get(session, tenant_id, installation_id)
        connector = services.host.connector(installation.connector_id)
        action = connector.actions.get(key)
        if action is None:
            known = ", ".join(sorted(connector.actions)) or "none"
            raise LookupError(f"connector {connector.id} has no action {key!r} ({known})")
        errors = validate(action.params_schema, params)
        if errors:
            raise ConfigInvalid(errors)
        context = services.runner.context_now(session, installation)
    result = action.run(context, params)
    with services.db.session() as session:
        audit.record(
            session,
            actor,
            f"action.{key}",
            tenant_id=tenant_id,
            installation_id=installation_id,
            detail={"ok": result.ok, "message": result.message},
        )
    return result
