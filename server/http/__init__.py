"""Streamable HTTP transport: bearer-token auth, Origin, size and rate checks in front of the SDK's MCP app.

The names below load on first use: `reverie`'s parser imports `server.http.cli`, and
importing starlette and the app here would slow every command, `serve` on stdio included.
"""

from __future__ import annotations

import importlib

__all__ = ["HttpApp", "build_http_app", "check_bind", "is_loopback", "open_tokens", "serve"]


def __getattr__(name: str):
    if name in __all__:
        return getattr(importlib.import_module("server.http.app"), name)
    raise AttributeError(f"module 'server.http' has no attribute {name!r}")
