"""The dashboard in a real headless browser (Chromium driven by Playwright) against a real server on a loopback port:
log in, search, open a memory, correct it, forget it. Screenshots of each main page go to a temp dir, or to
docs/screenshots/ with REVERIE_UPDATE_SCREENSHOTS=1 (how the README's images are made).

Skips, saying why, when Playwright or a Chromium binary is missing (`.ci/run` installs Debian's chromium)."""

from __future__ import annotations

import os
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from server.clock import FixedClock, SystemClock
from server.models import RecallRequest, RememberRequest
from tests.conftest import ROOT

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]

MORE = [
    ("Alice works as a data engineer at Northwind", "fact", ["work"]),
    ("Alice is allergic to peanuts", "constraint", ["health"]),
    ("Alice's laptop is a 14-inch ThinkPad running Fedora", "fact", ["devices"]),
    ("Alice wants to learn Rust this year", "goal", ["learning"]),
    ("Alice finished the quarterly report on Friday", "outcome", ["work"]),
    ("Alice likes window seats on long flights", "preference", ["travel"]),
    ("Alice went to the Lisbon conference in May", "event", ["travel"]),
    ("Code reviews in Alice's team need two approvals", "constraint", ["work"]),
]


def chromium_path() -> str | None:
    for candidate in (os.environ.get("REVERIE_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"):
        if candidate and Path(candidate).is_file():
            return candidate
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (pip install -e '.[test]')")
    executable = chromium_path()
    if executable is None:
        pytest.skip("no Chromium binary: install Debian's `chromium` package (apt-get install chromium) or set REVERIE_CHROMIUM")
    with sync_api.sync_playwright() as p:
        try:
            browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        except Exception as exc:  # a binary that cannot start here (missing libraries, sandbox)
            pytest.skip(f"Chromium at {executable} did not start: {str(exc).splitlines()[0]}")
        yield browser
        browser.close()


@pytest.fixture
def shots(tmp_path) -> Path:
    if os.environ.get("REVERIE_UPDATE_SCREENSHOTS") == "1":
        return ROOT / "docs" / "screenshots"
    return tmp_path / "screenshots"


def seed_history(service, namespace: str) -> None:
    """Sixty days of memories, recalls and feedback, so the charts have something to show."""
    clock = FixedClock(datetime.now(timezone.utc) - timedelta(days=60))
    service.clock = clock
    try:
        for i, (text, kind, tags) in enumerate(MORE):
            clock.advance(days=5 + i % 3)
            service.remember(RememberRequest(namespace=namespace, content=text, kind=kind, tags=tags), actor="seed")
            result = service.recall(RecallRequest(namespace=namespace, query=text.split(" ", 2)[-1], k=3), actor="seed")
            for j, hit in enumerate(result.results):
                signal = "helpful" if (i + j) % (2 + i % 3) else "irrelevant"
                service.feedback(namespace, result.recall_id, hit.memory.id, signal, actor="seed")
    finally:
        service.clock = SystemClock()
    try:  # the sleep jobs belong to another part of Reverie; the page says "not available" without them
        from server.sleep.runner import SleepRunner

        SleepRunner(service).run(namespace=namespace, trigger="manual")
    except Exception:
        pass


def test_log_in_search_open_correct_and_forget_in_a_browser(dashboard, browser, shots):
    running, ids = dashboard
    seed_history(running.app.context.service, "alice")
    shots.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=running.base)
    page = context.new_page()
    try:
        page.goto("/dashboard")
        assert "/dashboard/login" in page.url
        page.screenshot(path=str(shots / "login.png"))
        page.fill("#token", running.token("alice", "team", name="alice-laptop"))
        page.click("button[type=submit]")
        page.wait_for_url("**/dashboard")
        assert page.locator("svg.plot").count() == 3
        cookie = next(c for c in context.cookies() if c["name"] == "reverie_dashboard")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
        page.screenshot(path=str(shots / "overview.png"), full_page=True)

        page.click("nav >> text=Memories")
        page.fill("input[name=q]", "what does Alice drink in the morning")
        page.click("form.filters button[type=submit]")
        page.wait_for_load_state()
        first = page.locator("table.memories tbody tr").first
        assert "green tea" in first.inner_text()
        page.screenshot(path=str(shots / "memories.png"), full_page=True)

        first.locator("a").first.click()
        page.wait_for_url("**/dashboard/memories/mem_*")
        assert page.locator("blockquote.content").inner_text().startswith("Alice prefers green tea")
        page.screenshot(path=str(shots / "memory.png"), full_page=True)

        page.fill("#correct-form textarea", "Alice prefers jasmine tea in the morning")
        page.fill("#correct-form input[name=reason]", "she switched")
        page.click("#correct-form button[type=submit]")
        page.wait_for_load_state()
        assert "Corrected" in page.locator(".flash").inner_text()
        assert page.locator("blockquote.content").inner_text() == "Alice prefers jasmine tea in the morning"
        assert page.locator("text=Alice prefers green tea").count() >= 1  # the old version, in the history

        page.fill("#forget-form input[name=reason]", "asked to forget")
        page.click("#forget-form button[type=submit]")
        page.wait_for_load_state()
        assert page.locator("#confirm-form").is_visible()
        page.screenshot(path=str(shots / "forget-confirm.png"))
        page.click("#confirm-form button[type=submit]")
        page.wait_for_load_state()
        assert page.locator(".flash").inner_text() == "Forgotten."
        store = running.app.context.store
        assert store.get("alice", ids["alice"][0]).status == "forgotten"

        for name in ("conflicts", "sleep", "policies"):
            page.goto(f"/dashboard/{name}?ns=alice")
            assert page.locator("h1").inner_text()
            page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
    finally:
        context.close()
    for name in ("login", "overview", "memories", "memory", "forget-confirm", "conflicts", "sleep", "policies"):
        assert (shots / f"{name}.png").stat().st_size > 5000
