"""The web application factory: the JSON API in core, pages from plugins (the admin UI)."""

from __future__ import annotations

import hashlib

from flask import Flask

from core.api import api
from core.oauth_web import oauth_pages
from core.platform.ledger_api import ledger_api
from core.services import Services
from core.web_auth import SessionCookies


def create_app(services: Services) -> Flask:
    """A Flask app over ``services``; plugins add their pages through ``register_web``."""
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=hashlib.sha256(b"flask-session:" + services.ring.keys[0].encode()).digest(),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
    )
    app.session_interface = SessionCookies(services.settings.secure_cookies)
    app.extensions["integrations"] = services
    app.register_blueprint(api)
    app.register_blueprint(oauth_pages)
    app.register_blueprint(ledger_api)
    services.host.broadcast("register_web", app=app)
    return app
