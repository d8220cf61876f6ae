"""Dashboard pages: overview (charts), memories (browse, search, filter), one memory (history, correct, forget),
export, conflicts, policies, sleep-job runs. Server-rendered HTML; every route checks the token cookie."""

from __future__ import annotations

import functools
import io
from pathlib import Path

import anyio.to_thread
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from server.app import AppContext
from server.dashboard import plots, queries, views
from server.dashboard.session import COOKIE, PATH, Session, cookie_args, session_of, verify
from server.dashboard.views import badge, e, memory_link, table, url, when
from server.errors import InvalidInput, NotFound, PermissionDenied, ReverieError
from server.http.tokens import TokenStore
from server.service import effective_strength

STATIC = Path(__file__).parent / "static"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")
HEADERS = {"Cache-Control": "no-store", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin",
           "Content-Security-Policy": "default-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'"}


def page(handler):
    """Signed-in pages: resolve the session and namespace; unauthenticated GETs go to the login form."""

    @functools.wraps(handler)
    async def wrapper(self, request: Request) -> Response:
        if self.check_host and request.headers.get("host", "").rsplit(":", 1)[0] not in LOOPBACK_HOSTS:
            return _html("<p>Unexpected Host header.</p>", 421)
        session = await session_of(request, self.tokens)
        if session is None:
            if request.method == "GET":
                return RedirectResponse(url(f"{PATH}/login", next=request.url.path), 303)
            return _html(views.layout("Signed out", "<p>Your session ended. <a href=/dashboard/login>Log in</a> again.</p>"), 401)
        if request.method == "POST":
            form = await request.form()
            if not session.check_csrf(form.get("csrf")):
                return _html(views.layout("Forbidden", "<p>The form's CSRF check failed; reload the page and try again.</p>"), 403)
            request.state.form = form
        try:
            namespace = session.namespace(request.query_params.get("ns") or (request.state.form.get("ns") if request.method == "POST" else None))
            return await handler(self, request, session, namespace)
        except PermissionDenied as exc:
            return _html(views.layout("Forbidden", f"<p>{e(exc.message)}</p>", session=session, namespace=session.namespaces[0]), 403)
        except NotFound as exc:
            return _html(views.layout("Not found", f"<p>{e(exc.message)}</p>", session=session, namespace=session.namespaces[0]), 404)
        except ReverieError as exc:
            return _html(views.layout("Error", f"<p>{e(str(exc))}</p>", session=session, namespace=session.namespaces[0]), 400)

    return wrapper


