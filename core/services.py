"""The composition root: one object holding the host's services, built from settings.

The CLI, the web app, the scheduler and the pytest plugin all start here, so they share one
way of wiring the database, the keys, the plugins and the services above them.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.config import ConfigStore
from core.executor import RunExecutor
from core.installations import InstallationService
from core.oauth import OAuthService
from core.oauth_store import ConnectionStore
from core.platform.events import EventDispatcher
from core.platform.factory import platform_factory
from core.platform.ledger import EmbeddedLedger, check_api_user
from core.plugins import PluginHost
from core.runner import Runner
from core.schedules import ScheduleBook
from core.secrets import KeyRing
from core.settings import Settings
from core.store.database import Database


@dataclass
class Services:
    """Everything a front end (CLI, web, worker) needs, wired once."""

    settings: Settings
    db: Database
    ring: KeyRing
    host: PluginHost
    configs: ConfigStore
    connections: ConnectionStore
    schedules: ScheduleBook
    installations: InstallationService
    oauth: OAuthService
    runner: Runner
    events: EventDispatcher

    @property
    def executor(self) -> RunExecutor:
        """Where requested runs are executed: inline by default (CLI, tests), the thread pool
        in ``serve``, a Celery queue in the distributed mode; see :meth:`use_executor`."""
        return self.runner.executor

    def use_executor(self, executor: RunExecutor) -> None:
        """Execute runs with ``executor`` from now on (every trigger goes through the runner)."""
        self.runner.executor = executor

    def ledger(self, tenant_id: int) -> EmbeddedLedger:
        """The tenant's embedded ledger, its events dispatched to the tenant's connectors."""
        return EmbeddedLedger(self.db, tenant_id, on_event=self.events.dispatch)

    def check_api_user(self, username: str, password: str) -> int | None:
        """The tenant a ledger API user (``login@clientcode``) signs in to, or None."""
        return check_api_user(self.db, username, password)


def build(
    settings: Settings | None = None, *, host: PluginHost | None = None, migrate: bool = True
) -> Services:
    """Wire the services; loads plugins from entry points unless a host is given."""
    settings = settings or Settings.from_env()
    db = Database(settings.database_url)
    if migrate:
        db.upgrade()
    ring = KeyRing.load(settings.secret_keys, settings.key_file)
    if host is None:
        host = PluginHost(settings.disabled_plugins)
        host.load_entry_points()
    configs = ConfigStore(ring)
    connections = ConnectionStore(ring)
    schedules = ScheduleBook(settings.runs.spread_seconds)
    installations = InstallationService(host, configs, connections, schedules)
    oauth = OAuthService(db, host, installations, connections)
    runner = Runner(
        db,
        host,
        configs,
        oauth,
        lease_seconds=settings.runs.lease_seconds,
        max_attempts=settings.runs.max_attempts,
    )
    events = EventDispatcher(db, host, runner)
    runner.platforms = platform_factory(settings, db, events)
    if settings.broker_url:
        # Distributed mode: every trigger's run goes to the Celery workers. Imported here so
        # that the embedded default needs no Celery.
        from core.distributed.executor import celery_executor

        runner.executor = celery_executor(settings)
    return Services(
        settings=settings,
        db=db,
        ring=ring,
        host=host,
        configs=configs,
        connections=connections,
        schedules=schedules,
        installations=installations,
        oauth=oauth,
        runner=runner,
        events=events,
    )
