"""After the consent page the admin comes back to the page where Connect was pressed."""

from __future__ import annotations

from urllib.parse import urlencode

from emulator_support import submit_consent

WIZARD_STEP = "/installations/{id}/configure/quickbooks"


def consent(browser, start_path: str, realm: str, decision: str = "approve", **headers):
    """Press Connect (GET ``start_path``), answer the consent page; the callback's reply."""
    start = browser.get(start_path, headers=headers)
    assert start.status_code == 302, start.text
    callback = submit_consent(start.headers["Location"], decision, realm_id=realm)
    return browser.get("/oauth/callback?" + urlencode(callback))


def test_success_redirects_to_the_page_named_by_next_with_a_message(
    browser, installation_id, realm
):
    step = WIZARD_STEP.format(id=installation_id)
    path = f"/installations/{installation_id}/connect/quickbooks?" + urlencode({"next": step})

    reply = consent(browser, path, realm)

    assert reply.status_code == 303
    assert reply.headers["Location"] == step
    with browser.session_transaction() as session:
        flashes = session["_flashes"]
    assert ("ok", f"Connected to Craig's Design and Landscaping (company {realm}).") in flashes


def test_without_next_the_referring_page_of_this_site_is_the_way_back(
    browser, installation_id, realm
):
    step = WIZARD_STEP.format(id=installation_id)
    path = f"/installations/{installation_id}/connect/quickbooks"

    reply = consent(browser, path, realm, Referer=f"http://localhost{step}")

    assert reply.status_code == 303
    assert reply.headers["Location"] == step


def test_another_sites_page_is_never_a_way_back(browser, installation_id, realm):
    path = f"/installations/{installation_id}/connect/quickbooks?next=//evil.example/x"

    reply = consent(browser, path, realm, Referer="http://evil.example/installations/1")

    assert reply.status_code == 200
    assert "evil.example" not in reply.text
    assert "Connected to <strong>Craig&#39;s Design and Landscaping</strong>" in reply.text


def test_denied_consent_links_back_to_the_page_to_try_again(browser, installation_id, realm):
    step = WIZARD_STEP.format(id=installation_id)
    path = f"/installations/{installation_id}/connect/quickbooks?" + urlencode({"next": step})

    reply = consent(browser, path, realm, decision="deny")

    assert reply.status_code == 400
    assert "denied" in reply.text
    assert f'<a href="{step}">' in reply.text


def test_disconnect_goes_back_only_to_a_page_of_this_site(browser, installation_id, realm):
    consent(browser, f"/installations/{installation_id}/connect/quickbooks", realm)
    with browser.session_transaction() as session:
        csrf = session["csrf"]

    reply = browser.post(
        f"/installations/{installation_id}/disconnect/quickbooks",
        data={"csrf_token": csrf, "next": "//evil.example/x"},
    )

    assert reply.status_code == 302
    assert reply.headers["Location"] == "/"
