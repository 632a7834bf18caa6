"""Runs: counts, logs, outcomes, redacted failures, secrets on request, one run at a time,
leases and retries, cancelling, time limits and the queue policy."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from sample_plugins import SECRET, SampleConnector, complete_config, sample_jobs

from core.connector import JobDefinition
from core.runner import JobContext
from core.services import Services
from core.store.models import Run, RunLog, utcnow

SEEN: dict[str, Any] = {}
RELEASE = threading.Event()  # lets the blocking jobs below finish
WAIT = 10  # seconds a test waits for another thread before it fails


def leaks_the_key(ctx: JobContext) -> None:
    ctx.log.info("calling the API with key %s", ctx.secret("/account/api_key"))
    raise PermissionError(f"401 for key {ctx.secret('/account/api_key')}")


def looks_at_config(ctx: JobContext) -> None:
    SEEN["config"] = ctx.config
    SEEN["secret"] = ctx.secret("/account/api_key")
    SEEN["unknown"] = ctx.secret("/account/nothing")


def some_fail(ctx: JobContext) -> None:
    ctx.count("read", 4)
    ctx.count("created", 3)
    ctx.count("failed")
    ctx.progress(4, 4, "done")


def cancels(ctx: JobContext) -> None:
    ctx.count("read")
    with ctx.db.session() as session:
        session.get(Run, ctx.run_id).cancel_requested = True
    ctx.check_cancelled()
    ctx.count("read")  # never reached


def checks_until_stopped(ctx: JobContext) -> None:
    """A long job that checks for cancellation between records, as jobs should."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        ctx.count("read")
        ctx.check_cancelled()
        time.sleep(0.05)
    raise AssertionError("never asked to stop")


def ignores_stop(ctx: JobContext) -> None:
    """A job that never checks for cancellation: it returns when the test releases it."""
    ctx.count("read")
    RELEASE.wait(WAIT)


def waits_for_release(ctx: JobContext) -> None:
    ctx.count("read")
    RELEASE.wait(WAIT)


JOBS = [
    *sample_jobs(),
    JobDefinition(key="leaks_the_key", title="Leaks", run=leaks_the_key),
    JobDefinition(key="looks_at_config", title="Looks", run=looks_at_config),
    JobDefinition(key="some_fail", title="Some fail", run=some_fail),
    JobDefinition(key="cancels", title="Cancels", run=cancels),
    JobDefinition(key="long", title="Long", run=checks_until_stopped),
    JobDefinition(key="limited", title="Limited", run=checks_until_stopped, time_limit_seconds=1),
    JobDefinition(key="stubborn", title="Stubborn", run=ignores_stop, time_limit_seconds=1),
    JobDefinition(key="queued", title="Queued", run=waits_for_release, when_busy="queue"),
    JobDefinition(key="grouped_a", title="A", run=waits_for_release, exclusive_group="records"),
    JobDefinition(key="grouped_b", title="B", run=some_fail, exclusive_group="records"),
]


@pytest.fixture
def sample() -> SampleConnector:
    return SampleConnector(jobs=JOBS)


@pytest.fixture
def installation_id(install_connector) -> int:
    return install_connector("sample", complete_config()).id


@pytest.fixture(autouse=True)
def short_leases(integrations: Services) -> None:
    """Leases of 0.6 s (a heartbeat every 0.2 s), so lease tests take a second, not minutes."""
    integrations.runner.lease_seconds = 0.6
    RELEASE.clear()


def in_thread(integrations: Services, run_id: int) -> threading.Thread:
    """Execute a run on another thread, as a pool worker would."""
    thread = threading.Thread(target=integrations.runner.execute, args=(run_id,), daemon=True)
    thread.start()
    return thread


def wait_for(integrations: Services, run_id: int, condition) -> Run:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        with integrations.db.session() as session:
            run = session.get(Run, run_id)
        if condition(run):
            return run
        time.sleep(0.02)
    raise AssertionError(f"run {run_id} never got there: {run.status}")


def requested(integrations: Services, installation_id: int, job_key: str) -> int:
    run = integrations.runner.request(installation_id, job_key, trigger="manual")
    assert run is not None
    return run.id


