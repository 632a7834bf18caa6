"""``CeleryExecutor``: hands a queued run to the Celery workers by its id alone.

The message names the task and carries one integer. Configuration and secrets stay in the
database, encrypted, and are read by the worker that executes the run, so a broker that is read
by someone else reveals which runs exist and nothing more.
"""

from __future__ import annotations

from celery import Celery

from core.distributed.celery_app import EXECUTE_RUN, create_celery
from core.settings import Settings


class CeleryExecutor:
    """A ``RunExecutor`` that sends ``execute_run(run_id)`` to the broker."""

    def __init__(self, app: Celery) -> None:
        self.app = app

    def submit(self, run_id: int) -> None:
        if isinstance(run_id, bool) or not isinstance(run_id, int):
            raise TypeError(f"run_id: expected an integer run id, got {type(run_id).__name__}")
        self.app.send_task(EXECUTE_RUN, args=(run_id,))


def celery_executor(settings: Settings) -> CeleryExecutor:
    """The executor of a process whose settings name a broker (``INTEGRATIONS_BROKER_URL``)."""
    return CeleryExecutor(create_celery(settings))
