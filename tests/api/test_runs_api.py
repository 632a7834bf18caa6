"""Runs over the API: trigger, list with filters and pages, show with logs, cancel."""

from __future__ import annotations

from api_client import Api

from core.services import Services


def errors_of(reply) -> dict[str, str]:
    return {e["field"]: e["message"] for e in reply.get_json()["errors"]}


def test_triggering_a_job_answers_202_with_the_run(api: Api, installation) -> None:
    reply = api.post(f"/api/v1/installations/{installation.id}/runs", {"job": "import_contacts"})

    assert reply.status_code == 202
    run = reply.get_json()
    # The tests' executor runs inline, so the run has finished when the answer is written.
    assert (run["job"], run["trigger"], run["status"]) == ("import_contacts", "manual", "succeeded")
    assert run["counts"] == {"read": 3, "created": 2}
    assert run["requested_by"].startswith("api token il_")


def test_a_run_shows_its_counts_progress_and_log_lines(api: Api, installation) -> None:
    started = api.post(f"/api/v1/installations/{installation.id}/runs", {"job": "export_deals"})

    run = api.get(f"/api/v1/runs/{started.get_json()['id']}").get_json()

    assert run["status"] == "partial"
    assert run["counts"] == {"created": 1, "failed": 2}
    assert run["progress"] == {"done": 3, "total": 3, "message": "deals exported"}
    assert run["config_version"] == 2
    contacts = api.post(f"/api/v1/installations/{installation.id}/runs", {"job": "import_contacts"})
    logged = api.get(f"/api/v1/runs/{contacts.get_json()['id']}").get_json()["logs"]
    assert [(line["level"], line["message"]) for line in logged] == [
        ("info", "imported 2 contacts from US")
    ]


def test_triggering_refuses_an_unknown_job(api: Api, installation) -> None:
    path = f"/api/v1/installations/{installation.id}/runs"

    unknown = api.post(path, {"job": "export_everything"})
    missing = api.post(path, {})

    assert unknown.status_code == 422
    assert errors_of(unknown) == {
        "/job": "'export_everything' is not a job of this connector "
        "(export_deals, import_contacts, sync_deals)"
    }
    assert errors_of(missing) == {"/job": "is required"}


def test_runs_are_listed_newest_first_filtered_and_paged(api: Api, installation) -> None:
    path = f"/api/v1/installations/{installation.id}/runs"
    for job in ("import_contacts", "export_deals", "import_contacts", "sync_deals"):
        api.post(path, {"job": job})

    first = api.get(f"{path}?per_page=3").get_json()
    second = api.get(f"{path}?per_page=3&page=2").get_json()
    contacts = api.get(f"{path}?job=import_contacts").get_json()
    partial = api.get(f"{path}?status=partial").get_json()

    assert [r["job"] for r in first["runs"]] == ["sync_deals", "import_contacts", "export_deals"]
    assert (first["total"], first["page"], first["per_page"]) == (4, 1, 3)
    assert [r["job"] for r in second["runs"]] == ["import_contacts"]
    assert [r["job"] for r in contacts["runs"]] == ["import_contacts", "import_contacts"]
    assert [r["job"] for r in partial["runs"]] == ["export_deals"]


def test_bad_filters_and_pages_are_refused_naming_the_parameter(api: Api, installation) -> None:
    path = f"/api/v1/installations/{installation.id}/runs"

    assert errors_of(api.get(f"{path}?status=done")) == {
        "?status": "'done' is not one of cancelled, failed, interrupted, partial, queued, "
        "running, skipped, succeeded"
    }
    assert errors_of(api.get(f"{path}?per_page=500")) == {"?per_page": "must be between 1 and 100"}
    assert errors_of(api.get(f"{path}?page=0")) == {"?page": "must be 1 or more"}
    assert errors_of(api.get(f"{path}?job=x&job=y"))["?job"] == "may be given only once"
    assert list(errors_of(api.get(f"{path}?job=nope"))) == ["?job"]


def test_a_queued_run_is_cancelled_and_a_finished_one_cannot_be(
    api: Api, installation, integrations: Services
) -> None:
    queued = integrations.runner.request(installation.id, "sync_deals", trigger="manual")

    cancelled = api.post(f"/api/v1/runs/{queued.id}/cancel")
    again = api.post(f"/api/v1/runs/{queued.id}/cancel")

    assert cancelled.status_code == 200
    assert cancelled.get_json()["status"] == "cancelled"
    assert cancelled.get_json()["error"].startswith("cancelled by api token il_")
    assert again.status_code == 409
    assert (
        again.get_json()["error"] == f"run {queued.id} already ended (cancelled); nothing to cancel"
    )
    assert api.get("/api/v1/runs/999").get_json() == {"error": "no run 999"}


def test_an_uninstalled_installation_runs_nothing(api: Api, installation) -> None:
    api.delete(f"/api/v1/installations/{installation.id}")

    reply = api.post(f"/api/v1/installations/{installation.id}/runs", {"job": "sync_deals"})

    assert reply.status_code == 409
    assert "is uninstalled" in reply.get_json()["error"]
