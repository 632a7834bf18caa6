"""Runs: a row before it is work, then one execution with a context, then an outcome.

Scheduled, manual and event-triggered runs share this path. ``request`` inserts the run row;
the unique (installation, job, trigger, scheduled_for) means a slot is claimed once however many
schedulers ask. ``execute`` starts it only if no other run of the same job is running (the job's
``when_busy`` policy decides whether a blocked run is skipped or waits), takes a lease renewed by
a heartbeat, gives the job a :class:`JobContext`, and records counts, progress, log lines and the
outcome. ``cancel`` asks a run to stop; ``sweep`` ends runs whose worker died and asks for their
retries. Nothing here knows how runs are executed: every hand-over goes through ``executor``.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from core.config import ConfigStore, split_secrets
from core.connector import InstallationInfo, JobDefinition
from core.executor import InlineExecutor, RunExecutor
from core.installations import info
from core.leases import SHUTDOWN, Heartbeat, owner_id, stop_outcome
from core.oauth import ConnectionTokens, OAuthService
from core.platform.port import PlatformFactory, PlatformPort
from core.plugins import Connector, PluginHost
from core.records import Records
from core.store.database import Database
from core.store.models import ConfigVersion, Installation, Run, RunLog, utcnow

log = logging.getLogger(__name__)

MAX_LOG_LINES = 1000


class RunCancelled(Exception):
    """Raised inside a job by ``JobContext.check_cancelled`` when the run was asked to stop
    (an admin's cancel, the time limit, a shutdown); ``reason`` says which."""

    def __init__(self, reason: str | None = None) -> None:
        super().__init__(reason or "cancelled")
        self.reason = reason


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
        self.heartbeat: Heartbeat | None = None  # set while a run executes

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
        """Report progress of a long run; also saves the counts so far and renews the lease."""
        if self.run_id is None:
            return
        with self.db.session() as session:
            run = session.get(Run, self.run_id)
            run.progress = {"done": done, "total": total, "message": message}
            run.counts = dict(self.counts)
        if self.heartbeat is not None:
            self.heartbeat.renew()

    def stop_reason(self) -> str | None:
        """Why the run must stop (cancelled, time limit, shutdown, lease lost), or ``None``."""
        if self.run_id is None:
            return None
        if self.heartbeat is not None and self.heartbeat.lost.is_set():
            return "the run's lease was lost; it was ended as interrupted"
        with self.db.session() as session:
            requested, reason, status = session.execute(
                select(Run.cancel_requested, Run.cancel_reason, Run.status).where(
                    Run.id == self.run_id
                )
            ).one()
        if status != "running" and self.heartbeat is not None:
            return "the run's lease was lost; it was ended as interrupted"
        if requested:
            return reason or "cancelled"
        return None

    def cancelled(self) -> bool:
        """True once the run was asked to stop; jobs check it between records."""
        return self.stop_reason() is not None

    def check_cancelled(self) -> None:
        """Raise :class:`RunCancelled` when the run was asked to stop: call it between records,
        the safe points where stopping leaves nothing half-written."""
        reason = self.stop_reason()
        if reason is not None:
            raise RunCancelled(reason)


class Runner:
    """Creates, executes, cancels and sweeps runs; hands them to ``executor`` to be executed."""

    def __init__(
        self,
        db: Database,
        host: PluginHost,
        configs: ConfigStore,
        oauth: OAuthService,
        platforms: PlatformFactory | None = None,
        *,
        lease_seconds: float = 60,
        max_attempts: int = 3,
    ) -> None:
        self.db, self.host, self.configs, self.oauth = db, host, configs, oauth
        self.platforms = platforms
        self.lease_seconds = lease_seconds
        self.max_attempts = max_attempts
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
        """Execute a queued run now, in this thread, and return it as it ended.

        A run that is not queued any more (finished, or claimed by another worker) is returned
        as it is; a run blocked by a running one is skipped or left queued, per the job's policy.
        """
        started = self._claim(run_id)
        if started is None:
            with self.db.session() as session:
                return session.get(Run, run_id)
        run, installation, job, version = started
        context = self.context(installation, version, run.id)
        heartbeat = Heartbeat(
            self.db,
            run.id,
            run.lease_owner,
            lease_seconds=self.lease_seconds,
            started_at=run.started_at,
            time_limit_seconds=job.time_limit_seconds,
        )
        context.heartbeat = heartbeat
        heartbeat.start()
        try:
            status, error = self._run_job(job, context)
        finally:
            heartbeat.stop()
        finished = self._finish(run.id, run.lease_owner, status, error, context.counts)
        if finished.status == "interrupted" and finished.cancel_reason == SHUTDOWN:
            # Left queued for the next start of the process (or another worker) to pick up.
            self._retry_after_interruption(finished.id)
        # Hand over what waited for this run: its own job's queue, and its group's other jobs.
        connector = self.host.connector(context.installation.connector_id)
        for key in _group_of(connector, job):
            if key != job.key or job.when_busy == "queue":
                self._submit_next_queued(finished.installation_id, key)
        return finished

    def _run_job(self, job: JobDefinition, context: JobContext) -> tuple[str, str | None]:
        """Call the job function; its outcome as (status, error)."""
        try:
            job.run(context)
        except RunCancelled as stop:
            status, error = stop_outcome(stop.reason)
            context.log.warning("run stopped: %s", error or "cancelled")
            return status, error
        except Exception as exc:
            error = context.log.redact(f"{type(exc).__name__}: {exc}")
            context.log.error("run failed: %s", error)
            log.debug("run %s failed", context.run_id, exc_info=True)
            return "failed", error
        return ("partial" if context.counts.get("failed") else "succeeded"), None

    def _finish(
        self, run_id: int, owner: str, status: str, error: str | None, counts: Counter[str]
    ) -> Run:
        """Record the outcome, only while this worker still holds the run's lease."""
        with self.db.session() as session:
            result = session.execute(
                update(Run)
                .where(Run.id == run_id, Run.status == "running", Run.lease_owner == owner)
                .values(
                    status=status,
                    error=error,
                    counts=dict(counts),
                    finished_at=utcnow(),
                    lease_owner=None,
                    lease_expires_at=None,
                )
            )
            if result.rowcount == 0:
                log.warning("run %s ended as %s after it was given up for dead", run_id, status)
            return session.get(Run, run_id)

    # Cancelling and sweeping ----------------------------------------------------------------

    def cancel(self, run_id: int, *, by: str) -> Run:
        """Cancel a run: a queued run is cancelled at once; a running one is asked to stop and
        ends "cancelled" at its job's next check. Refused for a run that already ended."""
        reason = f"cancelled by {by}"
        with self.db.session() as session:
            run = session.get(Run, run_id)
            if run is None:
                raise LookupError(f"no run {run_id}")
            at_once = session.execute(
                update(Run)
                .where(Run.id == run_id, Run.status == "queued")
                .values(
                    status="cancelled",
                    cancel_requested=True,
                    cancel_reason=reason,
                    error=reason,
                    finished_at=utcnow(),
                )
            )
            asked = (
                at_once.rowcount
                or session.execute(
                    update(Run)
                    .where(Run.id == run_id, Run.status == "running")
                    .values(cancel_requested=True, cancel_reason=reason)
                ).rowcount
            )
            session.refresh(run)
            if not asked:
                raise ValueError(f"run {run_id} already ended ({run.status}); nothing to cancel")
            return run

    def interrupt(
        self, run_id: int, reason: str, *, lease_expired_before: datetime | None = None
    ) -> int | None:
        """Mark a running run interrupted (its worker is gone or did not stop in time) and
        request its retry; returns the retry's id, ``None`` when nothing was done or no retry
        is due. With ``lease_expired_before`` only a run whose lease ran out is touched, so a
        worker that renewed in the meantime keeps its run."""
        condition = [Run.id == run_id, Run.status == "running"]
        if lease_expired_before is not None:
            condition.append(Run.lease_expires_at < lease_expired_before)
        with self.db.session() as session:
            result = session.execute(
                update(Run)
                .where(*condition)
                .values(
                    status="interrupted",
                    error=reason,
                    finished_at=utcnow(),
                    lease_owner=None,
                    lease_expires_at=None,
                )
            )
            if result.rowcount == 0:
                return None
        return self._retry_after_interruption(run_id)

    def sweep(self, now: datetime | None = None) -> list[int]:
        """Find the runs of dead workers and what is waiting: returns ids to hand the executor.

        A running run whose lease expired before ``now`` is marked interrupted and its retry
        requested (bounded by ``max_attempts``). Queued runs older than one lease whose job is
        not running (left by a crash between request and hand-over, or a stop) are returned
        too; executing a run twice is harmless, since only one worker can claim it.
        Every scheduler calls this on each tick; the conditional updates make it safe to run
        in several processes at once.
        """
        now = now or utcnow()
        with self.db.session() as session:
            expired = session.execute(
                select(Run.id, Run.lease_owner, Run.cancel_reason).where(
                    Run.status == "running", Run.lease_expires_at < now
                )
            ).all()
        retries = []
        for run_id, owner, cancel_reason in expired:
            reason = f"worker {owner} stopped renewing its lease"
            if cancel_reason:
                reason = f"{cancel_reason}; the job did not stop and {reason}"
            retry = self.interrupt(run_id, reason, lease_expired_before=now)
            if retry is not None:
                retries.append(retry)
        stale = self.waiting(older_than=now - timedelta(seconds=self.lease_seconds))
        return retries + [run_id for run_id in stale if run_id not in retries]

    def waiting(self, older_than: datetime | None = None) -> list[int]:
        """Queued runs (requested before ``older_than``) whose job has no running run."""
        queued = aliased(Run)
        running = (
            select(Run.id)
            .where(Run.status == "running")
            .where(Run.installation_id == queued.installation_id, Run.job_key == queued.job_key)
            .exists()
        )
        query = select(queued.id).where(queued.status == "queued", ~running).order_by(queued.id)
        if older_than is not None:
            query = query.where(queued.created_at < older_than)
        with self.db.session() as session:
            return list(session.scalars(query))

    def _retry_after_interruption(self, run_id: int) -> int | None:
        """Request the retry of an interrupted run unless it was cancelled on purpose or has
        used its attempts; the reason for no retry is added to the run's error."""
        with self.db.session() as session:
            run = session.get(Run, run_id)
            deliberate = run.cancel_requested and run.cancel_reason != SHUTDOWN
            if deliberate:
                return None
            if run.attempt >= self.max_attempts:
                run.error = f"{run.error}; not retried: {run.attempt} attempts made"
                return None
            retry = Run(
                installation_id=run.installation_id,
                job_key=run.job_key,
                trigger="retry",
                scheduled_for=utcnow(),
                requested_by=run.requested_by,
                attempt=run.attempt + 1,
                retry_of=run.id,
            )
            session.add(retry)
            session.flush()
            log.info("run %s interrupted (%s); retry is run %s", run.id, run.error, retry.id)
            return retry.id

    def _submit_next_queued(self, installation_id: int, job_key: str) -> None:
        """Hand the oldest run that waited for this job (``when_busy="queue"``) to the executor."""
        with self.db.session() as session:
            waiting = session.scalar(
                select(Run.id)
                .where(
                    Run.installation_id == installation_id,
                    Run.job_key == job_key,
                    Run.status == "queued",
                )
                .order_by(Run.id)
                .limit(1)
            )
        if waiting is not None:
            self.executor.submit(waiting)

    def context_now(self, session: Session, installation: Installation) -> JobContext:
        """The context of an action, a picker or a page working for ``installation`` outside a
        run, with its current configuration."""
        version = self.configs.current(session, installation.id)
        return self.context(installation, version, run_id=None)

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
        """Move a queued run to running, with this worker's lease, unless another run of its
        job is running."""
        with self.db.session() as session:
            run = session.get(Run, run_id)
            if run is None:
                raise LookupError(f"no run {run_id}")
            if run.status != "queued":
                return None
            # Two workers must not both see "nothing running": lock the installation first,
            # then read the run again under the lock.
            installation = _lock_installation(session, run.installation_id)
            session.refresh(run)
            if run.status != "queued":
                return None
            connector = self.host.connector(installation.connector_id)
            job = connector.jobs.get(run.job_key)
            if job is None:
                run.status, run.finished_at = "failed", utcnow()
                run.error = f"connector {connector.id} no longer has a job {run.job_key!r}"
                return None
            running = set(
                session.scalars(
                    select(Run.job_key).where(
                        Run.installation_id == run.installation_id,
                        Run.job_key.in_(_group_of(connector, job)),
                        Run.status == "running",
                    )
                )
            )
            if run.job_key in running:
                if job.when_busy == "skip":
                    run.status, run.finished_at = "skipped", utcnow()
                    run.error = "another run of this job was still running"
                return None
            if running:
                return None  # another job of its exclusive group runs; it waits its turn
            version = self.configs.current(session, installation.id)
            run.status = "running"
            run.started_at = utcnow()
            run.config_version = version.version
            run.lease_owner = owner_id()
            run.lease_expires_at = run.started_at + timedelta(seconds=self.lease_seconds)
            return run, installation, job, version

    def logs(self, run_id: int) -> list[RunLog]:
        """The run's log lines, oldest first."""
        with self.db.session() as session:
            return list(
                session.scalars(select(RunLog).where(RunLog.run_id == run_id).order_by(RunLog.id))
            )


def _group_of(connector: Connector, job: JobDefinition) -> list[str]:
    """The job's key and those of the connector's jobs sharing its exclusive group."""
    if job.exclusive_group is None:
        return [job.key]
    return [job.key] + [
        other.key
        for other in connector.jobs.values()
        if other.exclusive_group == job.exclusive_group and other.key != job.key
    ]


def _lock_installation(session: Session, installation_id: int) -> Installation:
    """Lock the installation row for the rest of the transaction; claims of its runs queue here.

    PostgreSQL takes a row lock. SQLite ignores FOR UPDATE and its driver starts a transaction
    only at the first write, so there a no-op write takes the database's write lock instead.
    """
    if session.get_bind().dialect.name == "sqlite":
        session.execute(
            text("UPDATE installations SET id = id WHERE id = :id"), {"id": installation_id}
        )
        return session.get(Installation, installation_id)
    return session.scalars(
        select(Installation).where(Installation.id == installation_id).with_for_update()
    ).one()
