"""1,000 installations on the default hourly schedule are spread across the window, the same
way after a restart, and the scheduler fires each of them once, at its own minute."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from sample_plugins import complete_config
from sqlalchemy import select

from core.firing import fire_due
from core.schedules import ScheduleBook
from core.services import Services
from core.store.models import Installation, Run, Schedule

T0 = datetime(2026, 1, 5, 9, 59, 59, tzinfo=UTC)
WINDOW = 900
COUNT = 1000


def sync_all(integrations: Services, book: ScheduleBook) -> dict[int, datetime]:
    """Rewrite every installation's schedules with ``book`` (as a config save or a new process
    would); the default hourly job's next fire time per installation."""
    connector = integrations.host.connector("sample")
    with integrations.db.session() as session:
        for installation in session.scalars(select(Installation)):
            book.sync(session, installation, connector, complete_config(), now=T0)
    with integrations.db.session() as session:
        return dict(
            session.execute(
                select(Schedule.installation_id, Schedule.next_run_at).where(
                    Schedule.job_key == "import_contacts"
                )
            ).all()
        )


def test_a_thousand_default_schedules_spread_evenly_and_stably(
    integrations: Services, tenant_id: int
):
    with integrations.db.session() as session:
        session.add_all(
            Installation(
                tenant_id=tenant_id,
                connector_id="sample",
                connector_version="1.0.0",
                name=f"Sample {n}",
                status="active",
            )
            for n in range(COUNT)
        )
    planned = sync_all(integrations, ScheduleBook(WINDOW))
    assert len(planned) == COUNT
    hour = T0 + timedelta(seconds=1)
    offsets = [(at - hour).total_seconds() for at in planned.values()]
    assert all(0 <= offset < WINDOW for offset in offsets)
    per_minute = Counter(int(offset // 60) for offset in offsets)
    assert sorted(per_minute) == list(range(15))  # every minute of the window is used
    # about 67 a minute instead of 1,000 at :00; the bounds are more than 3 standard deviations
    assert all(40 <= n <= 95 for n in per_minute.values()), per_minute

    assert sync_all(integrations, ScheduleBook(WINDOW)) == planned  # a restart changes nothing

    fired = fire_due(integrations, hour + timedelta(seconds=WINDOW))
    with integrations.db.session() as session:
        slots = dict(
            session.execute(
                select(Run.installation_id, Run.scheduled_for).where(
                    Run.id.in_(fired), Run.job_key == "import_contacts"
                )
            ).all()
        )
    assert slots == planned
