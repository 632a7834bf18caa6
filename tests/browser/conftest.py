"""Browser fixtures: the app served over HTTP beside the QuickBooks emulator, driven by Chromium.

One Chromium (Debian's ``/usr/bin/chromium``, headless) is launched per session; each test gets
its own browser context, a fresh SQLite database, the web app served by werkzeug on a free port
with runs executed on a worker pool (as ``integrations serve`` does), an emulator with an app
registered for this server's ``/oauth/callback`` and a company, and a signed-in admin.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from browser_plugins import markup_connector
from browser_support import (
    CHROMIUM,
    COMPANY,
    EMAIL,
    LAUNCH_ARGS,
    PASSWORD,
    LiveApp,
    Screenshots,
    require_chromium,
)
from playwright.sync_api import Browser, Page, sync_playwright
from werkzeug.serving import make_server

import admin_ui.plugin
import plugins.quickbooks.plugin
from core.app import create_app
from core.executor import PoolExecutor
from core.services import Services
from core.store.models import Tenant
from core.tenants import create_user
from plugins.quickbooks.emulator.server import EmulatorServer

sys.path.insert(0, str(Path(__file__).parents[1] / "emulator"))

from emulator_support import AppCredentials, create_company

TIMEOUT_MS = 10_000


@pytest.fixture
def integrations_database_url(tmp_path: Path) -> Iterator[str]:
    """The pages are database-agnostic: the services' own tests cover PostgreSQL."""
    yield f"sqlite:///{tmp_path / 'browser.db'}"


@pytest.fixture
def integrations_plugins() -> list[tuple[str, object]]:
    return [
        ("admin_ui", admin_ui.plugin),
        ("quickbooks", plugins.quickbooks.plugin),
        ("markup", markup_connector()),
    ]


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    require_chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def live(
    chromium: Browser, integrations: Services, tenant_id: int, emulator: EmulatorServer
) -> Iterator[LiveApp]:
    """The web app on a free port with a worker pool, an admin, and an app on the emulator."""
    with integrations.db.session() as session:
        create_user(session, session.get(Tenant, tenant_id), EMAIL, PASSWORD)
    pool = PoolExecutor(integrations.runner, workers=2)
    integrations.use_executor(pool)
    server = make_server("127.0.0.1", 0, create_app(integrations), threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, name="browser-app", daemon=True)
    thread.start()
    credentials = AppCredentials("app-browser", "browser-app-secret-7f3a", f"{url}/oauth/callback")
    httpx.post(
        f"{emulator.url}/_emulator/apps",
        json={
            "client_id": credentials.client_id,
            "client_secret": credentials.client_secret,
            "redirect_uris": [credentials.redirect_uri],
        },
    ).raise_for_status()
    try:
        yield LiveApp(
            url,
            integrations,
            tenant_id,
            emulator,
            credentials,
            create_company(emulator.url, COMPANY),
        )
    finally:
        server.shutdown()
        thread.join(5)
        pool.shutdown(5)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator:
    """Keep each phase's report on the item, so the page fixture knows a test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Screenshots:
    return Screenshots(request.node.name)


@pytest.fixture
def dialogs() -> list[str]:
    """Messages of every JavaScript dialog (alert, confirm) a page opened."""
    return []


@pytest.fixture
def page(
    chromium: Browser,
    live: LiveApp,
    dialogs: list[str],
    shots: Screenshots,
    request: pytest.FixtureRequest,
) -> Iterator[Page]:
    """A fresh browser tab on the served app; a failing test leaves its last screen behind."""
    context = chromium.new_context(base_url=live.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()

    def record(dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    tab.on("dialog", record)
    try:
        yield tab
    finally:
        failed = getattr(request.node, "report_call", None)
        if failed is not None and failed.failed:
            shots.take(tab, "failure")
        context.close()


@pytest.fixture
def admin(page: Page, live: LiveApp) -> Page:
    """The tab, signed in through the real /login page (its form carries the CSRF token)."""
    page.goto("/login")
    page.get_by_label("E-mail").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live.url}/")
    return page
