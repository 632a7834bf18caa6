"""The ``integrations`` command line, through click's runner and once as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from core.cli import cli
from core.config import MASK

EXECUTABLE = Path(sys.executable).with_name("integrations")
CLIENT_SECRET = "qbo-client-secret-0042"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty embedded deployment: SQLite and the key file under a tmp data dir."""
    data = tmp_path / "data"
    monkeypatch.setenv("INTEGRATIONS_DATA_DIR", str(data))
    for name in ("INTEGRATIONS_DATABASE_URL", "INTEGRATIONS_SECRET_KEY", "INTEGRATIONS_TENANT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("INTEGRATIONS_DISABLED_PLUGINS", raising=False)
    return data


def run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def assert_clean_failure(result: Result, message: str) -> None:
    assert result.exit_code != 0, result.output
    assert message in result.output
    assert "Traceback" not in result.output


@pytest.fixture
def installed(data_dir: Path) -> str:
    """QuickBooks installed as installation 1 of the demo tenant."""
    result = run("install", "quickbooks")
    assert result.exit_code == 0, result.output
    assert "installed quickbooks as installation 1 (demo)" in result.output
    return "1"


def test_plugins_list_shows_quickbooks_ok(data_dir: Path):
    result = run("plugins", "list")
    assert result.exit_code == 0, result.output
    (line,) = [line for line in result.output.splitlines() if line.startswith("quickbooks")]
    assert line.split() == ["quickbooks", "quickbooks", "0.1.0", "ok"]
    rows = {row["plugin"]: row for row in json.loads(run("plugins", "list", "--json").output)}
    assert rows["quickbooks"]["status"] == "ok"
    assert rows["quickbooks"]["problems"] == []


def test_plugins_list_shows_disabled_plugins(data_dir: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("INTEGRATIONS_DISABLED_PLUGINS", "quickbooks")
    result = run("plugins", "list")
    assert result.exit_code == 0
    assert "quickbooks           disabled by INTEGRATIONS_DISABLED_PLUGINS" in result.output
    assert not any(line.endswith(" ok") for line in result.output.splitlines() if "quick" in line)


BROKEN_PLUGIN = """
from core import hookimpl

@hookimpl
def connector_manifest():
    return {"id": "brokencrm", "name": "Broken CRM", "version": "1.0", "category": "CRM",
            "summary": "Has a bad version.", "host_versions": ">=0.1"}

@hookimpl
def connector_config_schema():
    return {"type": "object", "properties": {}}
"""


@pytest.fixture
def third_party_plugins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An installed third-party distribution declaring two broken plugins by entry point."""
    site = tmp_path / "site"
    dist = site / "brokencrm-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: brokencrm\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[integrations.plugins]\nbrokencrm = brokencrm_plugin\nmissing = no_such_module_xyz\n"
    )
    (site / "brokencrm_plugin.py").write_text(BROKEN_PLUGIN)
    monkeypatch.syspath_prepend(str(site))
    return site / "brokencrm_plugin.py"


def test_plugins_list_shows_broken_plugins_with_reasons(data_dir: Path, third_party_plugins: Path):
    result = run("plugins", "list")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert f"    {third_party_plugins}#/version: '1.0' does not match" in "\n".join(lines)
    assert any(line.split()[:3] == ["brokencrm", "brokencrm", "broken"] for line in lines)
    assert "no_such_module_xyz: cannot be imported: ModuleNotFoundError" in result.output
    assert any(line.split() == ["quickbooks", "quickbooks", "0.1.0", "ok"] for line in lines)
    assert_clean_failure(run("install", "brokencrm"), "connector 'brokencrm' is broken")


def test_install_then_config_show_prints_the_defaults(installed: str):
    result = run("config", "show", installed)
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert shown["invoices"]["numbering"] == "platform"
    assert shown["sync"]["import_from_quickbooks"] == {"enabled": True, "schedule": "0 * * * *"}
    assert shown["initial"]["environment"] == "production"
    assert "client_secret" not in shown["quickbooks"]


def test_config_set_stores_a_secret_that_config_show_masks(installed: str):
    result = run(
        "config",
        "set",
        installed,
        "/quickbooks/client_id=ABC123",
        "/invoices/number_prefix=INV-",
        "--secret",
        "/quickbooks/client_secret",
        input=CLIENT_SECRET + "\n",
    )
    assert result.exit_code == 0, result.output
    assert "saved configuration version 2" in result.output
    assert CLIENT_SECRET not in result.output
    shown = run("config", "show", installed)
    assert CLIENT_SECRET not in shown.output
    values = json.loads(shown.output)
    assert values["quickbooks"] == {"client_id": "ABC123", "client_secret": MASK}
    assert values["invoices"]["number_prefix"] == "INV-"
    old = json.loads(run("config", "show", installed, "--version", "1").output)
    assert old["invoices"]["number_prefix"] == ""
    history = run("config", "history", installed).output
    assert "v2" in history and "/quickbooks/client_secret" in history
    assert CLIENT_SECRET not in history


@pytest.mark.parametrize(
    ("assignment", "reason"),
    [
        ("/invoices/numbering=nobody", "/invoices/numbering: 'nobody' is not one of"),
        (
            "/sync/export_invoices/schedule=61 * * * *",
            "/sync/export_invoices/schedule: minute field: 61 is out of range 0-59",
        ),
    ],
)
def test_config_set_with_a_bad_value_names_the_pointer_and_reason(
    installed: str, assignment: str, reason: str
):
    result = run("config", "set", installed, assignment)
    assert_clean_failure(result, f"error: {reason}")
    assert json.loads(run("config", "show", installed).output)["invoices"]["numbering"] == (
        "platform"
    )


def test_config_set_with_a_malformed_assignment_fails(installed: str):
    result = run("config", "set", installed, "invoices=1")
    assert_clean_failure(result, "write /pointer=value")


def test_unknown_connector_fails_clearly(data_dir: Path):
    result = run("install", "nope")
    assert_clean_failure(result, "no connector 'nope' (available: quickbooks)")


def test_unknown_installation_fails_clearly(installed: str):
    for args in (("config", "show", "99"), ("uninstall", "99", "--yes"), ("config", "set", "99")):
        assert_clean_failure(run(*args), "no installation 99")
    assert_clean_failure(run("config", "show", installed, "--tenant", "other"), "no tenant 'other'")


def test_uninstall_and_runs_list(installed: str):
    assert run("runs", "list").exit_code == 0
    result = run("uninstall", installed, "--yes")
    assert result.exit_code == 0, result.output
    assert "uninstalled installation 1 (keeping its sync data)" in result.output


def test_db_upgrade(data_dir: Path):
    result = run("db", "upgrade")
    assert result.exit_code == 0, result.output
    assert (data_dir / "app.db").exists()


def _commands(group: click.Group, ctx: click.Context, prefix: tuple[str, ...] = ()):
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        yield (*prefix, name)
        if isinstance(command, click.Group):
            yield from _commands(command, ctx, (*prefix, name))


def test_every_command_has_help(data_dir: Path):
    commands = list(_commands(cli, click.Context(cli)))
    assert {("serve",), ("keys", "rotate"), ("config", "set"), ("qbo-emulator",)} <= set(commands)
    for path in [(), *commands]:
        result = run(*path, "--help")
        assert result.exit_code == 0, (path, result.output)
        assert result.output.startswith("Usage: ")
    assert not (data_dir / "app.db").exists()  # --help touches no database


def test_the_installed_executable_lists_plugins(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTEGRATIONS_")}
    env["INTEGRATIONS_DATA_DIR"] = str(tmp_path / "data")
    done = subprocess.run(
        [str(EXECUTABLE), "plugins", "list"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert any(
        line.split() == ["quickbooks", "quickbooks", "0.1.0", "ok"]
        for line in done.stdout.splitlines()
    )
    bad = subprocess.run(
        [str(EXECUTABLE), "install", "nope"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert bad.returncode == 1
    assert "Error: no connector 'nope'" in bad.stderr
    assert "Traceback" not in bad.stderr
