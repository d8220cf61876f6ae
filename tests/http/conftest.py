"""Real servers for the HTTP tests: uvicorn on a loopback port, in a thread (sharing the session's embedding
model) or in a subprocess (`reverie serve --http`), and a real MCP client with a bearer token."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from server.config import Settings
from tests.conftest import MODEL_CACHE, ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_settings(tmp_path: Path, **overrides) -> Settings:
    base = dict(
        db=tmp_path / "reverie.db", embedding_model="offline", embedding_cache_dir=MODEL_CACHE, memops="rules",
        token_secret_store="file", token_secret_file=tmp_path / "token-secret", http_port=free_port(),
    )
    return Settings(**{**base, **overrides})


def server_env(settings: Settings, **extra: str) -> dict[str, str]:
    """Environment for a `reverie serve --http` subprocess with the same settings (the real offline model)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REVERIE_")}
    env.update(
        REVERIE_DB=str(settings.db), REVERIE_EMBEDDING_MODEL="offline", REVERIE_EMBEDDING_CACHE_DIR=str(MODEL_CACHE),
        REVERIE_MEMOPS=settings.memops, REVERIE_TOKEN_SECRET_STORE="file", REVERIE_TOKEN_SECRET_FILE=str(settings.token_secret_file),
        REVERIE_HTTP_RATE_LIMIT=str(settings.http_rate_limit), HF_HUB_OFFLINE="1", PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


@contextlib.asynccontextmanager
async def mcp_client(url: str, token: str | None, **headers: str) -> AsyncIterator:
    """A real MCP client over streamable HTTP, sending `Authorization: Bearer <token>`."""
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared._httpx_utils import create_mcp_http_client

    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    async with create_mcp_http_client(headers=headers) as http, Client(streamable_http_client(url, http_client=http), cache=None) as client:
        yield client


def wait_healthy(base: str, timeout: float = 90.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}: {proc.stderr.read() if proc.stderr else ''}")
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{base} did not become healthy in {timeout}s")


@dataclass
class Running:
    """A server under test: its URL, settings, and (in-thread servers) its app and token store."""

    settings: Settings
    base: str
    app: object | None = None
    proc: subprocess.Popen | None = None
    _tokens: object | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"{self.base}/mcp"

    def token(self, *namespaces: str, read_only: bool = False, name: str | None = None) -> str:
        from server.http.app import open_tokens

        if self._tokens is None:
            self._tokens = self.app.tokens if self.app is not None else open_tokens(self.settings)
        return self._tokens.create(list(namespaces), read_only=read_only, name=name)[1]

    def client(self, token: str | None, **headers: str):
        return mcp_client(self.url, token, **headers)


@contextlib.contextmanager
def thread_server(settings: Settings, embedder):
    """uvicorn in a background thread, serving the real app on a loopback port."""
    import uvicorn

    from server.app import build_context
    from server.http.app import build_http_app

    app = build_http_app(settings, context=build_context(settings, embedder=embedder))
    server = uvicorn.Server(uvicorn.Config(app.asgi, host=settings.http_host, port=settings.http_port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{settings.http_port}"
    try:
        wait_healthy(base, timeout=30)
        yield Running(settings=settings, base=base, app=app)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        app.close()


@contextlib.contextmanager
def subprocess_server(settings: Settings, *args: str, **env: str):
    """`reverie serve --http` as a real process (the transport and CLI under test)."""
    cmd = [sys.executable, "-m", "server", "serve", "--http", "--port", str(settings.http_port), *args]
    proc = subprocess.Popen(cmd, env=server_env(settings, **env), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{settings.http_port}"
    try:
        wait_healthy(base, proc=proc)
        yield Running(settings=settings, base=base, proc=proc)
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture
def server(tmp_path, embedder):
    """An in-thread HTTP server with default limits (rate limit off so tests need not pace themselves)."""
    with thread_server(http_settings(tmp_path, http_rate_limit=0), embedder) as running:
        yield running
