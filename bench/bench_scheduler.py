"""The embedded scheduler with 10,000 installations of three jobs each: start-up, memory, lateness.

A bench connector registered in this process has three no-op jobs on the default hourly
schedule. Installations, their configurations and their 30,000 schedules are inserted in bulk,
with no next fire time, as a fresh database after a bulk import would have them. Then:

* **start-up**: from building the services (migrations) to the end of the first tick, which
  plans the 30,000 schedules' next fire times;
* **memory**: the process's resident set after start-up and at the end;
* **lateness**: the scheduler runs on a compressed clock (``--speed`` simulated seconds per
  real second) from ten simulated seconds before the hour, so the hour's runs, spread over the
  15-minute window, fall due while it ticks once a real second. Each run's lateness is measured
  in real seconds from the moment the compressed clock reached its slot: *fired* when the
  scheduler inserted its row, *started* when a pool worker began it.

Runs execute on the embedded pool (``--workers`` threads) through the whole run path (claim,
lease and heartbeat, context, outcome) with a job that does nothing, so the figures are the
scheduler's and the runner's own cost. Every loop is bounded by ``--seconds``.

    .venv/bin/python bench/bench_scheduler.py [--installations 10000] [--speed 2] [--seconds 60]
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from sqlalchemy import insert, select

from core import cron, hookimpl
from core.connector import JobDefinition
from core.executor import PoolExecutor
from core.plugins import PluginHost
from core.runner import JobContext
from core.scheduler import EmbeddedScheduler
from core.services import Services, build
from core.settings import Settings
from core.store.models import ConfigVersion, Installation, Run, Schedule, Tenant

JOBS = ("import_customers", "export_invoices", "import_payments")
WINDOW = 900
CHUNK = 2000


def do_nothing(ctx: JobContext) -> None:
    """The no-op job: the run path's cost is what is measured."""


class BenchConnector:
    """A connector with three hourly jobs and nothing else."""

    @hookimpl
    def connector_manifest(self) -> dict[str, Any]:
        return {
            "id": "bench",
            "name": "Bench",
            "version": "1.0.0",
            "category": "Other",
            "summary": "Three no-op hourly jobs.",
            "host_versions": ">=0.1,<1",
        }

    @hookimpl
    def connector_config_schema(self) -> dict[str, Any]:
        fields = {
            f"{job}_cron": {"type": "string", "format": "cron", "default": cron.DEFAULT_SCHEDULE}
            for job in JOBS
        }
        return {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "properties": {
                "sync": {
                    "type": "object",
                    "title": "Sync",
                    "description": "When the jobs run.",
                    "properties": fields,
                }
            },
        }

    @hookimpl
    def register_jobs(self, register: Callable[[JobDefinition], None]) -> None:
        for job in JOBS:
            register(
                JobDefinition(
                    key=job, title=job, run=do_nothing, schedule_field=f"/sync/{job}_cron"
                )
            )


def bulk_load(services: Services, count: int) -> None:
    """Insert ``count`` installations with a configuration and three unplanned schedules."""
    with services.db.session() as session:
        tenant = Tenant(slug="bench", name="Bench")
        session.add(tenant)
        session.flush()
        tenant_id = tenant.id
    for start in range(0, count, CHUNK):
        size = min(CHUNK, count - start)
        with services.db.session() as session:
            ids = session.scalars(
                insert(Installation).returning(Installation.id),
                [
                    {
                        "tenant_id": tenant_id,
                        "connector_id": "bench",
                        "connector_version": "1.0.0",
                        "name": f"Bench {start + n}",
                        "status": "active",
                    }
                    for n in range(size)
                ],
            ).all()
            session.execute(
                insert(ConfigVersion),
                [
                    {
                        "installation_id": i,
                        "version": 1,
                        "connector_version": "1.0.0",
                        "values": {"sync": {f"{job}_cron": cron.DEFAULT_SCHEDULE for job in JOBS}},
                        "changes": [],
                        "created_by": "bench",
                    }
                    for i in ids
                ],
            )
            session.execute(
                insert(Schedule),
                [
                    {
                        "installation_id": i,
                        "job_key": job,
                        "cron": cron.DEFAULT_SCHEDULE,
                        "timezone": "UTC",
                        "offset_seconds": cron.spread_offset(f"{i}:{job}", WINDOW),
                        "next_run_at": None,
                    }
                    for i in ids
                    for job in JOBS
                ],
            )


