"""Run now, the run history, a run's detail with its progress endpoint, and Cancel."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sample_plugins import SECRET, SampleConnector, complete_config, sample_jobs, sample_manifest
from web_support import Browser

import admin_ui.plugin
from core.config import with_defaults
from core.connector import JobDefinition
from core.runner import JobContext
from core.store.models import Run, RunLog, utcnow


def leaks_the_key(ctx: JobContext) -> None:
    """Tries to log its secret: the run log keeps it redacted, so the page never shows it."""
    ctx.count("read", 2)
    ctx.count("failed")
    ctx.log.warning("calling with key %s", ctx.secret("/account/api_key"))


def runs_connector() -> SampleConnector:
    jobs = [*sample_jobs(), JobDefinition(key="leaky", title="Leaky", run=leaks_the_key)]
    return SampleConnector(manifest=sample_manifest(id="runs", name="Runs CRM"), jobs=jobs)


@pytest.fixture
def integrations_plugins():
    return [("admin_ui", admin_ui.plugin), ("runs", runs_connector())]


@pytest.fixture
def installation_id(integrations, tenant_id) -> int:
    with integrations.db.session() as session:
        installation = integrations.installations.install(session, tenant_id, "runs", actor="t")
        schema = integrations.host.connector("runs").config_schema
        values = with_defaults(schema, complete_config())
        integrations.installations.save_config(session, installation, values, actor="t")
        return installation.id


def add_runs(integrations, installation_id: int, job_key: str, status: str, n: int) -> list[int]:
    """``n`` finished runs of one job, a minute apart."""
    start = utcnow() - timedelta(days=1)
    ids = []
    with integrations.db.session() as session:
        for i in range(n):
            at = start + timedelta(minutes=i)
            run = Run(
                installation_id=installation_id,
                job_key=job_key,
                trigger="schedule",
                scheduled_for=at,
                status=status,
                created_at=at,
                started_at=at,
                finished_at=at + timedelta(seconds=3),
                counts={"read": i},
            )
            session.add(run)
            session.flush()
            ids.append(run.id)
    return ids


# Run now ---------------------------------------------------------------------------------------


def test_run_now_starts_the_job_and_opens_its_run(browser: Browser, integrations, installation_id):
    reply = browser.post(f"/installations/{installation_id}/jobs/import_contacts/run")

    assert reply.status_code == 302
    run_id = int(reply.headers["Location"].rsplit("/", 1)[1])
    page = browser.get(f"/runs/{run_id}")
    assert page.status_code == 200
    assert "Import contacts" in page.text
    assert "succeeded" in page.text
    assert "imported 2 contacts from US" in page.text
    with integrations.db.session() as session:
        run = session.get(Run, run_id)
        assert (run.trigger, run.requested_by) == ("manual", "admin@test.example")


def test_run_now_refuses_an_unknown_job_by_name(browser: Browser, installation_id):
    reply = browser.post(f"/installations/{installation_id}/jobs/nope/run")

    assert reply.status_code == 400
    assert "job: &#39;nope&#39; is not a job of this connector" in reply.text


def test_run_now_of_a_draft_says_to_finish_the_setup(browser: Browser, integrations, tenant_id):
    with integrations.db.session() as session:
        draft = integrations.installations.install(session, tenant_id, "runs", actor="t").id

    reply = browser.post(f"/installations/{draft}/jobs/import_contacts/run")

    assert reply.status_code == 400
    assert "finish the setup first" in reply.text


# History ---------------------------------------------------------------------------------------


def test_history_lists_runs_newest_first_with_their_counts(
    browser: Browser, integrations, installation_id
):
    add_runs(integrations, installation_id, "import_contacts", "succeeded", 2)

    page = browser.get(f"/installations/{installation_id}/runs")

    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert "2 run(s); page 1 of 1." in page.text
    assert page.text.index("read 1") < page.text.index("—</td>\n  </tr>")  # newest first
    assert "3.0 s" in page.text
    assert "schedule" in page.text


def test_history_pages_by_25(browser: Browser, integrations, installation_id):
    ids = add_runs(integrations, installation_id, "import_contacts", "succeeded", 26)

    first = browser.get(f"/installations/{installation_id}/runs").text
    second = browser.get(f"/installations/{installation_id}/runs?page=2").text

    assert f">Run {ids[-1]}</a>" in first
    assert f">Run {ids[0]}</a>" not in first
    assert f">Run {ids[0]}</a>" in second
    assert second.count('<th scope="row">') == 1
    assert 'rel="next"' in first and 'rel="prev"' in second


def test_history_filters_by_job_and_outcome(browser: Browser, integrations, installation_id):
    [contacts] = add_runs(integrations, installation_id, "import_contacts", "succeeded", 1)
    [deals] = add_runs(integrations, installation_id, "sync_deals", "failed", 1)
    url = f"/installations/{installation_id}/runs"

    by_job = browser.get(f"{url}?job=sync_deals").text
    by_status = browser.get(f"{url}?status=succeeded").text
    both = browser.get(f"{url}?job=sync_deals&status=succeeded").text

    assert f">Run {deals}</a>" in by_job and f">Run {contacts}</a>" not in by_job
    assert f">Run {contacts}</a>" in by_status and f">Run {deals}</a>" not in by_status
    assert "No runs yet with these filters." in both


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("page=x", "page: &#39;x&#39; is not a page number"),
        ("page=0", "page: &#39;0&#39; is not a page number"),
        ("page=-1", "page: &#39;-1&#39; is not a page number"),
        ("page=3", "page: 3 is past the last page (1)"),
        ("job=nope", "job: &#39;nope&#39; is not a job of this connector"),
        ("status=great", "status: &#39;great&#39; is not one of queued, running"),
    ],
)
def test_history_refuses_bad_filters_and_pages_by_name(
    browser: Browser, installation_id, query, message
):
    reply = browser.get(f"/installations/{installation_id}/runs?{query}")

    assert reply.status_code == 400
    assert message in reply.text


# One run ---------------------------------------------------------------------------------------


def test_run_detail_shows_counts_config_version_error_and_redacted_log(
    browser: Browser, integrations, installation_id
):
    reply = browser.post(f"/installations/{installation_id}/jobs/leaky/run")
    run_id = int(reply.headers["Location"].rsplit("/", 1)[1])

    page = browser.get(f"/runs/{run_id}")

    with integrations.db.session() as session:
        current = integrations.configs.current(session, installation_id).version
    assert page.headers["Cache-Control"] == "no-store"
    assert 'data-run-count="read">2<' in page.text
    assert 'data-run-count="failed">1<' in page.text
    assert "partial" in page.text
    assert f"<dt>Configuration version</dt><dd>{current}</dd>" in page.text
    assert "calling with key [redacted]" in page.text
    assert SECRET not in page.text
    assert "Cancel run" not in page.text  # it has ended
    assert 'http-equiv="refresh"' not in page.text


def test_a_running_run_shows_progress_refresh_and_cancel(
    browser: Browser, integrations, installation_id
):
    run = integrations.runner.request(installation_id, "sync_deals", trigger="manual")
    with integrations.db.session() as session:
        row = session.get(Run, run.id)
        row.status, row.started_at = "running", utcnow()
        row.progress = {"done": 3, "total": 12, "message": "deals"}
        row.counts = {"read": 3}
        session.add(RunLog(run_id=run.id, level="info", message="page 1 read"))

    page = browser.get(f"/runs/{run.id}").text
    progress = browser.get(f"/runs/{run.id}/progress.json")

    assert '<noscript><meta http-equiv="refresh" content="5"></noscript>' in page
    assert '<progress id="run-progress-bar" data-run-progress max="12" value="3">' in page
    assert "3 of 12 (25%): deals" in page
    assert f'data-progress-url="/runs/{run.id}/progress.json"' in page
    assert "Cancel run" in page and ">Refresh</a>" in page
    assert "page 1 read" in page
    assert progress.headers["Cache-Control"] == "no-store"
    assert progress.json["status"] == "running"
    assert progress.json["active"] is True
    assert progress.json["counts"] == {
        "read": 3,
        "created": 0,
        "updated": 0,
        "skipped": 0,
        "failed": 0,
    }
    assert progress.json["progress"] == {"done": 3, "total": 12, "percent": 25, "message": "deals"}


def test_cancel_a_queued_run_ends_it_at_once(browser: Browser, integrations, installation_id):
    run = integrations.runner.request(installation_id, "sync_deals", trigger="manual")

    reply = browser.post(f"/runs/{run.id}/cancel")

    assert reply.status_code == 302
    assert reply.headers["Location"] == f"/runs/{run.id}"
    page = browser.get(f"/runs/{run.id}").text
    assert f"Run {run.id} was cancelled." in page
    assert "cancelled by admin@test.example" in page
    assert browser.get(f"/runs/{run.id}/progress.json").json["active"] is False


def test_cancel_a_running_run_asks_it_to_stop(browser: Browser, integrations, installation_id):
    run = integrations.runner.request(installation_id, "sync_deals", trigger="manual")
    with integrations.db.session() as session:
        session.get(Run, run.id).status = "running"

    browser.post(f"/runs/{run.id}/cancel")

    page = browser.get(f"/runs/{run.id}").text
    assert "it stops at its next safe point" in page
    assert "(stopping: cancelled by admin@test.example)" in page


def test_cancel_of_a_finished_run_says_why_not(browser: Browser, integrations, installation_id):
    [run_id] = add_runs(integrations, installation_id, "sync_deals", "succeeded", 1)

    reply = browser.post(f"/runs/{run_id}/cancel")

    assert reply.status_code == 400
    assert "already ended (succeeded); nothing to cancel" in reply.text


def test_progress_endpoint_of_a_finished_run(browser: Browser, integrations, installation_id):
    [run_id] = add_runs(integrations, installation_id, "sync_deals", "succeeded", 1)

    state = browser.get(f"/runs/{run_id}/progress.json").json

    assert state["active"] is False
    assert state["status"] == "succeeded"
    assert state["duration"] == "3.0 s"


# Tenancy and CSRF ------------------------------------------------------------------------------


def test_another_tenants_runs_are_not_found(
    browser: Browser, other_browser: Browser, integrations, installation_id
):
    [run_id] = add_runs(integrations, installation_id, "sync_deals", "succeeded", 1)
    queued = integrations.runner.request(installation_id, "sync_deals", trigger="manual")

    assert other_browser.get(f"/installations/{installation_id}/runs").status_code == 404
    assert other_browser.get(f"/runs/{run_id}").status_code == 404
    assert other_browser.get(f"/runs/{run_id}/progress.json").status_code == 404
    assert other_browser.post(f"/runs/{queued.id}/cancel").status_code == 404
    assert (
        other_browser.post(f"/installations/{installation_id}/jobs/sync_deals/run").status_code
        == 404
    )
    assert browser.get(f"/runs/{queued.id}/progress.json").json["status"] == "queued"


def test_unknown_runs_are_not_found(browser: Browser):
    assert browser.get("/runs/999").status_code == 404
    assert browser.get("/runs/999/progress.json").json == {"error": "No run 999."}


@pytest.mark.parametrize(
    "path", ["/runs/{run}/cancel", "/installations/{inst}/jobs/sync_deals/run"]
)
def test_posts_without_the_csrf_token_are_refused(
    browser: Browser, integrations, installation_id, path
):
    queued = integrations.runner.request(installation_id, "sync_deals", trigger="manual")

    reply = browser.client.post(path.format(run=queued.id, inst=installation_id))

    assert reply.status_code == 400
    assert "missing or wrong CSRF token" in reply.text
    with integrations.db.session() as session:
        assert session.get(Run, queued.id).status == "queued"
        assert session.query(Run).count() == 1
