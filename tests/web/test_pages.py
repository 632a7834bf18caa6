"""The Integrations Library pages: sign-in, tenancy, CSRF, headers, both tabs and their buttons."""

from __future__ import annotations

import html

import pytest
from sample_plugins import complete_config
from web_plugins import MARKUP
from web_support import PASSWORD, Browser, csrf_of

from core.config import with_defaults
from core.store.models import Installation, Run, Schedule

PAGES = [
    "/",
    "/?q=books",
    "/connectors/quickbooks",
    "/installed",
    "/installations/{id}/configure/account",
    "/installations/{id}/uninstall",
    "/wizard/cron.json?expression=0+*+*+*+*",
    "/installations/{id}/options/stages.json",
]


@pytest.fixture
def sample_id(integrations, tenant_id) -> int:
    with integrations.db.session() as session:
        return integrations.installations.install(session, tenant_id, "sample", actor="t").id


@pytest.fixture
def active_id(integrations, tenant_id) -> int:
    """A configured (active) sample installation with its schedules."""
    with integrations.db.session() as session:
        installation = integrations.installations.install(session, tenant_id, "sample", actor="t")
        config = with_defaults(
            integrations.host.connector("sample").config_schema, complete_config()
        )
        integrations.installations.save_config(session, installation, config, actor="t")
        assert installation.status == "active"
        return installation.id


# Sign-in ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES)
def test_every_page_requires_sign_in(app, sample_id, path):
    reply = app.test_client().get(path.format(id=sample_id))

    if path.endswith(".json") or ".json?" in path:
        assert reply.status_code == 401
        assert reply.json == {"error": "sign in first"}
    else:
        assert reply.status_code == 302
        assert reply.headers["Location"].startswith("/login?next=")


def test_sign_in_page_and_static_files_are_public(app):
    client = app.test_client()
    assert client.get("/login").status_code == 200
    assert client.get("/admin-static/admin.js").status_code == 200


def test_wrong_password_is_refused_without_saying_which_part(app, browser):
    client = app.test_client()
    token = csrf_of(client.get("/login").text)

    reply = client.post(
        "/login",
        data={"email": "admin@test.example", "password": "nope", "csrf_token": token},
    )

    assert reply.status_code == 401
    assert "Wrong e-mail or password." in reply.text
    assert client.get("/installed").status_code == 302


def test_sign_in_returns_to_the_page_asked_for_but_never_off_site(app, browser):
    client = app.test_client()
    token = csrf_of(client.get("/login").text)
    form = {"email": "admin@test.example", "password": PASSWORD, "csrf_token": token}

    assert client.post("/login?next=/installed", data=form).headers["Location"] == "/installed"
    token = csrf_of(client.get("/login").text)
    form["csrf_token"] = token
    assert client.post("/login?next=//evil.example/x", data=form).headers["Location"] == "/"


def test_sign_in_starts_a_new_session_with_a_new_csrf_token(app, browser):
    client = app.test_client()
    before = csrf_of(client.get("/login").text)
    form = {"email": "admin@test.example", "password": PASSWORD, "csrf_token": before}
    client.post("/login", data=form)

    assert csrf_of(client.get("/").text) != before


def test_sign_out_ends_the_session(browser):
    assert browser.post("/logout").status_code == 302

    assert browser.get("/installed").status_code == 302


def test_session_cookie_is_httponly_samesite_and_secure_off_this_machine(app, browser):
    local = app.test_client()
    local.get("/login")
    remote = app.test_client()
    remote.get("/login", base_url="https://admin.example.com")

    local_cookie = local.get_cookie("session")
    remote_cookie = remote.get_cookie("session", domain="admin.example.com")
    assert local_cookie.http_only and local_cookie.same_site == "Lax"
    assert not local_cookie.secure
    assert remote_cookie.secure and remote_cookie.http_only


# CSRF and headers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/connectors/sample/install",
        "/installations/{id}/configure/account",
        "/installations/{id}/pause",
        "/installations/{id}/run",
        "/installations/{id}/uninstall",
        "/logout",
    ],
)
def test_a_post_without_the_csrf_token_is_refused(browser, integrations, active_id, path):
    reply = browser.client.post(path.format(id=active_id), data={"data": "purge"})

    assert reply.status_code == 400
    assert "missing or wrong CSRF token" in reply.text
    with integrations.db.session() as session:
        installation = session.get(Installation, active_id)
        assert installation.status == "active"
        assert session.query(Installation).count() == 1


