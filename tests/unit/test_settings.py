"""Host settings from the environment: the embedded default needs none of them."""

from __future__ import annotations

from pathlib import Path

from core.settings import Settings
from core.store.database import Database


def test_the_embedded_default_is_sqlite_under_the_data_dir(tmp_path: Path):
    settings = Settings.from_env({"INTEGRATIONS_DATA_DIR": str(tmp_path / "var")})
    assert settings.database_url == f"sqlite:///{tmp_path / 'var' / 'app.db'}"
    assert settings.key_file == tmp_path / "var" / "secret.key"
    assert settings.secret_keys == ()
    assert settings.disabled_plugins == frozenset()
    assert Database(settings.database_url).is_sqlite


def test_without_a_data_dir_everything_lives_under_var(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert Settings.from_env({}).data_dir == tmp_path / "var"


def test_environment_selects_database_keys_and_disabled_plugins():
    settings = Settings.from_env(
        {
            "INTEGRATIONS_DATABASE_URL": "postgresql+psycopg://app@db/integrations",
            "INTEGRATIONS_SECRET_KEY": "new-key, , old-key,",
            "INTEGRATIONS_DISABLED_PLUGINS": "quickbooks,,  admin_ui ",
        }
    )
    assert settings.database_url == "postgresql+psycopg://app@db/integrations"
    assert settings.secret_keys == ("new-key", "old-key")
    assert settings.disabled_plugins == frozenset({"quickbooks", "admin_ui"})
    assert not Database(settings.database_url).is_sqlite
