"""Dashboard sign-in: the bearer token itself, kept in an HttpOnly SameSite=Strict cookie.

Every request re-verifies the cookie with `TokenStore.verify` (the MCP endpoint's
verifier), so revoking a token signs its dashboard sessions out at once, and the
token's namespaces and read-only flag scope every page. POSTs also carry a CSRF
value derived from the token (HMAC), which a page on another site cannot know.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

import anyio.to_thread
from starlette.requests import Request

from server.errors import PermissionDenied
from server.http.tokens import TokenStore

COOKIE = "reverie_dashboard"
PATH = "/dashboard"


@dataclass(frozen=True)
class Session:
    token: str
    name: str
    namespaces: tuple[str, ...]
    read_only: bool

    @property
    def csrf(self) -> str:
        return hmac.new(self.token.encode(), b"reverie-dashboard-csrf", hashlib.sha256).hexdigest()

    def check_csrf(self, value: str | None) -> bool:
        return bool(value) and hmac.compare_digest(self.csrf, value)

    def namespace(self, requested: str | None) -> str:
        """The namespace a page shows: the requested one if the token covers it, else its first.

        Raises:
            PermissionDenied: a namespace outside the token's.
        """
        if not requested:
            return self.namespaces[0]
        if requested not in self.namespaces:
            raise PermissionDenied(f"This token may not access namespace {requested!r}.")
        return requested


async def session_of(request: Request, tokens: TokenStore) -> Session | None:
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    return await verify(tokens, token)


async def verify(tokens: TokenStore, token: str) -> Session | None:
    record = await anyio.to_thread.run_sync(tokens.verify, token.strip())
    if record is None or not record.namespaces:
        return None
    return Session(token=token.strip(), name=record.name, namespaces=tuple(record.namespaces), read_only=record.read_only)


def cookie_args(request: Request) -> dict:
    return {"key": COOKIE, "httponly": True, "samesite": "strict", "path": PATH, "secure": request.url.scheme == "https"}
