"""The configure wizard, driven like a browser: read each step's form, change it, submit it."""

from __future__ import annotations

import pytest
from html_forms import form_fields, unlabelled_inputs

from core.store.models import ConfigVersion, Installation, Schedule

SECRET = "qb-client-secret-9f8e7d"
API_KEY = "crm-api-key-5c4b3a"


def install(browser, connector_id: str) -> int:
    reply = browser.post(f"/connectors/{connector_id}/install")
    return int(reply.headers["Location"].split("/")[2])


def step_url(installation_id: int, step: str) -> str:
    return f"/installations/{installation_id}/configure/{step}"


def submit(browser, installation_id: int, step: str, action: str = "next", **changes: str):
    """Submit the step's form as the page shows it, with ``changes`` typed in."""
    fields = form_fields(browser.get(step_url(installation_id, step)).text)
    for name, value in changes.items():
        if value is None:
            fields.pop(name, None)
        else:
            fields[name] = value
    fields.pop("csrf_token", None)
    return browser.post(step_url(installation_id, step), data={**fields, "action": action})


def current(integrations, installation_id: int) -> dict:
    with integrations.db.session() as session:
        return integrations.configs.full(integrations.configs.current(session, installation_id))


def status(integrations, installation_id: int) -> str:
    with integrations.db.session() as session:
        return session.get(Installation, installation_id).status


def versions(integrations, installation_id: int) -> int:
    with integrations.db.session() as session:
        return session.query(ConfigVersion).filter_by(installation_id=installation_id).count()


# QuickBooks, start to Finish -------------------------------------------------------------------


def test_quickbooks_wizard_walks_every_step_to_finish(browser, integrations):
    installation_id = install(browser, "quickbooks")
    steps = list(integrations.host.connector("quickbooks").config_schema["properties"])
    pages = []

    for number, step in enumerate(steps, start=1):
        page = browser.get(step_url(installation_id, step))
        pages.append(page.text)
        assert page.status_code == 200
        assert f"Step {number} of {len(steps)}" in page.text
        assert unlabelled_inputs(page.text) == [], step
        assert page.headers["Cache-Control"] == "no-store"
        changes = {}
        if step == "initial":
            changes = {"/initial/environment": "emulator", "/initial/timezone": "Europe/London"}
        if step == "quickbooks":
            changes = {"/quickbooks/client_id": "app-id", "/quickbooks/client_secret": SECRET}
        if step == "invoices":
            changes = {"/invoices/number_prefix": "INV-"}
        last = number == len(steps)
        reply = submit(browser, installation_id, step, "finish" if last else "next", **changes)
        assert reply.status_code == 302, reply.text
        if not last:
            assert reply.headers["Location"] == step_url(installation_id, steps[number])
            assert status(integrations, installation_id) == "draft"

    assert reply.headers["Location"] == "/installed"
    assert status(integrations, installation_id) == "active"
    config = current(integrations, installation_id)
    assert config["quickbooks"] == {"client_id": "app-id", "client_secret": SECRET}
    assert config["initial"]["environment"] == "emulator"
    assert config["invoices"]["number_prefix"] == "INV-"
    assert config["advanced"]["minor_version"] == 75
    scheduled = [j for j in integrations.host.connector("quickbooks").jobs.values()]
    with integrations.db.session() as session:
        schedules = session.query(Schedule).filter_by(installation_id=installation_id).count()
    assert schedules == sum(
        1
        for job in scheduled
        if job.schedule_field
        and (not job.toggle_field or _at(config, job.toggle_field) is not False)
    )
    installed = browser.get("/installed").text
    assert "is configured; its jobs run on their schedules" in installed
    for page in [
        *pages,
        installed,
        *[browser.get(step_url(installation_id, s)).text for s in steps],
    ]:
        assert SECRET not in page


def _at(config: dict, pointer: str):
    node = config
    for part in pointer.strip("/").split("/"):
        node = node.get(part, {}) if isinstance(node, dict) else {}
    return node


