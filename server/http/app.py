"""The HTTP app: the SDK's streamable HTTP transport behind Reverie's request checks.

    request -> OriginGuard (403) -> BearerAuth (401) -> RateLimit (429) -> BodyLimit (413) -> /mcp | /health

`/health` answers without a token and says nothing secret. The app shares one
`AppContext` (store, embedder, service) with the MCP server it wraps.
"""

from __future__ import annotations

import importlib
import ipaddress
import logging
import sys
from dataclasses import dataclass

import anyio.to_thread
from mcp.server import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from server import __version__
from server.app import AppContext, build_context, create_server
from server.config import Settings
from server.errors import ConfigError
from server.http.auth import BearerAuth
from server.http.limits import BodyLimit, OriginGuard, RateLimit
from server.http.tokens import TokenSecret, TokenStore
from server.store import open_database

log = logging.getLogger("reverie")
LOOPBACK_HOSTS = ["127.0.0.1:*", "localhost:*", "[::1]:*"]
# Modules with `http_app(settings, context, tokens) -> (path prefix, ASGI app)`: apps served beside /mcp that
# authenticate for themselves with the same TokenStore (the dashboard keeps the token in an HttpOnly cookie).
HTTP_EXTENSIONS: list[str] = ["server.dashboard"]


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def open_tokens(settings: Settings) -> TokenStore:
    """The token store on its own connection (verification never waits behind a tool's transaction)."""
    return TokenStore(open_database(settings), TokenSecret(settings))


def check_bind(host: str, tokens: TokenStore) -> None:
    """Raises:
    ConfigError: a non-loopback address while no token exists (anyone on the network could connect).
    """
    if not is_loopback(host) and not tokens.any_active():
        raise ConfigError(
            f"Refusing to listen on {host}: it is reachable from other machines and no token exists, so no client "
            "could authenticate. Create one first (`reverie token create --namespace NS`), or bind 127.0.0.1."
        )


@dataclass
class HttpApp:
    asgi: ASGIApp
    server: MCPServer
    context: AppContext
    tokens: TokenStore

    def close(self) -> None:
        self.tokens.db.close()
        self.context.store.close()


def build_http_app(settings: Settings, *, context: AppContext | None = None, tokens: TokenStore | None = None) -> HttpApp:
    """The ASGI app for `reverie serve --http` (tests pass a prepared `context`)."""
    tokens = tokens or open_tokens(settings)
    context = context or build_context(settings)
    server = create_server(settings, context=context)

    @server.custom_route("/health", methods=["GET"])
    async def health(_request: Request) -> JSONResponse:
        try:
            await anyio.to_thread.run_sync(tokens.db.one, "SELECT 1")
            database = "ok"
        except Exception:
            database = "unavailable"
        status = 200 if database == "ok" else 503
        # "loading" while the embedding model loads in the background: calls work, the first ones just wait for it.
        model = "ready" if getattr(context.embedder, "loaded", True) else "loading"
        return JSONResponse({"status": "ok" if status == 200 else "degraded", "server": "reverie", "version": __version__,
                             "transport": "streamable-http", "database": database, "model": model}, status_code=status)

    # The SDK checks Host (DNS rebinding) for loopback binds; Origin is checked first, with a clear body, by OriginGuard.
    security = TransportSecuritySettings(
        enable_dns_rebinding_protection=is_loopback(settings.http_host),
        allowed_hosts=LOOPBACK_HOSTS,
        allowed_origins=list(settings.http_allowed_origins),
    )
    mcp_app = server.streamable_http_app(
        streamable_http_path="/mcp",
        max_request_body_size=settings.http_max_request_bytes,
        transport_security=security,
        host=settings.http_host,
    )
    asgi: ASGIApp = BodyLimit(mcp_app, settings.http_max_request_bytes)
    asgi = RateLimit(asgi, settings.http_rate_limit, settings.http_rate_burst)
    asgi = BearerAuth(asgi, tokens)
    mounts = [importlib.import_module(m).http_app(settings, context, tokens) for m in HTTP_EXTENSIONS]
    asgi = PrefixDispatch(asgi, [(prefix, BodyLimit(app, settings.http_max_request_bytes)) for prefix, app in mounts])
    asgi = OriginGuard(asgi, settings.http_allowed_origins)
    return HttpApp(asgi=asgi, server=server, context=context, tokens=tokens)


class PrefixDispatch:
    """Send requests under an extension's path prefix to that app (it authenticates itself); the rest to `default`."""

    def __init__(self, default: ASGIApp, mounts: list[tuple[str, ASGIApp]]):
        self.default = default
        self.mounts = mounts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = scope["path"]
            for prefix, app in self.mounts:
                if path == prefix or path.startswith(prefix + "/"):
                    await app(scope, receive, send)
                    return
        await self.default(scope, receive, send)


def serve(settings: Settings) -> int:
    """Run the HTTP server until interrupted.

    Raises:
        ConfigError: see `check_bind`.
    """
    import uvicorn

    tokens = open_tokens(settings)
    try:
        check_bind(settings.http_host, tokens)
    except ConfigError:
        tokens.db.close()
        raise
    app = build_http_app(settings, tokens=tokens)
    host = f"[{settings.http_host}]" if ":" in settings.http_host else settings.http_host
    print(f"reverie: MCP over streamable HTTP at http://{host}:{settings.http_port}/mcp (health: /health)", file=sys.stderr)
    print(f"reverie: dashboard at http://{host}:{settings.http_port}/dashboard (log in with a token)", file=sys.stderr)
    if not tokens.any_active():
        print("reverie: no token exists yet; every MCP request gets 401 until `reverie token create` makes one.", file=sys.stderr)
    config = uvicorn.Config(app.asgi, host=settings.http_host, port=settings.http_port, log_level=settings.log_level.lower(),
                            lifespan="on", server_header=False)
    from server.app import start_sleep

    # The HTTP app shares one prepared context, so the MCP lifespan does not start sleep: start it here.
    sleeper = start_sleep(app.context) if settings.sleep_enabled else None
    try:
        uvicorn.Server(config).run()
    finally:
        if sleeper is not None:
            sleeper.shutdown()
        app.close()
    return 0
