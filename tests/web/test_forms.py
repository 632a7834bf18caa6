"""Schema -> form fields and form -> values, without a web server."""

from __future__ import annotations

import json

from web_plugins import widget_schema

from admin_ui import forms
from core.config import FieldError


def fields_by_pointer(items):
    found = {}
    for item in items:
        found[item.pointer] = item
        found.update(fields_by_pointer(item.children))
    return found


def test_every_widget_of_the_vocabulary_is_chosen_from_the_schema():
    schema = widget_schema()
    account = fields_by_pointer(forms.step_fields(schema, "account", {}))
    sync = fields_by_pointer(forms.step_fields(schema, "sync", {}))
    advanced = fields_by_pointer(forms.step_fields(schema, "advanced", {}))

    assert {p: f.widget for p, f in account.items()} == {
        "/account/api_key": "secret",
        "/account/region": "select",
        "/account/label": "text",
        "/account/tenant_code": "readonly",
        "/account/mode": "select",
        "/account/server_url": "text",
    }
    assert {p: f.widget for p, f in sync.items()} == {
        "/sync/contacts_enabled": "toggle",
        "/sync/contacts_cron": "cron",
        "/sync/deals_enabled": "toggle",
        "/sync/deals_cron": "cron",
        "/sync/won_stage": "picker",
        "/sync/batch": "integer",
        "/sync/mapping": "json",
    }
    assert advanced["/advanced/timeout"].widget == "number"
    assert advanced["/advanced/verbose"].advanced is True


def test_fields_are_filled_from_defaults_and_saved_values():
    schema = widget_schema()
    fields = fields_by_pointer(
        forms.step_fields(schema, "sync", {"batch": 25, "contacts_enabled": False})
    )

    assert fields["/sync/batch"].text == "25"
    assert fields["/sync/batch"].attrs == {"min": "1", "max": "50", "step": "1"}
    assert fields["/sync/contacts_enabled"].checked is False
    assert fields["/sync/deals_enabled"].checked is True
    assert fields["/sync/deals_cron"].text == "*/30 * * * *"
    assert json.loads(fields["/sync/mapping"].text) == {"won": "closed"}
    assert fields["/sync/won_stage"].option_source == "stages"


def test_one_of_constants_become_choices_with_their_titles():
    fields = fields_by_pointer(forms.step_fields(widget_schema(), "account", {}))

    assert fields["/account/mode"].choices == [("cloud", "Cloud"), ("server", "Own server")]
    assert fields["/account/mode"].text == "cloud"


def test_a_secret_is_never_put_in_a_field_only_whether_it_is_set():
    schema = widget_schema()
    fields = fields_by_pointer(
        forms.step_fields(
            schema,
            "account",
            {"api_key": "********"},
            secrets_set={"/account/api_key"},
            submitted={"/account/api_key": "typed-secret", "/account/label": "typed"},
        )
    )

    assert fields["/account/api_key"].is_set is True
    assert fields["/account/api_key"].text == ""
    assert fields["/account/label"].text == "typed"


def test_a_conditional_field_is_shown_only_while_its_condition_holds():
    schema = widget_schema()
    hidden = fields_by_pointer(forms.step_fields(schema, "account", {"mode": "cloud"}))
    shown = fields_by_pointer(forms.step_fields(schema, "account", {"mode": "server"}))
    submitted = {"/account/mode": "server"}
    typed = fields_by_pointer(
        forms.step_fields(schema, "account", {"mode": "cloud"}, submitted=submitted)
    )

    assert hidden["/account/server_url"].visible is False
    assert shown["/account/server_url"].visible is True
    assert typed["/account/server_url"].visible is True
    assert shown["/account/server_url"].condition == forms.Condition("/account/mode", ("server",))


def test_form_values_are_typed_by_the_schema():
    form = {
        "/sync/contacts_cron": " 15 * * * * ",
        "/sync/deals_enabled": "on",
        "/sync/deals_cron": "*/30 * * * *",
        "/sync/won_stage": "won",
        "/sync/batch": "12",
        "/sync/mapping": '{"won": "done"}',
    }

    values, errors = forms.read_step(widget_schema(), "sync", form, {})

    assert errors == []
    assert values == {
        "contacts_enabled": False,
        "contacts_cron": "15 * * * *",
        "deals_enabled": True,
        "deals_cron": "*/30 * * * *",
        "won_stage": "won",
        "batch": 12,
        "mapping": {"won": "done"},
    }


