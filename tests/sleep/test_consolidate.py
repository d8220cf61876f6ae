"""Consolidation: related episodes -> one semantic memory with provenance; covered episodes archived, never lost."""

from __future__ import annotations

import json

import httpx

from server.models import RecallRequest
from server.sleep import run_sleep
from server.sleep import consolidate as consolidate_mod
from server.sleep.llm import LLMSummarizer, api_key
from tests.sleep.conftest import remember

TEA = ["Ana drinks green tea every morning.", "Every morning Ana drinks green tea.", "Ana drinks green tea every morning!"]
OTHER = ["Ben repaired the staging server after the outage.", "The quarterly report is due in April."]


def _seed(svc):
    tea = [remember(svc, t) for t in TEA]
    other = [remember(svc, t) for t in OTHER]
    return tea, other


def _semantic(svc, ns="me"):
    return [m for _, m in svc.store.iter_memories(ns) if m.tier == "semantic"]


def test_related_episodes_become_one_semantic_memory_with_provenance_to_each(svc, clock):
    tea, other = _seed(svc)
    clock.advance(hours=1)
    summary = run_sleep(svc, "me", jobs=["consolidate"])
    assert summary.status == "done"
    [semantic] = _semantic(svc)
    assert semantic.source == "consolidated" and semantic.status == "active"
    assert sorted(semantic.provenance) == sorted(tea)
    assert semantic.confidence > 0.9  # three agreeing episodes raise it above each one's 0.9
    for mid in tea:  # near-duplicates: the summary says all they say, so they are archived, not deleted
        m = svc.store.get("me", mid)
        assert (m.status, m.tier) == ("archived", "archival")
    assert all(svc.store.get("me", mid).status == "active" for mid in other)
    actions = {(e.action, e.memory_id) for e in svc.store.audit_entries("me", limit=100)}
    assert ("consolidate", semantic.id) in actions and all(("archive", mid) in actions for mid in tea)


def test_archived_episodes_stay_reachable_through_include_archived(svc, clock):
    tea, _ = _seed(svc)
    run_sleep(svc, "me", jobs=["consolidate"])
    default = svc.recall(RecallRequest(namespace="me", query="green tea morning", k=10, reinforce=False))
    assert not {h.memory.id for h in default.results} & set(tea)
    everything = svc.recall(RecallRequest(namespace="me", query="green tea morning", k=10, include_archived=True, reinforce=False))
    found = {h.memory.id for h in everything.results}
    assert set(tea) <= found and "archived" in next(h.flags for h in everything.results if h.memory.id == tea[0])


def test_a_query_that_matched_an_archived_episode_finds_the_semantic_memory_that_holds_it(make_service, clock):
    # Two related episodes with different details: the summary keeps both sentences, so its own vector (their
    # mean) and its keyword score match a question about one detail less well than that episode did.
    svc = make_service(sleep_similarity=0.7)  # the hash embedder puts these two at cosine 0.75
    tea = [remember(svc, "Ana drinks green tea every morning before work."),
           remember(svc, "Ana drinks green tea every morning with honey.")]
    for t in OTHER:
        remember(svc, t)
    query = "Ana drinks green tea every morning with honey"
    before = svc.recall(RecallRequest(namespace="me", query=query, k=3, reinforce=False))
    assert before.results[0].memory.id == tea[1]
    clock.advance(hours=1)
    run_sleep(svc, "me", jobs=["consolidate"])
    [semantic] = _semantic(svc)
    assert all(svc.store.get("me", mid).status == "archived" for mid in tea)
    after = svc.recall(RecallRequest(namespace="me", query=query, k=3, reinforce=False))
    top = after.results[0]
    assert top.memory.id == semantic.id
    assert top.scores.fused >= before.results[0].scores.fused  # it inherits the episode's match
    assert not {h.memory.id for h in after.results} & set(tea)


def test_dry_run_lists_the_changes_and_writes_nothing(svc):
    _seed(svc)
    before = (svc.store.counts(), len(svc.store.audit_entries("me", limit=1000)))
    summary = run_sleep(svc, "me", jobs=["consolidate"], dry_run=True)
    assert summary.status == "dry_run" and summary.run_id is None
    actions = [c.action for c in summary.jobs[0].changes]
    assert actions.count("consolidate") == 1 and actions.count("archive") == 3
    assert (svc.store.counts(), len(svc.store.audit_entries("me", limit=1000))) == before
    assert svc.store.sleep_runs() == []


def test_a_second_run_does_not_consolidate_the_same_episodes_again(svc, clock):
    _seed(svc)
    run_sleep(svc, "me", jobs=["consolidate"])
    clock.advance(days=1)
    again = run_sleep(svc, "me", jobs=["consolidate"])
    assert again.jobs[0].counts["semantic"] == 0 and len(_semantic(svc)) == 1


def test_a_detail_that_does_not_fit_the_summary_stays_an_active_episode(make_service):
    svc = make_service(sleep_summary_chars=80, sleep_similarity=0.5)
    long = "Ana drinks green tea every morning, brewed for 3 minutes at 80 degrees in the blue teapot from Kyoto."
    ids = [remember(svc, TEA[0]), remember(svc, TEA[1]), remember(svc, long)]
    run_sleep(svc, "me", jobs=["consolidate"])
    [semantic] = _semantic(svc)
    assert len(semantic.content) <= 80 and long in [svc.store.get("me", i).content for i in semantic.provenance]
    assert svc.store.get("me", ids[2]).status == "active"  # its numbers are not in the summary


def test_abstractive_summary_from_an_openai_compatible_endpoint(make_service, monkeypatch):
    svc = make_service(sleep_llm_url="http://llm.test/v1", sleep_llm_model="tiny")
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.url.path, request.headers.get("authorization"), json.loads(request.content)))
        return httpx.Response(200, json={"choices": [{"message": {"content": "Ana drinks green tea every morning."}}]})

    monkeypatch.setattr(consolidate_mod, "_summarizer", lambda s: LLMSummarizer(s.sleep_llm_url, s.sleep_llm_model, transport=httpx.MockTransport(handler), key="k1"))
    ids = [remember(svc, t) for t in TEA]
    summary = run_sleep(svc, "me", jobs=["consolidate"])
    path, auth, body = seen[0]
    assert path == "/v1/chat/completions" and auth == "Bearer k1" and body["model"] == "tiny"
    assert all(t in body["messages"][0]["content"] for t in TEA)
    [semantic] = _semantic(svc)
    assert semantic.content == "Ana drinks green tea every morning." and "abstractive" in summary.jobs[0].changes[0].reason
    assert sorted(semantic.provenance) == sorted(ids)


def test_a_failing_endpoint_falls_back_to_the_extractive_summary(make_service, monkeypatch):
    svc = make_service(sleep_llm_url="http://llm.test/v1")
    transport = httpx.MockTransport(lambda request: httpx.Response(500))
    monkeypatch.setattr(consolidate_mod, "_summarizer", lambda s: LLMSummarizer(s.sleep_llm_url, s.sleep_llm_model, transport=transport, key=""))
    for t in TEA:
        remember(svc, t)
    summary = run_sleep(svc, "me", jobs=["consolidate"])
    assert "extractive" in summary.jobs[0].changes[0].reason and len(_semantic(svc)) == 1


def test_no_keyring_backend_means_no_key_rather_than_an_error(monkeypatch):
    import keyring
    from keyring.errors import NoKeyringError

    def boom(*a):
        raise NoKeyringError("no backend")

    monkeypatch.setattr(keyring, "get_password", boom)
    assert api_key() is None
