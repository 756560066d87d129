"""The cloud's API on localhost: ``simkit serve`` and :func:`serve` (the top layer)."""

from .app import BANNER, CloudApi, Endpoint, make_server, serve

__all__ = ["BANNER", "CloudApi", "Endpoint", "make_server", "serve"]
