"""Fire times through the scheduler path with a fake clock: ``fire_due`` is called with the
``now`` a scheduler would see, and the run rows it creates are the fire times.

Hourly, daily, weekday and daylight-saving schedules (America/New_York), misfires after
downtime, schedules never planned, and exactly-once with two schedulers ticking one database.
"""

from __future__ import annotations

import dataclasses
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sample_plugins import SampleConnector, complete_config, sample_jobs, sample_schema
from sqlalchemy import select, update

from core import cron
from core.firing import fire_due
from core.scheduler import EmbeddedScheduler
from core.services import Services, build
from core.settings import RunSettings
from core.store.models import Installation, Run, Schedule

MINUTES_5 = timedelta(minutes=5)
MINUTES_10 = timedelta(minutes=10)
MINUTES_15 = timedelta(minutes=15)
HOUR = timedelta(hours=1)


@pytest.fixture
def integrations_settings(integrations_settings):
    """Spreading off: these tests read exact fire times (spreading has its own test)."""
    return dataclasses.replace(integrations_settings, runs=RunSettings(spread_seconds=0))


@pytest.fixture
def sample() -> SampleConnector:
    """The sample connector with a time-zone field its jobs' schedules are read in."""
    schema = sample_schema()
    schema["properties"]["sync"]["properties"]["timezone"] = {"type": "string", "default": "UTC"}
    jobs = [dataclasses.replace(job, timezone_field="/sync/timezone") for job in sample_jobs()]
    return SampleConnector(schema=schema, jobs=jobs)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def configure(install_connector, integrations: Services):
    """Install the sample with ``contacts_cron`` (deals off) in ``timezone``, with the clock
    set to ``at``: the schedule is planned from then, as a scheduler starting then would."""

    def install(contacts_cron: str, timezone: str = "UTC", *, at: datetime) -> int:
        config = complete_config()
        config["sync"].update(contacts_cron=contacts_cron, deals_enabled=False, timezone=timezone)
        installation = install_connector("sample", config)
        with integrations.db.session() as session:
            session.execute(update(Schedule).values(next_run_at=None))
        assert fire_due(integrations, at) == []
        return installation.id

    return install


def fire_times(
    integrations: Services, start: datetime, end: datetime, step: timedelta
) -> list[datetime]:
    """Tick every ``step`` from ``start`` to ``end``; the slots fired, each checked to have
    fired at the first tick after it."""
    fired = []
    now = start
    while now <= end:
        for run_id in fire_due(integrations, now):
            with integrations.db.session() as session:
                slot = session.get(Run, run_id).scheduled_for
            assert now - step < slot <= now, f"slot {slot} fired late, at {now}"
            fired.append(slot)
        now += step
    return fired


def test_hourly_fires_on_every_hour(configure, integrations: Services):
    configure("0 * * * *", at=utc(2026, 1, 5, 10, 20))
    fired = fire_times(integrations, utc(2026, 1, 5, 10, 25), utc(2026, 1, 5, 15, 20), MINUTES_5)
    assert fired == [utc(2026, 1, 5, hour) for hour in range(11, 16)]


def test_daily_fires_at_the_local_time_of_its_zone(configure, integrations: Services):
    configure("30 6 * * *", "Europe/Paris", at=utc(2026, 1, 5))
    fired = fire_times(integrations, utc(2026, 1, 5), utc(2026, 1, 8), MINUTES_15)
    assert fired == [utc(2026, 1, day, 5, 30) for day in (5, 6, 7)]  # 06:30 CET is 05:30 UTC


def test_weekday_schedule_skips_the_weekend(configure, integrations: Services):
    configure("0 9 * * 1-5", "America/New_York", at=utc(2026, 1, 2))  # a Friday
    fired = fire_times(integrations, utc(2026, 1, 2, 1), utc(2026, 1, 10), HOUR)
    # Friday the 2nd, then Monday the 5th to Friday the 9th; 09:00 EST is 14:00 UTC
    assert fired == [utc(2026, 1, day, 14) for day in (2, 5, 6, 7, 8, 9)]


