"""Install, configure, upgrade and uninstall connectors: the one service the CLI, UI and API use.

An installation starts as a *draft* holding the schema's defaults; the first complete
configuration saved (the wizard's *Finish*, or ``integrations config set``) makes it *active*,
and from then on every save must be complete. Each save rewrites the installation's schedules.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit, jsonpointer, subsidiaries
from core.config import ConfigStore, SaveResult, defaults, with_defaults
from core.connector import InstallationInfo
from core.oauth_store import ConnectionStore
from core.plugins import Connector, PluginHost
from core.schedules import ScheduleBook
from core.store.models import Installation

log = logging.getLogger(__name__)


class InstallationService:
    """Every change to an installation goes through here, in the caller's transaction."""

    def __init__(
        self,
        host: PluginHost,
        configs: ConfigStore,
        connections: ConnectionStore,
        schedules: ScheduleBook,
    ) -> None:
        self.host = host
        self.configs = configs
        self.connections = connections
        self.schedules = schedules

    def get(self, session: Session, tenant_id: int, installation_id: int) -> Installation:
        """The tenant's installation; another tenant's id is as unknown as a missing one."""
        installation = session.get(Installation, installation_id)
        if installation is None or installation.tenant_id != tenant_id:
            raise LookupError(f"no installation {installation_id}")
        return installation

    def list(self, session: Session, tenant_id: int) -> list[Installation]:
        return list(
            session.scalars(
                select(Installation)
                .where(Installation.tenant_id == tenant_id, Installation.status != "uninstalled")
                .order_by(Installation.id)
            )
        )

    def install(
        self,
        session: Session,
        tenant_id: int,
        connector_id: str,
        *,
        actor: str,
        name: str | None = None,
    ) -> Installation:
        """Create a draft installation configured with the schema's defaults."""
        connector = self.host.connector(connector_id)
        installation = Installation(
            tenant_id=tenant_id,
            connector_id=connector.id,
            connector_version=connector.version,
            name=name or default_name(session, tenant_id, connector.manifest["name"]),
            status="draft",
        )
        session.add(installation)
        session.flush()
        values = defaults(connector.config_schema)
        name_field = connector.manifest.get("name_field")
        if name_field:
            jsonpointer.set_value(values, name_field, installation.name)
        self.save_config(session, installation, values, actor=actor, note="installed")
        audit.record(
            session,
            actor,
            "installation.installed",
            tenant_id=tenant_id,
            installation_id=installation.id,
            detail={"connector": connector.id, "version": connector.version},
        )
        self.host.call(connector.id, "on_installed", installation=info(installation))
        return installation

    def save_config(
        self,
        session: Session,
        installation: Installation,
        values: Mapping[str, Any],
        *,
        actor: str,
        note: str | None = None,
        keep_draft: bool = False,
    ) -> SaveResult:
        """Validate and save a configuration; a draft may still miss required fields.

        A draft's first complete save activates it (and its schedules), unless ``keep_draft``:
        the wizard saves each step that way, and only *Finish* activates.
        """
        connector = self.host.connector(installation.connector_id)
        previous = self.configs.latest(session, installation.id)
        shown_before = (
            self.configs.shown(connector.config_schema, previous) if previous is not None else {}
        )
        subsidiaries.check_config(session, installation, connector.config_schema, values)
        result = self.configs.save(
            session,
            installation,
            connector.config_schema,
            values,
            actor=actor,
            connector_version=connector.version,
            note=note,
            allow_missing=installation.status == "draft",
        )
        version, missing = result.version, result.missing
        name_installation(installation, connector, values)
        if not missing and installation.status == "draft" and not keep_draft:
            installation.status = "active"
        if installation.status in ("active", "paused"):
            self.schedules.sync(session, installation, connector, self.configs.full(version))
        audit.record(
            session,
            actor,
            "config.saved",
            tenant_id=installation.tenant_id,
            installation_id=installation.id,
            detail={"version": version.version, "changes": version.changes},
        )
        if previous is not None:
            self.host.call(
                connector.id,
                "on_config_changed",
                installation=info(installation),
                previous=shown_before,
                current=self.configs.shown(connector.config_schema, version),
            )
        return result

    def restore_config(
        self, session: Session, installation: Installation, number: int, *, actor: str
    ) -> SaveResult:
        """Make an old version (secrets included) the current one."""
        old = self.configs.version(session, installation.id, number)
        return self.save_config(
            session, installation, self.configs.full(old), actor=actor, note=f"restored {number}"
        )

    def upgrade(self, session: Session, installation: Installation, *, actor: str) -> bool:
        """Move an installation to the connector's current version, migrating its config."""
        connector = self.host.connector(installation.connector_id)
        if installation.connector_version == connector.version:
            return False
        current = self.configs.full(self.configs.current(session, installation.id))
        migrated = self.host.call(
            connector.id,
            "migrate_config",
            config=current,
            from_version=installation.connector_version,
            to_version=connector.version,
        )
        old_version = installation.connector_version
        installation.connector_version = connector.version
        self.save_config(
            session,
            installation,
            with_defaults(connector.config_schema, migrated or current),
            actor=actor,
            note=f"upgraded from {old_version} to {connector.version}",
        )
        audit.record(
            session,
            actor,
            "installation.upgraded",
            tenant_id=installation.tenant_id,
            installation_id=installation.id,
            detail={"from": old_version, "to": connector.version},
        )
        return True

    def uninstall(
        self, session: Session, installation: Installation, *, actor: str, purge: bool
    ) -> None:
        """Remove schedules, revoke and delete connections, then keep or purge the sync data.

        A connector that fails to revoke its tokens remotely does not block the uninstall: the
        tokens are deleted here either way, and the failure is audited.
        """
        connector = self.host.connectors.get(installation.connector_id)
        credentials = {
            "connections": self.connections.all_tokens(session, installation.id),
            "config": self.configs.full(self.configs.current(session, installation.id)),
        }
        revoke_error = None
        if connector is not None:
            try:
                self.host.call(
                    connector.id,
                    "on_uninstalled",
                    installation=info(installation),
                    credentials=credentials,
                )
            except Exception as exc:  # a remote revoke failing must not keep tokens here
                log.warning("installation %s: revoking tokens failed: %s", installation.id, exc)
                revoke_error = f"{type(exc).__name__}: {exc}"
        self.schedules.remove_all(session, installation.id)
        self.connections.delete_all(session, installation.id)
        audit.record(
            session,
            actor,
            "installation.uninstalled",
            tenant_id=installation.tenant_id,
            installation_id=None if purge else installation.id,
            detail={"purge": purge, "revoke_error": revoke_error, "id": installation.id},
        )
        if purge:
            session.delete(installation)  # runs, links, cursors and versions cascade
        else:
            installation.status = "uninstalled"
            for version in self.configs.history(session, installation.id):
                version.secrets_ciphertext = None
        session.flush()


def name_installation(
    installation: Installation, connector: Connector, values: Mapping[str, Any]
) -> None:
    """Take the installation's name from the configuration field the manifest names
    (``name_field``), so the admin names it in the wizard; a blank value keeps the old name."""
    name_field = connector.manifest.get("name_field")
    if not name_field:
        return
    name = jsonpointer.get(values, name_field)
    if isinstance(name, str) and name.strip():
        installation.name = name.strip()[:200]


def default_name(session: Session, tenant_id: int, base: str) -> str:
    """``base``, or ``base 2``, ``base 3``...: the first name no installation of the tenant has,
    so several installations of one connector can be told apart on every page."""
    taken = set(
        session.scalars(
            select(Installation.name).where(
                Installation.tenant_id == tenant_id, Installation.status != "uninstalled"
            )
        )
    )
    name, number = base, 1
    while name in taken:
        number += 1
        name = f"{base} {number}"
    return name


def info(installation: Installation) -> InstallationInfo:
    """The secret-free view of an installation that plugins receive."""
    return InstallationInfo(
        id=installation.id,
        tenant_id=installation.tenant_id,
        connector_id=installation.connector_id,
        connector_version=installation.connector_version,
        name=installation.name,
    )
