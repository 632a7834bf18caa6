"""Catalog and installations over the API: install, show, pause, resume, uninstall, connect,
pickers and actions."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from api_client import Api
from sample_plugins import complete_config

from core.services import Services


def errors_of(reply) -> dict[str, str]:
    return {e["field"]: e["message"] for e in reply.get_json()["errors"]}


def test_the_catalog_lists_connectors_and_details_one(api: Api) -> None:
    listed = api.get("/api/v1/catalog").get_json()
    detail = api.get("/api/v1/catalog/sample").get_json()

    assert [c["id"] for c in listed["connectors"]] == ["quickbooks", "sample"]
    assert [j["key"] for j in detail["jobs"]] == ["import_contacts", "sync_deals", "export_deals"]
    assert detail["actions"][0]["key"] == "greet"
    assert detail["oauth_providers"] == [{"key": "crm", "title": "Acme CRM"}]
    assert detail["option_sources"] == ["stages"]
    assert "account" in detail["config_schema"]["properties"]
    assert api.get("/api/v1/catalog/quickbooks").status_code == 200
    assert api.get("/api/v1/catalog/nope").get_json() == {"error": "no connector 'nope'"}


def test_installing_makes_a_draft_with_the_defaults(api: Api) -> None:
    reply = api.post("/api/v1/installations", {"connector_id": "sample", "name": " CRM EU "})

    assert reply.status_code == 201
    created = reply.get_json()
    assert (created["name"], created["status"]) == ("CRM EU", "draft")
    listed = api.get("/api/v1/installations").get_json()["installations"]
    assert [i["id"] for i in listed] == [created["id"]]
    config = api.get(f"/api/v1/installations/{created['id']}/config").get_json()
    assert config["missing"] == [{"field": "/account/api_key", "message": "is required"}]


def test_installing_refuses_bad_input_naming_the_field(api: Api) -> None:
    unknown = api.post("/api/v1/installations", {"connector_id": "nope", "colour": "red"})
    missing = api.post("/api/v1/installations", {})
    blank = api.post("/api/v1/installations", {"connector_id": "sample", "name": " "})
    not_json = api.post("/api/v1/installations", data="connector_id=sample")

    assert unknown.status_code == 422
    assert errors_of(unknown) == {"/colour": "is not a known field"}
    assert errors_of(missing) == {"/connector_id": "is required"}
    assert errors_of(blank) == {"/name": "must be a text of 1 to 200 characters"}
    assert errors_of(not_json) == {"": "send a JSON object (Content-Type: application/json)"}
    bad_connector = api.post("/api/v1/installations", {"connector_id": "nope"})
    assert errors_of(bad_connector) == {
        "/connector_id": "'nope' is not an available connector (quickbooks, sample)"
    }
    assert api.get("/api/v1/installations?sort=name").status_code == 422


def test_pause_and_resume_follow_the_status(api: Api, installation) -> None:
    base = f"/api/v1/installations/{installation.id}"

    paused = api.post(f"{base}/pause")
    again = api.post(f"{base}/pause")
    resumed = api.post(f"{base}/resume")

    assert paused.get_json()["status"] == "paused"
    assert paused.get_json()["next_run_at"] is None
    assert again.status_code == 409
    assert "only an active installation can be paused" in again.get_json()["error"]
    assert resumed.get_json()["status"] == "active"
    assert resumed.get_json()["next_run_at"] is not None
    assert api.post(f"{base}/resume").status_code == 409


def test_uninstall_keeps_or_purges_the_data(api: Api, install_connector) -> None:
    kept, purged = (install_connector("sample", complete_config()) for _ in range(2))

    assert api.delete(f"/api/v1/installations/{kept.id}?purge=maybe").status_code == 422
    assert api.delete(f"/api/v1/installations/{kept.id}").status_code == 204
    assert api.get(f"/api/v1/installations/{kept.id}").get_json()["status"] == "uninstalled"
    again = api.delete(f"/api/v1/installations/{kept.id}")
    assert again.status_code == 409
    assert api.put(f"/api/v1/installations/{kept.id}/config", {}).status_code == 409
    assert api.delete(f"/api/v1/installations/{purged.id}?purge=true").status_code == 204
    assert api.get(f"/api/v1/installations/{purged.id}").status_code == 404
    assert api.get("/api/v1/installations").get_json() == {"installations": []}


def test_connect_gives_the_providers_authorization_url(api: Api, installation) -> None:
    reply = api.post(f"/api/v1/installations/{installation.id}/connect/crm")

    url = urlsplit(reply.get_json()["authorize_url"])
    params = parse_qs(url.query)
    assert f"{url.scheme}://{url.netloc}{url.path}" == "https://crm.example/authorize"
    assert params["client_id"] == ["crm-client"]
    assert params["redirect_uri"] == ["http://localhost/oauth/callback"]
    assert params["scope"] == ["deals"]
    assert len(params["state"][0]) >= 32
    unknown = api.post(f"/api/v1/installations/{installation.id}/connect/github")
    assert unknown.status_code == 404
    assert unknown.get_json()["error"] == "connector sample has no OAuth provider 'github'"


def test_connect_without_a_client_id_says_what_is_missing(api: Api, installation) -> None:
    base = f"/api/v1/installations/{installation.id}"
    api.patch(f"{base}/config", {"account": {"client_id": ""}})

    reply = api.post(f"{base}/connect/crm")

    assert reply.status_code == 409
    assert reply.get_json()["error"] == "The client ID is not configured yet (/account/client_id)."


def test_a_picker_needs_the_connection(
    api: Api, installation, integrations: Services, tenant_id: int
) -> None:
    path = f"/api/v1/installations/{installation.id}/options/stages"
    unavailable = api.get(path)
    with integrations.db.session() as session:
        integrations.connections.save(
            session,
            installation.id,
            "crm",
            {"access_token": "at-1", "refresh_token": "rt-1", "expires_in": 3600},
            account_id="acct-1",
            account_name="Acme CRM",
        )

    available = api.get(path)

    assert unavailable.status_code == 409
    assert "connect the installation first, or type a value" in unavailable.get_json()["error"]
    assert available.get_json() == {
        "options": [{"value": "won", "label": "Won (Acme CRM)"}, {"value": "lost", "label": "Lost"}]
    }
    unknown = api.get(f"/api/v1/installations/{installation.id}/options/owners")
    assert unknown.get_json() == {
        "error": "connector sample has no option source 'owners' (stages)"
    }
    connected = api.get(f"/api/v1/installations/{installation.id}").get_json()["connections"]
    assert [(c["status"], c["account_name"]) for c in connected] == [("connected", "Acme CRM")]


def test_an_action_runs_with_validated_parameters(api: Api, installation) -> None:
    base = f"/api/v1/installations/{installation.id}/actions"

    done = api.post(f"{base}/greet", {"name": "Ada"})
    invalid = api.post(f"{base}/greet", {"name": ""})
    unknown = api.post(f"{base}/wave", {})

    assert done.get_json() == {
        "ok": True,
        "message": "hello Ada",
        "details": {"region": "US"},
        "run_ids": [],
    }
    assert invalid.status_code == 422
    assert errors_of(invalid) == {"/name": "'' should be non-empty"}
    assert unknown.status_code == 404
