"""The harness end to end on the real service: the convqa example, provenance mapping, the sleep hook, the CLI."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import pytest

from server.bench.datasets import Conversation, Question, Session, Turn, load
from server.bench.retrieval import ReverieSystem, SleepUnavailable, evaluate, merge_reports, sleep_hook
from server.memops import RulesOps
from server.models import Memory
from server.service import content_hash, new_id
from tests.conftest import MODEL_CACHE

EXAMPLE = Path(__file__).with_name("convqa_example.json")


@pytest.fixture
def system(tmp_path, settings, embedder):
    s = ReverieSystem(settings, embedder, RulesOps(), tmp_path, variants=("hybrid", "keyword"))
    yield s
    s.close()


def test_convqa_example_scores_through_remember_and_recall(system):
    reports = evaluate(load("convqa", EXAMPLE), system, ks=(1, 5, 10))
    hybrid = reports["hybrid"]
    assert set(hybrid) >= {"overall", "by_category", "timing", "failures"}
    assert hybrid["overall"]["questions"] == 4
    assert hybrid["overall"]["recall@10"] == 1.0  # 7 turns: everything fits in the top 10
    assert hybrid["overall"]["recall@1"] >= 0.5
    assert set(hybrid["by_category"]) == {"single-hop", "temporal", "multi-hop"}
    assert hybrid["timing"]["turns"] == 7 and hybrid["timing"]["recall_p50_ms"] > 0
    assert "keyword" in reports
    ranked = hybrid["ranked"]  # every question's hits in order, with the scores recall gave them
    assert len(ranked) == 4 and all(r["hits"] for r in ranked)
    turns, scores = ranked[0]["hits"][0]
    assert turns and scores["final"] > 0 and {"vector", "keyword", "fused"} <= set(scores)
    # The conversation's first recall after its ingest is the first strategy's first question: timed apart.
    keyword = reports["keyword"]["timing"]
    assert hybrid["timing"]["first_recalls"] == 1 and keyword["first_recalls"] == 0
    assert hybrid["timing"]["recall_first_p50_ms"] == hybrid["samples"]["recall_ms"][0]
    assert hybrid["timing"]["recall_later_p50_ms"] > 0 and keyword["recall_first_p50_ms"] is None
    assert hybrid["samples"]["recall_first"] == [True, False, False, False]


def test_merged_shards_keep_first_and_later_recalls_apart():
    def shard(ms: list[float], first: list[bool]) -> dict:
        timing = {"turns": 1, "ingest_s": 1.0, "sleep_s": 0.0, "questions": len(ms), "recall_depth": 10}
        return {"overall": {"questions": len(ms), "recall@10": 1.0}, "by_category": {}, "failures": [], "timing": timing,
                "samples": {"recall_ms": ms, "recall_cpu_ms": ms, "recall_first": first}}

    merged = merge_reports([shard([30.0, 10.0, 12.0], [True, False, False]), shard([50.0, 14.0], [True, False])])["timing"]
    assert merged["first_recalls"] == 2
    assert merged["recall_first_p50_ms"] == 40.0 and merged["recall_later_p50_ms"] == 12.0
    assert merged["recall_first_cpu_p50_ms"] == 40.0 and merged["recall_p50_ms"] == 14.0


def _conversation(turns: list[Turn]) -> Conversation:
    q = Question(id="q", question="Which dog breed does Ana have?", evidence=(turns[0].id,), category="all")
    return Conversation(id="c", sessions=(Session("s1", None, tuple(turns)),), questions=(q,))


def test_a_turn_merged_into_an_existing_memory_still_counts(system):
    turns = [Turn("t1", "Ana", "My dog is a greyhound."), Turn("t2", "Ana", "My dog is a greyhound.")]
    system.start(_conversation(turns))
    system.ingest(system.conversation.sessions[0])
    assert system.decisions["noop"] == 1
    memory_id = system._turn_memory["t1"]
    assert system.turns_of(memory_id) == {"t1", "t2"}


def test_a_consolidated_memory_counts_for_the_turns_of_its_sources(system, embedder):
    turns = [Turn("t1", "Ana", "I adopted a greyhound."), Turn("t2", "Ben", "I play the cello every evening.")]
    system.start(_conversation(turns))
    system.ingest(system.conversation.sessions[0])
    sources = [system._turn_memory["t1"], system._turn_memory["t2"]]
    store, ns = system.store, system.namespace
    text = "Ana has a greyhound; Ben plays the cello."
    merged = Memory(
        id=new_id("mem"), namespace=ns, content=text, recorded_at=store.get(ns, sources[0]).recorded_at,
        source="consolidated", provenance=sources, content_hash=content_hash(text), embedding_model=embedder.model_id,
    )
    store.insert(merged, embedder.embed([text])[0])
    assert system.turns_of(merged.id) == {"t1", "t2"}


def test_sleep_hook_is_a_clear_error_without_run_sleep(monkeypatch):
    monkeypatch.setitem(sys.modules, "server.sleep", types.ModuleType("server.sleep"))
    with pytest.raises(SleepUnavailable):
        sleep_hook()
    module = types.ModuleType("server.sleep")
    module.run_sleep = lambda service, namespace: None
    monkeypatch.setitem(sys.modules, "server.sleep", module)
    assert sleep_hook() is module.run_sleep


def test_cli_writes_the_json_report(tmp_path, capsys):
    from server.cli import main

    out = tmp_path / "report.json"
    code = main(["bench", "retrieval", str(EXAMPLE), "--format", "convqa", "--k", "1,5", "--memops", "rules",
                 "--strategy", "hybrid,vector", "--cache-dir", str(MODEL_CACHE), "--json", str(out)])
    assert code == 0
    report = json.loads(out.read_text())
    assert set(report["overall"]) >= {"recall@1", "all_hit@1", "recall@5", "all_hit@5"}
    assert set(report["strategies"]) == {"hybrid", "vector"}
    assert report["ingest"]["decisions"]
    assert "recall@5" in capsys.readouterr().out


def test_cli_rejects_a_file_in_another_format(tmp_path):
    from server.cli import main

    assert main(["bench", "retrieval", str(EXAMPLE), "--format", "locomo"]) == 2


def test_replied_context_gives_a_longmemeval_user_turn_the_assistant_turn_it_answers(tmp_path, settings, embedder):
    """Only user turns are stored; with `replied` the reply to "you recommended..." can be found by what was said to it."""
    from server.bench.datasets import load_longmemeval
    from server.models import RecallRequest

    chat = [
        {"role": "user", "content": "Can you suggest something to read on the train?"},
        {"role": "assistant", "content": "Try The Library of Babel by Jorge Luis Borges, a short story about an infinite library."},
        {"role": "user", "content": "Thanks, I will read it tonight."},
    ]
    data = [{
        "question_id": "q", "question_type": "single-session-assistant", "question": "Which Borges story about an infinite library did you suggest?",
        "question_date": "2023/05/30 (Tue) 23:40", "answer": "The Library of Babel", "answer_session_ids": ["chat"],
        "haystack_session_ids": ["chat"], "haystack_dates": ["2023/05/20 (Sat) 02:21"], "haystack_sessions": [chat],
    }]
    conv = load_longmemeval("-", data=data).conversations[0]
    assert conv.sessions[0].turns[1].replies_to == chat[1]["content"] and conv.sessions[0].turns[0].replies_to is None
    similarity = {}
    for replied in (False, True):
        system = ReverieSystem(settings, embedder, RulesOps(), tmp_path / str(replied), replied=replied)
        try:
            system.start(conv)
            system.ingest(conv.sessions[0])
            res = system.service.recall(RecallRequest(namespace=system.namespace, query=conv.questions[0].question, k=5, reinforce=False))
            similarity[replied] = next(h.scores.vector for h in res.results if h.memory.content == chat[2]["content"])
        finally:
            system.close()
    assert similarity[True] > similarity[False] + 0.1


def test_context_words_cuts_the_replied_assistant_turn_to_its_first_words(tmp_path, settings, embedder):
    """`context_words` embeds only how the assistant turn began: the same vector as a turn that said only that."""
    from server.bench.datasets import load_longmemeval
    from server.bench.retrieval import first_words
    from server.models import RecallRequest

    opening = "Try The Library of Babel by Jorge Luis Borges, a short story about an infinite library."
    tail = " ".join(["Other options include long novels about trains, ships and the sea."] * 40)
    assert first_words(f"{opening} {tail}", 16) == opening and first_words(opening, None) == opening and first_words(None, 3) is None

    def vector(assistant: str, words: int | None) -> float:
        chat = [{"role": "user", "content": "Can you suggest something to read?"}, {"role": "assistant", "content": assistant},
                {"role": "user", "content": "Thanks, I will read it tonight."}]
        data = [{
            "question_id": "q", "question_type": "single-session-assistant", "question": "Which Borges story did you suggest?",
            "question_date": "2023/05/30 (Tue) 23:40", "answer": "The Library of Babel", "answer_session_ids": ["chat"],
            "haystack_session_ids": ["chat"], "haystack_dates": ["2023/05/20 (Sat) 02:21"], "haystack_sessions": [chat],
        }]
        conv = load_longmemeval("-", data=data).conversations[0]
        system = ReverieSystem(settings, embedder, RulesOps(), tmp_path / f"{len(assistant)}-{words}", replied=True, context_words=words)
        try:
            system.start(conv)
            system.ingest(conv.sessions[0])
            res = system.service.recall(RecallRequest(namespace=system.namespace, query=conv.questions[0].question, k=5, reinforce=False))
            return next(h.scores.vector for h in res.results if h.memory.content == chat[2]["content"])
        finally:
            system.close()

    cut = vector(f"{opening} {tail}", 16)
    assert cut == pytest.approx(vector(opening, None), abs=1e-5)
    assert cut > vector(f"{opening} {tail}", None) + 0.02  # the whole turn dilutes what the reply answers (0.44 vs 0.39)
