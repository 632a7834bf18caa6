"""``integrations scheduler`` and ``integrations worker`` refuse to start on settings they cannot
work with, and say which setting and why."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from core.cli import cli

pytestmark = pytest.mark.distributed


@pytest.fixture
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An embedded deployment under ``tmp_path``, without a broker."""
    monkeypatch.setenv("INTEGRATIONS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("INTEGRATIONS_DISABLED_PLUGINS", "quickbooks,admin_ui")
    for name in ("INTEGRATIONS_DATABASE_URL", "INTEGRATIONS_SECRET_KEY", "INTEGRATIONS_BROKER_URL"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def assert_refused(result: Result, message: str) -> None:
    assert result.exit_code == 1, result.output
    assert message in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("command", ["scheduler", "worker"])
def test_the_distributed_commands_need_a_broker(environment: Path, command: str):
    assert_refused(run(command), "INTEGRATIONS_BROKER_URL is not set")


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (None, "cannot be read: No such file or directory"),
        ("next tuesday", "'next tuesday' is not an ISO 8601 time"),
        ("2030-01-01T09:00:00", "'2030-01-01T09:00:00' needs a time zone offset"),
    ],
    ids=["missing", "not-a-time", "no-offset"],
)
def test_the_scheduler_refuses_a_clock_file_it_cannot_read(
    environment: Path, monkeypatch: pytest.MonkeyPatch, content: str | None, reason: str
):
    monkeypatch.setenv("INTEGRATIONS_BROKER_URL", "redis://127.0.0.1:6379/15")
    clock = environment / "clock"
    if content is not None:
        clock.write_text(content)
    assert_refused(run("scheduler", "--clock-file", str(clock)), f"clock file {clock}: {reason}")


def test_the_worker_concurrency_is_at_least_one(environment: Path):
    result = run("worker", "--concurrency", "0")
    assert result.exit_code == 2
    assert "'--concurrency': 0 is not in the range 1<=x<=256" in result.output
