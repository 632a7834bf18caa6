"""Helpers of the distributed tests: real ``integrations`` processes and waiting on them."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from core.services import Services
from core.store.models import RunLog

EXECUTABLE = Path(sys.executable).with_name("integrations")
EXECUTED = re.compile(r"executed by process (\d+)")


class Processes:
    """Real ``integrations`` processes of one test, each logging to a file in ``tmp_path``."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env, self.logs = env, logs
        self.started: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        output = (self.logs / f"{name}.log").open("wb")
        process = subprocess.Popen(
            [str(EXECUTABLE), *args], env=self.env, stdout=output, stderr=subprocess.STDOUT
        )
        output.close()
        self.started.append((name, process))
        return process

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")

    def check_alive(self) -> None:
        """Fail with its output when a process ended that the test did not stop."""
        for name, process in self.started:
            if process.poll() is not None and process.returncode != -signal.SIGKILL:
                pytest.fail(f"{name} exited with {process.returncode}:\n{self.log(name)[-3000:]}")

    def stop(self, process: subprocess.Popen[bytes], timeout: float = 20) -> None:
        """SIGTERM, as a process manager would; SIGKILL when it does not stop in time."""
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)

    def stop_all(self) -> None:
        for _, process in reversed(self.started):
            self.stop(process)


def wait_until(
    condition: Callable[[], object], timeout: float, what: str, *, every: float = 0.2
) -> Any:
    """Poll ``condition`` until it returns something truthy; fail naming ``what`` on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(every)
    pytest.fail(f"timed out after {timeout}s waiting for {what}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def executions(services: Services) -> dict[int, list[int]]:
    """For every run, the process ids that executed its job (one log line per execution)."""
    by_run: dict[int, list[int]] = defaultdict(list)
    with services.db.session() as session:
        for run_id, message in session.execute(select(RunLog.run_id, RunLog.message)):
            found = EXECUTED.search(message)
            if found:
                by_run[run_id].append(int(found.group(1)))
    return by_run
