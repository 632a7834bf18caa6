"""The distributed mode with every part real: ``integrations scheduler`` and ``integrations
worker`` processes, PostgreSQL and Redis from the local services.

A compressed hour: the schedulers read the time from a clock file (``--clock-file``) that the
test moves forward one cron slot at a time, as soon as the previous slot's runs are done, so an
hour of slots passes in a minute or two while everything else (firing, the database's
deduplication, Celery, the workers, leases) runs at real speed. A clock that merely ran faster
would make the test depend on the machine's load: a scheduler starved for a few seconds would
miss slots, which the misfire policy then rightly coalesces. Slots every five minutes (13 slots
of 200 installations: 2,600 runs) keep the test near a minute on a quiet two-CPU machine and
within three minutes on a busy one.
"""

from __future__ import annotations

import os
import signal
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from relay_plugin import TOKEN
from sqlalchemy import func, select
from support import Processes, executions, wait_until

from core import cron
from core.services import Services
from core.store.models import Run, Schedule, utcnow

pytestmark = [
    pytest.mark.distributed,
    pytest.mark.parametrize("integrations_database_url", ["postgres"], indirect=True),
]

INSTALLATIONS = 200
CRON = "*/5 * * * *"
SLOT = timedelta(minutes=5)
HOUR = timedelta(hours=1)
READY = {"worker1": "ready.", "worker2": "ready.", "scheduler1": "ticking", "scheduler2": "ticking"}


def set_clock(path: Path, moment: datetime) -> None:
    """Move the schedulers' clock (written whole, then renamed: a tick never reads half)."""
    partial = path.with_suffix(".tmp")
    partial.write_text(moment.isoformat())
    partial.replace(path)


def unfinished(services: Services) -> int:
    with services.db.session() as session:
        return session.scalar(
            select(func.count()).select_from(Run).where(Run.status.in_(["queued", "running"]))
        )


def runs_at(services: Services, slot: datetime) -> tuple[int, int]:
    """How many runs the slot has, and how many runs of any slot are not finished."""
    with services.db.session() as session:
        fired = session.scalar(
            select(func.count()).select_from(Run).where(Run.scheduled_for == slot)
        )
    return fired, unfinished(services)


def test_two_schedulers_and_two_workers_run_every_slot_of_an_hour_exactly_once(
    integrations: Services, install_connector, processes: Processes, tmp_path: Path
):
    clock = tmp_path / "clock"
    set_clock(clock, utcnow())
    workers = [processes.start(f"worker{n}", "worker", "--concurrency", "4") for n in (1, 2)]
    for n in (1, 2):
        processes.start(f"scheduler{n}", "scheduler", "--tick", "0.5", "--clock-file", str(clock))
    config = {"work": {"token": TOKEN, "tick_cron": CRON}}
    for _ in range(INSTALLATIONS):
        install_connector("relay", config)
    with integrations.db.session() as session:
        first = dict(session.execute(select(Schedule.installation_id, Schedule.next_run_at)).all())
    assert len(first) == INSTALLATIONS
    start = min(first.values())  # later by one slot for installations made after a slot passed

    def ready() -> bool:
        processes.check_alive()
        return all(line in processes.log(name) for name, line in READY.items())

    wait_until(ready, 90, "the workers and schedulers to start")
    slot, slots = start, []
    while slot <= start + HOUR:
        set_clock(clock, slot)
        due = sum(1 for fires in first.values() if fires <= slot)
        wait_until(
            lambda slot=slot, due=due: (
                processes.check_alive() or runs_at(integrations, slot) == (due, 0)
            ),
            60,
            f"every installation's run of the slot {slot:%H:%M} to be fired and finished",
            every=0.1,
        )
        slots.append(slot)
        slot = cron.next_fire_time(CRON, "UTC", slot)
    for name, process in processes.started:
        if name.startswith("scheduler"):
            processes.stop(process)

    with integrations.db.session() as session:
        runs = session.execute(
            select(Run.id, Run.installation_id, Run.scheduled_for, Run.status, Run.trigger)
        ).all()
        schedules = session.execute(select(Schedule.installation_id, Schedule.next_run_at)).all()
    slots_of: dict[int, list[datetime]] = defaultdict(list)
    for run in runs:
        slots_of[run.installation_id].append(run.scheduled_for)
    assert len(slots) == HOUR / SLOT + 1
    for installation_id, next_run_at in schedules:
        assert sorted(slots_of[installation_id]) == [
            s for s in slots if s >= first[installation_id]
        ]
        assert next_run_at == slot
    assert Counter((r.trigger, r.status) for r in runs) == {("schedule", "succeeded"): len(runs)}
    executed = executions(integrations)
    assert sorted(executed) == sorted(r.id for r in runs)
    assert all(len(pids) == 1 for pids in executed.values()), "a run was executed twice"
    assert {pid for pids in executed.values() for pid in pids} == {w.pid for w in workers}


def test_a_run_whose_worker_is_killed_is_retried_on_the_other_worker(
    integrations: Services, broker_services: Services, install_connector, processes: Processes
):
    processes.env["INTEGRATIONS_RUN_LEASE_SECONDS"] = "3"
    installation = install_connector(
        "relay", {"work": {"token": TOKEN, "tick_cron": "0 0 1 1 *", "slow_seconds": 5}}
    )
    workers = {
        process.pid: process
        for process in (
            processes.start(f"worker{n}", "worker", "--concurrency", "1") for n in (1, 2)
        )
    }
    for n in (1, 2):
        processes.start(f"scheduler{n}", "scheduler", "--tick", "0.5")
    run = integrations.runner.request(installation.id, "slow", trigger="manual")
    broker_services.executor.submit(run.id)  # as *Run now* in a web process does

    owner = wait_until(lambda: lease_owner(integrations, run.id), 60, "the run to start")
    killed = int(owner.split(":")[1])
    assert killed in workers
    os.kill(killed, signal.SIGKILL)
    workers.pop(killed).wait(timeout=10)

    def retried() -> Run | None:
        processes.check_alive()
        with integrations.db.session() as session:
            return session.scalar(
                select(Run).where(Run.retry_of == run.id, Run.status == "succeeded")
            )

    retry = wait_until(retried, 60, "the retry of the killed run to succeed")
    with integrations.db.session() as session:
        original = session.get(Run, run.id)
        statuses = Counter(session.scalars(select(Run.status)))
    assert original.status == "interrupted"
    assert f":{killed}:" in original.error
    assert (retry.trigger, retry.attempt) == ("retry", 2)
    assert statuses == {"interrupted": 1, "succeeded": 1}
    assert executions(integrations) == {retry.id: list(workers)}


def lease_owner(services: Services, run_id: int) -> str | None:
    with services.db.session() as session:
        return session.scalar(
            select(Run.lease_owner).where(Run.id == run_id, Run.status == "running")
        )
