"""The plugin host: finds plugins, validates what connectors declare, and calls their hooks.

Plugins come from the entry-point group ``integrations.plugins`` (the built-in QuickBooks
connector and admin pages are declared there by this distribution, exactly as a third-party
package declares its own) or are registered directly by tests. A plugin that fails to import,
implements a hook that does not exist, or declares an invalid manifest or config schema is listed
as *broken* with the reason, and the host goes on with the others.
"""

from __future__ import annotations

import difflib
import inspect
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from types import ModuleType
from typing import Any

import pluggy
from jsonschema import Draft202012Validator, SchemaError
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

import core
import schemas
from core import hookspecs
from core.config import defaults, validate
from core.connector import Action, JobDefinition, OAuthProvider, OptionSource, Service
from core.jsonpointer import pointer_from_path, resolve_schema_pointer

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "integrations.plugins"


@dataclass(frozen=True)
class Problem:
    """Why a plugin is broken: where (file and JSON pointer) and what."""

    source: str
    pointer: str
    message: str

    def __str__(self) -> str:
        where = f"{self.source}#{self.pointer}" if self.pointer else self.source
        return f"{where}: {self.message}"


@dataclass
class Connector:
    """A connector as the host knows it: what it declared and the plugin that declared it."""

    plugin_name: str
    manifest: dict[str, Any]
    config_schema: dict[str, Any]
    jobs: dict[str, JobDefinition] = field(default_factory=dict)
    oauth_providers: dict[str, OAuthProvider] = field(default_factory=dict)
    option_sources: dict[str, OptionSource] = field(default_factory=dict)
    actions: dict[str, Action] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.manifest["id"]

    @property
    def version(self) -> str:
        return self.manifest["version"]


@dataclass(frozen=True)
class PluginStatus:
    """One line of ``integrations plugins list``."""

    name: str
    source: str
    connector_id: str | None
    problems: tuple[Problem, ...] = ()

    @property
    def broken(self) -> bool:
        return bool(self.problems)


