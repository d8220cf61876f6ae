"""Streamable HTTP transport: bearer-token auth, Origin, size and rate checks in front of the SDK's MCP app."""

from server.http.app import HttpApp, build_http_app, check_bind, is_loopback, open_tokens, serve

__all__ = ["HttpApp", "build_http_app", "check_bind", "is_loopback", "open_tokens", "serve"]