class Dashboard:
    def __init__(self, context: AppContext, tokens: TokenStore, check_host: bool):
        self.app = context
        self.tokens = tokens
        self.check_host = check_host

    async def _run(self, fn, *args, **kwargs):
        return await anyio.to_thread.run_sync(functools.partial(fn, *args, **kwargs))

    def _layout(self, title, body, session, namespace, active, request=None) -> HTMLResponse:
        flash = {"corrected": "Corrected: this is the new version; the old one is kept in the history.",
                 "forgotten": "Forgotten.", "erased": "Erased for good: the text is gone from the database."}
        done = request.query_params.get("done", "") if request is not None else ""
        return _html(views.layout(title, body, session=session, namespace=namespace, active=active, flash=flash.get(done, "")))

    # -- sign in / out ----------------------------------------------------------------------------------
    async def login_form(self, request: Request) -> Response:
        return _html(views.login())

    async def login(self, request: Request) -> Response:
        form = await request.form()
        session = await verify(self.tokens, str(form.get("token", "")))
        if session is None:
            return _html(views.login("That token is not valid (or was revoked)."), 401)
        target = request.query_params.get("next", "")
        response = RedirectResponse(target if target.startswith(PATH) and "//" not in target else PATH, 303)
        response.set_cookie(value=session.token, **cookie_args(request))
        return response

    async def logout(self, request: Request) -> Response:
        session = await session_of(request, self.tokens)
        form = await request.form()
        if session is not None and not session.check_csrf(form.get("csrf")):
            return _html(views.layout("Forbidden", "<p>The form's CSRF check failed.</p>"), 403)
        response = RedirectResponse(f"{PATH}/login", 303)
        response.delete_cookie(COOKIE, path=PATH)
        return response

    # -- pages -----------------------------------------------------------------------------------------
    @page
    async def overview(self, request, session: Session, ns: str) -> Response:
        def build() -> str:
            store = self.app.store
            now = self.app.service.clock.now()
            counts = queries.counts(store, ns)
            status = counts["status"]
            stats = [("active", status.get("active", 0)), ("superseded", status.get("superseded", 0)),
                     ("forgotten", status.get("forgotten", 0)), ("archived", status.get("archived", 0))]
            stats += [(f"{tier} tier", n) for tier, n in sorted(counts["tier"].items())]
            days, series = queries.tier_timeline(store, ns)
            charts = [
                ("Memories by tier over time", "current memories, cumulative by the day they were recorded", plots.tiers_over_time(days, series)),
                ("Strength decay", "mean strength of active memories per kind over the next 90 days, if never recalled",
                 plots.decay_curves(queries.decay_by_kind(store, ns, now))),
                ("Recall hit rate", "share of feedback on recalled memories that said helpful, per week",
                 plots.hit_rate(queries.weekly_hit_rate(store, ns))),
            ]
            recent = store.audit_entries(ns, limit=12)
            mems = {m.id: m for m in store.get_many(ns, list({a.memory_id for a in recent if a.memory_id}))}
            audit_rows = [[when(a.at), badge(a.action),
                           memory_link(mems[a.memory_id], ns) if a.memory_id in mems else _memory_ref(a.memory_id, ns), e(a.actor)]
                          for a in recent]
            return (
                views.cards(stats)
                + '<div class="charts">' + "".join(
                    f'<figure class="card"><figcaption><b>{e(t)}</b> <span>{e(sub)}</span></figcaption>{c}</figure>' for t, sub, c in charts
                ) + "</div>"
                + "<h2>Recent activity</h2>" + table(["when", "action", "memory", "actor"], audit_rows, "No activity yet.")
            )

        return self._layout(f"Memory of {ns}", await self._run(build), session, ns, "overview", request)

    @page
    async def memories(self, request, session: Session, ns: str) -> Response:
        params = request.query_params
        q, kind, tier = params.get("q", "").strip(), params.get("kind", ""), params.get("tier", "")
        status = params.get("status", "active" if "status" not in params else "")
        before = params.get("before")
        if before is not None and not before.isdigit():
            raise InvalidInput("before must be a row number.")

        def build() -> str:
            store = self.app.store
            more = ""
            if q:
                found = queries.search(store, self.app.embedder, ns, q, kind=kind, tier=tier, status=status)
                items = [(f"{score:.3f}", m) for score, m in found]
                caption = f"{len(items)} results for “{e(q)}”, best match first"
            else:
                rows = queries.list_memories(store, ns, kind=kind, tier=tier, status=status,
                                             before=int(before) if before else None)
                items = [("", m) for _, m in rows]
                caption = f"{len(items)} memories, newest first"
                if len(rows) == queries.PAGE:
                    more = f'<a class="more" href="{e(url("/dashboard/memories", ns=ns, kind=kind, tier=tier, status=status, before=rows[-1][0]))}">Older →</a>'
            headers = ["memory", "kind", "tier", "status", "strength", "score" if q else "", "recorded"]
            return (views.filters(ns, q, kind, tier, status) + f'<p class="caption">{caption}</p>'
                    + table(headers, views.memory_rows(items, ns), "No memories match.", "memories") + more)

        return self._layout("Memories", await self._run(build), session, ns, "memories", request)

    @page
    async def memory(self, request, session: Session, ns: str) -> Response:
        memory_id = request.path_params["memory_id"]
        body = await self._run(self._memory_body, session, ns, memory_id)
        return self._layout("Memory", body, session, ns, "memories", request)

    def _memory_body(self, session: Session, ns: str, memory_id: str) -> str:
        store = self.app.store
        memory = self.app.service.get(ns, memory_id)
        now = self.app.service.clock.now()
        versions = store.versions(ns, memory_id)
        ids = [v.id for v in versions]
        sources = store.get_many(ns, [p for p in memory.provenance if not p.startswith("ref:")])
        external = [p[4:] for p in memory.provenance if p.startswith("ref:")]
        since = memory.last_recalled_at or memory.recorded_at
        age = max(0.0, (now - since).total_seconds() / 86400)
        strength_now = effective_strength(memory, now)
        fields = [("id", e(memory.id)), ("kind", badge(memory.kind)), ("tier", badge(memory.tier)), ("status", badge(memory.status)),
                  ("source", badge(memory.source)), ("confidence", f"{memory.confidence:.2f}"),
                  ("strength", f"{memory.strength:.3f} stored, {strength_now:.3f} now (decay {memory.decay_rate:.3f}/day)"),
                  ("recalled", f"{memory.recall_count} times"), ("recorded", when(memory.recorded_at)),
                  ("valid", f"{when(memory.valid_from)} → {when(memory.valid_until) or 'now'}"),
                  ("tags", " ".join(badge(t) for t in memory.tags) or "—"), ("session", e(memory.session_id or "—"))]
        info = "<dl class=fields>" + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in fields) + "</dl>"
        content = f'<blockquote class="content">{e(memory.content) if memory.content else "<em>(erased by a hard delete)</em>"}</blockquote>'
        curve = plots.decay_curves([("this memory", memory.strength, memory.decay_rate)], horizon_days=max(30, int(age * 2) + 10),
                                   marker=(age, strength_now))
        version_rows = [[("▶ " if v.id == memory.id else "") + memory_link(v, ns), badge(v.status), when(v.recorded_at), when(v.ended_at)]
                        for v in versions]
        provenance = (table(["source memory", "status"], [[memory_link(m, ns), badge(m.status)] for m in sources], "No source memories.")
                      + table(["external reference"], [[f"<code>{e(x)}</code>"] for x in external], "No external reference."))
        audit = store.audit_entries(ns, memory_ids=ids, limit=100)
        audit_rows = [[when(a.at), badge(a.action), _memory_ref(a.memory_id, ns), e(a.actor),
                       f"<code>{e(queries.pretty(_json(a.detail)))}</code>"] for a in audit]
        recalls = store.recalls_of(ns, memory.id)
        recall_rows = [[when(r["at"]), e(r["query"]), f"<code>{e(r['recall_id'])}</code>"] for r in recalls]
        feedback = queries.feedback_of(store, ns, ids)
        feedback_rows = [[when(f["at"]), badge(f["signal"]), f"<code>{e(f['recall_id'])}</code>"] for f in feedback]
        return (
            content + '<div class="split">' + f'<section class="card">{info}</section><figure class="card">{curve}</figure></div>'
            + self._actions(session, ns, memory)
            + "<h2>Versions</h2>" + table(["version", "status", "recorded", "ended"], version_rows)
            + "<h2>Provenance</h2>" + provenance
            + "<h2>Audit trail</h2>" + table(["when", "action", "memory", "actor", "detail"], audit_rows, "No audit entries.")
            + "<h2>Recall history</h2>" + table(["when", "query", "recall"], recall_rows, "Never recalled.")
            + "<h2>Feedback</h2>" + table(["when", "signal", "recall"], feedback_rows, "No feedback.")
        )

    def _actions(self, session: Session, ns: str, memory) -> str:
        if session.read_only:
            return '<p class="hint">This token is read-only: correcting and forgetting are disabled.</p>'
        base = f"/dashboard/memories/{e(memory.id)}"
        hidden = views.csrf_field(session) + f'<input type="hidden" name="ns" value="{e(ns)}">'
        parts = []
        if memory.status == "active":
            parts.append(
                f'<form method="post" action="{base}/correct" class="card action" id="correct-form">{hidden}<h2>Correct</h2>'
                f'<label>Corrected statement<textarea name="correction" required rows="3">{e(memory.content)}</textarea></label>'
                '<label>Reason <input name="reason" placeholder="why (kept in the audit trail)"></label>'
                '<button type="submit">Save correction</button></form>'
            )
        if memory.status != "forgotten" or memory.content:
            parts.append(
                f'<form method="post" action="{base}/forget" class="card action" id="forget-form">{hidden}<h2>Forget</h2>'
                '<label>Reason <input name="reason" placeholder="why (kept in the audit trail)"></label>'
                '<label class="check"><input type="checkbox" name="hard" value="1"> Erase permanently (hard delete: the text '
                "leaves the database, the index and the logs)</label>"
                '<button type="submit" class="danger">Forget…</button></form>'
            )
        return '<div class="split">' + "".join(parts) + "</div>" if parts else ""

    @page
    async def correct(self, request, session: Session, ns: str) -> Response:
        if session.read_only:
            raise PermissionDenied("This token is read-only; it cannot correct memories.")
        form = request.state.form
        result = await self._run(self.app.service.correct, ns, str(form.get("correction", "")),
                                 memory_id=request.path_params["memory_id"], reason=str(form.get("reason", "")),
                                 actor=f"dashboard:{session.name}")
        return RedirectResponse(url(f"/dashboard/memories/{result.new.id}", ns=ns, done="corrected"), 303)

    @page
    async def forget(self, request, session: Session, ns: str) -> Response:
        if session.read_only:
            raise PermissionDenied("This token is read-only; it cannot forget memories.")
        form = request.state.form
        memory_id = request.path_params["memory_id"]
        hard = form.get("hard") == "1"
        reason = str(form.get("reason", ""))
        if form.get("confirm") != "yes":
            # Trigger: the first submit. Why: forgetting touches every version, and a hard delete cannot be undone.
            memory = await self._run(self.app.service.get, ns, memory_id)
            versions = await self._run(self.app.store.versions, ns, memory_id)
            what = "erase permanently" if hard else "forget"
            body = (
                f'<div class="card confirm"><p>You are about to <b>{what}</b> this memory and all {len(versions)} of its versions:</p>'
                f'<blockquote class="content">{e(memory.content)}</blockquote>'
                + ("<p class=warning>A hard delete removes the text from the database, the search index and the logs. "
                   "It cannot be undone.</p>" if hard else "<p>A soft forget hides it from recall; the audit trail keeps the record.</p>")
                + f'<form method="post" action="/dashboard/memories/{e(memory_id)}/forget" id="confirm-form">{views.csrf_field(session)}'
                f'<input type="hidden" name="ns" value="{e(ns)}"><input type="hidden" name="confirm" value="yes">'
                f'<input type="hidden" name="reason" value="{e(reason)}">'
                + ('<input type="hidden" name="hard" value="1">' if hard else "")
                + f'<button type="submit" class="danger">Yes, {what}</button> '
                f'<a href="{e(url(f"/dashboard/memories/{memory_id}", ns=ns))}">Cancel</a></form></div>'
            )
            return self._layout("Confirm", body, session, ns, "memories")
        await self._run(self.app.service.forget, ns, memory_id=memory_id, reason=reason, hard=hard, actor=f"dashboard:{session.name}")
        return RedirectResponse(url(f"/dashboard/memories/{memory_id}", ns=ns, done="erased" if hard else "forgotten"), 303)

    @page
    async def export(self, request, session: Session, ns: str) -> Response:
        from server.portability import export_jsonl

        def build() -> str:
            out = io.StringIO()
            export_jsonl(self.app.store, out, namespace=ns)
            return out.getvalue()

        body = await self._run(build)
        return Response(body, media_type="application/x-ndjson",
                        headers={"Content-Disposition": f'attachment; filename="reverie-{ns}.jsonl"', **HEADERS})

    @page
    async def conflicts(self, request, session: Session, ns: str) -> Response:
        def build() -> str:
            store = self.app.store
            rows = store.conflicts(ns, limit=100)
            mems = {m.id: m for m in store.get_many(ns, [i for r in rows for i in (r["a_id"], r["b_id"])])}

            def side(mid):
                return memory_link(mems[mid], ns) if mid in mems else f"<code>{e(mid)}</code>"

            cells = [[side(r["a_id"]), side(r["b_id"]), badge(r["signal"]), e(r["reason"]), badge(r["status"]),
                      when(r["detected_at"]), e(r["resolution"] or "")] for r in rows]
            return table(["memory", "conflicts with", "signal", "reason", "status", "detected", "resolution"], cells, "No conflicts found.")

        return self._layout("Conflicts", await self._run(build), session, ns, "conflicts", request)

    @page
    async def policies(self, request, session: Session, ns: str) -> Response:
        def build() -> str:
            rows = queries.policies(self.app.store, ns)
            totals: dict[str, int] = {}
            for r in rows:
                for outcome, n in r["outcomes"].items():
                    totals[outcome] = totals.get(outcome, 0) + n
            cells = [[f"<code>{e(r['policy_id'])}</code>", e(r["version"]), badge(r["status"]), e(queries.pretty(r["data"], 200)),
                      e(r["proposals"]), " ".join(f"{badge(k)} {n}" for k, n in sorted(r["outcomes"].items())) or "—",
                      _rate(r["outcomes"]), when(r["created_at"])] for r in rows]
            return (views.cards([("policies", len(rows))] + [(f"outcome: {k}", v) for k, v in sorted(totals.items())])
                    + table(["policy", "version", "status", "rule", "proposed", "outcomes", "success", "since"], cells,
                            "No policies in this namespace yet."))

        return self._layout("Policies", await self._run(build), session, ns, "policies", request)

    @page
    async def sleep(self, request, session: Session, ns: str) -> Response:
        def build() -> str:
            store = self.app.store
            runs = store.sleep_runs(namespace=ns, limit=50)
            cells = [[f"<code>{e(r['id'])}</code>", e(", ".join(r["jobs"])), badge(r["status"]), e(r["trigger"]),
                      when(r["started_at"]), when(r["finished_at"]), f"<code>{e(queries.pretty(_json(r['summary'])))}</code>"]
                     for r in runs]
            return table(["run", "jobs", "status", "trigger", "started", "finished", "summary"], cells,
                         "No sleep runs yet (`reverie sleep run`, or the scheduler in `reverie serve`).")

        return self._layout("Sleep jobs", await self._run(build), session, ns, "sleep", request)