def dead_run(integrations: Services, installation_id: int, *, attempt: int = 1) -> int:
    """A run left "running" by a worker that was killed: its lease ran out a minute ago."""
    with integrations.db.session() as session:
        run = Run(
            installation_id=installation_id,
            job_key="import_contacts",
            trigger="schedule",
            scheduled_for=utcnow() - timedelta(minutes=5),
            status="running",
            started_at=utcnow() - timedelta(minutes=5),
            attempt=attempt,
            lease_owner="host-a:4242:1",
            lease_expires_at=utcnow() - timedelta(minutes=1),
        )
        session.add(run)
    return run.id


def test_a_job_that_counts_and_logs_succeeds(run_job, installation_id: int):
    outcome = run_job(installation_id, "import_contacts")
    run = outcome.run
    assert run.status == "succeeded"
    assert run.error is None
    assert run.counts == {"read": 3, "created": 2}
    assert run.trigger == "manual"
    assert run.config_version == 2
    assert run.started_at is not None and run.finished_at >= run.started_at
    assert outcome.messages == ["imported 2 contacts from US"]


def test_a_failing_job_is_failed_with_the_error_and_secrets_redacted(
    run_job, installation_id: int, integrations: Services
):
    outcome = run_job(installation_id, "leaks_the_key")
    assert outcome.run.status == "failed"
    assert outcome.run.error == "PermissionError: 401 for key [redacted]"
    assert outcome.messages == [
        "calling the API with key [redacted]",
        "run failed: PermissionError: 401 for key [redacted]",
    ]
    assert [line.level for line in outcome.logs] == ["info", "error"]
    with integrations.db.session() as session:
        stored = [line.message for line in session.query(RunLog).all()]
        stored.append(session.get(Run, outcome.run.id).error)
    assert not any(SECRET in text for text in stored)


def test_a_job_sees_only_public_config_and_asks_for_secrets(run_job, installation_id: int):
    SEEN.clear()
    assert run_job(installation_id, "looks_at_config").run.status == "succeeded"
    assert SEEN["config"]["account"] == {"region": "US", "label": "main"}
    assert SECRET not in repr(SEEN["config"])
    assert SEEN["secret"] == SECRET
    assert SEEN["unknown"] is None


def test_counts_with_failures_make_a_partial_run(run_job, installation_id: int):
    run = run_job(installation_id, "some_fail").run
    assert run.status == "partial"
    assert run.counts == {"read": 4, "created": 3, "failed": 1}
    assert run.progress == {"done": 4, "total": 4, "message": "done"}


def test_a_cancelled_run_stops_at_the_next_check(run_job, installation_id: int):
    run = run_job(installation_id, "cancels").run
    assert run.status == "cancelled"
    assert run.counts == {"read": 1}


def test_a_second_run_while_one_is_running_is_skipped(
    run_job, installation_id: int, integrations: Services
):
    with integrations.db.session() as session:
        session.add(
            Run(
                installation_id=installation_id,
                job_key="import_contacts",
                trigger="schedule",
                scheduled_for=utcnow(),
                status="running",
                started_at=utcnow(),
            )
        )
    outcome = run_job(installation_id, "import_contacts")
    assert outcome.run.status == "skipped"
    assert outcome.run.error == "another run of this job was still running"
    assert outcome.run.counts == {}
    # another job of the same installation is not blocked
    assert run_job(installation_id, "sync_deals").run.status == "succeeded"


def test_a_finished_run_is_not_executed_again(
    run_job, installation_id: int, integrations: Services
):
    run = run_job(installation_id, "import_contacts").run
    again = integrations.runner.execute(run.id)
    assert again.status == "succeeded"
    assert again.finished_at == run.finished_at


def test_requesting_an_unknown_job_names_the_known_ones(
    integrations: Services, installation_id: int
):
    with pytest.raises(LookupError, match=r"has no job 'nope'.*import_contacts"):
        integrations.runner.request(installation_id, "nope", trigger="manual")
    with pytest.raises(LookupError, match="no installation 999"):
        integrations.runner.request(999, "import_contacts", trigger="manual")


