"""Integrations Library: the plugin host and its services."""

from core.hookspecs import hookimpl

__version__ = "0.1.0"
__all__ = ["__version__", "hookimpl"]
