"""Small connector plugins the host's tests register, exactly as a third party would write them.

``SampleConnector`` is a whole connector with two scheduled jobs, a secret and lifecycle hooks
that record what the host told them. Tests change its manifest, schema or jobs to make it broken.
(The package is not called ``plugins`` so it never shadows the product's ``plugins`` package.)
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from core import hookimpl
from core.connector import JobDefinition, OAuthProvider, OptionSource
from core.runner import JobContext

SECRET = "sk_live_s3cr3t-value-42"


def sample_manifest(**changes: Any) -> dict[str, Any]:
    """A valid manifest of the sample connector, with ``changes`` applied."""
    base = {
        "id": "sample",
        "name": "Sample CRM",
        "version": "1.0.0",
        "category": "Sales & CRM",
        "summary": "A connector the tests install.",
        "host_versions": ">=0.1,<1",
    }
    base.update(changes)
    return base


def sample_schema() -> dict[str, Any]:
    """Two wizard steps: the account (with a secret) and the sync settings of two jobs."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {
            "account": {
                "type": "object",
                "title": "Account",
                "description": "Where the sample CRM lives.",
                "properties": {
                    "api_key": {"type": "string", "title": "API key", "writeOnly": True},
                    "region": {"type": "string", "enum": ["US", "CA"], "default": "US"},
                    "label": {"type": "string", "default": "main", "maxLength": 10},
                },
                "required": ["api_key"],
            },
            "sync": {
                "type": "object",
                "title": "Sync settings",
                "description": "Which jobs run and when.",
                "properties": {
                    "contacts_enabled": {"type": "boolean", "default": True},
                    "contacts_cron": {"type": "string", "format": "cron", "default": "0 * * * *"},
                    "deals_enabled": {"type": "boolean", "default": True},
                    "deals_cron": {"type": "string", "format": "cron", "default": "*/30 * * * *"},
                },
            },
        },
    }


def count_contacts(ctx: JobContext) -> None:
    """Counts three contacts read, two created, and logs a line."""
    ctx.count("read", 3)
    ctx.count("created", 2)
    ctx.log.info("imported %d contacts from %s", 2, ctx.config["account"]["region"])


def sync_deals(ctx: JobContext) -> None:
    ctx.count("read")


def sample_jobs() -> list[JobDefinition]:
    return [
        JobDefinition(
            key="import_contacts",
            title="Import contacts",
            run=count_contacts,
            toggle_field="/sync/contacts_enabled",
            schedule_field="/sync/contacts_cron",
        ),
        JobDefinition(
            key="sync_deals",
            title="Sync deals",
            run=sync_deals,
            toggle_field="/sync/deals_enabled",
            schedule_field="/sync/deals_cron",
        ),
    ]


class SampleConnector:
    """A configurable connector plugin; records the lifecycle calls it receives."""

    def __init__(
        self,
        *,
        manifest: Mapping[str, Any] | None = None,
        schema: Mapping[str, Any] | None = None,
        jobs: list[JobDefinition] | None = None,
        oauth: list[OAuthProvider] | None = None,
        options: list[OptionSource] | None = None,
        migrate: Callable[[Mapping[str, Any], str, str], Mapping[str, Any] | None] | None = None,
    ) -> None:
        self.manifest = dict(manifest if manifest is not None else sample_manifest())
        self.schema = copy.deepcopy(dict(schema if schema is not None else sample_schema()))
        self.jobs = sample_jobs() if jobs is None else jobs
        self.oauth = oauth or []
        self.options = options or []
        self.migrate = migrate
        self.calls: list[tuple[str, Any]] = []

    @hookimpl
    def connector_manifest(self) -> Mapping[str, Any]:
        return self.manifest

    @hookimpl
    def connector_config_schema(self) -> Mapping[str, Any]:
        return self.schema

    @hookimpl
    def register_jobs(self, register: Callable[[JobDefinition], None]) -> None:
        for job in self.jobs:
            register(job)

    @hookimpl
    def register_oauth_providers(self, register: Callable[[OAuthProvider], None]) -> None:
        for provider in self.oauth:
            register(provider)

    @hookimpl
    def register_option_sources(self, register: Callable[[OptionSource], None]) -> None:
        for source in self.options:
            register(source)

    @hookimpl
    def migrate_config(
        self, config: Mapping[str, Any], from_version: str, to_version: str
    ) -> Mapping[str, Any] | None:
        self.calls.append(("migrate_config", (from_version, to_version)))
        return self.migrate(config, from_version, to_version) if self.migrate else None

    @hookimpl
    def on_installed(self, installation: Any) -> None:
        self.calls.append(("on_installed", installation))

    @hookimpl
    def on_uninstalled(self, installation: Any, credentials: Mapping[str, Any]) -> None:
        self.calls.append(("on_uninstalled", (installation, copy.deepcopy(dict(credentials)))))

    @hookimpl
    def on_config_changed(
        self, installation: Any, previous: Mapping[str, Any], current: Mapping[str, Any]
    ) -> None:
        self.calls.append(("on_config_changed", (dict(previous), dict(current))))

    def called(self, hook: str) -> list[Any]:
        """The arguments of every call of ``hook``, oldest first."""
        return [args for name, args in self.calls if name == hook]


def complete_config(**account: Any) -> dict[str, Any]:
    """A configuration of the sample connector that activates an installation."""
    return {
        "account": {"api_key": SECRET, "region": "US", "label": "main", **account},
        "sync": {
            "contacts_enabled": True,
            "contacts_cron": "0 * * * *",
            "deals_enabled": True,
            "deals_cron": "*/30 * * * *",
        },
    }