# Leases, heartbeat and retries -----------------------------------------------------------------


def test_a_running_run_holds_a_lease_its_heartbeat_keeps_renewing(
    integrations: Services, installation_id: int
):
    run_id = requested(integrations, installation_id, "long")
    thread = in_thread(integrations, run_id)
    first = wait_for(integrations, run_id, lambda run: run.status == "running")
    assert first.lease_owner and first.lease_expires_at > first.started_at
    time.sleep(1.0)  # longer than the lease: only renewals keep it alive
    assert integrations.runner.sweep(utcnow()) == []
    later = wait_for(integrations, run_id, lambda run: run.lease_expires_at > utcnow())
    assert later.status == "running" and later.lease_owner == first.lease_owner
    integrations.runner.cancel(run_id, by="test")
    thread.join(WAIT)
    done = wait_for(integrations, run_id, lambda run: run.status != "running")
    assert (done.status, done.lease_owner, done.lease_expires_at) == ("cancelled", None, None)


def test_a_dead_workers_run_is_interrupted_and_retried_and_no_longer_blocks_its_job(
    integrations: Services, installation_id: int
):
    dead = dead_run(integrations, installation_id)
    (retry_id,) = integrations.runner.sweep(utcnow())
    assert integrations.runner.sweep(utcnow()) == []  # a second sweeper finds nothing to do
    with integrations.db.session() as session:
        run, retry = session.get(Run, dead), session.get(Run, retry_id)
    assert run.status == "interrupted"
    assert run.error == "worker host-a:4242:1 stopped renewing its lease"
    assert run.finished_at is not None and run.lease_owner is None
    assert (retry.trigger, retry.attempt, retry.retry_of, retry.status) == (
        "retry",
        2,
        dead,
        "queued",
    )
    assert integrations.runner.execute(retry_id).status == "succeeded"
    manual = integrations.runner.request(installation_id, "import_contacts", trigger="manual")
    assert integrations.runner.execute(manual.id).status == "succeeded"


def test_retries_stop_after_the_last_attempt(integrations: Services, installation_id: int):
    dead = dead_run(integrations, installation_id, attempt=3)
    assert integrations.runner.sweep(utcnow()) == []
    with integrations.db.session() as session:
        run = session.get(Run, dead)
    assert run.status == "interrupted"
    assert run.error.endswith("; not retried: 3 attempts made")


def test_a_run_swept_as_dead_keeps_that_outcome_when_its_worker_returns(
    integrations: Services, installation_id: int
):
    run_id = requested(integrations, installation_id, "stubborn")
    thread = in_thread(integrations, run_id)
    wait_for(integrations, run_id, lambda run: run.status == "running")
    (retry_id,) = integrations.runner.sweep(utcnow() + timedelta(seconds=5))
    RELEASE.set()
    thread.join(WAIT)
    with integrations.db.session() as session:
        run = session.get(Run, run_id)
    assert run.status == "interrupted"  # the late "succeeded" of the old worker is refused
    assert run.counts == {}
    assert retry_id != run_id


def test_a_queued_run_left_behind_is_handed_over_again_by_the_sweep(
    integrations: Services, installation_id: int
):
    waiting = requested(integrations, installation_id, "import_contacts")
    assert integrations.runner.sweep(utcnow()) == []  # just requested: its executor has it
    assert integrations.runner.sweep(utcnow() + timedelta(seconds=1)) == [waiting]


# Cancelling ------------------------------------------------------------------------------------


def test_cancelling_a_running_run_stops_it_at_its_next_check(
    integrations: Services, installation_id: int
):
    run_id = requested(integrations, installation_id, "long")
    thread = in_thread(integrations, run_id)
    wait_for(integrations, run_id, lambda run: run.status == "running")
    asked = integrations.runner.cancel(run_id, by="alice")
    assert (asked.status, asked.cancel_requested) == ("running", True)
    thread.join(WAIT)
    run = wait_for(integrations, run_id, lambda run: run.status != "running")
    assert run.status == "cancelled"
    assert run.error == "cancelled by alice"
    assert run.counts["read"] >= 1
    assert integrations.runner.sweep(utcnow() + timedelta(minutes=5)) == []  # not retried