def test_hourly_across_spring_forward_fires_once_every_real_hour(configure, integrations: Services):
    # 2026-03-08 02:00 EST in New York becomes 03:00 EDT (07:00 UTC).
    configure("0 * * * *", "America/New_York", at=utc(2026, 3, 8, 4, 30))
    fired = fire_times(integrations, utc(2026, 3, 8, 4, 30), utc(2026, 3, 8, 10, 30), MINUTES_10)
    assert fired == [utc(2026, 3, 8, hour) for hour in range(5, 11)]


def test_daily_at_a_time_spring_forward_skips_fires_just_after_the_jump(
    configure, integrations: Services
):
    configure("30 2 * * *", "America/New_York", at=utc(2026, 3, 7, 12))
    fired = fire_times(integrations, utc(2026, 3, 7, 12), utc(2026, 3, 10, 12), MINUTES_15)
    # 02:30 EST (07:30Z), then 03:00 EDT on the day 02:30 does not exist, then 02:30 EDT
    assert fired == [utc(2026, 3, 8, 7), utc(2026, 3, 9, 6, 30), utc(2026, 3, 10, 6, 30)]


def test_hourly_across_fall_back_fires_once_every_real_hour(configure, integrations: Services):
    # 2026-11-01 02:00 EDT in New York becomes 01:00 EST (06:00 UTC): 01:xx happens twice.
    configure("0 * * * *", "America/New_York", at=utc(2026, 11, 1, 3, 30))
    fired = fire_times(integrations, utc(2026, 11, 1, 3, 30), utc(2026, 11, 1, 8, 30), MINUTES_10)
    assert fired == [utc(2026, 11, 1, hour) for hour in range(4, 9)]


def test_daily_in_the_repeated_hour_fires_once(configure, integrations: Services):
    configure("30 1 * * *", "America/New_York", at=utc(2026, 10, 31, 12))
    fired = fire_times(integrations, utc(2026, 10, 31, 12), utc(2026, 11, 2, 12), MINUTES_15)
    # 01:30 EDT on the 1st (05:30Z) and not again at 01:30 EST (06:30Z); 01:30 EST on the 2nd
    assert fired == [utc(2026, 11, 1, 5, 30), utc(2026, 11, 2, 6, 30)]


def test_missed_slots_after_downtime_coalesce_into_one_run(configure, integrations: Services):
    installation_id = configure("*/15 * * * *", at=utc(2026, 1, 5, 10, 1))
    # The scheduler is down from 10:01 to 15:07: twenty slots pass unfired.
    (run_id,) = fire_due(integrations, utc(2026, 1, 5, 15, 7))
    with integrations.db.session() as session:
        run = session.get(Run, run_id)
        schedule = session.scalar(
            select(Schedule).where(Schedule.installation_id == installation_id)
        )
    assert (run.job_key, run.trigger, run.scheduled_for) == (
        "import_contacts",
        "schedule",
        utc(2026, 1, 5, 10, 15),  # the first missed slot
    )
    assert schedule.next_run_at == utc(2026, 1, 5, 15, 15)  # planned from now, not replayed
    assert fire_due(integrations, utc(2026, 1, 5, 15, 10)) == []
    assert len(fire_due(integrations, utc(2026, 1, 5, 15, 15))) == 1


def test_schedules_never_planned_get_their_next_fire_time_without_firing(
    configure, integrations: Services
):
    configure("0 6 * * *", "America/New_York", at=utc(2026, 1, 5, 12))
    with integrations.db.session() as session:
        (planned,) = session.scalars(select(Schedule.next_run_at))
    assert planned == utc(2026, 1, 6, 11)


def test_a_paused_installation_does_not_fire(configure, integrations: Services):
    installation_id = configure("*/15 * * * *", at=utc(2026, 1, 5, 10))
    with integrations.db.session() as session:
        installation = integrations.installations.get(
            session, _tenant(integrations, installation_id), installation_id
        )
        integrations.schedules.pause(session, installation, "needs reconnecting")
    assert fire_due(integrations, utc(2026, 1, 5, 12)) == []


