"""The session cookie's Secure flag follows INTEGRATIONS_SECURE_COOKIES (auto by default)."""

from __future__ import annotations

import dataclasses

import pytest

from core.app import create_app
from core.settings import Settings


@pytest.mark.parametrize(
    ("value", "expected"),
    [("", None), ("auto", None), ("true", True), ("1", True), ("false", False), ("off", False)],
)
def test_secure_cookies_setting_is_read_from_the_environment(value, expected):
    settings = Settings.from_env({"INTEGRATIONS_SECURE_COOKIES": value})

    assert settings.secure_cookies is expected


def test_a_bad_secure_cookies_value_names_the_variable():
    with pytest.raises(ValueError, match="INTEGRATIONS_SECURE_COOKIES='maybe': use true, false"):
        Settings.from_env({"INTEGRATIONS_SECURE_COOKIES": "maybe"})


@pytest.mark.parametrize(("forced", "secure"), [(True, True), (False, False)])
def test_a_forced_setting_applies_even_on_this_machine(integrations, forced, secure):
    integrations.settings = dataclasses.replace(integrations.settings, secure_cookies=forced)
    client = create_app(integrations).test_client()

    client.get("/login")

    assert client.get_cookie("session").secure is secure
