"""Which platform adapter a job's ``ctx.platform`` is: the embedded ledger or the REST adapter.

``INTEGRATIONS_PLATFORM_ADAPTER`` chooses (``Settings.platform_adapter``):

* ``embedded`` (default): the ledger in this database, its events dispatched to connectors.
* ``rest``: the ledger's JSON API of a platform running elsewhere. Where to reach it and how to
  sign in come from the installation's configuration, at the JSON pointers the connector
  declares in its manifest's ``platform_api`` object, e.g.
  ``{"base_url": "/platform_api/base_url", "username": "/platform/api_username",
  "password": "/platform/api_password"}``. Each value is looked up among the secrets first
  (the password is a ``writeOnly`` field), then in the public configuration.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core import jsonpointer
from core.connector import InstallationInfo
from core.platform.events import EventDispatcher
from core.platform.ledger import EmbeddedLedger
from core.platform.port import PlatformError, PlatformFactory, PlatformPort
from core.settings import Settings
from core.store.database import Database

ADAPTERS = ("embedded", "rest")
CREDENTIALS = ("base_url", "username", "password")


def platform_factory(
    settings: Settings, db: Database, dispatcher: EventDispatcher
) -> PlatformFactory:
    """The function that opens an installation's platform port under the chosen adapter."""
    if settings.platform_adapter == "embedded":

        def embedded(
            installation: InstallationInfo, config: Mapping[str, Any], secrets: Mapping[str, Any]
        ) -> PlatformPort:
            return EmbeddedLedger(db, installation.tenant_id, on_event=dispatcher.dispatch)

        return embedded

    def rest(
        installation: InstallationInfo, config: Mapping[str, Any], secrets: Mapping[str, Any]
    ) -> PlatformPort:
        from core.platform.rest import RestPlatform  # only deployments using it need httpx here

        manifest = dispatcher.host.connector(installation.connector_id).manifest
        values = rest_credentials(manifest, config, secrets)
        return RestPlatform(
            values["base_url"], values["username"], values["password"], installation.tenant_id
        )

    return rest


def rest_credentials(
    manifest: Mapping[str, Any], config: Mapping[str, Any], secrets: Mapping[str, Any]
) -> dict[str, str]:
    """Base URL, username and password from the configuration, by the manifest's pointers."""
    pointers = manifest.get("platform_api")
    if not pointers:
        raise PlatformError(
            f"connector {manifest.get('id')!r} declares no platform_api in its manifest, so the "
            "rest platform adapter cannot find the platform's URL and credentials",
            "platform_api",
        )
    values: dict[str, str] = {}
    for name in CREDENTIALS:
        pointer = pointers[name]
        value = secrets.get(pointer) or jsonpointer.get(config, pointer)
        if not isinstance(value, str) or not value.strip():
            raise PlatformError(f"the platform API {name} is not set in the configuration", pointer)
        values[name] = value.strip()
    return values
