"""The dashboard over real HTTP: token sign-in in an HttpOnly cookie, CSRF on every POST, namespace scoping."""

from __future__ import annotations

import json
import re

import httpx


def login(running, token: str) -> httpx.Client:
    client = httpx.Client(base_url=running.base, follow_redirects=False, timeout=30)
    response = client.post("/dashboard/login", data={"token": token})
    assert response.status_code == 303
    return client


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([0-9a-f]+)"', html).group(1)


def test_pages_redirect_to_the_login_form_without_a_session(dashboard):
    running, _ = dashboard
    for path in ("/dashboard", "/dashboard/memories", "/dashboard/export", "/dashboard/sleep"):
        response = httpx.get(running.base + path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/dashboard/login")
    assert "Access token" in httpx.get(running.base + "/dashboard/login").text


def test_a_bad_token_is_refused_and_a_good_one_sets_an_httponly_strict_cookie(dashboard):
    running, _ = dashboard
    bad = httpx.post(running.base + "/dashboard/login", data={"token": "rvt_nope_nope"})
    assert bad.status_code == 401 and "reverie_dashboard" not in bad.headers.get("set-cookie", "")
    good = httpx.post(running.base + "/dashboard/login", data={"token": running.token("alice")}, follow_redirects=False)
    cookie = good.headers["set-cookie"].lower()
    assert good.status_code == 303
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/dashboard" in cookie


def test_the_mcp_endpoint_still_needs_a_bearer_token(dashboard):
    running, _ = dashboard
    client = login(running, running.token("alice"))
    assert client.post("/mcp", json={}).status_code == 401  # the cookie is not a bearer token
    assert httpx.get(running.base + "/health").status_code == 200


def test_overview_and_lists_show_only_the_tokens_namespaces(dashboard):
    running, ids = dashboard
    client = login(running, running.token("alice"))
    overview = client.get("/dashboard")
    assert overview.status_code == 200 and overview.text.count("<svg") >= 3
    listing = client.get("/dashboard/memories").text
    assert "green tea" in listing and "Nightjar" not in listing
    assert client.get("/dashboard/memories", params={"ns": "bob"}).status_code == 403
    assert client.get(f"/dashboard/memories/{ids['bob'][0]}").status_code == 404  # not in alice's namespace
    assert client.get(f"/dashboard/memories/{ids['bob'][0]}", params={"ns": "bob"}).status_code == 403


def test_search_and_filters_narrow_the_list(dashboard):
    running, _ = dashboard
    client = login(running, running.token("alice"))
    found = client.get("/dashboard/memories", params={"q": "what does alice drink"}).text
    assert "green tea" in found
    assert "Berlin marathon" not in found or found.index("green tea") < found.index("Berlin marathon")
    goals = client.get("/dashboard/memories", params={"kind": "goal"}).text
    assert "Berlin marathon" in goals and "green tea" not in goals


def test_posts_without_the_csrf_value_are_refused(dashboard):
    running, ids = dashboard
    client = login(running, running.token("alice"))
    target = ids["alice"][0]
    response = client.post(f"/dashboard/memories/{target}/forget", data={"confirm": "yes"})
    assert response.status_code == 403
    assert running.app.context.store.get("alice", target).status == "active"


def test_correct_and_forget_with_confirmation(dashboard):
    running, ids = dashboard
    client = login(running, running.token("alice"))
    target = ids["alice"][0]
    page = client.get(f"/dashboard/memories/{target}")
    assert "Versions" in page.text and "Audit trail" in page.text and "Recall history" in page.text
    csrf = csrf_of(page.text)
    corrected = client.post(f"/dashboard/memories/{target}/correct", data={"csrf": csrf, "correction": "Alice prefers black coffee now"})
    assert corrected.status_code == 303
    new_id = re.search(r"/dashboard/memories/([^?]+)", corrected.headers["location"]).group(1)
    store = running.app.context.store
    assert store.get("alice", target).status == "superseded" and store.get("alice", new_id).content == "Alice prefers black coffee now"

    first = client.post(f"/dashboard/memories/{new_id}/forget", data={"csrf": csrf, "hard": "1"})
    assert first.status_code == 200 and "cannot be undone" in first.text
    assert store.get("alice", new_id).status == "active"  # nothing happens before the confirmation
    done = client.post(f"/dashboard/memories/{new_id}/forget", data={"csrf": csrf, "hard": "1", "confirm": "yes"})
    assert done.status_code == 303
    assert store.get("alice", new_id).status == "forgotten" and not store.get("alice", new_id).content


def test_a_read_only_token_cannot_change_anything(dashboard):
    running, ids = dashboard
    client = login(running, running.token("alice", read_only=True))
    page = client.get(f"/dashboard/memories/{ids['alice'][1]}")
    assert "read-only" in page.text and "Save correction" not in page.text
    response = client.post(f"/dashboard/memories/{ids['alice'][1]}/forget", data={"csrf": csrf_of(page.text), "confirm": "yes"})
    assert response.status_code == 403


def test_export_downloads_the_namespace_as_jsonl(dashboard):
    running, _ = dashboard
    client = login(running, running.token("alice", "bob"))
    response = client.get("/dashboard/export", params={"ns": "alice"})
    assert response.status_code == 200 and "attachment" in response.headers["content-disposition"]
    records = [json.loads(line) for line in response.text.splitlines()]
    assert records and {r["namespace"] for r in records} == {"alice"}


def test_revoking_the_token_ends_the_dashboard_session(dashboard):
    running, _ = dashboard
    token = running.token("alice", name="temp")
    client = login(running, token)
    assert client.get("/dashboard").status_code == 200
    record = next(r for r in running.app.tokens.list() if r.name == "temp")
    running.app.tokens.revoke(record.id)
    assert client.get("/dashboard").status_code == 303


def test_sections_of_parts_not_installed_say_so(dashboard):
    running, _ = dashboard
    client = login(running, running.token("alice"))
    for path in ("/dashboard/conflicts", "/dashboard/policies", "/dashboard/sleep"):
        response = client.get(path)
        assert response.status_code == 200
        assert "<table" in response.text or "not available" in response.text or "No " in response.text
