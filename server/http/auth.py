"""Bearer-token authentication: every MCP request names a token, or gets 401 before any MCP handling.

Trigger: a request reaches the MCP endpoint. Outcome: the token's `Principal`
(its namespaces, read-only flag, name) goes on the ASGI scope as
`reverie.principal` and into the `current_principal` context variable, which
the SDK carries to the handler; `tools._common.scope()` enforces it on every call.
"""

from __future__ import annotations

import contextvars
import json
from collections import OrderedDict

import anyio.to_thread
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.app import Principal
from server.http.tokens import TokenRecord, TokenStore

PRINCIPAL_KEY = "reverie.principal"
TOKEN_ID_KEY = "reverie.token_id"
SESSION_HEADER = "mcp-session-id"
MAX_TRACKED_SESSIONS = 10_000

# Static MCP resources get no request context; they read the caller from here (None: the local user).
current_principal: contextvars.ContextVar[Principal | None] = contextvars.ContextVar("reverie_principal", default=None)


def principal_for(record: TokenRecord) -> Principal:
    return Principal(namespaces=record.namespaces, read_only=record.read_only, name=f"token:{record.name}")


async def send_error(send: Send, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
    """A short JSON error body, `{"error": code, "message": ...}`, for every refusal the HTTP layer makes."""
    body = json.dumps({"error": code, "message": message}).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


class BearerAuth:
    """ASGI middleware: verify `Authorization: Bearer <token>` on every path but the public ones.

    A session (`Mcp-Session-Id`) belongs to the token that opened it; another token
    presenting it gets 404, as if it did not exist.
    """

    def __init__(self, app: ASGIApp, tokens: TokenStore, public_paths: frozenset[str] = frozenset({"/health"})):
        self.app = app
        self.tokens = tokens
        self.public_paths = public_paths
        self._sessions: OrderedDict[str, str] = OrderedDict()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.public_paths:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        scheme, _, token = headers.get("authorization", "").partition(" ")
        record = None
        if scheme.lower() == "bearer" and token.strip():
            record = await anyio.to_thread.run_sync(self.tokens.verify, token.strip())
        if record is None:
            reason = "missing bearer token" if not token.strip() else "invalid or revoked token"
            await send_error(
                send, 401, "unauthorized",
                f"{reason}: send `Authorization: Bearer <token>` (create one with `reverie token create`).",
                {"WWW-Authenticate": 'Bearer realm="reverie", error="invalid_token"'},
            )
            return
        session = headers.get(SESSION_HEADER)
        if session is not None and self._sessions.get(session, record.id) != record.id:
            await send_error(send, 404, "session_not_found", "No such session for this token.")
            return
        if scope["method"] == "DELETE" and session is not None:
            self._sessions.pop(session, None)

        principal = principal_for(record)
        scope[PRINCIPAL_KEY] = principal
        scope[TOKEN_ID_KEY] = record.id

        async def send_binding_session(message: Message) -> None:
            if message["type"] == "http.response.start" and session is None:
                new = Headers(raw=message.get("headers", [])).get(SESSION_HEADER)
                if new:
                    self._sessions[new] = record.id
                    while len(self._sessions) > MAX_TRACKED_SESSIONS:
                        self._sessions.popitem(last=False)
            await send(message)

        reset = current_principal.set(principal)
        try:
            await self.app(scope, receive, send_binding_session)
        finally:
            current_principal.reset(reset)