class PluginHost:
    """Owns the pluggy manager, the catalog of valid connectors and the list of broken plugins."""

    def __init__(self, disabled: Iterable[str] = ()) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.disabled = frozenset(disabled)
        self.connectors: dict[str, Connector] = {}
        self._statuses: dict[str, PluginStatus] = {}
        self._callers: dict[tuple[str, str], Any] = {}

    # Loading ----------------------------------------------------------------------------------

    def load_entry_points(self) -> None:
        """Import and register every plugin of the entry-point group, except disabled ones."""
        for entry_point in sorted(
            metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name
        ):
            if entry_point.name in self.disabled:
                self.pm.set_blocked(entry_point.name)
                continue
            if self.pm.get_plugin(entry_point.name) is not None:
                continue
            try:
                plugin = entry_point.load()
            except Exception as exc:  # a third-party import error must not stop the host
                self._mark(entry_point.name, entry_point.value, None, _problem(entry_point, exc))
                continue
            self.register(plugin, entry_point.name)

    def register(self, plugin: object, name: str) -> PluginStatus:
        """Register one plugin (a module or an instance) and validate what it declares."""
        if inspect.isclass(plugin):
            raise TypeError(f"plugin {name!r}: register an instance or module, not the class")
        if name in self.disabled:
            self.pm.set_blocked(name)
            return self._mark(name, _source_of(plugin), None)
        self.pm.register(plugin, name=name)
        self._callers = {k: v for k, v in self._callers.items() if k[0] != name}
        problems = self._unknown_hooks(plugin)
        connector_id = None
        if (
            not problems
            and self.pm.get_hookcallers(plugin)
            and self._implements(name, "connector_manifest")
        ):
            connector, problems = self._load_connector(name, plugin)
            if connector is not None:
                connector_id = connector.id
                if not problems:
                    self.connectors[connector.id] = connector
        return self._mark(name, _source_of(plugin), connector_id, *problems)

    def unregister(self, name: str) -> None:
        """Remove a plugin (tests register small plugins and remove them in ``finally``)."""
        plugin = self.pm.get_plugin(name)
        if plugin is not None:
            self.pm.unregister(plugin)
        self._statuses.pop(name, None)
        self.connectors = {k: c for k, c in self.connectors.items() if c.plugin_name != name}
        self._callers = {k: v for k, v in self._callers.items() if k[0] != name}

    def statuses(self) -> list[PluginStatus]:
        """Every plugin seen, valid and broken, in name order."""
        return [self._statuses[n] for n in sorted(self._statuses)]

    def connector(self, connector_id: str) -> Connector:
        """The valid connector with this id; ``KeyError`` names the available ones."""
        try:
            return self.connectors[connector_id]
        except KeyError:
            broken = [s for s in self._statuses.values() if s.connector_id == connector_id]
            if broken:
                reasons = "; ".join(str(p) for p in broken[0].problems)
                raise KeyError(f"connector {connector_id!r} is broken: {reasons}") from None
            known = ", ".join(sorted(self.connectors)) or "none"
            raise KeyError(f"no connector {connector_id!r} (available: {known})") from None

    # Calling hooks ----------------------------------------------------------------------------

    def call(self, connector_id: str, hook: str, **kwargs: Any) -> Any:
        """Call a connector hook on the plugin that owns the connector, and on it alone."""
        return self._caller(self.connector(connector_id).plugin_name, hook)(**kwargs)

    def broadcast(self, hook: str, **kwargs: Any) -> list[Any]:
        """Call a host hook on every plugin; a failing plugin is logged, not fatal."""
        results = []
        for name, _plugin in self.pm.list_name_plugin():
            status = self._statuses.get(name)
            if status is not None and status.broken:
                continue
            try:
                results.append(self._caller(name, hook)(**kwargs))
            except Exception:
                log.exception("plugin %s failed in %s", name, hook)
        return results

    def services(self) -> list[Service]:
        """Background services every plugin registered."""
        found: list[Service] = []
        self.broadcast("register_services", register=found.append)
        return found

    def _caller(self, plugin_name: str, hook: str) -> Any:
        key = (plugin_name, hook)
        if key not in self._callers:
            others = [p for n, p in self.pm.list_name_plugin() if n != plugin_name]
            self._callers[key] = self.pm.subset_hook_caller(hook, remove_plugins=others)
        return self._callers[key]

    def _implements(self, plugin_name: str, hook: str) -> bool:
        plugin = self.pm.get_plugin(plugin_name)
        return any(impl.plugin is plugin for impl in getattr(self.pm.hook, hook).get_hookimpls())

    # Validation -------------------------------------------------------------------------------

    def _unknown_hooks(self, plugin: object) -> list[Problem]:
        known = {
            name
            for name in dir(hookspecs)
            if hasattr(getattr(hookspecs, name), "integrations_spec")
        }
        problems = []
        for caller in self.pm.get_hookcallers(plugin) or []:
            if caller.name in known:
                continue
            guess = difflib.get_close_matches(caller.name, sorted(known), n=1)
            hint = f" (did you mean {guess[0]!r}?)" if guess else ""
            problems.append(Problem(_source_of(plugin), "", f"unknown hook {caller.name!r}{hint}"))
        return problems

    def _load_connector(self, name: str, plugin: object) -> tuple[Connector | None, list[Problem]]:
        source = _source_of(plugin)
        try:
            manifest = dict(self._caller(name, "connector_manifest")() or {})
            config_schema = dict(self._caller(name, "connector_config_schema")() or {})
            connector = Connector(name, manifest, config_schema)
            self._collect(name, "register_jobs", connector.jobs, JobDefinition)
            self._collect(
                name, "register_oauth_providers", connector.oauth_providers, OAuthProvider
            )
            self._collect(name, "register_option_sources", connector.option_sources, OptionSource)
            self._collect(name, "register_actions", connector.actions, Action)
        except Exception as exc:
            return None, [Problem(source, "", f"{type(exc).__name__}: {exc}")]
        problems = validate_manifest(manifest, source) or validate_config_schema(
            config_schema, source
        )
        if not problems:
            problems = _check_references(connector, source)
        if not problems and manifest["id"] in self.connectors:
            other = self.connectors[manifest["id"]].plugin_name
            problems = [Problem(source, "/id", f"connector id also declared by plugin {other!r}")]
        return (connector if "id" in manifest else None), problems

    def _collect(self, name: str, hook: str, into: dict[str, Any], kind: type) -> None:
        def register(item: Any) -> None:
            if not isinstance(item, kind):
                raise TypeError(f"{hook} registered {item!r}, expected a {kind.__name__}")
            if item.key in into:
                raise ValueError(f"{hook} registered {item.key!r} twice")
            into[item.key] = item

        self._caller(name, hook)(register=register)

    def _mark(
        self, name: str, source: str, connector_id: str | None, *problems: Problem
    ) -> PluginStatus:
        status = PluginStatus(name, source, connector_id, tuple(problems))
        self._statuses[name] = status
        for problem in problems:
            log.warning("plugin %s is broken: %s", name, problem)
        return status


