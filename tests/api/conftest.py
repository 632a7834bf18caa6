"""API fixtures: the web app over the real services, token-authenticated clients that check
every answer against the OpenAPI document, and an installation of the API test connector."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_plugins import ApiConnector
from flask import Flask
from jsonschema import Draft202012Validator, FormatChecker
from sample_plugins import complete_config

import admin_ui.plugin
import plugins.quickbooks.plugin
from core import api_tokens
from core.app import create_app
from core.openapi import openapi_document
from core.services import Services
from core.store.models import Installation
from core.tenants import get_or_create_tenant

# (method, path template, status) of every answer checked against the document in this run.
CHECKED: set[tuple[str, str, int]] = set()


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


def documented_answer(app: Flask, method: str, path: str, status: int, body: Any) -> str:
    """Check one answer against the document; returns the route's path template."""
    adapter = app.url_map.bind("localhost")
    rule, _ = adapter.match(path.split("?")[0], method=method, return_rule=True)
    template = rule.rule.replace("<int:", "{").replace("<", "{").replace(">", "}")
    document = openapi_document()
    operation = document["paths"][template][method.lower()]
    documented = operation["responses"].get(str(status))
    assert documented is not None, f"{method} {template} answered {status}, not documented"
    content = documented.get("content")
    if content is None:
        assert body is None, f"{method} {template} {status} has a body the document does not say"
    else:
        schema = {**content["application/json"]["schema"], "components": document["components"]}
        validator = Draft202012Validator(schema, format_checker=FormatChecker())
        problems = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(body)]
        assert not problems, f"{method} {template} {status}: {problems}"
    CHECKED.add((method, template, status))
    return template


class Api:
    """A client of ``/api/v1`` with a bearer token; every answer is checked against the
    OpenAPI document before the test sees it."""

    def __init__(self, app: Flask, token: str | None, *, auth: str = "Bearer") -> None:
        self.app, self.client = app, app.test_client()
        self.headers = {"Authorization": f"{auth} {token}"} if token else {}

    def call(self, method: str, path: str, json: Any = None, **kwargs: Any):
        if json is not None:
            kwargs["json"] = json
        reply = self.client.open(path, method=method, headers=self.headers, **kwargs)
        body = reply.get_json(silent=True) if reply.data else None
        documented_answer(self.app, method, path, reply.status_code, body)
        return reply

    def get(self, path: str, **kwargs: Any):
        return self.call("GET", path, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any):
        return self.call("POST", path, json, **kwargs)

    def put(self, path: str, json: Any = None, **kwargs: Any):
        return self.call("PUT", path, json, **kwargs)

    def patch(self, path: str, json: Any = None, **kwargs: Any):
        return self.call("PATCH", path, json, **kwargs)

    def delete(self, path: str, **kwargs: Any):
        return self.call("DELETE", path, **kwargs)


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
