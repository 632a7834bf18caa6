"""API tokens: shown once, stored hashed, revocable; the API answers only to them, per tenant."""

from __future__ import annotations

import hashlib
import re

import pytest
from api_client import Api
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import select

from core import api_tokens
from core.cli import cli
from core.services import Services
from core.store.models import ApiToken, AuditEntry
from core.tenants import create_user, get_or_create_tenant

PASSWORD = "pw-123456-api"


def test_a_token_is_shown_once_and_only_its_hash_is_stored(
    integrations: Services, tenant_id: int
) -> None:
    with integrations.db.session() as session:
        row, clear = api_tokens.create(session, tenant_id, "  billing platform ", actor="admin")
        token_id = row.id

    assert re.fullmatch(r"il_[A-Za-z0-9_-]{43}", clear)
    with integrations.db.session() as session:
        stored = session.get(ApiToken, token_id)
        columns = [str(getattr(stored, c.key)) for c in ApiToken.__table__.columns]
        audit = session.scalars(select(AuditEntry.detail)).all()
    assert stored.token_hash == hashlib.sha256(clear.encode()).hexdigest()
    assert stored.name == "billing platform"
    assert stored.prefix == clear[:11]
    assert not any(clear in value for value in columns)
    assert not any(clear in str(detail) for detail in audit)


def test_a_token_needs_a_name(integrations: Services, tenant_id: int) -> None:
    with integrations.db.session() as session, pytest.raises(ValueError, match="name: give"):
        api_tokens.create(session, tenant_id, "   ", actor="admin")


def test_a_call_with_the_token_is_answered_and_noted_as_used(
    api: Api, integrations: Services
) -> None:
    reply = api.get("/api/v1/installations")

    assert reply.status_code == 200
    assert reply.headers["Cache-Control"] == "no-store"
    with integrations.db.session() as session:
        assert session.scalars(select(ApiToken.last_used_at)).one() is not None


def test_a_revoked_token_is_refused(api: Api, integrations: Services, tenant_id: int) -> None:
    with integrations.db.session() as session:
        token_id = api_tokens.list_tokens(session, tenant_id)[0].id
        api_tokens.revoke(session, tenant_id, token_id, actor="admin")

    reply = api.get("/api/v1/installations")

    assert reply.status_code == 401
    assert reply.headers["WWW-Authenticate"].startswith("Bearer")
    assert "Bearer" in reply.get_json()["error"]


@pytest.mark.parametrize(
    "header",
    [None, "Bearer il_not-a-real-token", "Bearer ", "Basic dXNlcjpwYXNz", "il_abc"],
    ids=["none", "unknown", "empty", "basic", "no-scheme"],
)
def test_calls_without_a_valid_token_are_refused(app: Flask, header: str | None) -> None:
    client = app.test_client()
    reply = client.get("/api/v1/installations", headers={"Authorization": header} if header else {})

    assert reply.status_code == 401
    assert set(reply.get_json()) == {"error"}


def test_a_signed_in_browser_session_alone_does_not_authenticate(
    app: Flask, integrations: Services, tenant_id: int
) -> None:
    with integrations.db.session() as session:
        tenant = get_or_create_tenant(session, "test", "Test tenant")
        create_user(session, tenant, "admin@test.example", PASSWORD)
    client = app.test_client()
    page = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    signed_in = client.post(
        "/login", data={"email": "admin@test.example", "password": PASSWORD, "csrf_token": csrf}
    )
    assert signed_in.status_code == 302
    assert client.get("/").status_code == 200  # the pages do know this admin

    reply = client.post(
        "/api/v1/installations", json={"connector_id": "sample"}, headers={"X-CSRF-Token": csrf}
    )

    assert reply.status_code == 401


def test_another_tenants_ids_are_not_found(api: Api, other_api: Api, installation, run_job) -> None:
    run = run_job(installation.id, "import_contacts").run
    paths = [
        f"/api/v1/installations/{installation.id}",
        f"/api/v1/installations/{installation.id}/config",
        f"/api/v1/installations/{installation.id}/config/history",
        f"/api/v1/installations/{installation.id}/runs",
        f"/api/v1/installations/{installation.id}/records",
        f"/api/v1/runs/{run.id}",
    ]

    assert [other_api.get(path).status_code for path in paths] == [404] * len(paths)
    assert other_api.post(f"/api/v1/runs/{run.id}/cancel").status_code == 404
    assert other_api.delete(f"/api/v1/installations/{installation.id}").status_code == 404
    assert other_api.get("/api/v1/installations").get_json() == {"installations": []}
    assert api.get(f"/api/v1/installations/{installation.id}").status_code == 200


def test_revoking_another_tenants_token_is_refused(
    integrations: Services, tenant_id: int, token: str
) -> None:
    with integrations.db.session() as session:
        other = get_or_create_tenant(session, "other", "Other").id
        token_id = api_tokens.list_tokens(session, tenant_id)[0].id
        with pytest.raises(LookupError, match=f"no API token {token_id}"):
            api_tokens.revoke(session, other, token_id, actor="admin")


# The command line -----------------------------------------------------------------------------


@pytest.fixture
def cli_env(integrations_settings, integrations: Services, monkeypatch) -> None:
    """The CLI over the test's database and keys."""
    monkeypatch.setenv("INTEGRATIONS_DATABASE_URL", integrations_settings.database_url)
    monkeypatch.setenv("INTEGRATIONS_DATA_DIR", str(integrations_settings.data_dir))
    monkeypatch.setenv("INTEGRATIONS_SECRET_KEY", ",".join(integrations_settings.secret_keys))
    monkeypatch.delenv("INTEGRATIONS_DISABLED_PLUGINS", raising=False)


def run_cli(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_cli_creates_lists_and_revokes_tokens(cli_env, app: Flask) -> None:
    created = run_cli("tokens", "create", "nightly export", "--tenant", "test")
    assert created.exit_code == 0, created.output
    clear = created.output.splitlines()[1]
    assert clear.startswith("il_")
    assert "not shown again" in created.output
    assert Api(app, clear).get("/api/v1/installations").status_code == 200

    listed = run_cli("tokens", "list", "--tenant", "test")
    assert listed.exit_code == 0, listed.output
    assert f"#1 {clear[:11]}... 'nightly export'" in listed.output
    assert ", active" in listed.output
    assert clear not in listed.output

    revoked = run_cli("tokens", "revoke", "1", "--tenant", "test")
    assert revoked.output == "revoked API token 1 (nightly export)\n"
    assert Api(app, clear).get("/api/v1/installations").status_code == 401
    assert "revoked 20" in run_cli("tokens", "list", "--tenant", "test").output


def test_cli_refuses_unknown_tokens_and_blank_names(cli_env, tenant_id: int) -> None:
    unknown = run_cli("tokens", "revoke", "7", "--tenant", "test")
    blank = run_cli("tokens", "create", " ", "--tenant", "test")

    assert unknown.exit_code == 1 and "no API token 7" in unknown.output
    assert blank.exit_code == 1 and "name: give the token a name" in blank.output
