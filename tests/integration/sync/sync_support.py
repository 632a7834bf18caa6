"""The end-to-end harness of the QuickBooks sync tests: platform -> connector -> emulator.

One :class:`SyncHarness` is a tenant with the QuickBooks connector installed, configured for
the emulator and connected to a fresh company through the real consent page, plus what a test
needs to set up data on both sides and to look at the result.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from core.actions import run_action
from core.config import with_defaults
from core.connector import ActionResult
from core.platform.port import PlatformPort
from core.services import Services
from core.store.models import Installation, RecordLink
from core.testing import RunOutcome
from plugins.quickbooks.client import QBOClient
from plugins.quickbooks.emulator.server import EmulatorServer

PROVIDER = "quickbooks"


def deep_merge(base: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``changes`` laid over it, nested objects merged key by key."""
    merged = dict(base)
    for key, value in changes.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


@dataclass
class SyncHarness:
    """A connected QuickBooks installation with its platform and its QuickBooks company.

    ``ledger`` is the platform itself (to create customers, send invoices, record payments);
    ``port`` is the platform as the connector's jobs see it, through the adapter under test;
    ``qbo`` is a QuickBooks client of the same company, to seed and inspect QuickBooks.
    """

    services: Services
    tenant_id: int
    installation_id: int
    emulator: EmulatorServer
    realm_id: str
    ledger: Any
    port: PlatformPort
    qbo: QBOClient

    def configure(self, changes: Mapping[str, Any]) -> None:
        """Lay ``changes`` over the saved configuration and save it (secrets kept)."""
        with self.services.db.session() as session:
            installation = session.get(Installation, self.installation_id)
            version = self.services.configs.latest(session, self.installation_id)
            current = self.services.configs.full(version)
            schema = self.services.host.connector(installation.connector_id).config_schema
            values = with_defaults(schema, deep_merge(current, changes))
            self.services.installations.save_config(session, installation, values, actor="test")

    def run(self, job_key: str) -> RunOutcome:
        """Run one job now, in this thread; the finished run and its log lines."""
        runner = self.services.runner
        requested = runner.request(self.installation_id, job_key, trigger="manual")
        assert requested is not None, f"a run of {job_key} was already requested"
        finished = runner.execute(requested.id)
        return RunOutcome(finished, runner.logs(finished.id))

    def action(self, key: str, params: Mapping[str, Any] | None = None) -> ActionResult:
        """Press one of the connector's action buttons."""
        return run_action(
            self.services, self.tenant_id, self.installation_id, key, params, actor="test"
        )

    def links(self, entity: str) -> list[RecordLink]:
        with self.services.db.session() as session:
            return list(
                session.scalars(
                    select(RecordLink)
                    .where(
                        RecordLink.installation_id == self.installation_id,
                        RecordLink.entity == entity,
                    )
                    .order_by(RecordLink.id)
                )
            )

    def link(self, entity: str, local_id: str) -> RecordLink | None:
        return next((link for link in self.links(entity) if link.local_id == local_id), None)
