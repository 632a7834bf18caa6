"""Connector plugins the web tests register: one exercising every widget, one full of markup."""

from __future__ import annotations

from typing import Any

from sample_plugins import SampleConnector, sample_manifest

from core.connector import Option, OptionSource
from core.runner import JobContext

MARKUP = "<script>alert('x')</script>"


def fetch_deal_stages(ctx: JobContext) -> list[Option]:
    """Stages of the remote CRM: needs the installation's connection, like a real source."""
    account = ctx.connection("crm")
    return [Option("won", f"Won ({account.account_name})"), Option("lost", "Lost")]


def widget_schema() -> dict[str, Any]:
    """Every widget of the wizard vocabulary in three steps."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {
            "account": {
                "type": "object",
                "title": "Account",
                "description": "Where the CRM lives.",
                "properties": {
                    "api_key": {"type": "string", "title": "API key", "writeOnly": True},
                    "region": {"type": "string", "enum": ["US", "CA"], "default": "US"},
                    "label": {"type": "string", "default": "main", "maxLength": 10},
                    "tenant_code": {
                        "type": "string",
                        "title": "Tenant code",
                        "readOnly": True,
                        "default": "T-1",
                    },
                    "mode": {
                        "type": "string",
                        "title": "Mode",
                        "oneOf": [
                            {"const": "cloud", "title": "Cloud"},
                            {"const": "server", "title": "Own server"},
                        ],
                        "default": "cloud",
                    },
                },
                "required": ["api_key"],
                "if": {"properties": {"mode": {"const": "server"}}, "required": ["mode"]},
                "then": {
                    "properties": {
                        "server_url": {
                            "type": "string",
                            "title": "Server URL",
                            "pattern": "^https://",
                        }
                    },
                    "required": ["server_url"],
                },
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
                    "won_stage": {"type": "string", "title": "Won stage", "x-options": "stages"},
                    "batch": {"type": "integer", "minimum": 1, "maximum": 50, "default": 10},
                    "mapping": {
                        "type": "object",
                        "title": "Stage mapping",
                        "x-widget": "json",
                        "additionalProperties": {"type": "string", "minLength": 1},
                        "default": {"won": "closed"},
                    },
                },
            },
            "advanced": {
                "type": "object",
                "title": "Advanced settings",
                "description": "Limits.",
                "x-advanced": True,
                "properties": {
                    "timeout": {"type": "number", "minimum": 1, "default": 30},
                    "verbose": {"type": "boolean", "default": False, "x-advanced": True},
                },
            },
        },
    }


def widget_connector() -> SampleConnector:
    return SampleConnector(
        schema=widget_schema(),
        options=[OptionSource("stages", fetch_deal_stages)],
    )


def markup_connector() -> SampleConnector:
    """A connector whose every text is markup: pages must show it as text."""
    manifest = sample_manifest(
        id="markup",
        name=f"Evil {MARKUP}",
        category=f"Cat {MARKUP}",
        summary=f"Summary {MARKUP}",
        description=f"Description {MARKUP}",
        syncs=[f"Sync {MARKUP}"],
    )
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {
            "step": {
                "type": "object",
                "title": f"Step {MARKUP}",
                "description": f"Step description {MARKUP}",
                "properties": {
                    "field": {
                        "type": "string",
                        "title": f"Field {MARKUP}",
                        "description": f"Help {MARKUP}",
                        "default": MARKUP,
                    },
                    "choice": {"type": "string", "enum": [MARKUP, "plain"], "default": MARKUP},
                },
            }
        },
    }
    return SampleConnector(manifest=manifest, schema=schema, jobs=[])


def broken_connector() -> SampleConnector:
    """Invalid manifest: the Marketplace lists it as broken, with a reason holding markup."""
    return SampleConnector(manifest=sample_manifest(id="broken", version=f"1{MARKUP}"), jobs=[])
