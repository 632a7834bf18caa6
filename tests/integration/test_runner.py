"""Runs: counts, logs, outcomes, redacted failures, secrets on request, one run at a time."""

from __future__ import annotations

from typing import Any

import pytest
from sample_plugins import SECRET, SampleConnector, complete_config, sample_jobs

from core.connector import JobDefinition
from core.runner import JobContext
from core.services import Services
from core.store.models import Run, RunLog, utcnow

SEEN: dict[str, Any] = {}


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


JOBS = [
    *sample_jobs(),
    JobDefinition(key="leaks_the_key", title="Leaks", run=leaks_the_key),
    JobDefinition(key="looks_at_config", title="Looks", run=looks_at_config),
    JobDefinition(key="some_fail", title="Some fail", run=some_fail),
    JobDefinition(key="cancels", title="Cancels", run=cancels),
]


@pytest.fixture
def sample() -> SampleConnector:
    return SampleConnector(jobs=JOBS)


@pytest.fixture
def installation_id(install_connector) -> int:
    return install_connector("sample", complete_config()).id


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
