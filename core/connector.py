"""What a plugin hands the host: jobs, OAuth providers, option sources, actions and services.

These are plain data objects. A plugin builds them in its ``register_*`` hooks; the host keeps
them in its catalog and calls their functions with a context object. Nothing here talks to the
database or the network, so a plugin author can read this file and ``hookspecs.py`` alone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from core.runner import JobContext

ConcurrencyPolicy = Literal["skip", "queue"]


@dataclass(frozen=True)
class JobDefinition:
    """A background job of a connector.

    ``toggle_field``, ``schedule_field`` and ``timezone_field`` are JSON pointers into the
    installation's configuration (for example ``/sync/import_customers/enabled``); the scheduler
    reads them to know whether and when the job runs (the time zone defaults to UTC).
    ``when_busy`` says what a trigger does while a run of the same job is still going: ``skip``
    records a skipped run, ``queue`` runs it afterwards. ``time_limit_seconds`` bounds a run:
    past it the run is asked to stop (the job sees it at its next ``check_cancelled``) and ends
    failed with the reason. ``entities`` names the record-link entities the job sends: a record
    of one of them marked needs sync (``Records.needs_sync``) is sent again by the job's next
    run, which is how the admin pages retry a failed record. Jobs of one installation that share
    an ``exclusive_group`` never run at the same time (two jobs creating the same customer would
    race): a run whose group is busy with another job stays queued and starts when that one ends.
    """

    key: str
    title: str
    run: Callable[[JobContext], None]
    description: str = ""
    toggle_field: str | None = None
    schedule_field: str | None = None
    timezone_field: str | None = None
    when_busy: ConcurrencyPolicy = "skip"
    time_limit_seconds: int = 3600
    entities: tuple[str, ...] = ()
    exclusive_group: str | None = None

    def __post_init__(self) -> None:
        if self.when_busy not in ("skip", "queue"):
            raise ValueError(f"job {self.key!r}: when_busy must be 'skip' or 'queue'")
        if not isinstance(self.time_limit_seconds, int) or self.time_limit_seconds < 1:
            raise ValueError(f"job {self.key!r}: time_limit_seconds must be a whole number >= 1")


@dataclass(frozen=True)
class OAuthEndpoints:
    """Where an OAuth provider lives, chosen from an installation's configuration."""

    authorize_url: str
    token_url: str
    revoke_url: str | None = None
    userinfo_url: str | None = None


@dataclass(frozen=True)
class OAuthProvider:
    """An OAuth 2.0 authorization-code provider a connector connects through.

    ``endpoints`` maps the installation's configuration to the provider's URLs (sandbox or
    production, or an emulator). ``client_id_field`` and ``client_secret_field`` are JSON pointers
    to the configuration fields holding the app's credentials. ``describe_account`` is called once
    after a successful exchange with the token response and the callback's query parameters, and
    returns the remote account's id and display name (for QuickBooks: realmId and company name).
    ``revoke_body`` is how the revocation endpoint takes the token: RFC 7009 form fields, or a
    JSON object ``{"token": ...}`` as Intuit's endpoint expects.
    """

    key: str
    title: str
    endpoints: Callable[[Mapping[str, Any]], OAuthEndpoints]
    scopes: tuple[str, ...]
    client_id_field: str
    client_secret_field: str
    describe_account: Callable[[Mapping[str, Any], Mapping[str, Any], Mapping[str, str]], Account]
    revoke_body: Literal["form", "json"] = "form"


@dataclass(frozen=True)
class Account:
    """The remote account an OAuth connection reaches (id and a name a person recognises)."""

    id: str
    name: str


@dataclass(frozen=True)
class Option:
    """One choice in a picker: the stored value and the label a person reads."""

    value: str
    label: str


@dataclass(frozen=True)
class OptionSource:
    """Fills a picker (``x-options`` in the config schema) from the remote system."""

    key: str
    fetch: Callable[[JobContext], list[Option]]


@dataclass(frozen=True)
class ActionResult:
    """What an action reports back to the admin: a message and, optionally, runs it started."""

    ok: bool
    message: str
    details: Mapping[str, Any] = field(default_factory=dict)
    run_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class Action:
    """A button on an installation (force sync, backfill, test connection).

    ``params_schema`` is a JSON Schema for the action's parameters, validated before ``run``.
    """

    key: str
    title: str
    run: Callable[[JobContext, Mapping[str, Any]], ActionResult]
    description: str = ""
    params_schema: Mapping[str, Any] = field(default_factory=lambda: {"type": "object"})


@dataclass(frozen=True)
class Service:
    """A background service that ``integrations serve`` starts beside the web app.

    ``start`` receives the host settings and returns a function that stops the service.
    """

    name: str
    start: Callable[[Mapping[str, Any]], Callable[[], None]]


@dataclass(frozen=True)
class PlatformEvent:
    """Something that happened on the platform (``invoice.sent``, ``payment.recorded``...)."""

    name: str
    tenant_id: int
    record_id: str
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class InstallationInfo:
    """The installation a lifecycle hook is about, without any secret."""

    id: int
    tenant_id: int
    connector_id: str
    connector_version: str
    name: str
