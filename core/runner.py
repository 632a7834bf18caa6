"""Runs: a row before it is work, then one execution with a context, then an outcome.

Scheduled, manual and event-triggered runs share this path. ``request`` inserts the run row;
the unique (installation, job, trigger, scheduled_for) means a slot is claimed once however many
schedulers ask. ``execute`` starts it only if no other run of the same job is running, gives the
job a :class:`JobContext`, and records counts, progress, log lines and the outcome.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from core.config import ConfigStore, split_secrets
from core.connector import InstallationInfo, JobDefinition
from core.executor import InlineExecutor, RunExecutor
from core.installations import info
from core.oauth import ConnectionTokens, OAuthService
from core.platform.port import PlatformFactory, PlatformPort
from core.plugins import PluginHost
from core.records import Records
from core.store.database import Database
from core.store.models import ConfigVersion, Installation, Run, RunLog, utcnow

log = logging.getLogger(__name__)

MAX_LOG_LINES = 1000


class RunCancelled(Exception):
    """Raised inside a job by ``JobContext.check_cancelled`` when the admin cancelled the run."""


class Redactor:
    """Replaces known secret values in text before it is logged or stored."""

    def __init__(self, secrets: Iterable[Any]) -> None:
        self._values = sorted(
            {str(s) for s in secrets if isinstance(s, str | int) and len(str(s)) >= 4},
            key=len,
            reverse=True,
        )

    def __call__(self, text: str) -> str:
        for value in self._values:
            text = text.replace(value, "[redacted]")
        return text


class RunLogger:
    """Log lines of one run, bounded and redacted, written as they happen.

    Without a run (an action pressed by an admin) lines go to the process log only.
    """

    def __init__(self, db: Database, run_id: int | None, redact: Redactor) -> None:
        self.db, self.run_id, self.redact = db, run_id, redact
        self.written = 0
        self._lock = threading.Lock()

    def log(self, level: str, message: str, *args: Any) -> None:
        text = self.redact(message % args if args else message)
        with self._lock:
            self.written += 1
            if self.written > MAX_LOG_LINES:
                return
            if self.written == MAX_LOG_LINES:
                level, text = "warning", f"log limit of {MAX_LOG_LINES} lines reached"
            if self.run_id is not None:
                with self.db.session() as session:
                    session.add(RunLog(run_id=self.run_id, level=level, message=text))
        getattr(log, level)("run %s: %s", self.run_id, text)

    def info(self, message: str, *args: Any) -> None:
        self.log("info", message, *args)

    def warning(self, message: str, *args: Any) -> None:
        self.log("warning", message, *args)

    def error(self, message: str, *args: Any) -> None:
        self.log("error", message, *args)


@dataclass(frozen=True)
class ConnectedAccount:
    """A remote account an installation is connected to, and how to get its tokens."""

    account_id: str
    account_name: str
    tokens: ConnectionTokens


class JobContext:
    """What a job function receives: configuration, secrets on request, the platform port, its
    records, progress and counts.

    ``config`` holds the non-secret configuration; a job reads a secret with
    :meth:`secret`, so that secrets it never asks for never reach it.
    """

    def __init__(
        self,
        *,
        db: Database,
        run_id: int | None,
        installation: InstallationInfo,
        config: Mapping[str, Any],
        secrets: Mapping[str, Any],
        logger: RunLogger,
        oauth: OAuthService,
        runner: Runner,
    ) -> None:
        self.db = db
        self.run_id = run_id
        self.installation = installation
        self.config = config
        self._secrets = secrets
        self.log = logger
        self.counts: Counter[str] = Counter()
        self.oauth = oauth
        self._runner = runner

    @cached_property
    def platform(self) -> PlatformPort:
        """The business application, through the host's platform adapter."""
        if self._runner.platforms is None:
            raise RuntimeError("this host has no platform adapter configured")
        return self._runner.platforms(self.installation, self.config, self._secrets)

    @cached_property
    def records(self) -> Records:
        """This installation's record links, statuses and cursors."""
        return Records(self.db, self.installation.id, self.platform)

    def start_run(self, job_key: str, *, requested_by: str | None = None) -> int | None:
        """Request a manual run of one of this connector's jobs and hand it to the executor;
        ``None`` when it could not be requested."""
        run = self._runner.request(
            self.installation.id, job_key, trigger="manual", requested_by=requested_by
        )
        if run is None:
            return None
        self._runner.executor.submit(run.id)
        return run.id

    def connection(self, provider: str) -> ConnectedAccount:
        """The installation's connection through ``provider``: the remote account and a token
        source that refreshes (single-flight) when needed. Raises ``NeedsReconnect``."""
        with self.db.session() as session:
            connection = self.oauth.usable_connection(session, self.installation.id, provider)
            account = (connection.account_id, connection.account_name)
        return ConnectedAccount(
            *account, ConnectionTokens(self.oauth, self.installation.id, provider)
        )

    def secret(self, pointer: str) -> Any:
        """A secret of the configuration by JSON pointer (``None`` when not set)."""
        return self._secrets.get(pointer)

    def count(self, kind: str, n: int = 1) -> None:
        """Add to one of the run's counts (read, created, updated, skipped, failed)."""
        self.counts[kind] += n

    def progress(self, done: int, total: int | None = None, message: str = "") -> None:
        """Report progress of a long run; also saves the counts so far."""
        if self.run_id is None:
            return
        with self.db.session() as session:
            run = session.get(Run, self.run_id)
            run.progress = {"done": done, "total": total, "message": message}
            run.counts = dict(self.counts)

    def cancelled(self) -> bool:
        """True once the admin asked to cancel; jobs check it between records."""
        if self.run_id is None:
            return False
        with self.db.session() as session:
            return bool(session.scalar(select(Run.cancel_requested).where(Run.id == self.run_id)))

    def check_cancelled(self) -> None:
        if self.cancelled():
            raise RunCancelled()


