"""A token-authenticated client of ``/api/v1`` that checks every answer against the OpenAPI
document: the status must be documented for the route, and the body must match its schema."""

from __future__ import annotations

from typing import Any

from flask import Flask
from jsonschema import Draft202012Validator, FormatChecker

from core.openapi import openapi_document

# (method, path template, status) of every answer checked against the document in this run.
CHECKED: set[tuple[str, str, int]] = set()


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