def test_the_oauth_step_offers_connect_with_a_grey_circle(browser):
    installation_id = install(browser, "quickbooks")

    page = browser.get(step_url(installation_id, "quickbooks")).text

    assert "Connect to QuickBooks" in page
    assert "status-not_connected" in page
    assert 'form="wizard-form" name="action" value="connect"' in page


def test_connect_saves_the_step_then_goes_to_the_provider(browser, integrations):
    installation_id = install(browser, "quickbooks")

    reply = submit(
        browser,
        installation_id,
        "quickbooks",
        "connect",
        **{"/quickbooks/client_id": "app-id", "/quickbooks/client_secret": SECRET},
    )

    assert reply.headers["Location"] == f"/installations/{installation_id}/connect/quickbooks"
    assert current(integrations, installation_id)["quickbooks"]["client_secret"] == SECRET


def test_read_only_fields_are_shown_and_cannot_be_changed(browser, integrations):
    installation_id = install(browser, "quickbooks")
    page = browser.get(step_url(installation_id, "platform_api")).text
    assert "readonly" in page

    submit(browser, installation_id, "platform_api", **{"/platform_api/base_url": "https://x.y"})

    assert current(integrations, installation_id)["platform_api"]["base_url"].startswith("http://")


def test_advanced_step_is_collapsed(browser):
    installation_id = install(browser, "quickbooks")

    page = browser.get(step_url(installation_id, "advanced")).text

    assert '<details class="advanced"><summary>Show advanced settings</summary>' in page
    assert "Finish" in page and "Next" not in page.split("wizard-nav")[1]


def test_json_step_is_one_editor_checked_on_the_server(browser):
    installation_id = install(browser, "quickbooks")

    reply = submit(browser, installation_id, "payment_mapping", **{"/payment_mapping": "{oops"})

    assert reply.status_code == 422
    assert "is not valid JSON: Expecting property name enclosed in double quotes" in reply.text
    assert "{oops" in reply.text  # what was typed stays to be fixed


# Sample connector: every widget ----------------------------------------------------------------


def test_a_required_field_left_blank_is_shown_beside_it(browser, integrations):
    installation_id = install(browser, "sample")

    reply = submit(browser, installation_id, "account")

    assert reply.status_code == 422
    assert 'id="f-account-api_key-error">is required</p>' in reply.text
    assert 'aria-invalid="true"' in reply.text
    assert versions(integrations, installation_id) == 1


def test_bad_input_is_shown_beside_its_field_with_what_was_typed(browser, integrations):
    installation_id = install(browser, "sample")

    reply = submit(
        browser,
        installation_id,
        "sync",
        **{"/sync/batch": "ten", "/sync/contacts_cron": "61 * * * *", "/sync/won_stage": "w"},
    )

    assert reply.status_code == 422
    assert "&#39;ten&#39; is not a whole number" in reply.text
    assert "minute field: 61 is out of range 0-59" in reply.text
    assert 'value="61 * * * *"' in reply.text and 'value="ten"' in reply.text
    assert versions(integrations, installation_id) == 1


def test_a_number_out_of_range_is_refused_by_the_schema(browser):
    installation_id = install(browser, "sample")

    reply = submit(browser, installation_id, "sync", **{"/sync/batch": "99"})

    assert reply.status_code == 422
    assert "99 is greater than the maximum of 50" in reply.text


def test_a_json_field_error_names_the_path_inside_the_value(browser):
    installation_id = install(browser, "sample")

    reply = submit(browser, installation_id, "sync", **{"/sync/mapping": '{"won": ""}'})

    assert reply.status_code == 422
    assert "/won: &#39;&#39; should be non-empty" in reply.text


