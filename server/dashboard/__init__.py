"""The web dashboard at `/dashboard`, served by `reverie serve --http` beside the MCP endpoint.

Browse, search and filter memories; open one with its versions, provenance, audit trail and
recall history; correct, forget and export; see conflicts, policies and sleep-job runs, with
charts drawn as inline SVG. Sign-in is a token from `reverie token create`, kept in an
HttpOnly cookie and verified on every request like the MCP endpoint's bearer token.
"""

from __future__ import annotations

from server.dashboard.session import PATH

__all__ = ["PATH", "http_app"]


def http_app(settings, context, tokens):
    """(path prefix, ASGI app): the hook `server.http.app.HTTP_EXTENSIONS` calls."""
    from server.dashboard.routes import build_app
    from server.http.app import is_loopback

    return PATH, build_app(context, tokens, check_host=is_loopback(settings.http_host))
