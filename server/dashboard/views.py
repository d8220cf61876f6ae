"""HTML for the dashboard: small functions returning escaped strings (no template engine, no build step)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from html import escape
from urllib.parse import urlencode

from server.models import Kind, Memory, Status, Tier

NAV = [("overview", "Overview", "/dashboard"), ("memories", "Memories", "/dashboard/memories"),
       ("conflicts", "Conflicts", "/dashboard/conflicts"), ("policies", "Policies", "/dashboard/policies"),
       ("sleep", "Sleep jobs", "/dashboard/sleep")]


def e(value) -> str:
    return escape("" if value is None else str(value))


def url(path: str, **params) -> str:
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return f"{path}?{query}" if query else path


def layout(title: str, body: str, *, session=None, namespace: str = "", active: str = "", flash: str = "") -> str:
    nav = ""
    if session is not None:
        links = "".join(
            f'<a href="{e(url(href, ns=namespace))}"{" class=active" if key == active else ""}>{label}</a>' for key, label, href in NAV
        )
        options = "".join(f'<option{" selected" if ns == namespace else ""}>{e(ns)}</option>' for ns in session.namespaces)
        nav = (
            f'<nav><span class="brand">Reverie</span>{links}'
            f'<form method="get" class="ns" action="{e("/dashboard" if active == "overview" else NAV_PATHS.get(active, "/dashboard"))}">'
            f'<label>Namespace <select name="ns" data-autosubmit>{options}</select></label><noscript><button>Go</button></noscript></form>'
            f'<a class="export" href="{e(url("/dashboard/export", ns=namespace))}">Export JSONL</a>'
            f'<form method="post" action="/dashboard/logout" class="logout">{csrf_field(session)}'
            f'<button type="submit">Log out ({e(session.name)})</button></form></nav>'
        )
    flash_html = f'<p class="flash" role="status">{e(flash)}</p>' if flash else ""
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{e(title)} · Reverie</title>"
        '<link rel="stylesheet" href="/dashboard/static/dashboard.css">'
        '<script src="/dashboard/static/dashboard.js" defer></script></head>'
        f"<body>{nav}<main><h1>{e(title)}</h1>{flash_html}{body}</main></body></html>"
    )


NAV_PATHS = {key: href for key, _, href in NAV}


def csrf_field(session) -> str:
    return f'<input type="hidden" name="csrf" value="{e(session.csrf)}">'


def login(error: str = "") -> str:
    err = f'<p class="error" role="alert">{e(error)}</p>' if error else ""
    body = (
        f'{err}<form method="post" action="/dashboard/login" class="card login">'
        '<label for="token">Access token</label>'
        '<input id="token" name="token" type="password" autocomplete="current-password" required placeholder="rvt_…">'
        '<button type="submit">Log in</button>'
        "<p class=hint>Use a token from <code>reverie token create --namespace NS</code>. "
        "The dashboard sees exactly the namespaces the token may use.</p></form>"
    )
    return layout("Log in", body)


def table(headers: Sequence[str], rows: Iterable[Sequence[str]], empty: str = "Nothing here yet.", cls: str = "") -> str:
    rows = list(rows)
    if not rows:
        return f'<p class="empty">{e(empty)}</p>'
    head = "".join(f"<th>{e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def memory_link(memory: Memory, namespace: str, text: str | None = None) -> str:
    shown = text if text is not None else (memory.content or "(erased)")
    return f'<a href="{e(url(f"/dashboard/memories/{memory.id}", ns=namespace))}">{e(shown[:160])}</a>'


def badge(value: str) -> str:
    return f'<span class="badge b-{e(value)}">{e(value)}</span>'


def when(value) -> str:
    if value is None:
        return ""
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return f'<time datetime="{e(text)}">{e(text[:16].replace("T", " "))}</time>'


def cards(items: Sequence[tuple[str, object]]) -> str:
    return '<div class="cards">' + "".join(f'<div class="card stat"><b>{e(v)}</b><span>{e(k)}</span></div>' for k, v in items) + "</div>"


def filters(namespace: str, q: str, kind: str, tier: str, status: str) -> str:
    def select(name: str, values: Sequence[str], current: str, any_label: str) -> str:
        opts = f'<option value="">{e(any_label)}</option>' + "".join(
            f'<option{" selected" if v == current else ""}>{e(v)}</option>' for v in values
        )
        return f'<label>{name.title()} <select name="{name}">{opts}</select></label>'

    return (
        '<form method="get" action="/dashboard/memories" class="filters card" role="search">'
        f'<input type="hidden" name="ns" value="{e(namespace)}">'
        f'<label class="grow">Search <input type="search" name="q" value="{e(q)}" placeholder="words or a question"></label>'
        + select("kind", [k.value for k in Kind], kind, "any kind")
        + select("tier", [t.value for t in Tier], tier, "any tier")
        + select("status", [s.value for s in Status], status, "any status")
        + '<button type="submit">Search</button></form>'
    )


def memory_rows(items: Sequence[tuple[str, Memory]], namespace: str) -> list[list[str]]:
    return [
        [memory_link(m, namespace), badge(m.kind), badge(m.tier), badge(m.status), f"{m.strength:.2f}", score, when(m.recorded_at)]
        for score, m in items
    ]


def pretty_json(value) -> str:
    return f"<pre>{e(json.dumps(value, indent=2, ensure_ascii=False, default=str))}</pre>"
