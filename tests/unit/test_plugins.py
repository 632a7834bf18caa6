"""The plugin host: entry points, manifests, config schemas, misspelled hooks, disabling."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sample_plugins import SampleConnector, sample_manifest, sample_schema

from core import hookimpl
from core.connector import JobDefinition, OAuthEndpoints, OAuthProvider
from core.plugins import PluginHost, PluginStatus, validate_config_schema, validate_manifest
from core.settings import Settings

SAMPLE_SOURCE = str(Path(__file__).parents[1] / "sample_plugins" / "__init__.py")


@pytest.fixture
def host() -> PluginHost:
    """A host with every installed entry point loaded (QuickBooks and the admin pages)."""
    loaded = PluginHost()
    loaded.load_entry_points()
    return loaded


def status_of(host: PluginHost, name: str) -> PluginStatus:
    return {s.name: s for s in host.statuses()}[name]


def register_broken(host: PluginHost, plugin: object, name: str = "sample") -> PluginStatus:
    status = host.register(plugin, name)
    assert status.broken, f"{name} should be broken"
    assert "sample" not in host.connectors
    return status


def only_problem(status: PluginStatus) -> tuple[str, str, str]:
    assert len(status.problems) >= 1
    problem = status.problems[0]
    return problem.source, problem.pointer, problem.message


def oauth_provider(key: str) -> OAuthProvider:
    return OAuthProvider(
        key=key,
        title=key.title(),
        endpoints=lambda config: OAuthEndpoints("https://a.example/auth", "https://a.example/tok"),
        scopes=("read",),
        client_id_field="/account/label",
        client_secret_field="/account/api_key",
        describe_account=lambda config, tokens, callback: None,  # type: ignore[arg-type,return-value]
    )


# QuickBooks, as shipped ------------------------------------------------------------------------


def test_quickbooks_loads_from_entry_points_with_valid_manifest_and_schema(host: PluginHost):
    status = status_of(host, "quickbooks")
    assert not status.broken, status.problems
    assert status.connector_id == "quickbooks"
    assert status.source.endswith("plugins/quickbooks/plugin.py")
    connector = host.connector("quickbooks")
    assert connector.manifest["category"] == "Accounting & Finance"
    assert validate_manifest(connector.manifest, "manifest.json") == []
    assert validate_config_schema(connector.config_schema, "config.schema.json") == []
    assert "quickbooks" in connector.oauth_providers


def test_admin_pages_load_as_an_extension_plugin(host: PluginHost):
    status = status_of(host, "admin_ui")
    assert not status.broken
    assert status.connector_id is None


# Broken manifests ------------------------------------------------------------------------------


def test_manifest_missing_category_is_broken_with_source_pointer_and_message(host: PluginHost):
    manifest = sample_manifest()
    del manifest["category"]
    source, pointer, message = only_problem(
        register_broken(host, SampleConnector(manifest=manifest))
    )
    assert source == SAMPLE_SOURCE
    assert pointer == "/category"
    assert "'category' is a required property" in message
    # the others still load
    assert "quickbooks" in host.connectors
    assert not status_of(host, "quickbooks").broken


def test_manifest_with_bad_version_is_broken_at_version(host: PluginHost):
    status = register_broken(host, SampleConnector(manifest=sample_manifest(version="1.0")))
    source, pointer, message = only_problem(status)
    assert (source, pointer) == (SAMPLE_SOURCE, "/version")
    assert "'1.0' does not match" in message
    assert str(status.problems[0]).startswith(f"{SAMPLE_SOURCE}#/version: ")


def test_broken_plugin_is_listed_with_reason_while_others_load(host: PluginHost):
    register_broken(host, SampleConnector(manifest=sample_manifest(version="one")), "badone")
    good = host.register(SampleConnector(manifest=sample_manifest(id="goodone")), "goodone")
    assert not good.broken
    names = {s.name: s.broken for s in host.statuses()}
    assert names == {"admin_ui": False, "badone": True, "goodone": False, "quickbooks": False}
    assert sorted(host.connectors) == ["goodone", "quickbooks"]
    with pytest.raises(KeyError, match="broken"):
        host.connector("sample")


def test_host_version_outside_host_versions_is_broken(host: PluginHost):
    status = register_broken(host, SampleConnector(manifest=sample_manifest(host_versions=">=2")))
    _, pointer, message = only_problem(status)
    assert pointer == "/host_versions"
    assert "this host is 0.1.0" in message


def test_unparseable_host_versions_is_broken(host: PluginHost):
    status = register_broken(host, SampleConnector(manifest=sample_manifest(host_versions="new")))
    assert only_problem(status)[1:] == ("/host_versions", "is not a PEP 440 version specifier")


def test_plugin_raising_in_its_manifest_hook_does_not_crash_the_host(host: PluginHost):
    class Exploding:
        @hookimpl
        def connector_manifest(self) -> dict[str, Any]:
            raise RuntimeError("manifest file missing")

    status = register_broken(host, Exploding(), "exploding")
    assert "RuntimeError: manifest file missing" in status.problems[0].message
    assert "quickbooks" in host.connectors


def test_two_plugins_declaring_the_same_connector_id(host: PluginHost):
    first = host.register(SampleConnector(), "sample_one")
    second = host.register(SampleConnector(), "sample_two")
    assert not first.broken
    assert second.broken
    _, pointer, message = only_problem(second)
    assert pointer == "/id"
    assert "also declared by plugin 'sample_one'" in message
    assert host.connector("sample").plugin_name == "sample_one"


# Broken config schemas -------------------------------------------------------------------------


def broken_schema_problem(host: PluginHost, schema: dict[str, Any], **kwargs: Any):
    return only_problem(register_broken(host, SampleConnector(schema=schema, **kwargs)))


def test_invalid_json_schema_is_broken_with_pointer(host: PluginHost):
    schema = sample_schema()
    schema["properties"]["account"]["properties"]["region"]["type"] = "strng"
    source, pointer, message = broken_schema_problem(host, schema)
    assert source == SAMPLE_SOURCE
    assert pointer == "/properties/account/properties/region/type"
    assert "'strng'" in message


def test_unknown_wizard_keyword_is_broken_with_pointer(host: PluginHost):
    schema = sample_schema()
    schema["properties"]["account"]["properties"]["region"]["x-colour"] = "red"
    _, pointer, message = broken_schema_problem(host, schema)
    assert pointer == "/properties/account/properties/region/x-colour"
    assert message == "unknown wizard keyword 'x-colour'"


def test_step_without_title_is_broken(host: PluginHost):
    schema = sample_schema()
    del schema["properties"]["sync"]["title"]
    _, pointer, message = broken_schema_problem(host, schema)
    assert pointer == "/properties/sync"
    assert "'title' is a required property" in message


def test_x_oauth_naming_an_unknown_provider_is_broken(host: PluginHost):
    schema = sample_schema()
    schema["properties"]["account"]["x-oauth"] = {"provider": "salesforce"}
    _, pointer, message = broken_schema_problem(host, schema, oauth=[oauth_provider("crm")])
    assert pointer == "/account"
    assert "x-oauth names unknown provider 'salesforce'" in message
    # the same schema with the provider registered is fine
    host.unregister("sample")
    assert not host.register(
        SampleConnector(schema=schema, oauth=[oauth_provider("salesforce")]), "sample"
    ).broken


def test_x_options_naming_an_unknown_source_is_broken(host: PluginHost):
    schema = sample_schema()
    schema["properties"]["account"]["properties"]["label"]["x-options"] = "labels"
    _, pointer, message = broken_schema_problem(host, schema)
    assert pointer == "/account/label"
    assert "x-options names unknown source 'labels'" in message


def test_default_failing_its_own_schema_is_broken(host: PluginHost):
    schema = sample_schema()
    schema["properties"]["account"]["properties"]["label"]["default"] = "far too long a label"
    _, pointer, message = broken_schema_problem(host, schema)
    assert pointer == "/account/label"
    assert message.startswith("default is invalid:")


def test_job_toggle_field_not_in_schema_is_broken(host: PluginHost):
    job = JobDefinition(
        key="import_contacts",
        title="Import contacts",
        run=lambda ctx: None,
        toggle_field="/sync/contacts_on",
        schedule_field="/sync/contacts_cron",
    )
    _, pointer, message = broken_schema_problem(host, sample_schema(), jobs=[job])
    assert pointer == "/sync/contacts_on"
    assert "job 'import_contacts': toggle field is not in the schema" in message


def test_the_same_job_registered_twice_is_broken(host: PluginHost):
    job = JobDefinition(key="twice", title="Twice", run=lambda ctx: None)
    _, _, message = broken_schema_problem(host, sample_schema(), jobs=[job, job])
    assert "registered 'twice' twice" in message


# Hooks -----------------------------------------------------------------------------------------


def test_misspelled_hook_implementation_is_broken_with_did_you_mean(host: PluginHost):
    class Misspelled(SampleConnector):
        @hookimpl
        def register_job(self, register: Any) -> None:
            """A typo of register_jobs."""

    status = register_broken(host, Misspelled())
    assert "unknown hook 'register_job'" in status.problems[0].message
    assert "did you mean 'register_jobs'?" in status.problems[0].message


def test_broadcast_skips_broken_plugins_and_survives_failing_ones(host: PluginHost):
    seen: list[str] = []

    class Failing:
        @hookimpl
        def register_services(self, register: Any) -> None:
            raise RuntimeError("service hook failed")

    class Typo:
        @hookimpl
        def register_services(self, register: Any) -> None:
            seen.append("typo")

        @hookimpl
        def register_servics(self, register: Any) -> None:
            """misspelled, so the whole plugin is broken"""

    host.register(Failing(), "failing")
    host.register(Typo(), "typo")
    names = [service.name for service in host.services()]
    assert "qbo-emulator" in names
    assert seen == []


def test_registering_a_class_instead_of_an_instance_raises_type_error():
    with pytest.raises(TypeError, match="register an instance or module, not the class"):
        PluginHost().register(SampleConnector, "sample")


def test_unregister_removes_plugin_and_its_connector(host: PluginHost):
    host.register(SampleConnector(), "sample")
    assert "sample" in host.connectors
    host.unregister("sample")
    assert "sample" not in host.connectors
    assert "sample" not in {s.name for s in host.statuses()}
    assert not host.register(SampleConnector(), "sample").broken


def test_connector_hooks_are_called_on_the_owning_plugin_only(host: PluginHost):
    one, two = SampleConnector(), SampleConnector(manifest=sample_manifest(id="other"))
    host.register(one, "one")
    host.register(two, "two")
    host.call("other", "on_installed", installation="x")
    assert one.called("on_installed") == []
    assert two.called("on_installed") == ["x"]


# Disabling -------------------------------------------------------------------------------------


def test_disabled_plugins_env_blocks_an_entry_point_plugin():
    settings = Settings.from_env({"INTEGRATIONS_DISABLED_PLUGINS": " quickbooks , other"})
    assert settings.disabled_plugins == frozenset({"quickbooks", "other"})
    host = PluginHost(settings.disabled_plugins)
    host.load_entry_points()
    assert "quickbooks" not in host.connectors
    assert host.pm.is_blocked("quickbooks")
    assert not status_of(host, "admin_ui").broken
    with pytest.raises(KeyError, match="no connector 'quickbooks'"):
        host.connector("quickbooks")


def test_disabled_plugin_is_not_registered_directly_either():
    host = PluginHost(
        Settings.from_env({"INTEGRATIONS_DISABLED_PLUGINS": "sample"}).disabled_plugins
    )
    status = host.register(SampleConnector(), "sample")
    assert not status.broken
    assert "sample" not in host.connectors
    assert host.pm.get_plugin("sample") is None
