"""A scheduler process's sweep: a waiting run is sent again when its message may be lost, but a
long queue is not flooded with copies."""

from __future__ import annotations

from datetime import timedelta

import pytest
import redis
from relay_plugin import TOKEN
from sqlalchemy import update

from core.distributed.celery_app import RUNS_QUEUE
from core.distributed.scheduler_process import SchedulerProcess
from core.services import Services
from core.store.models import Run, utcnow

pytestmark = [
    pytest.mark.distributed,
    pytest.mark.parametrize("integrations_database_url", ["postgres"], indirect=True),
]


def test_a_waiting_run_is_sent_again_after_one_lease_then_less_and_less_often(
    broker_services: Services, install_connector, redis_url: str
):
    installation = install_connector("relay", {"work": {"token": TOKEN, "tick_cron": "0 0 1 1 *"}})
    run = broker_services.runner.request(installation.id, "slow", trigger="manual")
    start = utcnow()
    with broker_services.db.session() as session:  # requested, and its message never sent
        session.execute(
            update(Run).where(Run.id == run.id).values(created_at=start - timedelta(minutes=5))
        )
    scheduler = SchedulerProcess(broker_services, broker_services.executor, tick_seconds=1)
    lease = timedelta(seconds=broker_services.runner.lease_seconds)
    queue = redis.Redis.from_url(redis_url)

    sent = {}  # leases after the first sweep: what that tick sent
    for leases in (0, 0.1, 0.9, 1, 1.1, 2.9, 3, 3.1, 6.9, 7):
        sent[leases] = scheduler.tick(start + lease * leases)
    assert [leases for leases, ids in sent.items() if ids == [run.id]] == [0, 1, 3, 7]
    assert all(ids in ([], [run.id]) for ids in sent.values())
    assert queue.llen(RUNS_QUEUE) == 4

    with broker_services.db.session() as session:
        session.execute(update(Run).where(Run.id == run.id).values(status="succeeded"))
    assert scheduler.tick(start + lease * 100) == []
    assert queue.llen(RUNS_QUEUE) == 4
