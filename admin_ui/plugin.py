"""The admin pages, registered on the web app as a plugin (core never imports the UI)."""

from __future__ import annotations

import flask

from admin_ui import auth_views, installation, library, records, runs, tokens, wizard
from admin_ui.blueprint import pages
from core import hookimpl

# The view modules add their routes to ``pages`` when imported.
VIEW_MODULES = (auth_views, library, wizard, installation, runs, records, tokens)


@hookimpl
def register_web(app: flask.Flask) -> None:
    app.register_blueprint(pages)
