"""Graceful shutdown of the embedded scheduler and its worker pool: jobs stop at a safe point or
are interrupted after the timeout, no row is left "running", and the next start retries them."""

from __future__ import annotations

import threading
import time

import pytest
from sample_plugins import SampleConnector, complete_config, sample_jobs
from sqlalchemy import select

from core.connector import JobDefinition
from core.executor import InlineExecutor, PoolExecutor
from core.runner import JobContext
from core.scheduler import EmbeddedScheduler
from core.services import Services
from core.store.models import Run

RELEASE = threading.Event()
WAIT = 10


def stops_at_a_safe_point(ctx: JobContext) -> None:
    """Works record by record until released, checking for a stop request between records."""
    while not RELEASE.wait(0.05):
        ctx.count("read")
        ctx.check_cancelled()


def never_checks(ctx: JobContext) -> None:
    ctx.count("read")
    RELEASE.wait(WAIT)


@pytest.fixture
def sample() -> SampleConnector:
    return SampleConnector(
        jobs=[
            *sample_jobs(),
            JobDefinition(key="careful", title="Careful", run=stops_at_a_safe_point),
            JobDefinition(key="stubborn", title="Stubborn", run=never_checks),
        ]
    )


@pytest.fixture
def installation_id(install_connector) -> int:
    RELEASE.clear()
    return install_connector("sample", complete_config()).id


def statuses(integrations: Services) -> dict[int, tuple[str, str, str | None]]:
    with integrations.db.session() as session:
        return {
            run.id: (run.job_key, run.status, run.trigger)
            for run in session.scalars(select(Run).order_by(Run.id))
        }


def wait_running(integrations: Services, run_ids: list[int]) -> None:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        with integrations.db.session() as session:
            found = session.scalars(select(Run.status).where(Run.id.in_(run_ids))).all()
        if found == ["running"] * len(run_ids):
            return
        time.sleep(0.02)
    raise AssertionError(f"runs {run_ids} did not start")


def test_stop_lets_jobs_reach_a_safe_point_interrupts_the_rest_and_the_next_start_retries(
    integrations: Services, installation_id: int
):
    pool = PoolExecutor(integrations.runner, workers=2)
    integrations.use_executor(pool)
    scheduler = EmbeddedScheduler(integrations)
    careful = integrations.runner.request(installation_id, "careful", trigger="manual").id
    stubborn = integrations.runner.request(installation_id, "stubborn", trigger="manual").id
    waiting = integrations.runner.request(installation_id, "import_contacts", trigger="manual").id
    for run_id in (careful, stubborn, waiting):
        pool.submit(run_id)  # two workers: the third run waits in the pool
    wait_running(integrations, [careful, stubborn])

    started = time.monotonic()
    assert scheduler.stop(timeout=1) == [stubborn]
    assert time.monotonic() - started < 3
    with integrations.db.session() as session:
        runs = {run.id: run for run in session.scalars(select(Run))}
    assert "running" not in {run.status for run in runs.values()}
    assert runs[careful].status == "interrupted"
    assert runs[careful].error == "stopped at a safe point for shutdown; retried at next start"
    assert runs[stubborn].status == "interrupted"
    assert runs[stubborn].error == "still running 1 s after shutdown began; retried at next start"
    assert runs[waiting].status == "queued"  # never started: the next start runs it
    retries = {run.retry_of: run for run in runs.values() if run.trigger == "retry"}
    assert set(retries) == {careful, stubborn}
    assert {run.status for run in retries.values()} == {"queued"}

    RELEASE.set()  # the stubborn job's thread returns now; its late outcome is refused
    time.sleep(0.3)
    integrations.use_executor(InlineExecutor(integrations.runner))
    restarted = EmbeddedScheduler(integrations)
    restarted.start()
    restarted.stop()
    after = statuses(integrations)
    assert after[stubborn][1] == "interrupted"
    assert after[waiting][1] == "succeeded"
    assert {after[run.id][1] for run in retries.values()} == {"succeeded"}


def test_a_pool_runs_at_most_its_workers_at_once_and_drains(
    integrations: Services, installation_id: int
):
    pool = PoolExecutor(integrations.runner, workers=2)
    integrations.use_executor(pool)
    jobs = ["careful", "stubborn", "import_contacts"]
    ids = [integrations.runner.request(installation_id, job, trigger="manual").id for job in jobs]
    for run_id in ids:
        pool.submit(run_id)
        pool.submit(run_id)  # submitted twice, queued once
    wait_running(integrations, ids[:2])
    assert len(pool.active()) == 2
    assert statuses(integrations)[ids[2]][1] == "queued"
    RELEASE.set()
    assert pool.wait_idle(WAIT)
    assert [status for _, status, _ in statuses(integrations).values()] == ["succeeded"] * 3
    assert pool.shutdown(1) == []


def test_a_pool_needs_a_worker():
    with pytest.raises(ValueError, match="workers must be 1 or more, got 0"):
        PoolExecutor(None, workers=0)  # type: ignore[arg-type]
