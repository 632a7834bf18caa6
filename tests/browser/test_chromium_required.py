"""Without Debian's Chromium the browser tests are skipped with the reason, and fail in CI."""

from __future__ import annotations

from pathlib import Path

import pytest
from browser_support import require_chromium


def test_missing_chromium_skips_with_the_reason(tmp_path: Path):
    missing = tmp_path / "chromium"

    with pytest.raises(pytest.skip.Exception, match=f"{missing} is missing"):
        require_chromium(missing, {})


def test_missing_chromium_fails_in_ci(tmp_path: Path):
    missing = tmp_path / "chromium"

    with pytest.raises(pytest.fail.Exception, match="CI=true: the browser tests must run"):
        require_chromium(missing, {"CI": "true"})


def test_a_file_that_cannot_be_executed_is_no_chromium(tmp_path: Path):
    not_a_program = tmp_path / "chromium"
    not_a_program.write_text("")
    not_a_program.chmod(0o644)

    with pytest.raises(pytest.skip.Exception):
        require_chromium(not_a_program, {"CI": "false"})


def test_an_executable_chromium_is_accepted(tmp_path: Path):
    program = tmp_path / "chromium"
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)

    require_chromium(program, {"CI": "true"})
