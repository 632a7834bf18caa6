"""Platform events to connectors: each active installation of the tenant may ask for a run now.

The ledger hands every event (``invoice.sent``, ``payment.recorded`` ...) to
:meth:`EventDispatcher.dispatch` after its change is committed. Each active installation's
connector answers ``on_platform_event`` with the keys of jobs to run; each becomes a run with
trigger ``event``, requested like any other run and handed to the runner's executor, unless the
job is switched off in the installation's configuration (its toggle field). A plugin
that fails, or names a job it does not have, is logged and skipped: a platform operation never
fails because of a connector.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from core import jsonpointer
from core.connector import InstallationInfo, PlatformEvent
from core.installations import info
from core.plugins import PluginHost
from core.runner import Runner
from core.store.database import Database
from core.store.models import Installation

log = logging.getLogger(__name__)


class EventDispatcher:
    """Turns platform events into event-triggered runs."""

    def __init__(self, db: Database, host: PluginHost, runner: Runner) -> None:
        self.db, self.host, self.runner = db, host, runner

    def dispatch(self, event: PlatformEvent) -> list[int]:
        """Offer ``event`` to the tenant's active installations; the ids of the runs started."""
        with self.db.session() as session:
            installations = [
                info(row)
                for row in session.scalars(
                    select(Installation)
                    .where(
                        Installation.tenant_id == event.tenant_id, Installation.status == "active"
                    )
                    .order_by(Installation.id)
                )
            ]
        run_ids: list[int] = []
        for installation in installations:
            if installation.connector_id not in self.host.connectors:
                continue  # its plugin is not loaded in this process
            try:
                keys = self.host.call(
                    installation.connector_id,
                    "on_platform_event",
                    installation=installation,
                    event=event,
                )
            except Exception:
                log.exception(
                    "installation %s (%s) failed to handle %s",
                    installation.id,
                    installation.connector_id,
                    event.name,
                )
                continue
            for key in keys or ():
                run_id = self._start(installation, key, event)
                if run_id is not None:
                    run_ids.append(run_id)
        return run_ids

    def _switched_off(self, installation_id: int, connector_id: str, job_key: str) -> bool:
        job = self.host.connector(connector_id).jobs.get(job_key)
        if job is None or job.toggle_field is None:
            return False
        with self.db.session() as session:
            values = self.runner.configs.current(session, installation_id).values
        return not jsonpointer.get(values, job.toggle_field, True)

    def _start(
        self, installation: InstallationInfo, job_key: str, event: PlatformEvent
    ) -> int | None:
        if self._switched_off(installation.id, installation.connector_id, job_key):
            log.info("event %s: job %s is switched off", event.name, job_key)
            return None
        installation_id = installation.id
        try:
            run = self.runner.request(
                installation_id, job_key, trigger="event", requested_by=f"event:{event.name}"
            )
        except LookupError as exc:
            log.warning("event %s: %s", event.name, exc)
            return None
        if run is None:
            return None
        self.runner.executor.submit(run.id)
        return run.id