def _rate(outcomes: dict[str, int]) -> str:
    good = sum(n for k, n in outcomes.items() if k in ("success", "succeeded", "helpful", "accepted", "positive", "good"))
    total = sum(outcomes.values())
    return f"{good / total:.0%}" if total else "—"


def _html(body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(body, status_code=status, headers=HEADERS)


def _json(value) -> str:
    import json

    return json.dumps(value, ensure_ascii=False, default=str)


def _memory_ref(memory_id: str | None, ns: str) -> str:
    if not memory_id:
        return ""
    return f'<a href="{e(url(f"/dashboard/memories/{memory_id}", ns=ns))}"><code>{e(memory_id)}</code></a>'


def build_app(context: AppContext, tokens: TokenStore, *, check_host: bool) -> Starlette:
    d = Dashboard(context, tokens, check_host)
    routes = [
        Route(PATH, d.overview, methods=["GET"]),
        Route(f"{PATH}/", d.overview, methods=["GET"]),
        Route(f"{PATH}/login", d.login_form, methods=["GET"]),
        Route(f"{PATH}/login", d.login, methods=["POST"]),
        Route(f"{PATH}/logout", d.logout, methods=["POST"]),
        Route(f"{PATH}/memories", d.memories, methods=["GET"]),
        Route(f"{PATH}/memories/{{memory_id}}", d.memory, methods=["GET"]),
        Route(f"{PATH}/memories/{{memory_id}}/correct", d.correct, methods=["POST"]),
        Route(f"{PATH}/memories/{{memory_id}}/forget", d.forget, methods=["POST"]),
        Route(f"{PATH}/export", d.export, methods=["GET"]),
        Route(f"{PATH}/conflicts", d.conflicts, methods=["GET"]),
        Route(f"{PATH}/policies", d.policies, methods=["GET"]),
        Route(f"{PATH}/sleep", d.sleep, methods=["GET"]),
        Mount(f"{PATH}/static", app=StaticFiles(directory=STATIC), name="static"),
    ]
    return Starlette(routes=routes)
