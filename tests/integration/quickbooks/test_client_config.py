"""A client built from an installation's configuration uses its environment and advanced step."""

from __future__ import annotations

import logging

from plugins.quickbooks.client import StaticTokenSource, client_from_config
from plugins.quickbooks.environments import EMULATOR_URL_VARIABLE
from plugins.quickbooks.rate_limit import Limits, limiter_for


def test_client_from_config_talks_to_the_configured_environment_with_its_settings(
    emulator, control, realm_id, access_token, monkeypatch, caplog
):
    monkeypatch.setenv(EMULATOR_URL_VARIABLE, emulator.url)
    config = {
        "initial": {"environment": "emulator"},
        "advanced": {
            "minor_version": 75,
            "page_size": 2,
            "batch_size": 10,
            "timeout_seconds": 5,
            "max_retries": 1,
            "requests_per_minute": 400,
            "requests_per_second": 5,
            "batch_requests_per_minute": 20,
            "verbose_logging": True,
        },
    }
    logger = logging.getLogger("test.qbo.config")
    caplog.set_level(logging.INFO, logger="test.qbo.config")

    client = client_from_config(config, realm_id, StaticTokenSource(access_token), logger)
    accounts = list(client.query("SELECT * FROM Account"))

    assert len(accounts) > 2  # more than one page of 2
    assert (client.page_size, client.batch_size, client.max_retries) == (2, 10, 1)
    assert client.limiter is limiter_for(realm_id)
    assert client.limiter.limits == Limits(per_minute=400, per_second=5, batch_per_minute=20)
    assert any("/query -> 200" in record.getMessage() for record in caplog.records)


def test_client_from_config_logs_nothing_unless_verbose(
    emulator, realm_id, access_token, monkeypatch, caplog
):
    monkeypatch.setenv(EMULATOR_URL_VARIABLE, emulator.url)
    caplog.set_level(logging.DEBUG)
    config = {"initial": {"environment": "emulator"}, "advanced": {}}

    client = client_from_config(
        config, realm_id, StaticTokenSource(access_token), logging.getLogger("test.qbo.quiet")
    )
    client.preferences()

    assert not [r for r in caplog.records if r.name == "test.qbo.quiet"]
