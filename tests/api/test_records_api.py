"""Records over the API: statuses with their reasons, and retrying failed ones."""

from __future__ import annotations

from api_client import Api
from api_plugins import FAILED_REASON


def errors_of(reply) -> dict[str, str]:
    return {e["field"]: e["message"] for e in reply.get_json()["errors"]}


def exported(api: Api, installation) -> str:
    """Runs export_deals once (d-1 synced, d-2 and d-3 failed); the records path."""
    api.post(f"/api/v1/installations/{installation.id}/runs", {"job": "export_deals"})
    return f"/api/v1/installations/{installation.id}/records"


def exported_path(installation) -> str:
    return f"/api/v1/installations/{installation.id}/records"


def test_records_show_their_status_reason_and_link(api: Api, installation) -> None:
    path = exported(api, installation)

    everything = api.get(path).get_json()
    failed = api.get(f"{path}?status=failed&entity=deal&per_page=1").get_json()

    assert [(r["local_id"], r["status"]) for r in everything["records"]] == [
        ("d-1", "synced"),
        ("d-2", "failed"),
        ("d-3", "failed"),
    ]
    assert everything["records"][0]["external_url"] == "https://crm/d-1"
    assert everything["records"][0]["remote_id"] == "Rd-1"
    assert (failed["total"], [r["local_id"] for r in failed["records"]]) == (2, ["d-2"])
    assert failed["records"][0]["reason"] == FAILED_REASON
    assert api.get(f"{path}?entity=contact").get_json()["total"] == 0
    assert list(errors_of(api.get(f"{path}?status=broken"))) == ["?status"]


def test_retrying_all_failed_records_with_the_job_syncs_them(api: Api, installation) -> None:
    path = exported(api, installation)

    reply = api.post(f"{path}/retry", {"entity": "deal", "all": True, "job": "export_deals"})

    assert reply.status_code == 202
    assert reply.get_json()["marked"] == ["d-2", "d-3"]
    assert reply.get_json()["run"]["status"] == "succeeded"
    assert reply.get_json()["run"]["counts"] == {"created": 2}
    statuses = [r["status"] for r in api.get(path).get_json()["records"]]
    assert statuses == ["synced", "synced", "synced"]


def test_retrying_chosen_records_marks_them_needs_sync(api: Api, installation) -> None:
    path = exported(api, installation)

    reply = api.post(f"{path}/retry", {"entity": "deal", "local_ids": ["d-3"]})

    assert reply.status_code == 200
    assert reply.get_json() == {"marked": ["d-3"], "run": None}
    pending = api.get(f"{path}?status=pending").get_json()["records"]
    assert [(r["local_id"], r["reason"]) for r in pending] == [("d-3", "retry requested")]


def test_retry_refuses_bad_input_naming_the_field(api: Api, installation) -> None:
    path = exported(api, installation) + "/retry"

    unknown = api.post(path, {"entity": "deal", "local_ids": ["d-2", "d-9"]})
    both = api.post(path, {"entity": "deal", "local_ids": ["d-2"], "all": True})
    neither = api.post(path, {"entity": "deal"})
    false_all = api.post(path, {"entity": "deal", "all": False})
    bad_job = api.post(path, {"entity": "deal", "all": True, "job": "nope"})

    assert errors_of(unknown) == {"/local_ids/1": "no deal record 'd-9' in this installation"}
    assert list(errors_of(both)) == ["/local_ids"]
    assert list(errors_of(neither)) == ["/local_ids"]
    assert errors_of(false_all) == {"/all": "must be true (to retry every failed record)"}
    assert list(errors_of(bad_job)) == ["/job"]
    assert api.get(exported_path(installation) + "?status=pending").get_json()["total"] == 0
    assert errors_of(api.post(path, {"all": True})) == {"/entity": "is required"}
