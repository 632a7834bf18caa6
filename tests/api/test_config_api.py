"""Configuration over the API: secrets never shown, PUT and PATCH validated per field, blank
secrets kept, history and restore."""

from __future__ import annotations

from api_client import Api
from sample_plugins import SECRET, complete_config

from core.config import MASK
from core.services import Services


def errors_of(reply) -> dict[str, str]:
    return {e["field"]: e["message"] for e in reply.get_json()["errors"]}


def stored(integrations: Services, installation_id: int) -> dict:
    with integrations.db.session() as session:
        return integrations.configs.full(integrations.configs.current(session, installation_id))


def test_reading_the_configuration_never_shows_a_secret(api: Api, installation) -> None:
    reply = api.get(f"/api/v1/installations/{installation.id}/config")

    assert SECRET not in reply.text
    config = reply.get_json()
    assert config["values"]["account"]["api_key"] == MASK
    assert config["values"]["account"]["region"] == "US"
    assert (config["version"], config["status"], config["missing"]) == (2, "active", [])
    assert reply.headers["Cache-Control"] == "no-store"


def test_put_saves_a_whole_configuration_keeping_the_blank_secret(
    api: Api, installation, integrations: Services
) -> None:
    values = complete_config(api_key="", region="CA")

    reply = api.put(f"/api/v1/installations/{installation.id}/config", values)

    assert reply.status_code == 200
    assert reply.get_json()["version"] == 3
    assert reply.get_json()["values"]["account"] == {
        "api_key": MASK,
        "region": "CA",
        "label": "main",
    }
    assert stored(integrations, installation.id)["account"]["api_key"] == SECRET
    assert SECRET not in reply.text


def test_put_refuses_invalid_fields_naming_each_and_saves_nothing(
    api: Api, installation, integrations: Services
) -> None:
    values = complete_config(region="EU", label="a much too long label")
    values["sync"]["contacts_cron"] = "every hour"

    reply = api.put(f"/api/v1/installations/{installation.id}/config", values)

    assert reply.status_code == 422
    problems = errors_of(reply)
    assert set(problems) == {"/account/label", "/account/region", "/sync/contacts_cron"}
    assert "is not one of ['US', 'CA']" in problems["/account/region"]
    assert api.get(f"/api/v1/installations/{installation.id}/config").get_json()["version"] == 2
    not_object = api.put(f"/api/v1/installations/{installation.id}/config", [1])
    assert errors_of(not_object) == {"": "send a JSON object (Content-Type: application/json)"}


def test_patch_changes_only_the_fields_sent_and_keeps_secrets(
    api: Api, installation, integrations: Services
) -> None:
    path = f"/api/v1/installations/{installation.id}/config"

    reply = api.patch(
        path, {"account": {"label": "eu", "api_key": ""}, "sync": {"won_stage": "won"}}
    )
    removed = api.patch(path, {"sync": {"won_stage": None}})

    assert reply.status_code == 200
    assert reply.get_json()["values"]["account"]["label"] == "eu"
    assert reply.get_json()["values"]["sync"]["won_stage"] == "won"
    assert "won_stage" not in removed.get_json()["values"]["sync"]
    full = stored(integrations, installation.id)
    assert full["account"] == {
        "api_key": SECRET,
        "region": "US",
        "label": "eu",
        "client_id": "crm-client",
    }
    invalid = api.patch(path, {"sync": {"deals_cron": "61 * * * *"}})
    assert invalid.status_code == 422
    assert list(errors_of(invalid)) == ["/sync/deals_cron"]


def test_patch_can_change_a_secret_without_ever_showing_it(
    api: Api, installation, integrations: Services
) -> None:
    reply = api.patch(
        f"/api/v1/installations/{installation.id}/config", {"account": {"api_key": "sk_new-key-77"}}
    )

    assert "sk_new-key-77" not in reply.text
    assert stored(integrations, installation.id)["account"]["api_key"] == "sk_new-key-77"
    history = api.get(f"/api/v1/installations/{installation.id}/config/history")
    assert "sk_new-key-77" not in history.text and SECRET not in history.text
    assert history.get_json()["versions"][0]["changes"] == [
        {"pointer": "/account/api_key", "secret": True}
    ]


def test_history_and_restore(api: Api, installation, integrations: Services) -> None:
    base = f"/api/v1/installations/{installation.id}/config"
    api.patch(base, {"account": {"region": "CA"}})

    versions = api.get(f"{base}/history").get_json()["versions"]
    restored = api.post(f"{base}/restore", {"version": 2})

    assert [v["version"] for v in versions] == [3, 2, 1]
    assert versions[0]["changes"] == [{"pointer": "/account/region", "from": "US", "to": "CA"}]
    assert versions[0]["created_by"].startswith("api token il_")
    assert restored.get_json()["version"] == 4
    assert restored.get_json()["values"]["account"]["region"] == "US"
    assert stored(integrations, installation.id)["account"]["api_key"] == SECRET
    assert errors_of(api.post(f"{base}/restore", {"version": 9})) == {
        "/version": f"installation {installation.id} has no version 9"
    }
    assert errors_of(api.post(f"{base}/restore", {"version": "two"})) == {
        "/version": "'two' is not a whole number"
    }
    assert errors_of(api.post(f"{base}/restore", {})) == {"/version": "is required"}
