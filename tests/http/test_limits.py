"""Request checks in front of MCP: body size (413), rate per token (429), Origin (403), safe binding."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest

from server.errors import ConfigError
from server.http.app import check_bind, is_loopback, open_tokens
from server.http.limits import TokenBucket, origin_allowed
from tests.http.conftest import http_settings, server_env, thread_server
from tests.http.test_auth import INIT, MCP_HEADERS, post

pytestmark = pytest.mark.anyio


@pytest.fixture
def limited(tmp_path, embedder):
    settings = http_settings(tmp_path, http_max_request_bytes=4096, http_rate_limit=60, http_rate_burst=5)
    with thread_server(settings, embedder) as running:
        yield running


async def test_oversized_body_gets_413_with_a_clear_body(limited):
    token = limited.token("alice")
    big = {**INIT, "params": {**INIT["params"], "padding": "x" * 5000}}
    response = post(limited, token, body=big)
    assert response.status_code == 413
    assert response.json()["error"] == "request_too_large"
    # Streamed without Content-Length: counted as it arrives.
    chunks = (b"x" * 1024 for _ in range(8))
    streamed = httpx.post(limited.url, content=chunks, headers={**MCP_HEADERS, "Authorization": f"Bearer {token}"})
    assert streamed.status_code == 413


async def test_oversized_remember_through_the_mcp_client_fails_and_stores_nothing(limited):
    async with limited.client(limited.token("alice")) as client:
        with pytest.raises(BaseException):
            await client.call_tool("remember", {"content": "y" * 5000})
    assert limited.app.context.store.counts() == {}


async def test_token_over_its_rate_gets_429_with_retry_after_and_others_are_unaffected(limited):
    busy, calm = limited.token("alice"), limited.token("bob")
    codes = [post(limited, busy).status_code for _ in range(8)]
    assert codes[:5] == [200] * 5 and codes[-1] == 429
    refused = post(limited, busy)
    assert refused.json()["error"] == "rate_limited" and int(refused.headers["retry-after"]) >= 1
    assert post(limited, calm).status_code == 200


def test_token_bucket_refills_at_its_rate():
    now = [0.0]
    bucket = TokenBucket(per_minute=60, burst=2, clock=lambda: now[0])
    assert bucket.take("t") == 0 and bucket.take("t") == 0
    assert bucket.take("t") == pytest.approx(1.0)
    now[0] = 1.0
    assert bucket.take("t") == 0


async def test_foreign_origin_gets_403_and_loopback_origins_pass(server):
    token = server.token("alice")
    refused = post(server, token, Origin="https://evil.example")
    assert refused.status_code == 403 and refused.json()["error"] == "forbidden_origin"
    assert post(server, None, Origin="http://rebind.example:8765").status_code == 403  # before auth, too
    assert post(server, token, Origin=f"http://localhost:{server.settings.http_port}").status_code == 200
    assert post(server, token).status_code == 200  # no Origin: not a browser


async def test_foreign_host_header_is_refused_on_a_loopback_bind(server):
    response = post(server, server.token("alice"), Host="evil.example")
    assert response.status_code == 421


def test_origin_patterns():
    allowed = ["http://localhost:*", "https://app.example"]
    assert origin_allowed("http://localhost:3000", allowed)
    assert origin_allowed("https://app.example", allowed)
    assert not origin_allowed("http://localhost.evil.example:80", allowed)
    assert not origin_allowed("http://localhost:80.evil.example", allowed)
    assert not origin_allowed("https://app.example.evil", allowed)


def test_non_loopback_bind_without_a_token_is_refused(tmp_path):
    settings = http_settings(tmp_path)
    tokens = open_tokens(settings)
    try:
        assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
        assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.10")
        check_bind("127.0.0.1", tokens)
        with pytest.raises(ConfigError):
            check_bind("0.0.0.0", tokens)
        token_id = tokens.create(["alice"])[0].id
        check_bind("0.0.0.0", tokens)
        tokens.revoke(token_id)
        with pytest.raises(ConfigError):
            check_bind("0.0.0.0", tokens)
    finally:
        tokens.db.close()


def test_serve_refuses_a_non_loopback_host_without_tokens_with_a_clear_error(tmp_path):
    settings = http_settings(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "server", "serve", "--http", "--host", "0.0.0.0", "--port", str(settings.http_port)],
        env=server_env(settings), capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 2
    assert "[config_error]" in done.stderr and "reverie token create" in done.stderr
