"""``integrations serve``: the embedded default in one process.

Migrations applied, a demo tenant with an admin user and its demo ledger, the plugins' services
(the QuickBooks emulator), the scheduler and the web app on a production WSGI server (waitress).
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable

import click
from sqlalchemy import func, select
from waitress import serve

from core.app import create_app
from core.demo import load_demo_data
from core.executor import PoolExecutor
from core.scheduler import EmbeddedScheduler
from core.services import Services
from core.store.models import User
from core.tenants import create_user, get_or_create_tenant, tenant_by_slug

log = logging.getLogger(__name__)

SHUTDOWN_SECONDS = 20
"""How long a stop waits for running jobs to reach a safe point (process managers such as
systemd and Kubernetes wait 30 s after SIGTERM before they kill)."""


def ensure_demo_tenant(services: Services) -> None:
    """Create the demo tenant and its admin on first start; print the password once."""
    with services.db.session() as session:
        tenant = get_or_create_tenant(session, "demo", "Demo Company")
        if session.scalar(select(func.count()).select_from(User)):
            return
        email = os.environ.get("INTEGRATIONS_ADMIN_EMAIL", "admin@example.com")
        password = os.environ.get("INTEGRATIONS_ADMIN_PASSWORD")
        _, password_used = create_user(session, tenant, email, password)
    if password is None:
        click.echo(f"Admin user created: {email} / {password_used} (shown once; keep it)")
    else:
        click.echo(f"Admin user created: {email} (password from INTEGRATIONS_ADMIN_PASSWORD)")


def ensure_demo_ledger(services: Services) -> None:
    """Load the demo tenant's ledger on first start; print a generated API password once."""
    with services.db.session() as session:
        tenant_id = tenant_by_slug(session, "demo").id
    demo = load_demo_data(services, tenant_id)
    if demo.loaded:
        click.echo("Demo ledger loaded: customers, items, tax rates, invoices and payments")
    if demo.api_password is not None:
        click.echo(
            f"Ledger API user created: {demo.api_username} / {demo.api_password} "
            "(shown once; keep it)"
        )


def prepare_demo(services: Services, base_url: str) -> None:
    """Let every plugin set up its demo installation for the demo tenant (``prepare_demo``).

    Called once the plugins' services run (a connector's demo may need its emulator) and runs
    have an executor; a plugin that fails is logged and the server starts anyway.
    """
    with services.db.session() as session:
        tenant_id = tenant_by_slug(session, "demo").id
    services.host.broadcast(
        "prepare_demo", services=services, tenant_id=tenant_id, base_url=base_url
    )


def run_server(
    services: Services,
    *,
    host: str,
    port: int,
    scheduler: bool = True,
    start_services: bool = True,
    threads: int = 8,
) -> None:
    """Serve until interrupted (Ctrl-C or SIGTERM), then stop the scheduler and services cleanly."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    ensure_demo_tenant(services)
    ensure_demo_ledger(services)
    stops: list[Callable[[], None]] = []
    _stop_on_sigterm()
    try:
        if start_services:
            settings = {"data_dir": str(services.settings.data_dir)}
            for service in services.host.services():
                stops.append(service.start(settings))
                click.echo(f"started service {service.name}")
        if services.settings.broker_url is None:
            # Embedded: runs execute on this process's bounded pool (Celery's otherwise).
            pool = PoolExecutor(services.runner, services.settings.runs.workers)
            services.use_executor(pool)
            if not scheduler:
                stops.append(lambda: _report_interrupted(pool.shutdown(SHUTDOWN_SECONDS)))
        if start_services:
            prepare_demo(services, f"http://{host}:{port}")
        if scheduler:
            embedded = EmbeddedScheduler(services)
            embedded.start()
            # Stops firing, lets running jobs reach a safe point, interrupts the rest.
            stops.append(lambda: _report_interrupted(embedded.stop(SHUTDOWN_SECONDS)))
        click.echo(f"Integrations Library on http://{host}:{port}/")
        serve(create_app(services), host=host, port=port, threads=threads, ident=None)
    finally:
        for stop in reversed(stops):
            stop()


def _report_interrupted(run_ids: list[int]) -> None:
    if run_ids:
        click.echo(f"interrupted runs {', '.join(map(str, run_ids))}; they retry at next start")


def _stop_on_sigterm() -> None:
    """Make SIGTERM (what process managers send) stop the server like Ctrl-C does.

    Python's default for SIGTERM ends the process at once: the scheduler and plugin services
    would not be stopped and runs in progress would be left "running".
    """
    if threading.current_thread() is not threading.main_thread():
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupt)
