"""Helpers of the browser tests: Chromium's presence, screenshots, and page checks.

The checks here run in the page (Chromium's own DOM), so they see what an admin's browser
sees: the labels an input is associated with, the element that has the keyboard focus and
whether its focus ring is drawn.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page

if TYPE_CHECKING:
    from emulator_support import AppCredentials

    from core.services import Services
    from plugins.quickbooks.emulator.server import EmulatorServer

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).parent / "artifacts"
EMAIL = "admin@browser.example"
PASSWORD = "pw-browser-123456"
COMPANY = "Browser Test Company"


@dataclass
class LiveApp:
    """The served app and what stands beside it (the test modules' view of the fixture)."""

    url: str
    services: Services
    tenant_id: int
    emulator: EmulatorServer
    credentials: AppCredentials
    realm_id: str


def require_chromium(path: Path = CHROMIUM, environ: Mapping[str, str] = os.environ) -> None:
    """Skip when Debian's Chromium is missing, with the reason; in CI (``CI=true``) fail."""
    if path.is_file() and os.access(path, os.X_OK):
        return
    reason = (
        f"{path} is missing: the browser tests drive Debian's Chromium "
        "(`apt-get install chromium`; bash scripts/test.sh installs it)"
    )
    if environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: the browser tests must run)", pytrace=False)
    pytest.skip(reason)


class Screenshots:
    """Numbered full-page screenshots of one test: ``artifacts/<test>/<nn>-<step>.png``."""

    def __init__(self, test_name: str) -> None:
        self.folder = ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", test_name)
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True)
        self.count = 0

    def take(self, page: Page, step: str) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{re.sub(r'[^A-Za-z0-9_-]+', '-', step)}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


UNLABELLED_FIELDS = """() => [...document.querySelectorAll(
    'input:not([type=hidden]), select, textarea')]
  .filter((el) => !el.closest('[hidden]'))
  .filter((el) => !(el.labels && [...el.labels].some((l) => l.textContent.trim())))
  .map((el) => el.id || el.name || el.outerHTML.slice(0, 80))"""


def unlabelled_fields(page: Page) -> list[str]:
    """The page's form fields that no ``<label>`` with text is associated with."""
    return page.evaluate(UNLABELLED_FIELDS)


FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const ring = el.matches(':focus-visible') && style.outlineStyle !== 'none'
    && parseFloat(style.outlineWidth) > 0;
  return {id: el.id, tag: el.tagName.toLowerCase(), name: el.getAttribute('name') || '',
          text: (el.innerText || el.value || '').trim().slice(0, 60), ring: ring};
}"""


def focused(page: Page) -> dict | None:
    """What has the keyboard focus: id, tag, name, text, and whether a focus ring is drawn."""
    return page.evaluate(FOCUSED)


def tab_to(page: Page, element_id: str, limit: int = 60) -> list[dict]:
    """Press Tab until ``element_id`` has the focus; every element focused on the way."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        now = focused(page)
        assert now is not None, f"Tab left the page before reaching #{element_id}: {seen}"
        seen.append(now)
        if now["id"] == element_id:
            return seen
    raise AssertionError(f"#{element_id} not reached in {limit} presses of Tab: {seen}")
