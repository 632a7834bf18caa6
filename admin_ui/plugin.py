"""The admin pages, registered on the web app as a plugin (core never imports the UI)."""

from __future__ import annotations

import flask

from admin_ui.views import pages
from core import hookimpl


@hookimpl
def register_web(app: flask.Flask) -> None:
    app.register_blueprint(pages)
