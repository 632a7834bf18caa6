"""API fixtures: the web app over the real services, token-authenticated clients that check
every answer against the OpenAPI document, and an installation of the API test connector."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from api_client import Api
from api_plugins import ApiConnector
from flask import Flask
from sample_plugins import complete_config

import admin_ui.plugin
import plugins.quickbooks.plugin
from core import api_tokens
from core.app import create_app
from core.services import Services
from core.store.models import Installation
from core.tenants import get_or_create_tenant


@pytest.fixture
def integrations_database_url(tmp_path: Path) -> Iterator[str]:
    """The API is a thin layer over services whose own tests cover PostgreSQL."""
    yield f"sqlite:///{tmp_path / 'api.db'}"


@pytest.fixture
def integrations_plugins() -> list[tuple[str, object]]:
    return [
        ("admin_ui", admin_ui.plugin),
        ("quickbooks", plugins.quickbooks.plugin),
        ("sample", ApiConnector()),
    ]


@pytest.fixture
def app(integrations: Services) -> Flask:
    return create_app(integrations)


def new_token(integrations: Services, tenant: int, name: str = "platform") -> str:
    with integrations.db.session() as session:
        return api_tokens.create(session, tenant, name, actor="test")[1]


@pytest.fixture
def token(integrations: Services, tenant_id: int) -> str:
    """A clear API token of the ``test`` tenant."""
    return new_token(integrations, tenant_id)


@pytest.fixture
def api(app: Flask, token: str) -> Api:
    return Api(app, token)


@pytest.fixture
def other_api(app: Flask, integrations: Services) -> Api:
    """A client with a token of another tenant."""
    with integrations.db.session() as session:
        other = get_or_create_tenant(session, "other", "Other tenant").id
    return Api(app, new_token(integrations, other, "other platform"))


@pytest.fixture
def installation(install_connector) -> Installation:
    """An active installation of the API test connector (its secret set)."""
    return install_connector("sample", complete_config())
