"""Request checks before MCP: Origin (DNS-rebinding protection), body size and rate per token.

Each is a small ASGI middleware answering with a JSON error body (see `auth.send_error`):

    403 forbidden_origin      an Origin header that is not an allowed origin
    413 request_too_large     a body over `http_max_request_bytes`
    429 rate_limited          a token over its rate; `Retry-After` says when to try again
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.http.auth import TOKEN_ID_KEY, send_error


def origin_allowed(origin: str, allowed: Sequence[str]) -> bool:
    """Exact match, or `scheme://host:*` for any port of that host."""
    for pattern in allowed:
        if origin == pattern:
            return True
        if pattern.endswith(":*") and origin.startswith(pattern[:-1]) and origin[len(pattern) - 1 :].isdigit():
            return True
    return False


class OriginGuard:
    """Browsers send Origin on cross-site requests; a page on another site must not reach a local server."""

    def __init__(self, app: ASGIApp, allowed_origins: Sequence[str]):
        self.app = app
        self.allowed = list(allowed_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            origin = Headers(scope=scope).get("origin")
            if origin is not None and not origin_allowed(origin, self.allowed):
                await send_error(send, 403, "forbidden_origin",
                                 f"Origin {origin!r} is not allowed (REVERIE_HTTP_ALLOWED_ORIGINS).")
                return
        await self.app(scope, receive, send)


class BodyLimit:
    """413 for a body over `max_bytes`, judged by Content-Length up front and by counting as it streams."""

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    def _refuse(self, send: Send):
        return send_error(send, 413, "request_too_large",
                          f"The request body is over {self.max_bytes} bytes (REVERIE_HTTP_MAX_REQUEST_BYTES).")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send)
            return
        # Read the whole body first (bounded by max_bytes) and replay it: the app never sees an oversized one.
        chunks: list[bytes] = []
        size = 0
        trailing: Message | None = None
        while True:
            message = await receive()
            if message["type"] != "http.request":
                trailing = message
                break
            body = message.get("body", b"")
            size += len(body)
            if size > self.max_bytes:
                await self._refuse(send)
                return
            chunks.append(body)
            if not message.get("more_body", False):
                break
        queue: list[Message] = [{"type": "http.request", "body": b"".join(chunks), "more_body": False}]
        if trailing is not None:
            queue.append(trailing)

        async def replay() -> Message:
            return queue.pop(0) if queue else await receive()

        await self.app(scope, replay, send)


class TokenBucket:
    """`burst` requests at once, refilled at `per_minute`; thread-safe."""

    def __init__(self, per_minute: float, burst: int, clock: Callable[[], float] = time.monotonic):
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """0 if a request may go now (and counts it), else the seconds until one may."""
        now = self.clock()
        with self._lock:
            tokens, last = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1.0 - tokens) / self.rate


class RateLimit:
    """429 with Retry-After when a token goes over its rate (per server process)."""

    def __init__(self, app: ASGIApp, per_minute: float, burst: int):
        self.app = app
        self.bucket = TokenBucket(per_minute, burst) if per_minute > 0 else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = scope.get(TOKEN_ID_KEY) if scope["type"] == "http" else None
        if self.bucket is not None and key is not None:
            wait = self.bucket.take(key)
            if wait > 0:
                retry = max(1, math.ceil(wait))
                await send_error(send, 429, "rate_limited",
                                 f"Too many requests for this token; retry in {retry}s (REVERIE_HTTP_RATE_LIMIT).",
                                 {"Retry-After": str(retry)})
                return
        await self.app(scope, receive, send)
