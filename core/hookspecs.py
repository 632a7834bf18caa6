"""The plugin contract: every hook a plugin may implement, in one place.

A plugin is a module (or object) registered with the pluggy project ``integrations``. Built-in
plugins and third-party ones are loaded the same way, from the entry-point group
``integrations.plugins``. Implement a hook with ``@core.hookimpl`` and the hook's name.

Two kinds of hooks:

* **Connector hooks** describe one connector. A plugin that implements ``connector_manifest`` is a
  connector; the host calls its connector hooks on that plugin alone, so a plugin never has to
  check whether a call is meant for it.
* **Host hooks** extend the host itself (commands, background services, web routes). The host
  calls them on every plugin.

``docs/plugins.md`` documents each hook with an example; a test fails when one is missing there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import pluggy

from core.connector import (
    Action,
    InstallationInfo,
    JobDefinition,
    OAuthProvider,
    OptionSource,
    PlatformEvent,
    Service,
)

if TYPE_CHECKING:
    import click
    import flask

    from core.services import Services

PROJECT = "integrations"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

# Connector hooks -------------------------------------------------------------------------------


@hookspec(firstresult=True)
def connector_manifest() -> Mapping[str, Any]:
    """Describe the connector: id, name, version, category, summary, description, icon, docs
    URL, regions and the host versions it supports (``schemas/manifest.schema.json``)."""


@hookspec(firstresult=True)
def connector_config_schema() -> Mapping[str, Any]:
    """Return the connector's configuration schema (JSON Schema 2020-12 with the wizard
    vocabulary): each top-level property is one step of the configure wizard, in order."""


@hookspec
def register_jobs(register: Callable[[JobDefinition], None]) -> None:
    """Register the connector's background jobs by calling ``register(JobDefinition(...))``."""


@hookspec
def register_oauth_providers(register: Callable[[OAuthProvider], None]) -> None:
    """Register the OAuth providers the connector connects through (``x-oauth`` names one)."""


@hookspec
def register_option_sources(register: Callable[[OptionSource], None]) -> None:
    """Register option sources that fill pickers (``x-options`` in the schema names one)."""


@hookspec
def register_actions(register: Callable[[Action], None]) -> None:
    """Register buttons an admin can press on an installation (force sync, backfill...)."""


@hookspec(firstresult=True)
def migrate_config(
    config: Mapping[str, Any], from_version: str, to_version: str
) -> Mapping[str, Any] | None:
    """Upgrade a configuration saved by ``from_version`` of the connector to ``to_version``.

    Return the migrated configuration, or ``None`` when nothing needs to change. Secrets are
    included (the host re-splits and re-encrypts them after the migration)."""


@hookspec
def on_installed(installation: InstallationInfo) -> None:
    """Called after an installation of the connector has been created."""


@hookspec
def on_uninstalled(installation: InstallationInfo, credentials: Mapping[str, Any]) -> None:
    """Called before an installation is removed: revoke remote tokens here.

    ``credentials`` holds the installation's OAuth connections (provider key to token
    dictionary) and configuration, secrets included, so that tokens can be revoked remotely."""


@hookspec
def on_config_changed(
    installation: InstallationInfo, previous: Mapping[str, Any], current: Mapping[str, Any]
) -> None:
    """Called after a new configuration version was saved (secrets masked in both)."""


@hookspec(firstresult=True)
def on_platform_event(installation: InstallationInfo, event: PlatformEvent) -> list[str] | None:
    """React to a platform event; return the keys of jobs to run now, or ``None``."""


# Host hooks ------------------------------------------------------------------------------------


@hookspec
def register_commands(cli: click.Group) -> None:
    """Add commands to the ``integrations`` command line (``cli.command()(fn)``)."""


@hookspec
def register_services(register: Callable[[Service], None]) -> None:
    """Register background services that ``integrations serve`` starts beside the web app."""


@hookspec
def register_web(app: flask.Flask) -> None:
    """Add blueprints or routes to the web application (the admin pages are one such plugin)."""


@hookspec
def prepare_demo(services: Services, tenant_id: int, base_url: str) -> None:
    """Set up a ready-to-use demo installation for the demo tenant.

    Called by ``integrations serve`` (at ``base_url``) after the demo ledger is loaded and the
    plugins' services are started; it runs at every start, so it must be idempotent."""