def test_numbers_accept_decimals_and_refuse_words():
    values, errors = forms.read_step(widget_schema(), "advanced", {"/advanced/timeout": "2.5"}, {})
    assert values["timeout"] == 2.5

    values, errors = forms.read_step(widget_schema(), "sync", {"/sync/batch": "ten"}, {})
    assert "batch" not in values
    assert errors == [FieldError("/sync/batch", "'ten' is not a whole number")]

    values, errors = forms.read_step(widget_schema(), "advanced", {"/advanced/timeout": "nan"}, {})
    assert errors == [FieldError("/advanced/timeout", "'nan' is not a finite number")]


def test_malformed_json_is_reported_with_its_position():
    values, errors = forms.read_step(widget_schema(), "sync", {"/sync/mapping": '{"won": }'}, {})

    assert "mapping" not in values
    assert errors == [
        FieldError("/sync/mapping", "is not valid JSON: Expecting value at line 1, column 9")
    ]


def test_a_blank_secret_is_left_out_so_the_stored_one_is_kept():
    values, _ = forms.read_step(widget_schema(), "account", {"/account/api_key": ""}, {})
    assert "api_key" not in values

    values, _ = forms.read_step(widget_schema(), "account", {"/account/api_key": "new"}, {})
    assert values["api_key"] == "new"


def test_read_only_fields_keep_their_value_whatever_is_sent():
    form = {"/account/tenant_code": "HACKED", "/account/region": "CA"}

    values, _ = forms.read_step(widget_schema(), "account", form, {"tenant_code": "T-9"})

    assert values["tenant_code"] == "T-9"
    assert values["region"] == "CA"


def test_a_choice_outside_the_list_is_refused():
    _, errors = forms.read_step(widget_schema(), "account", {"/account/region": "MARS"}, {})

    assert errors == [FieldError("/account/region", "'MARS' is not one of the choices (US, CA)")]


def test_a_conditional_field_is_read_only_while_its_condition_holds():
    form = {"/account/mode": "cloud", "/account/server_url": "https://crm.example"}
    values, _ = forms.read_step(widget_schema(), "account", form, {})
    assert "server_url" not in values

    form["/account/mode"] = "server"
    values, _ = forms.read_step(widget_schema(), "account", form, {})
    assert values["server_url"] == "https://crm.example"


def test_a_blank_text_is_missing_when_required_or_never_set_and_empty_when_cleared():
    schema = {
        "type": "object",
        "properties": {
            "s": {
                "type": "object",
                "title": "S",
                "description": "",
                "properties": {"need": {"type": "string"}, "may": {"type": "string"}},
                "required": ["need"],
            }
        },
    }

    form = {"/s/need": "", "/s/may": ""}

    assert forms.read_step(schema, "s", form, {})[0] == {}
    assert forms.read_step(schema, "s", form, {"need": "a", "may": "b"})[0] == {"may": ""}


def test_a_step_that_is_a_json_editor_reads_as_one_object():
    schema = {
        "type": "object",
        "properties": {
            "mapping": {
                "type": "object",
                "title": "Mapping",
                "description": "",
                "x-widget": "json",
                "properties": {"a": {"type": "object"}},
            }
        },
    }
    (field,) = forms.step_fields(schema, "mapping", {"a": {"x": "y"}})
    assert field.widget == "json" and field.pointer == "/mapping"

    values, errors = forms.read_step(schema, "mapping", {"/mapping": '{"a": {"k": "v"}}'}, {})
    assert (values, errors) == ({"a": {"k": "v"}}, [])


def test_dom_ids_are_safe_for_any_property_name():
    assert forms.dom_id("/quickbooks/client_id") == "f-quickbooks-client_id"
    assert forms.dom_id('/a b/"x"') == "f-a.20.b-.22.x.22."
