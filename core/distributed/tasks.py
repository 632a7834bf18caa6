"""The one Celery task: execute a run, given its id.

A worker process wires the services (database pool, keys, plugins) once, on its first task, and
reuses them for every run after; the runner decides from the run row whether there is anything
to do, so a redelivered or duplicated message changes nothing.
"""

from __future__ import annotations

import logging
import threading

from celery import shared_task

from core.distributed.celery_app import EXECUTE_RUN
from core.services import Services, build

log = logging.getLogger(__name__)

_services: Services | None = None
_services_lock = threading.Lock()


def worker_services() -> Services:
    """This process's services, built on first use (after Celery forked, if it forks)."""
    global _services
    with _services_lock:
        if _services is None:
            _services = build(migrate=False)
        return _services


@shared_task(name=EXECUTE_RUN, ignore_result=True)
def execute_run(run_id: int) -> None:
    """Execute run ``run_id`` if it is still queued; a run that no longer exists is dropped."""
    try:
        worker_services().runner.execute(run_id)
    except LookupError as missing:
        log.warning("run %s not executed: %s", run_id, missing)