def test_a_schedule_that_can_no_longer_be_computed_is_paused_with_the_reason(
    configure, integrations: Services
):
    configure("*/15 * * * *", at=utc(2026, 1, 5, 10))
    with integrations.db.session() as session:
        session.execute(update(Schedule).values(timezone="Mars/Olympus_Mons"))
    assert len(fire_due(integrations, utc(2026, 1, 5, 10, 20))) == 1  # the due slot still fires
    assert fire_due(integrations, utc(2026, 1, 5, 12)) == []
    with integrations.db.session() as session:
        schedule = session.scalar(select(Schedule))
    assert schedule.next_run_at is None
    assert schedule.paused_reason.startswith("schedule cannot run: invalid time zone")


def test_default_hourly_schedules_are_spread_stably_across_the_window(
    install_connector, integrations: Services
):
    integrations.schedules.spread_window_seconds = 900
    ids = [install_connector("sample", complete_config()).id for _ in range(20)]
    t0 = utc(2026, 1, 5, 9, 59, 30)
    with integrations.db.session() as session:
        session.execute(update(Schedule).values(next_run_at=None))
    fire_due(integrations, t0)
    fire_times(integrations, t0, utc(2026, 1, 5, 10, 59), timedelta(seconds=30))
    with integrations.db.session() as session:
        hourly = session.scalars(
            select(Run.scheduled_for).where(Run.job_key == "import_contacts")
        ).all()
    assert len(hourly) == len(ids)  # the default contacts_cron, once per installation
    assert all(utc(2026, 1, 5, 10) <= slot < utc(2026, 1, 5, 10, 15) for slot in hourly)
    assert len({slot.minute for slot in hourly}) >= 8  # not all at :00
    # Saving the configuration again (or restarting) keeps every installation's offset.
    with integrations.db.session() as session:
        before = dict(session.execute(select(Schedule.id, Schedule.offset_seconds)).all())
    for installation_id in ids:
        with integrations.db.session() as session:
            installation = integrations.installations.get(
                session, _tenant(integrations, installation_id), installation_id
            )
            integrations.installations.save_config(
                session, installation, complete_config(label="again"), actor="test"
            )
    with integrations.db.session() as session:
        assert dict(session.execute(select(Schedule.id, Schedule.offset_seconds)).all()) == before


def test_two_schedulers_ticking_one_database_fire_every_slot_exactly_once(
    install_connector, integrations: Services
):
    for _ in range(15):
        install_connector("sample", complete_config())  # hourly contacts, deals every 30 min
    start = utc(2026, 1, 5, 10, 2)
    with integrations.db.session() as session:
        session.execute(update(Schedule).values(next_run_at=None))
    fire_due(integrations, start)
    other = build(integrations.settings, host=integrations.host)  # a second process's services
    schedulers = [EmbeddedScheduler(integrations), EmbeddedScheduler(other)]
    ticks = [start + MINUTES_5 * n for n in range(1, 37)]  # three hours
    barrier = threading.Barrier(2)
    fired: list[list[int]] = [[], []]
    errors: list[BaseException] = []

    def tick(index: int) -> None:
        try:
            for now in ticks:
                barrier.wait(timeout=60)
                fired[index].extend(schedulers[index].tick(now))
        except BaseException as exc:  # surfaced below, with the thread's own traceback
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=tick, args=(index,)) for index in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    other.db.dispose()
    assert not errors, errors
    assert not set(fired[0]) & set(fired[1])
    with integrations.db.session() as session:
        runs = session.execute(
            select(Run.id, Run.installation_id, Run.job_key, Run.scheduled_for, Run.status)
        ).all()
        schedules = session.scalars(select(Schedule)).all()
        expected = sorted(
            (s.installation_id, s.job_key, slot.astimezone(UTC))
            for s in schedules
            for slot in cron.next_runs(
                s.cron, s.timezone, after=start, count=10, offset_seconds=s.offset_seconds
            )
            if slot <= ticks[-1]
        )
    assert sorted(fired[0] + fired[1]) == sorted(run.id for run in runs)
    assert sorted((r.installation_id, r.job_key, r.scheduled_for) for r in runs) == expected
    assert len(expected) == 15 * (3 + 6)
    assert {run.status for run in runs} == {"succeeded"}


def _tenant(integrations: Services, installation_id: int) -> int:
    with integrations.db.session() as session:
        return session.get(Installation, installation_id).tenant_id