def validate_manifest(manifest: Mapping[str, Any], source: str) -> list[Problem]:
    """Problems of a manifest against ``schemas/manifest.schema.json`` and this host's version."""
    validator = Draft202012Validator(schemas.load("manifest.schema.json"))
    problems = [
        Problem(source, _error_pointer(e), e.message)
        for e in sorted(validator.iter_errors(manifest), key=lambda e: list(e.absolute_path))
    ]
    if problems:
        return problems
    try:
        supported = SpecifierSet(manifest["host_versions"])
    except InvalidSpecifier:
        return [Problem(source, "/host_versions", "is not a PEP 440 version specifier")]
    if Version(core.__version__) not in supported:
        return [
            Problem(
                source,
                "/host_versions",
                f"supports hosts {supported}, this host is {core.__version__}",
            )
        ]
    return []


def validate_config_schema(schema: Mapping[str, Any], source: str) -> list[Problem]:
    """Problems of a config schema: JSON Schema 2020-12 itself, then the wizard vocabulary."""
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        return [Problem(source, pointer_from_path(exc.absolute_path), exc.message)]
    wizard = Draft202012Validator(schemas.load("wizard.schema.json"))
    problems = [
        Problem(source, pointer_from_path(e.absolute_path), _wizard_message(e))
        for e in sorted(wizard.iter_errors(schema), key=lambda e: list(e.absolute_path))
    ]
    if problems:
        return problems
    # Defaults must be valid; required fields without a default are what the admin fills in.
    return [
        Problem(source, e.pointer, f"default is invalid: {e.message}")
        for e in validate(schema, defaults(schema))
        if e.message != "is required"
    ]


def _check_references(connector: Connector, source: str) -> list[Problem]:
    """Every x-oauth provider, x-options source and job field the schema names must exist."""
    problems = []
    for pointer, keyword, value in _walk_keywords(
        connector.config_schema, ("x-oauth", "x-options")
    ):
        if keyword == "x-oauth" and value.get("provider") not in connector.oauth_providers:
            problems.append(
                Problem(
                    source, pointer, f"x-oauth names unknown provider {value.get('provider')!r}"
                )
            )
        if keyword == "x-options" and value not in connector.option_sources:
            problems.append(Problem(source, pointer, f"x-options names unknown source {value!r}"))
    for job in connector.jobs.values():
        for label, pointer in (("toggle", job.toggle_field), ("schedule", job.schedule_field)):
            if pointer and resolve_schema_pointer(connector.config_schema, pointer) is None:
                problems.append(
                    Problem(source, pointer, f"job {job.key!r}: {label} field is not in the schema")
                )
    return problems


def _walk_keywords(
    schema: Any, keywords: tuple[str, ...], pointer: str = ""
) -> Iterable[tuple[str, str, Any]]:
    if not isinstance(schema, Mapping):
        return
    for keyword in keywords:
        if keyword in schema:
            yield pointer, keyword, schema[keyword]
    for name, sub in (schema.get("properties") or {}).items():
        yield from _walk_keywords(sub, keywords, f"{pointer}/{name}")


def _error_pointer(error: Any) -> str:
    """Where an error is; a missing required property is pointed at, not its parent object."""
    path = list(error.absolute_path)
    if error.validator == "required" and isinstance(error.instance, Mapping):
        missing = [name for name in error.validator_value if name not in error.instance]
        if missing:
            path.append(missing[0])
    return pointer_from_path(path)


def _wizard_message(error: Any) -> str:
    if error.validator == "not" and error.path and str(error.path[-1]).startswith("x-"):
        return f"unknown wizard keyword {error.path[-1]!r}"
    return error.message


def _source_of(plugin: object) -> str:
    if isinstance(plugin, ModuleType):
        return inspect.getsourcefile(plugin) or plugin.__name__
    try:
        return inspect.getsourcefile(type(plugin)) or type(plugin).__qualname__
    except TypeError:
        return type(plugin).__qualname__


def _problem(entry_point: metadata.EntryPoint, exc: Exception) -> Problem:
    return Problem(entry_point.value, "", f"cannot be imported: {type(exc).__name__}: {exc}")
