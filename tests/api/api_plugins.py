"""The connector the API tests install: the sample CRM plus an action, a picker, an OAuth
provider and a job that writes record statuses (two deals fail, and succeed once retried)."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from sample_plugins import SampleConnector, sample_jobs, sample_schema

from core import hookimpl
from core.connector import (
    Account,
    Action,
    ActionResult,
    JobDefinition,
    OAuthEndpoints,
    OAuthProvider,
    Option,
    OptionSource,
)
from core.runner import JobContext

DEALS = ("d-1", "d-2", "d-3")
FAILED_REASON = "the CRM refused the deal: stage is closed"


def api_schema() -> dict[str, Any]:
    """The sample schema, with an OAuth client id and a picker of deal stages."""
    schema = copy.deepcopy(sample_schema())
    account = schema["properties"]["account"]["properties"]
    account["client_id"] = {"type": "string", "title": "Client ID", "default": "crm-client"}
    schema["properties"]["sync"]["properties"]["won_stage"] = {
        "type": "string",
        "title": "Won stage",
        "x-options": "stages",
    }
    return schema


def export_deals(ctx: JobContext) -> None:
    """First run: d-1 synced, d-2 and d-3 failed; later runs send the deals marked needs sync."""
    for deal in DEALS:
        link = ctx.records.link("deal", deal)
        if link is None and deal != "d-1":
            ctx.records.failed("deal", deal, FAILED_REASON)
            ctx.count("failed")
        elif link is None or link.status == "pending":
            ctx.records.synced("deal", deal, remote_id=f"R{deal}", url=f"https://crm/{deal}")
            ctx.count("created")
    ctx.progress(len(DEALS), len(DEALS), "deals exported")


def stages(ctx: JobContext) -> list[Option]:
    """Deal stages of the connected CRM account (needs the connection, as a real source does)."""
    account = ctx.connection("crm")
    return [Option("won", f"Won ({account.account_name})"), Option("lost", "Lost")]


def greet(ctx: JobContext, params: Mapping[str, Any]) -> ActionResult:
    return ActionResult(True, f"hello {params['name']}", details={"region": "US"})


def crm_endpoints(config: Mapping[str, Any]) -> OAuthEndpoints:
    return OAuthEndpoints("https://crm.example/authorize", "https://crm.example/token")


def describe(config: Mapping[str, Any], tokens: Mapping[str, Any], params: Any) -> Account:
    return Account("acct-1", "Acme CRM")


CRM = OAuthProvider(
    key="crm",
    title="Acme CRM",
    endpoints=crm_endpoints,
    scopes=("deals",),
    client_id_field="/account/client_id",
    client_secret_field="/account/api_key",
    describe_account=describe,
)


class ApiConnector(SampleConnector):
    """The sample connector with everything the API exposes."""

    def __init__(self) -> None:
        jobs = [
            *sample_jobs(),
            JobDefinition(key="export_deals", title="Export deals", run=export_deals),
        ]
        super().__init__(
            schema=api_schema(), jobs=jobs, oauth=[CRM], options=[OptionSource("stages", stages)]
        )

    @hookimpl
    def register_actions(self, register: Callable[[Action], None]) -> None:
        register(
            Action(
                key="greet",
                title="Greet",
                run=greet,
                params_schema={
                    "type": "object",
                    "properties": {"name": {"type": "string", "minLength": 1}},
                    "required": ["name"],
                    "additionalProperties": False,
                },
            )
        )