def test_leaving_midway_keeps_the_draft_and_the_pencil_reopens_it(browser, integrations):
    installation_id = install(browser, "sample")
    submit(
        browser,
        installation_id,
        "account",
        **{"/account/api_key": API_KEY, "/account/label": "east", "/account/region": "CA"},
    )

    assert status(integrations, installation_id) == "draft"
    reopened = browser.get(f"/installations/{installation_id}/configure", follow_redirects=True)
    assert 'value="east"' in reopened.text
    assert '<option value="CA" selected>' in reopened.text
    assert 'id="f-account-api_key-set">set</span>' in reopened.text
    assert API_KEY not in reopened.text
    assert "Continue setup" in browser.get("/installed").text


def test_a_blank_secret_keeps_the_stored_one(browser, integrations):
    installation_id = install(browser, "sample")
    submit(browser, installation_id, "account", **{"/account/api_key": API_KEY})

    reply = submit(browser, installation_id, "account", **{"/account/label": "west"})

    assert reply.status_code == 302
    config = current(integrations, installation_id)
    assert config["account"]["api_key"] == API_KEY
    assert config["account"]["label"] == "west"


def test_a_secret_typed_on_a_refused_step_is_not_sent_back(browser):
    installation_id = install(browser, "sample")

    reply = submit(
        browser,
        installation_id,
        "account",
        **{"/account/api_key": API_KEY, "/account/label": "x" * 11},
    )

    assert reply.status_code == 422
    assert API_KEY not in reply.text


def test_a_conditional_field_appears_and_is_required_only_when_its_condition_holds(
    browser, integrations
):
    installation_id = install(browser, "sample")
    page = browser.get(step_url(installation_id, "account")).text
    assert 'data-when-pointer="/account/mode"' in page and "hidden>" in page

    refused = submit(
        browser,
        installation_id,
        "account",
        **{"/account/api_key": API_KEY, "/account/mode": "server"},
    )
    assert refused.status_code == 422
    assert 'id="f-account-server_url-error">is required' in refused.text

    accepted = submit(
        browser,
        installation_id,
        "account",
        **{
            "/account/api_key": API_KEY,
            "/account/mode": "server",
            "/account/server_url": "https://crm.example",
        },
    )
    assert accepted.status_code == 302
    assert current(integrations, installation_id)["account"]["server_url"] == "https://crm.example"


def test_back_goes_to_the_previous_step(browser):
    installation_id = install(browser, "sample")

    reply = submit(browser, installation_id, "sync", "back")

    assert reply.headers["Location"] == step_url(installation_id, "account")


def test_finish_lists_the_steps_that_still_need_attention(browser, integrations):
    installation_id = install(browser, "sample")

    reply = submit(browser, installation_id, "advanced", "finish")

    assert reply.status_code == 422
    assert "Some steps still need attention" in reply.text
    assert f'href="{step_url(installation_id, "account")}">/account/api_key</a>: is required' in (
        reply.text
    )
    assert status(integrations, installation_id) == "draft"


def test_editing_an_active_installation_saves_only_what_changed(browser, integrations):
    installation_id = install(browser, "sample")
    submit(browser, installation_id, "account", **{"/account/api_key": API_KEY})
    submit(browser, installation_id, "advanced", "finish")
    assert status(integrations, installation_id) == "active"
    before = versions(integrations, installation_id)

    submit(browser, installation_id, "sync")
    assert versions(integrations, installation_id) == before

    submit(browser, installation_id, "sync", **{"/sync/deals_cron": "0 9 * * 1-5"})
    assert versions(integrations, installation_id) == before + 1
    with integrations.db.session() as session:
        deals = session.query(Schedule).filter_by(job_key="sync_deals").one()
        assert deals.cron == "0 9 * * 1-5"


def test_an_unknown_step_or_action_is_refused(browser):
    installation_id = install(browser, "sample")

    assert browser.get(step_url(installation_id, "nope")).status_code == 404
    reply = browser.post(step_url(installation_id, "account"), data={"action": "explode"})
    assert reply.status_code == 400
    assert "action: &#39;explode&#39; is not one of" in reply.text


