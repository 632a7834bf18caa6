"""The Celery application of the distributed mode, built from the host's settings.

Delivery is at-least-once by design: a message is acknowledged only after its run ended
(``task_acks_late``, and rejected back to the queue when a pool process dies under it), so the
message of a worker that died is delivered again (by Redis after its visibility timeout); the
run's lease and the schedulers' sweep recover the run itself sooner. A worker holds one message
at a time (prefetch 1) so a long run does not hide queued ones from idle workers. A message
delivered twice is harmless because the runner only starts a run that is still queued.
"""

from __future__ import annotations

from celery import Celery

from core.settings import Settings

EXECUTE_RUN = "integrations.execute_run"
RUNS_QUEUE = "integrations.runs"


class BrokerNotConfigured(ValueError):
    """The distributed mode was asked for without ``INTEGRATIONS_BROKER_URL``."""


def require_broker(settings: Settings) -> str:
    """The broker URL, or the error saying which setting to set."""
    if not settings.broker_url:
        raise BrokerNotConfigured(
            "INTEGRATIONS_BROKER_URL is not set: the distributed mode needs a Celery broker, "
            "e.g. redis://127.0.0.1:6379/0"
        )
    return settings.broker_url


def create_celery(settings: Settings) -> Celery:
    """The Celery app sending to and consuming from ``settings.broker_url``."""
    broker = require_broker(settings)
    app = Celery("integrations", broker=broker, include=["core.distributed.tasks"])
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_serializer="json",
        accept_content=["json"],
        # The run row is the result: no result backend, nothing to expire.
        task_ignore_result=True,
        task_default_queue=RUNS_QUEUE,
        broker_connection_retry_on_startup=True,
    )
    return app
