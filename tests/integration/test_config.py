"""Configuration on SQLite and PostgreSQL: defaults, field errors, encrypted secrets, versions."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.fernet import Fernet
from sample_plugins import SECRET, SampleConnector, complete_config, sample_schema
from sqlalchemy import select

from core.cli import cli
from core.config import MASK, ConfigInvalid, defaults, validate
from core.plugins import PluginHost
from core.secrets import KeyRing, SecretKeyError
from core.services import Services, build
from core.settings import Settings
from core.store.models import AuditEntry, ConfigVersion, Installation, OAuthConnection

NEW_SECRET = "sk_live_rotated-secret-99"


def save(integrations: Services, installation_id: int, values: dict, actor: str = "alice"):
    with integrations.db.session() as session:
        installation = session.get(Installation, installation_id)
        return integrations.installations.save_config(session, installation, values, actor=actor)


def current_full(integrations: Services, installation_id: int) -> dict:
    with integrations.db.session() as session:
        return integrations.configs.full(integrations.configs.current(session, installation_id))


def raw_versions(integrations: Services, installation_id: int) -> list[tuple]:
    """The stored columns exactly as they are in the database."""
    table = ConfigVersion.__table__
    with integrations.db.engine.connect() as connection:
        return list(
            connection.execute(
                select(table.c["values"], table.c.secrets_ciphertext, table.c.changes)
                .where(table.c.installation_id == installation_id)
                .order_by(table.c.version)
            )
        )


# Defaults and validation -----------------------------------------------------------------------


def test_an_installation_starts_with_the_schema_defaults(
    integrations: Services, installation: Installation
):
    expected = {
        "account": {"region": "US", "label": "main"},
        "sync": {
            "contacts_enabled": True,
            "contacts_cron": "0 * * * *",
            "deals_enabled": True,
            "deals_cron": "*/30 * * * *",
        },
    }
    assert defaults(sample_schema()) == expected
    assert current_full(integrations, installation.id) == expected
    assert installation.status == "draft"


def test_invalid_fields_are_reported_by_pointer_with_a_reason(
    integrations: Services, installation: Installation
):
    values = complete_config(region="MX", label="much too long")
    values["sync"]["contacts_cron"] = "61 * * * *"
    with pytest.raises(ConfigInvalid) as refused:
        save(integrations, installation.id, values)
    errors = {e.pointer: e.message for e in refused.value.errors}
    assert errors == {
        "/account/label": "'much too long' is too long",
        "/account/region": "'MX' is not one of ['US', 'CA']",
        "/sync/contacts_cron": "minute field: 61 is out of range 0-59",
    }
    assert "Traceback" not in str(refused.value)
    with integrations.db.session() as session:
        assert len(integrations.configs.history(session, installation.id)) == 1  # nothing saved


def test_a_missing_required_field_is_pointed_at(integrations: Services):
    values = complete_config()
    del values["account"]["api_key"]
    errors = validate(sample_schema(), values)
    assert [e.as_dict() for e in errors] == [
        {"pointer": "/account/api_key", "message": "is required"}
    ]


def test_validating_one_step_reports_only_its_fields():
    values = complete_config(region="MX")
    values["sync"]["deals_cron"] = "* * *"
    assert [e.pointer for e in validate(sample_schema(), values)] == [
        "/account/region",
        "/sync/deals_cron",
    ]
    (error,) = validate(sample_schema(), values, step="sync")
    assert error.pointer == "/sync/deals_cron"
    assert "month and day-of-week fields are missing" in error.message


def test_a_step_left_out_still_has_its_required_fields_checked(
    integrations: Services, installation: Installation
):
    result = save(integrations, installation.id, {})
    assert [e.as_dict() for e in result.missing] == [
        {"pointer": "/account/api_key", "message": "is required"}
    ]
    with integrations.db.session() as session:
        assert session.get(Installation, installation.id).status == "draft"


def test_optional_fields_left_out_fall_back_to_defaults_for_schedules(
    integrations: Services, installation: Installation
):
    save(integrations, installation.id, complete_config())
    values = complete_config()
    values["account"].pop("api_key")  # a blank secret keeps the stored one
    values["sync"].pop("contacts_cron")
    result = save(integrations, installation.id, values)
    assert result.missing == []
    with integrations.db.session() as session:
        schedules = {
            s.job_key: s.cron
            for s in integrations.schedules._of(session, session.get(Installation, installation.id))
        }
    assert schedules == {"import_contacts": "0 * * * *", "sync_deals": "*/30 * * * *"}


# Secrets ---------------------------------------------------------------------------------------


def test_secrets_are_encrypted_at_rest(integrations: Services, installation: Installation):
    save(integrations, installation.id, complete_config())
    rows = raw_versions(integrations, installation.id)
    values, ciphertext, changes = rows[-1]
    assert ciphertext is not None
    assert SECRET.encode() not in bytes(ciphertext)
    assert SECRET not in json.dumps(values) and "api_key" not in json.dumps(values)
    assert SECRET not in json.dumps(changes)
    assert {"pointer": "/account/api_key", "secret": True} in (
        changes if isinstance(changes, list) else json.loads(changes)
    )
    with integrations.db.session() as session:
        audit = json.dumps([e.detail for e in session.scalars(select(AuditEntry))])
    assert SECRET not in audit
    assert current_full(integrations, installation.id)["account"]["api_key"] == SECRET


def test_secrets_are_masked_when_shown(
    integrations: Services, installation: Installation, sample: SampleConnector
):
    save(integrations, installation.id, complete_config())
    save(integrations, installation.id, complete_config(region="CA"))
    with integrations.db.session() as session:
        shown = integrations.configs.shown(
            sample.schema, integrations.configs.current(session, installation.id)
        )
    assert shown["account"] == {"api_key": MASK, "region": "CA", "label": "main"}
    (previous, current) = sample.called("on_config_changed")[-1]
    assert previous["account"]["api_key"] == MASK
    assert current["account"]["api_key"] == MASK
    assert SECRET not in json.dumps(sample.called("on_config_changed"))


@pytest.mark.parametrize("blank", ["", None, MASK, "absent"])
def test_a_blank_secret_keeps_the_stored_one(
    integrations: Services, installation: Installation, blank: str | None
):
    save(integrations, installation.id, complete_config())
    values = complete_config(region="CA")
    if blank == "absent":
        del values["account"]["api_key"]
    else:
        values["account"]["api_key"] = blank
    version = save(integrations, installation.id, values).version
    assert current_full(integrations, installation.id)["account"] == {
        "api_key": SECRET,
        "region": "CA",
        "label": "main",
    }
    assert version.changes == [{"pointer": "/account/region", "from": "US", "to": "CA"}]


# Versions --------------------------------------------------------------------------------------


def test_every_version_is_kept_with_who_when_and_changes_and_can_be_restored(
    integrations: Services, installation: Installation
):
    save(integrations, installation.id, complete_config(), actor="alice")
    save(integrations, installation.id, complete_config(api_key=NEW_SECRET, region="CA"), "bob")
    with integrations.db.session() as session:
        history = integrations.configs.history(session, installation.id)
    assert [(v.version, v.created_by) for v in history] == [(3, "bob"), (2, "alice"), (1, "alice")]
    assert all(v.created_at.tzinfo is not None for v in history)
    assert history[0].changes == [
        {"pointer": "/account/api_key", "secret": True},
        {"pointer": "/account/region", "from": "US", "to": "CA"},
    ]
    with integrations.db.session() as session:
        current = session.get(Installation, installation.id)
        restored = integrations.installations.restore_config(session, current, 2, actor="carol")
    assert restored.version.version == 4
    assert restored.version.note == "restored 2"
    assert current_full(integrations, installation.id)["account"] == {
        "api_key": SECRET,
        "region": "US",
        "label": "main",
    }


def test_restoring_an_unknown_version_is_refused(
    integrations: Services, installation: Installation
):
    with (
        pytest.raises(LookupError, match="no configuration version 9"),
        integrations.db.session() as session,
    ):
        current = session.get(Installation, installation.id)
        integrations.installations.restore_config(session, current, 9, actor="carol")


# Keys ------------------------------------------------------------------------------------------


def test_the_key_file_is_created_with_mode_0600_on_first_use(tmp_path: Path):
    key_file = tmp_path / "var" / "secret.key"
    ring = KeyRing.load((), key_file)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert KeyRing.load((), key_file).keys == ring.keys
    token = ring.encrypt_json({"/a": "b"})
    assert KeyRing.load((), key_file).decrypt_json(token) == {"/a": "b"}


def test_a_malformed_environment_key_is_refused_clearly():
    with pytest.raises(SecretKeyError, match="Fernet keys"):
        KeyRing(["not-a-key"])


@pytest.fixture
def key_file_services(
    tmp_path: Path, integrations_database_url: str, monkeypatch: pytest.MonkeyPatch
):
    """Services as the CLI builds them: keys from a key file in INTEGRATIONS_DATA_DIR."""
    monkeypatch.setenv("INTEGRATIONS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("INTEGRATIONS_DATABASE_URL", integrations_database_url)
    monkeypatch.delenv("INTEGRATIONS_SECRET_KEY", raising=False)
    host = PluginHost()
    host.register(SampleConnector(), "sample")
    services = build(Settings.from_env(), host=host)
    yield services
    services.db.dispose()


def test_keys_rotate_re_encrypts_everything_and_retires_the_old_key(key_file_services: Services):
    services = key_file_services
    old_keys = list(services.ring.keys)
    with services.db.session() as session:
        from core.tenants import get_or_create_tenant

        tenant = get_or_create_tenant(session, "demo", "Demo")
        installation = services.installations.install(session, tenant.id, "sample", actor="t")
        services.installations.save_config(session, installation, complete_config(), actor="t")
        services.connections.save(
            session,
            installation.id,
            "crm",
            {"refresh_token": NEW_SECRET},
            account_id="1",
            account_name="CRM",
        )

    result = CliRunner().invoke(cli, ["keys", "rotate"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "re-encrypted 2 secrets under a new key; old keys removed" in result.output

    key_file = services.settings.key_file
    new_keys = [line for line in key_file.read_text().splitlines() if line]
    assert len(new_keys) == 1 and new_keys[0] not in old_keys
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    old_ring, new_ring = KeyRing(old_keys), KeyRing(new_keys)
    with services.db.session() as session:
        ciphertexts = [
            *session.scalars(
                select(ConfigVersion.secrets_ciphertext).where(
                    ConfigVersion.secrets_ciphertext.is_not(None)
                )
            ),
            *session.scalars(select(OAuthConnection.tokens_ciphertext)),
        ]
    assert len(ciphertexts) == 2
    for ciphertext in ciphertexts:
        with pytest.raises(SecretKeyError):
            old_ring.decrypt(ciphertext)
        assert SECRET.encode() in new_ring.decrypt(ciphertext) or NEW_SECRET.encode() in (
            new_ring.decrypt(ciphertext)
        )


def test_keys_rotate_with_environment_keys_uses_the_first_one(
    integrations: Services,
    installation: Installation,
    integrations_database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
):
    save(integrations, installation.id, complete_config())
    old_key = integrations.ring.keys[0]
    new_key = Fernet.generate_key().decode()
    monkeypatch.setenv("INTEGRATIONS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("INTEGRATIONS_DATABASE_URL", integrations_database_url)
    monkeypatch.setenv("INTEGRATIONS_SECRET_KEY", f"{new_key},{old_key}")
    result = CliRunner().invoke(cli, ["keys", "rotate"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "the other keys can now be removed" in result.output
    (_, ciphertext, _) = raw_versions(integrations, installation.id)[-1]
    with pytest.raises(SecretKeyError):
        KeyRing([old_key]).decrypt(ciphertext)
    assert SECRET in KeyRing([new_key]).decrypt(ciphertext).decode()
