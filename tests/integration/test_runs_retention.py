"""Run history retention: finished runs and their logs go by age and by count per job; runs
that are queued or running stay whatever their age."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from sample_plugins import complete_config
from sqlalchemy import func, select

from core import retention
from core.scheduler import EmbeddedScheduler
from core.services import Services
from core.settings import RunSettings
from core.store.models import Run, RunLog

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


@pytest.fixture
def installation_id(install_connector) -> int:
    return install_connector("sample", complete_config()).id


def add_run(
    integrations: Services, installation_id: int, job_key: str, days_ago: float, status: str
) -> int:
    """A run that ended ``days_ago`` days before NOW, with two log lines."""
    at = NOW - timedelta(days=days_ago)
    with integrations.db.session() as session:
        run = Run(
            installation_id=installation_id,
            job_key=job_key,
            trigger="schedule",
            scheduled_for=at,
            status=status,
            created_at=at,
            finished_at=None if status in ("queued", "running") else at,
        )
        session.add(run)
        session.flush()
        session.add_all(RunLog(run_id=run.id, level="info", message=f"line {n}") for n in (1, 2))
        return run.id


def remaining(integrations: Services) -> set[int]:
    with integrations.db.session() as session:
        return set(session.scalars(select(Run.id)))


def test_finished_runs_older_than_the_age_limit_are_pruned_with_their_logs(
    integrations: Services, installation_id: int
):
    old = add_run(integrations, installation_id, "import_contacts", 40, "succeeded")
    old_failed = add_run(integrations, installation_id, "sync_deals", 31, "failed")
    recent = add_run(integrations, installation_id, "import_contacts", 29, "succeeded")
    stuck = add_run(integrations, installation_id, "import_contacts", 60, "queued")
    pruned = retention.prune(integrations, NOW, keep_days=30, keep_per_job=100)
    assert pruned == retention.Pruned(runs=2, logs=4)
    assert remaining(integrations) == {recent, stuck}
    assert old not in remaining(integrations) and old_failed not in remaining(integrations)
    with integrations.db.session() as session:
        assert session.scalar(select(func.count()).select_from(RunLog)) == 4


def test_only_the_newest_runs_of_each_job_are_kept(integrations: Services, installation_id: int):
    contacts = [
        add_run(integrations, installation_id, "import_contacts", days, "succeeded")
        for days in (5, 4, 3, 2, 1)
    ]
    deals = add_run(integrations, installation_id, "sync_deals", 5, "succeeded")
    running = add_run(integrations, installation_id, "import_contacts", 0, "running")
    pruned = retention.prune(integrations, NOW, keep_days=30, keep_per_job=2)
    assert pruned.runs == 3
    assert remaining(integrations) == {*contacts[-2:], deals, running}


def test_defaults_come_from_the_settings_and_bad_limits_are_refused(
    integrations: Services, installation_id: int
):
    assert integrations.settings.runs.keep_days == 90
    old = add_run(integrations, installation_id, "import_contacts", 91, "succeeded")
    kept = add_run(integrations, installation_id, "import_contacts", 89, "succeeded")
    assert retention.prune(integrations, NOW).runs == 1
    assert remaining(integrations) == {kept} and old != kept
    with pytest.raises(ValueError, match="keep_days must be 1 or more, got 0"):
        retention.prune(integrations, NOW, keep_days=0)
    with pytest.raises(ValueError, match="keep_per_job must be 1 or more, got 0"):
        retention.prune(integrations, NOW, keep_per_job=0)


def test_the_scheduler_prunes_with_its_clock_and_the_settings(
    integrations: Services, installation_id: int
):
    integrations.settings = dataclasses.replace(
        integrations.settings, runs=RunSettings(keep_days=7, keep_per_job=50)
    )
    add_run(integrations, installation_id, "import_contacts", 8, "cancelled")
    kept = add_run(integrations, installation_id, "import_contacts", 6, "succeeded")
    scheduler = EmbeddedScheduler(integrations, clock=lambda: NOW)
    assert scheduler.prune() == retention.Pruned(runs=1, logs=2)
    assert remaining(integrations) == {kept}