def test_a_wrong_csrf_token_with_foreign_characters_is_refused_not_an_error(browser, active_id):
    reply = browser.client.post(f"/installations/{active_id}/pause", data={"csrf_token": "ünïcode"})

    assert reply.status_code == 400


def test_the_sign_in_form_needs_its_csrf_token_too(app, browser):
    client = app.test_client()
    client.get("/login")

    reply = client.post("/login", data={"email": "admin@test.example", "password": PASSWORD})

    assert reply.status_code == 400


@pytest.mark.parametrize("path", PAGES[:6])
def test_pages_are_not_cached_nor_framed(browser, sample_id, path):
    reply = browser.get(path.format(id=sample_id))

    assert reply.status_code == 200
    assert reply.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in reply.headers["Content-Security-Policy"]
    assert "script-src" not in reply.headers["Content-Security-Policy"]  # default-src 'self'


# Tenancy ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/installations/{id}/configure"),
        ("get", "/installations/{id}/configure/account"),
        ("post", "/installations/{id}/configure/account"),
        ("get", "/installations/{id}/uninstall"),
        ("post", "/installations/{id}/uninstall"),
        ("post", "/installations/{id}/pause"),
        ("post", "/installations/{id}/resume"),
        ("post", "/installations/{id}/run"),
        ("get", "/installations/{id}/options/stages.json"),
        ("post", "/installations/{id}/configure/check-json.json"),
    ],
)
def test_another_tenants_installation_is_not_found(
    other_browser: Browser, integrations, active_id, method, path
):
    reply = getattr(other_browser, method)(
        path.format(id=active_id), data={"data": "purge", "job": "import_contacts"}
    )

    assert reply.status_code == 404
    with integrations.db.session() as session:
        installation = session.get(Installation, active_id)
        assert installation.status == "active"
        assert session.query(Run).count() == 0


def test_the_installed_tab_lists_only_the_tenants_own_installations(
    browser, other_browser, active_id
):
    assert f"installation-{active_id}" in browser.get("/installed").text
    assert f"installation-{active_id}" not in other_browser.get("/installed").text


# Marketplace -----------------------------------------------------------------------------------


def section_of(page: str, heading: str) -> str:
    start = page.index(f">{heading}</h2>")
    return page[start : page.index("</section>", start)]


def test_marketplace_groups_connectors_by_category_with_their_cards(browser, integrations):
    page = html.unescape(browser.get("/").text)
    quickbooks = integrations.host.connector("quickbooks").manifest

    accounting = section_of(page, "Accounting & Finance")
    assert quickbooks["name"] in accounting and quickbooks["summary"] in accounting
    assert f"version {quickbooks['version']}" in accounting
    assert f'src="{quickbooks["icon"]}" alt=""' in accounting
    assert "Sample CRM" in section_of(page, "Sales & CRM")
    assert "Sample CRM" not in accounting


def test_marketplace_search_works_without_javascript(browser):
    page = browser.get("/?q=quickbooks").text

    assert "QuickBooks Online" in page
    assert "Sample CRM" not in page
    assert "No connector matches" in browser.get("/?q=zzzz").text


def test_broken_plugins_are_listed_with_their_reason(browser):
    page = browser.get("/").text

    assert "Unavailable plugins" in page
    assert "broken" in page
    assert "/version" in page and "does not match" in page


def test_connector_detail_shows_description_jobs_and_docs(browser):
    page = html.unescape(browser.get("/connectors/sample").text)

    assert "What it syncs" in page
    assert "Import contacts" in page and "Sync deals" in page
    assert browser.get("/connectors/nope").status_code == 404


def test_install_creates_a_draft_and_opens_the_wizard(browser, integrations, tenant_id):
    reply = browser.post("/connectors/sample/install")

    with integrations.db.session() as session:
        (installation,) = session.query(Installation).all()
        assert (installation.tenant_id, installation.status) == (tenant_id, "draft")
    assert reply.headers["Location"] == f"/installations/{installation.id}/configure"
    wizard = browser.get(reply.headers["Location"], follow_redirects=True)
    assert "Step 1 of 3" in wizard.text
    assert "Configure" in browser.get("/").text


