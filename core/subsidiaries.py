"""One subsidiary, one remote company: the rule between several installations of a connector.

A tenant may install a connector several times, each installation bound to one of the
platform's subsidiaries and connected to one remote account (a QuickBooks company, its realm).
Two installations that send the same subsidiary's records to the same account would book every
invoice twice, so that pair is refused, wherever it would come about: when a configuration
picks a subsidiary (``InstallationService.save_config``) and when a connection names the
account (``OAuthService.complete``).

A connector declares the binding with the field whose ``x-options`` is
:data:`SUBSIDIARY_SOURCE`; core finds that field in the schema, so it never needs to know a
connector's layout. The blank value means "all of the platform's records" (a platform without
subsidiaries), and overlaps every subsidiary. Installations count until they are uninstalled:
a paused or draft installation still owns its binding and would resume into the double sync.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import jsonpointer
from core.config import ConfigInvalid, FieldError
from core.store.models import ConfigVersion, Installation, OAuthConnection

#: The option source (``x-options``) a connector gives its subsidiary field.
SUBSIDIARY_SOURCE = "platform_subsidiaries"


def subsidiary_pointer(schema: Mapping[str, Any], path: tuple[str, ...] = ()) -> str | None:
    """The JSON pointer of the schema's subsidiary field, or None when it has none."""
    if schema.get("x-options") == SUBSIDIARY_SOURCE:
        return jsonpointer.pointer_from_path(path)
    for key, child in (schema.get("properties") or {}).items():
        if isinstance(child, Mapping):
            found = subsidiary_pointer(child, (*path, key))
            if found is not None:
                return found
    return None


def overlaps(first: str, second: str) -> bool:
    """Whether two bindings share records: equal, or one of them is "all" (blank)."""
    return first == second or not first or not second


def conflict(
    session: Session,
    installation: Installation,
    schema: Mapping[str, Any],
    subsidiary: str,
    accounts: Mapping[str, str],
) -> str | None:
    """Why ``installation`` may not sync ``subsidiary`` to ``accounts``, or None when it may.

    ``accounts`` maps each OAuth provider to the remote account id the installation is (or is
    about to be) connected to.
    """
    pointer = subsidiary_pointer(schema)
    if pointer is None or not accounts:
        return None
    others = session.scalars(
        select(Installation).where(
            Installation.tenant_id == installation.tenant_id,
            Installation.connector_id == installation.connector_id,
            Installation.status != "uninstalled",
            Installation.id != installation.id,
        )
    )
    for other in others:
        theirs = _subsidiary(session, other.id, pointer)
        if theirs is None or not overlaps(subsidiary, theirs):
            continue
        for provider, account in _accounts(session, other.id).items():
            if accounts.get(provider) == account:
                return (
                    f"installation {other.name!r} (#{other.id}) already syncs "
                    f"{_describe(theirs)} with account {account}; connect this installation "
                    "to another account or choose another subsidiary"
                )
    return None


def check_config(
    session: Session,
    installation: Installation,
    schema: Mapping[str, Any],
    values: Mapping[str, Any],
) -> None:
    """Refuse a configuration whose subsidiary another installation already syncs to the
    account this one is connected to; raises ``ConfigInvalid`` naming the field."""
    pointer = subsidiary_pointer(schema)
    if pointer is None:
        return
    subsidiary = str(jsonpointer.get(values, pointer) or "")
    accounts = _accounts(session, installation.id)
    reason = conflict(session, installation, schema, subsidiary, accounts)
    if reason is not None:
        raise ConfigInvalid([FieldError(pointer, reason)])


def connect_conflict(
    session: Session,
    installation: Installation,
    schema: Mapping[str, Any],
    provider: str,
    account: str,
) -> str | None:
    """Why ``installation`` may not connect to ``account``, or None when it may."""
    pointer = subsidiary_pointer(schema)
    if pointer is None:
        return None
    subsidiary = _subsidiary(session, installation.id, pointer) or ""
    return conflict(session, installation, schema, subsidiary, {provider: account})


def _subsidiary(session: Session, installation_id: int, pointer: str) -> str | None:
    """The subsidiary of an installation's latest configuration (None: no configuration)."""
    values = session.scalar(
        select(ConfigVersion.values)
        .where(ConfigVersion.installation_id == installation_id)
        .order_by(ConfigVersion.version.desc())
        .limit(1)
    )
    if values is None:
        return None
    return str(jsonpointer.get(values, pointer) or "")


def _accounts(session: Session, installation_id: int) -> dict[str, str]:
    """Provider -> remote account id of an installation's connections."""
    rows = session.execute(
        select(OAuthConnection.provider, OAuthConnection.account_id).where(
            OAuthConnection.installation_id == installation_id
        )
    )
    return {provider: account for provider, account in rows}


def _describe(subsidiary: str) -> str:
    return f"subsidiary {subsidiary}" if subsidiary else "all subsidiaries"
