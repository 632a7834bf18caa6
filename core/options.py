"""Option sources: the choices of a picker (``x-options`` in a config schema), from the plugin.

Like an action (:mod:`core.actions`), a source runs at once, in the request, with the context a
job gets and no run row. A source that cannot answer now (not connected yet, say) raises
:class:`OptionsUnavailable` with what the admin should do; typing the raw value stays possible.
"""

from __future__ import annotations

from core.connector import Option
from core.oauth import NeedsReconnect
from core.services import Services


class OptionsUnavailable(Exception):
    """A picker cannot be filled now; the message says what the admin should do."""


def fetch_options(
    services: Services, tenant_id: int, installation_id: int, key: str
) -> list[Option]:
    """The choices of option source ``key`` for one of the tenant's installations.

    Raises ``LookupError`` for an unknown installation or source (naming the known sources),
    :class:`OptionsUnavailable` when the source cannot answer now.
    """
    with services.db.session() as session:
        installation = services.installations.get(session, tenant_id, installation_id)
        connector = services.host.connector(installation.connector_id)
        source = connector.option_sources.get(key)
        if source is None:
            known = ", ".join(sorted(connector.option_sources)) or "none"
            raise LookupError(f"connector {connector.id} has no option source {key!r} ({known})")
        context = services.runner.context_now(session, installation)
    try:
        return source.fetch(context)
    except NeedsReconnect as exc:
        raise OptionsUnavailable(
            f"cannot list the choices of {key!r} ({exc}): connect the installation first, "
            "or type a value"
        ) from None
