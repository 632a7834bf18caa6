"""``integrations runs``: run a job now, show a run, cancel and prune, through click's runner
over the sample connector's services."""

from __future__ import annotations

from datetime import timedelta

import pytest
from click.testing import CliRunner, Result
from sample_plugins import SECRET, SampleConnector, complete_config, sample_jobs

from core.cli import CliContext, cli
from core.connector import JobDefinition
from core.runner import JobContext
from core.services import Services
from core.store.models import Run, utcnow
from core.tenants import get_or_create_tenant


def reports_progress(ctx: JobContext) -> None:
    ctx.count("read", 10)
    ctx.count("updated", 4)
    ctx.progress(10, 10, "all customers")
    ctx.log.info("pushed with key %s", ctx.secret("/account/api_key"))


def breaks(ctx: JobContext) -> None:
    raise ConnectionError("the CRM did not answer")


@pytest.fixture
def sample() -> SampleConnector:
    return SampleConnector(
        jobs=[
            *sample_jobs(),
            JobDefinition(key="progress", title="Progress", run=reports_progress),
            JobDefinition(key="breaks", title="Breaks", run=breaks),
        ]
    )


@pytest.fixture
def installation_id(install_connector) -> int:
    return install_connector("sample", complete_config()).id


@pytest.fixture
def run(integrations: Services):
    """Invoke the CLI over the test's services, as the ``test`` tenant by default."""
    context = CliContext()
    context._services = integrations

    def invoke(*args: str, tenant: str | None = "test") -> Result:
        extra = ["--tenant", tenant] if tenant else []
        return CliRunner().invoke(cli, [*args, *extra], obj=context, catch_exceptions=False)

    return invoke


def test_runs_run_executes_the_job_now_and_prints_the_outcome(run, installation_id: int):
    result = run("runs", "run", str(installation_id), "progress")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"run #1: progress of installation {installation_id}: succeeded"
    assert "  trigger: manual, attempt 1" in lines
    assert "  counts: read=10 updated=4" in lines
    assert "  progress: 10/10 all customers" in lines
    assert "  config version: 2" in lines


def test_runs_run_of_a_failing_job_prints_the_error_and_exits_1(run, installation_id: int):
    result = run("runs", "run", str(installation_id), "breaks")
    assert result.exit_code == 1
    assert "breaks of installation" in result.output and ": failed" in result.output
    assert "  error: ConnectionError: the CRM did not answer" in result.output


def test_runs_run_names_the_known_jobs_for_an_unknown_one(run, installation_id: int):
    result = run("runs", "run", str(installation_id), "nope")
    assert result.exit_code == 1
    assert "has no job 'nope'" in result.output and "import_contacts" in result.output
    assert "Traceback" not in result.output


def test_runs_show_prints_counts_progress_and_redacted_log_lines(run, installation_id: int):
    assert run("runs", "run", str(installation_id), "progress").exit_code == 0
    result = run("runs", "show", "1")
    assert result.exit_code == 0, result.output
    assert "  counts: read=10 updated=4" in result.output
    assert "log (1 lines):" in result.output
    assert "info    pushed with key [redacted]" in result.output
    assert SECRET not in result.output
    assert "duration: " in result.output


def test_runs_show_of_another_tenants_or_a_missing_run_is_refused(
    run, integrations: Services, installation_id: int
):
    assert run("runs", "run", str(installation_id), "progress").exit_code == 0
    with integrations.db.session() as session:
        get_or_create_tenant(session, "other", "Another company")
    assert "no run 1" in run("runs", "show", "1", tenant="other").output
    missing = run("runs", "show", "42")
    assert missing.exit_code == 1 and "no run 42" in missing.output


def test_runs_cancel_cancels_a_queued_run_and_refuses_a_finished_one(
    run, integrations: Services, installation_id: int
):
    queued = integrations.runner.request(installation_id, "import_contacts", trigger="manual")
    result = run("runs", "cancel", str(queued.id))
    assert result.exit_code == 0 and f"run #{queued.id} cancelled" in result.output
    again = run("runs", "cancel", str(queued.id))
    assert again.exit_code == 1
    assert f"run {queued.id} already ended (cancelled); nothing to cancel" in again.output


def test_runs_cancel_of_a_running_run_asks_it_to_stop(
    run, integrations: Services, installation_id: int
):
    with integrations.db.session() as session:
        running = Run(
            installation_id=installation_id,
            job_key="import_contacts",
            trigger="manual",
            scheduled_for=utcnow(),
            status="running",
            lease_owner="elsewhere",
            lease_expires_at=utcnow() + timedelta(minutes=1),
        )
        session.add(running)
    result = run("runs", "cancel", str(running.id))
    assert result.exit_code == 0
    assert "asked to stop; it ends at the job's next record" in result.output
    shown = run("runs", "show", str(running.id))
    assert "  stopping: cancelled by cli" in shown.output


def test_runs_prune_reports_what_it_deleted(run, installation_id: int):
    for _ in range(3):
        assert run("runs", "run", str(installation_id), "import_contacts").exit_code == 0
    result = run("runs", "prune", "--keep", "1", tenant=None)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "pruned 2 runs and 2 log lines"
    refused = run("runs", "prune", "--days", "0", tenant=None)
    assert refused.exit_code == 2 and "--days" in refused.output