def test_cancelling_a_queued_run_cancels_it_at_once_and_it_never_starts(
    integrations: Services, installation_id: int
):
    run_id = requested(integrations, installation_id, "import_contacts")
    cancelled = integrations.runner.cancel(run_id, by="alice")
    assert cancelled.status == "cancelled" and cancelled.finished_at is not None
    run = integrations.runner.execute(run_id)
    assert run.status == "cancelled" and run.started_at is None and run.counts == {}


def test_cancelling_a_finished_or_unknown_run_is_refused(
    run_job, integrations: Services, installation_id: int
):
    finished = run_job(installation_id, "import_contacts").run
    with pytest.raises(ValueError, match=rf"run {finished.id} already ended \(succeeded\)"):
        integrations.runner.cancel(finished.id, by="alice")
    with pytest.raises(LookupError, match="no run 999"):
        integrations.runner.cancel(999, by="alice")


# Time limits -----------------------------------------------------------------------------------


def test_a_run_past_its_time_limit_is_stopped_and_fails_with_the_reason(
    run_job, installation_id: int
):
    started = time.monotonic()
    run = run_job(installation_id, "limited").run
    assert run.status == "failed"
    assert run.error == "time limit of 1 s exceeded"
    assert 1 <= time.monotonic() - started < 3


def test_a_job_that_ignores_its_time_limit_is_ended_by_the_lease_and_not_retried(
    integrations: Services, installation_id: int
):
    run_id = requested(integrations, installation_id, "stubborn")
    thread = in_thread(integrations, run_id)
    # Past the limit the heartbeat asks it to stop; one lease later it stops renewing.
    wait_for(integrations, run_id, lambda run: run.cancel_requested)
    wait_for(integrations, run_id, lambda run: run.lease_expires_at < utcnow())
    assert integrations.runner.sweep(utcnow()) == []
    RELEASE.set()
    thread.join(WAIT)
    with integrations.db.session() as session:
        run = session.get(Run, run_id)
    assert run.status == "interrupted"
    assert run.error.startswith("time limit of 1 s exceeded; the job did not stop and worker ")


# Queue policy ----------------------------------------------------------------------------------


def test_a_queued_policy_run_waits_for_the_running_one_then_runs(
    integrations: Services, installation_id: int
):
    first = requested(integrations, installation_id, "queued")
    thread = in_thread(integrations, first)
    wait_for(integrations, first, lambda run: run.status == "running")
    second = requested(integrations, installation_id, "queued")
    assert integrations.runner.execute(second).status == "queued"
    RELEASE.set()
    thread.join(WAIT)
    # The first run's worker hands the waiting run to the executor when it finishes.
    with integrations.db.session() as session:
        statuses = [session.get(Run, run_id).status for run_id in (first, second)]
    assert statuses == ["succeeded", "succeeded"]


def test_jobs_of_one_exclusive_group_take_turns(integrations: Services, installation_id: int):
    first = requested(integrations, installation_id, "grouped_a")
    thread = in_thread(integrations, first)
    wait_for(integrations, first, lambda run: run.status == "running")
    other = requested(integrations, installation_id, "grouped_b")
    assert integrations.runner.execute(other).status == "queued"  # waits, is not skipped
    unrelated = requested(integrations, installation_id, "some_fail")
    assert integrations.runner.execute(unrelated).status == "partial"  # not in the group
    RELEASE.set()
    thread.join(WAIT)
    # The first run's worker hands the group's waiting run to the executor when it finishes.
    with integrations.db.session() as session:
        statuses = [session.get(Run, run_id).status for run_id in (first, other)]
    assert statuses == ["succeeded", "partial"]


def test_a_job_definition_with_a_bad_policy_or_time_limit_is_refused():
    with pytest.raises(ValueError, match="job 'x': when_busy must be 'skip' or 'queue'"):
        JobDefinition(key="x", title="X", run=waits_for_release, when_busy="later")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="job 'x': time_limit_seconds must be a whole number >= 1"):
        JobDefinition(key="x", title="X", run=waits_for_release, time_limit_seconds=0)
