"""The *Test connection* action: reads CompanyInfo and Preferences and says, field by field,
what is wrong and what to do (issue 4, item 6)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from authlib.integrations.base_client import OAuthError

from core.connector import ActionResult
from core.oauth import NeedsReconnect
from core.runner import JobContext
from plugins.quickbooks.client import client_from_config
from plugins.quickbooks.environments import EnvironmentError as BadEnvironment
from plugins.quickbooks.qbo_errors import AuthError, QBOError

PROVIDER = "quickbooks"


def test_connection(ctx: JobContext, params: Mapping[str, Any]) -> ActionResult:
    """Check credentials, connection, environment and the company settings the sync needs."""
    checks: dict[str, str] = {}
    config = ctx.config
    if not config.get("quickbooks", {}).get("client_id") or not ctx.secret(
        "/quickbooks/client_secret"
    ):
        checks["/quickbooks/client_id"] = "enter the client ID and secret, then connect"
        return _result(checks)
    try:
        account = ctx.connection(PROVIDER)
    except NeedsReconnect as exc:
        checks["connection"] = f"not connected: {exc}; press Connect to QuickBooks"
        return _result(checks)
    try:
        # A refresh proves the client credentials and the refresh token together.
        ctx.oauth.refresh(ctx.installation.id, PROVIDER)
        checks["/quickbooks/client_secret"] = "ok"
        client = client_from_config(config, account.account_id, account.tokens)
        company = client.company_info()
        preferences = client.preferences()
    except OAuthError as exc:
        checks["/quickbooks/client_secret"] = (
            "QuickBooks refused the client ID or secret; copy them again from the Intuit portal"
            if exc.error == "invalid_client"
            else f"QuickBooks refused the tokens ({exc.error}); reconnect"
        )
        return _result(checks)
    except NeedsReconnect as exc:
        checks["connection"] = f"{exc}; press Reconnect"
        return _result(checks)
    except BadEnvironment as exc:
        checks[exc.pointer] = str(exc)
        return _result(checks)
    except AuthError as exc:
        checks["/initial/environment"] = (
            f"QuickBooks refused this company for these keys ({exc.code}): check that the "
            "environment (sandbox or production) matches the app's keys"
        )
        return _result(checks)
    except QBOError as exc:
        checks["connection"] = f"QuickBooks answered {exc.status} {exc.code}: {exc.message}"
        return _result(checks)
    checks["connection"] = f"connected to {company.get('CompanyName', account.account_name)}"
    checks.update(_company_settings(config, company, preferences))
    return _result(checks, company=company.get("CompanyName", ""))


def _company_settings(
    config: Mapping[str, Any], company: Mapping[str, Any], preferences: Mapping[str, Any]
) -> dict[str, str]:
    found: dict[str, str] = {}
    custom_numbers = bool(preferences.get("SalesFormsPrefs", {}).get("CustomTxnNumbers", False))
    numbering = config.get("invoices", {}).get("numbering", "platform")
    if numbering == "platform" and not custom_numbers:
        found["/invoices/numbering"] = (
            "the platform numbers invoices, but QuickBooks has custom transaction numbers off: "
            "turn on Account and Settings > Sales > Custom transaction numbers, or let "
            "QuickBooks number invoices"
        )
    else:
        found["/invoices/numbering"] = "ok"
    country = {"GB": "UK"}.get(company.get("Country", ""), company.get("Country", ""))
    region = config.get("initial", {}).get("region", "US")
    if country and country != region:
        found["/initial/region"] = (
            f"the company is in {country} but the region is set to {region}; taxes would be "
            "sent the wrong way"
        )
    else:
        found["/initial/region"] = "ok"
    return found


def _result(checks: dict[str, str], company: str = "") -> ActionResult:
    problems = {k: v for k, v in checks.items() if v != "ok" and not v.startswith("connected")}
    if problems:
        return ActionResult(False, "; ".join(f"{k}: {v}" for k, v in problems.items()), checks)
    return ActionResult(True, f"Connected to {company}; the settings the sync needs are on", checks)