def test_cron_fields_show_their_reading_and_next_runs_on_the_page(browser):
    installation_id = install(browser, "sample")

    page = browser.get(step_url(installation_id, "sync")).text

    assert "Every 30 minutes (UTC). Next runs:" in page
    assert page.count("<li>") >= 3


def test_every_field_has_a_label(browser):
    installation_id = install(browser, "sample")
    for step in ("account", "sync", "advanced"):
        assert unlabelled_inputs(browser.get(step_url(installation_id, step)).text) == []


# JSON endpoints --------------------------------------------------------------------------------


def test_cron_endpoint_reads_a_schedule_in_its_time_zone(browser):
    reply = browser.get("/wizard/cron.json?expression=0+9+*+*+1-5&timezone=America/New_York")

    assert reply.json["ok"] is True
    assert reply.json["description"] == "At 09:00, Monday through Friday"
    assert len(reply.json["next_runs"]) == 3
    assert all(" 09:00 E" in run for run in reply.json["next_runs"])


def test_cron_endpoint_explains_a_refused_schedule(browser):
    reply = browser.get("/wizard/cron.json?expression=0+25+*+*+*")

    assert reply.json == {
        "ok": False,
        "description": "",
        "next_runs": [],
        "error": "hour field: 25 is out of range 0-23",
    }


def test_json_check_endpoint_validates_against_the_fields_schema(browser):
    installation_id = install(browser, "sample")
    url = f"/installations/{installation_id}/configure/check-json.json"

    good = browser.post(url, data={"pointer": "/sync/mapping", "text": '{"a": "b"}'})
    bad = browser.post(url, data={"pointer": "/sync/mapping", "text": '{"a": 1}'})
    broken = browser.post(url, data={"pointer": "/sync/mapping", "text": "{"})
    wrong = browser.post(url, data={"pointer": "/sync/batch", "text": "1"})

    assert good.json == {"ok": True, "errors": []}
    assert bad.json["errors"] == [
        {"pointer": "/sync/mapping/a", "message": "1 is not of type 'string'"}
    ]
    assert "is not valid JSON" in broken.json["errors"][0]["message"]
    assert wrong.status_code == 400
    assert "pointer: '/sync/batch' is not a JSON field" in wrong.json["error"]


def test_options_endpoint_says_to_connect_first(browser):
    installation_id = install(browser, "sample")

    reply = browser.get(f"/installations/{installation_id}/options/stages.json")

    assert reply.json["options"] == []
    assert "connect the installation first, or type a value" in reply.json["message"]


def test_options_endpoint_lists_the_sources_choices_once_connected(browser, integrations):
    installation_id = install(browser, "sample")
    with integrations.db.session() as session:
        integrations.connections.save(
            session,
            installation_id,
            "crm",
            {"access_token": "t"},
            account_id="1",
            account_name="Acme",
        )

    reply = browser.get(f"/installations/{installation_id}/options/stages.json")

    assert reply.json == {
        "options": [{"value": "won", "label": "Won (Acme)"}, {"value": "lost", "label": "Lost"}],
        "message": "",
    }
    assert browser.get(f"/installations/{installation_id}/options/nope.json").status_code == 404


def test_picker_field_points_at_its_option_source(browser):
    installation_id = install(browser, "sample")

    page = browser.get(step_url(installation_id, "sync")).text

    assert f'data-options-url="/installations/{installation_id}/options/stages.json"' in page
    assert 'list="f-sync-won_stage-options"' in page


@pytest.mark.parametrize("step", ["account", "sync", "advanced"])
def test_wizard_pages_carry_the_csrf_token_for_their_scripts(browser, step):
    installation_id = install(browser, "sample")

    page = browser.get(step_url(installation_id, step)).text

    assert f'<meta name="csrf-token" content="{browser.token}">' in page