def rss_mb() -> float:
    """Resident set size now (Linux), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--installations", type=int, default=10_000)
    parser.add_argument("--speed", type=float, default=2, help="simulated s per real s")
    parser.add_argument("--seconds", type=float, default=60, help="real seconds of ticking")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--database-url", help="default: SQLite in a temporary directory")
    args = parser.parse_args()
    # A tick longer than its interval is reported by the lateness figures, not line by line.
    logging.getLogger("apscheduler").setLevel(logging.ERROR)

    data = Path(tempfile.mkdtemp(prefix="bench-scheduler-"))
    settings = Settings(
        data_dir=data,
        database_url=args.database_url or f"sqlite:///{data / 'bench.db'}",
        secret_keys=(Fernet.generate_key().decode(),),
    )
    host = PluginHost()
    host.register(BenchConnector(), "bench")
    load_started = time.perf_counter()
    loader = build(settings, host=host)
    bulk_load(loader, args.installations)
    loader.db.dispose()
    schedules = args.installations * len(JOBS)
    print(
        f"loaded {args.installations} installations, {schedules} schedules in "
        f"{time.perf_counter() - load_started:.1f} s"
    )

    # The simulated clock stands ten simulated seconds before the hour until start-up is over.
    sim_start = datetime(2026, 1, 5, 10, 59, 50, tzinfo=UTC)
    real_start = 0.0

    def clock() -> datetime:
        if not real_start:
            return sim_start
        return sim_start + timedelta(seconds=(time.time() - real_start) * args.speed)

    started = time.perf_counter()
    services = build(settings, host=host)
    pool = PoolExecutor(services.runner, args.workers)
    services.use_executor(pool)
    scheduler = EmbeddedScheduler(services, tick_seconds=1, clock=clock)
    scheduler.tick()  # plans every schedule, as the first tick after a start does
    scheduler.start()
    startup = time.perf_counter() - started
    real_start = time.time()
    rss_started = rss_mb()
    print(
        f"start-up (services, migrations, first tick planning {schedules} schedules): "
        f"{startup:.2f} s; RSS {rss_started:.0f} MiB"
    )

    time.sleep(args.seconds)
    interrupted = scheduler.stop(timeout=10)
    rss_end = rss_mb()

    def real(at: datetime) -> datetime:
        """When the compressed clock showed ``at``, in real time."""
        return datetime.fromtimestamp(
            real_start + (at - sim_start).total_seconds() / args.speed, UTC
        )

    with services.db.session() as session:
        runs = session.execute(
            select(Run.scheduled_for, Run.created_at, Run.started_at, Run.status)
        ).all()
    fired = [(r.created_at - real(r.scheduled_for)).total_seconds() for r in runs]
    begun = [(r.started_at - real(r.scheduled_for)).total_seconds() for r in runs if r.started_at]
    simulated = args.seconds * args.speed
    statuses: dict[str, int] = {}
    for r in runs:
        statuses[r.status] = statuses.get(r.status, 0) + 1
    print(
        f"ticked {args.seconds:.0f} s real = {simulated:.0f} s simulated "
        f"({100 * min(1, max(0, simulated - 10) / WINDOW):.0f}% of the spread window)"
    )
    print(f"runs fired: {len(runs)} ({len(runs) / args.seconds:.0f}/s); by status: {statuses}")
    if fired:
        print(
            f"fire lateness  p50 {percentile(fired, 0.5):.2f} s  p99 "
            f"{percentile(fired, 0.99):.2f} s  max {max(fired):.2f} s"
        )
    if begun:
        print(
            f"start lateness p50 {percentile(begun, 0.5):.2f} s  p99 "
            f"{percentile(begun, 0.99):.2f} s  mean {statistics.mean(begun):.2f} s"
        )
    print(f"RSS at the end {rss_end:.0f} MiB; runs interrupted by the stop: {len(interrupted)}")
    print(f"load average during the bench: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    services.db.dispose()


if __name__ == "__main__":
    main()
