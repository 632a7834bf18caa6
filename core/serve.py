"""``integrations serve``: the embedded default in one process.

Migrations applied, a demo tenant with an admin user, the plugins' services (the QuickBooks
emulator), the scheduler and the web app on a production WSGI server (waitress).
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
from core.scheduler import EmbeddedScheduler
from core.services import Services
from core.store.models import User
from core.tenants import create_user, get_or_create_tenant

log = logging.getLogger(__name__)


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
    stops: list[Callable[[], None]] = []
    _stop_on_sigterm()
    try:
        if start_services:
            settings = {"data_dir": str(services.settings.data_dir)}
            for service in services.host.services():
                stops.append(service.start(settings))
                click.echo(f"started service {service.name}")
        if scheduler:
            embedded = EmbeddedScheduler(services)
            embedded.start()
            stops.append(embedded.stop)
        click.echo(f"Integrations Library on http://{host}:{port}/")
        serve(create_app(services), host=host, port=port, threads=threads, ident=None)
    finally:
        for stop in reversed(stops):
            stop()


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