def test_an_unknown_connector_cannot_be_installed(browser):
    assert browser.post("/connectors/nope/install").status_code == 404


# Installed -------------------------------------------------------------------------------------


def test_installed_shows_status_connection_last_and_next_run(browser, integrations, active_id):
    browser.post(f"/installations/{active_id}/run", data={"job": "import_contacts"})

    page = browser.get("/installed").text

    with integrations.db.session() as session:
        next_run = min(s.next_run_at for s in session.query(Schedule).all())
    assert 'import_contacts: <span class="outcome outcome-succeeded">succeeded</span>' in page
    assert next_run.strftime("%Y-%m-%d %H:%M UTC") in page
    assert "Pause" in page and "Run now" in page and "Uninstall" in page


def test_quickbooks_installation_shows_a_grey_circle_until_connected(browser):
    browser.post("/connectors/quickbooks/install")

    page = browser.get("/installed").text

    assert "status-not_connected" in page
    assert "QuickBooks: Not connected" in page
    assert "setup not finished" in page


def test_run_now_requests_a_run_and_hands_it_to_the_executor(browser, integrations, active_id):
    reply = browser.post(f"/installations/{active_id}/run", data={"job": "import_contacts"})

    assert reply.status_code == 302
    with integrations.db.session() as session:
        (run,) = session.query(Run).all()
        assert (run.trigger, run.status, run.requested_by) == (
            "manual",
            "succeeded",
            "admin@test.example",
        )
    assert "Import contacts of Sample CRM was started" in browser.get("/installed").text


def test_run_now_of_an_unknown_job_names_the_field(browser, active_id):
    reply = browser.post(f"/installations/{active_id}/run", data={"job": "nope"})

    assert reply.status_code == 400
    assert "job: &#39;nope&#39; is not a job of Sample CRM" in reply.text


def test_pause_and_resume(browser, integrations, active_id):
    browser.post(f"/installations/{active_id}/pause")
    with integrations.db.session() as session:
        assert session.get(Installation, active_id).status == "paused"
        assert all(s.next_run_at is None for s in session.query(Schedule).all())
    assert "Resume" in browser.get("/installed").text

    browser.post(f"/installations/{active_id}/resume")
    with integrations.db.session() as session:
        assert session.get(Installation, active_id).status == "active"
        assert all(s.next_run_at is not None for s in session.query(Schedule).all())


def test_a_draft_cannot_be_paused(browser, sample_id):
    reply = browser.post(f"/installations/{sample_id}/pause")

    assert reply.status_code == 400
    assert "only an active installation can be paused" in reply.text


def test_uninstall_asks_first_then_keeps_the_data(browser, integrations, active_id):
    confirm = browser.get(f"/installations/{active_id}/uninstall").text
    assert 'value="keep" checked' in confirm and 'value="purge"' in confirm

    reply = browser.post(f"/installations/{active_id}/uninstall", data={"data": "keep"})

    assert reply.status_code == 302
    with integrations.db.session() as session:
        assert session.get(Installation, active_id).status == "uninstalled"
    assert f"installation-{active_id}" not in browser.get("/installed").text
    assert browser.get(f"/installations/{active_id}/configure").status_code == 404


def test_uninstall_can_purge_the_data(browser, integrations, active_id):
    browser.post(f"/installations/{active_id}/uninstall", data={"data": "purge"})

    with integrations.db.session() as session:
        assert session.get(Installation, active_id) is None


def test_uninstall_without_a_choice_names_the_field(browser, integrations, active_id):
    reply = browser.post(f"/installations/{active_id}/uninstall")

    assert reply.status_code == 400
    assert "data: choose whether to keep or purge" in reply.text


# Escaping --------------------------------------------------------------------------------------


def test_plugin_text_with_markup_is_shown_as_text_everywhere(browser, integrations, tenant_id):
    install = browser.post("/connectors/markup/install")
    pages = [
        browser.get("/").text,
        browser.get("/connectors/markup").text,
        browser.get("/installed").text,
        browser.get(install.headers["Location"], follow_redirects=True).text,
    ]

    escaped = html.escape(MARKUP, quote=False)
    for page in pages:
        assert "<script>" not in page
        assert escaped.replace("'", "&#39;") in page or escaped in page
    assert "Step &lt;script&gt;" in pages[3] and "Field &lt;script&gt;" in pages[3]