class Runner:
    """Creates and executes runs."""

    def __init__(
        self,
        db: Database,
        host: PluginHost,
        configs: ConfigStore,
        oauth: OAuthService,
        platforms: PlatformFactory | None = None,
    ) -> None:
        self.db, self.host, self.configs, self.oauth = db, host, configs, oauth
        self.platforms = platforms
        self.executor: RunExecutor = InlineExecutor(self)

    def request(
        self,
        installation_id: int,
        job_key: str,
        *,
        trigger: str,
        scheduled_for: datetime | None = None,
        requested_by: str | None = None,
    ) -> Run | None:
        """Insert the run row; ``None`` when that scheduled slot already has its run."""
        with self.db.session() as session:
            installation = session.get(Installation, installation_id)
            if installation is None:
                raise LookupError(f"no installation {installation_id}")
            connector = self.host.connector(installation.connector_id)
            if job_key not in connector.jobs:
                known = ", ".join(sorted(connector.jobs)) or "none"
                raise LookupError(f"connector {connector.id} has no job {job_key!r} ({known})")
        try:
            with self.db.session() as session:
                run = Run(
                    installation_id=installation_id,
                    job_key=job_key,
                    trigger=trigger,
                    scheduled_for=scheduled_for or utcnow(),
                    requested_by=requested_by,
                )
                session.add(run)
            return run
        except IntegrityError:
            return None

    def execute(self, run_id: int) -> Run:
        """Execute a queued run now, in this thread, and return it finished (or skipped)."""
        started = self._claim(run_id)
        if started is None:
            with self.db.session() as session:
                return session.get(Run, run_id)
        run, installation, job, version = started
        context = self.context(installation, version, run.id)
        logger = context.log
        status, error = "succeeded", None
        try:
            job.run(context)
            if context.counts.get("failed"):
                status = "partial"
        except RunCancelled:
            status = "cancelled"
        except Exception as exc:
            status, error = "failed", logger.redact(f"{type(exc).__name__}: {exc}")
            logger.error("run failed: %s", error)
            log.debug("run %s failed", run.id, exc_info=True)
        with self.db.session() as session:
            run = session.get(Run, run.id)
            run.status = status
            run.error = error
            run.counts = dict(context.counts)
            run.finished_at = utcnow()
            run.lease_owner = None
        return run

    def context(
        self, installation: Installation, version: ConfigVersion, run_id: int | None
    ) -> JobContext:
        """The context a job (or, without a run, an action) of ``installation`` receives."""
        connector = self.host.connector(installation.connector_id)
        public, secrets = split_secrets(connector.config_schema, self.configs.full(version))
        return JobContext(
            db=self.db,
            run_id=run_id,
            installation=info(installation),
            config=public,
            secrets=secrets,
            logger=RunLogger(self.db, run_id, Redactor(secrets.values())),
            oauth=self.oauth,
            runner=self,
        )

    def _claim(self, run_id: int) -> tuple[Run, Installation, JobDefinition, Any] | None:
        """Move a queued run to running unless another run of its job is running."""
        with self.db.session() as session:
            run = session.get(Run, run_id)
            if run is None:
                raise LookupError(f"no run {run_id}")
            if run.status != "queued":
                return None
            # Lock the installation row so two workers cannot both see "nothing running".
            installation = session.scalars(
                select(Installation).where(Installation.id == run.installation_id).with_for_update()
            ).one()
            busy = session.scalar(
                select(func.count()).where(
                    Run.installation_id == run.installation_id,
                    Run.job_key == run.job_key,
                    Run.status == "running",
                )
            )
            connector = self.host.connector(installation.connector_id)
            job = connector.jobs[run.job_key]
            if busy:
                if job.when_busy == "skip":
                    run.status, run.finished_at = "skipped", utcnow()
                    run.error = "another run of this job was still running"
                return None
            version = self.configs.current(session, installation.id)
            run.status = "running"
            run.started_at = utcnow()
            run.config_version = version.version
            return run, installation, job, version

    def logs(self, run_id: int) -> list[RunLog]:
        with self.db.session() as session:
            return list(
                session.scalars(select(RunLog).where(RunLog.run_id == run_id).order_by(RunLog.id))
            )
