"""Answer the MCP connection's opening request on stdio before the SDK is imported.

Why: importing mcp 2.x builds its pydantic protocol models, about 1 s on a 2-core machine before a
single byte can be answered, and clients time the handshake (some give up on a slow one). The answer
to `initialize` (or to `server/discover`, the modern era's opening) depends only on the server's code
and the protocol version the client asks for, so it can be recorded once and replayed.

How: the first line on stdin is read byte by byte, so nothing after it is taken from the descriptor
the SDK reads next. If it is an opening request and an answer the SDK gave to the same request
(same Reverie version, same mcp release, same requested protocol version) is on record, that answer
goes out at once. The SDK then starts as usual and receives the same request first, so its session
state is exactly what it would have been; its own answer is compared with the one already sent and
dropped (a difference is logged and rewrites the record). Without a record, the first start after an
install or an upgrade, nothing is answered early: the SDK answers and the record is written from it.

Only the handshake gets faster: the requests after it (`tools/list`, ...) wait for the SDK as before.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger("reverie")

MAX_LINE = 1 << 20  # an opening request is a few hundred bytes; a longer first line is not one


# The requests a connection opens with, and where each carries the protocol version its answer depends on:
# `initialize` (the handshake of protocol versions up to 2025-11-25) and `server/discover` (the modern era's
# opening, whose version rides in the request's `_meta`). Neither answer depends on anything else the client sends.
OPENINGS = {
    "initialize": lambda params: params.get("protocolVersion"),
    "server/discover": lambda params: (params.get("_meta") or {}).get("io.modelcontextprotocol/protocolVersion"),
}


@dataclass
class EarlyStart:
    """The first message read from stdin, to be replayed to the SDK, and what was answered to it."""

    line: bytes
    request_id: Any = None  # the opening request's id (None: the first message was something else)
    key: str | None = None  # record key for its answer
    answered: dict | None = None  # the result already sent, or None when the SDK must answer
    record: Path | None = None


def record_path() -> Path:
    """Beside the embedding models: Reverie's cache directory (REVERIE_EMBEDDING_CACHE_DIR or the user's)."""
    base = os.environ.get("REVERIE_EMBEDDING_CACHE_DIR")
    if not base:
        from platformdirs import user_cache_dir

        base = user_cache_dir("reverie", appauthor=False)
    return Path(base).expanduser() / "openings.json"


def sdk_release() -> str:
    """The installed mcp release, from its dist-info folder name (cheap: `mcp` itself is not imported)."""
    import importlib.util

    spec = importlib.util.find_spec("mcp")
    if spec is None or not spec.submodule_search_locations:
        return "none"
    package = Path(next(iter(spec.submodule_search_locations)))
    for entry in sorted(package.parent.glob("mcp-*.dist-info")):
        return entry.name.removesuffix(".dist-info")
    return f"mtime-{int((package / '__init__.py').stat().st_mtime)}"


def record_key(protocol_version: str) -> str:
    from server import __version__

    return f"reverie {__version__} | {sdk_release()} | {protocol_version}"


def _read_line(fd: int) -> bytes:
    out = bytearray()
    while len(out) < MAX_LINE:
        chunk = os.read(fd, 1)
        if not chunk:
            break
        out += chunk
        if chunk == b"\n":
            break
    return bytes(out)


def _load(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def answer_opening(stdin_fd: int = 0, stdout_fd: int = 1, record: Path | None = None) -> EarlyStart:
    """Read the first message; answer it now if it opens the connection and its answer is on record."""
    line = _read_line(stdin_fd)
    early = EarlyStart(line=line, record=record or record_path())
    try:
        message = json.loads(line)
    except ValueError:
        return early  # the SDK reports it
    if not (isinstance(message, dict) and message.get("method") in OPENINGS and "id" in message):
        return early
    params = message.get("params")
    version = OPENINGS[message["method"]](params) if isinstance(params, dict) else None
    if not isinstance(version, str):
        return early
    early.request_id, early.key = message["id"], record_key(f"{message['method']} {version}")
    result = _load(early.record).get(early.key)
    if isinstance(result, dict):
        reply = json.dumps({"jsonrpc": "2.0", "id": early.request_id, "result": result}, separators=(",", ":"))
        os.write(stdout_fd, reply.encode("utf-8") + b"\n")
        early.answered = result
    return early


def save_answer(early: EarlyStart, result: dict) -> None:
    """Record the SDK's answer (atomically: a concurrent start reads the old record or the new one)."""
    if early.record is None or early.key is None:
        return
    data = _load(early.record)
    data[early.key] = result
    try:
        early.record.parent.mkdir(parents=True, exist_ok=True)
        tmp = early.record.with_name(f".{early.record.name}.{os.getpid()}")
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(tmp, early.record)
    except OSError as exc:  # a read-only cache costs speed, never correctness
        log.warning("could not record the opening answer in %s: %s", early.record, exc)


async def run_stdio(server, early: EarlyStart) -> None:
    """Serve `server` (an SDK MCPServer) on stdio, replaying the message `answer_opening` consumed."""
    from mcp.server.stdio import stdio_server
    from mcp_types import jsonrpc_message_adapter
    from mcp.shared.message import SessionMessage

    lowlevel = server._lowlevel_server  # MCPServer.run_stdio_async does the same, minus the replay
    async with stdio_server() as (read_stream, write_stream):
        first: SessionMessage | Exception | None = None
        if early.line.strip():
            try:
                first = SessionMessage(jsonrpc_message_adapter.validate_json(early.line, by_name=False))
            except Exception as exc:  # as the SDK's own reader: the session answers a parse error
                first = exc
        await lowlevel.run(
            _Replay(first, read_stream),
            _DropEarlyAnswer(early, write_stream),
            lowlevel.create_initialization_options(),
        )


class _Wrapped:
    """Closing and context management of a stream that wraps the transport's `_inner` one."""

    _inner: Any

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc) -> None:
        await self.aclose()


class _Replay(_Wrapped):
    """A read stream that yields one message before the transport's own."""

    def __init__(self, first, inner):
        self._first, self._inner = first, inner
        self.last_context = None

    async def receive(self):
        if self._first is not None:
            item, self._first = self._first, None
            self.last_context = None
            return item
        item = await self._inner.receive()
        self.last_context = getattr(self._inner, "last_context", None)
        return item

    def __aiter__(self):
        return self

    async def __anext__(self):
        import anyio

        try:
            return await self.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            raise StopAsyncIteration from None


class _DropEarlyAnswer(_Wrapped):
    """A write stream that withholds the SDK's answer to an opening already answered (after checking it)."""

    def __init__(self, early: EarlyStart, inner):
        self._early, self._inner = early, inner
        self._pending = early.request_id is not None

    async def send(self, item, /) -> None:
        if self._pending and self._is_answer(item.message):
            self._pending = False
            data = item.message.model_dump(by_alias=True, exclude_unset=True, mode="json")
            result = data.get("result")
            if isinstance(result, dict):
                if self._early.answered is None:
                    save_answer(self._early, result)
                elif result != self._early.answered:
                    log.warning("the recorded opening answer differed from the SDK's; re-recorded it")
                    save_answer(self._early, result)
            if self._early.answered is not None:
                return
        await self._inner.send(item)

    def _is_answer(self, message) -> bool:
        return getattr(message, "id", None) == self._early.request_id and (
            hasattr(message, "result") or hasattr(message, "error")
        )
