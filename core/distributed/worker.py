"""``integrations worker``: a Celery worker that executes runs.

The worker uses Celery's thread pool: the runs of one process share one set of services (a
database pool, the key ring, the plugins) and spend their time waiting on HTTP and the database,
which threads do well. Mingle and gossip (workers syncing revokes and clocks with each other) are
off because the database, not the workers, decides what runs.
"""

from __future__ import annotations

import os

from core.distributed.celery_app import RUNS_QUEUE, create_celery, require_broker
from core.distributed.tasks import worker_services
from core.settings import Settings


def run_worker(*, concurrency: int, loglevel: str = "INFO") -> None:
    """Consume runs until stopped; the services (settings from the environment) are wired
    first, so a bad setting fails now rather than at the first run."""
    if concurrency < 1:
        raise ValueError(f"concurrency: must be at least 1, got {concurrency}")
    require_broker(Settings.from_env())
    app = create_celery(worker_services().settings)
    app.worker_main(
        [
            "worker",
            "--pool=threads",
            f"--concurrency={concurrency}",
            f"--loglevel={loglevel}",
            f"--hostname=integrations-{os.getpid()}@%h",
            f"--queues={RUNS_QUEUE}",
            "--without-mingle",
            "--without-gossip",
        ]
    )
