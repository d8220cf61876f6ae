"""The in-process BM25 index (server/store/keyword_index.py) against FTS5 itself, on real SQLite files."""

from __future__ import annotations

import subprocess
import sys

import pytest

from server.clock import SystemClock
from server.config import Settings
from server.models import Memory
from server.search import fts_query
from server.service import content_hash
from server.store import keyword_index, open_store
from server.store.driver import available_drivers
from server.store.sqlite import SQLiteStore

pytestmark = pytest.mark.sqlite_only

TEXTS = [
    "Caroline went to the LGBTQ support group on Sunday and found it really moving.",
    "Melanie is running a charity race; she has been running every morning since March.",
    "The café on Rue Saint-Honoré serves crêpes, and Zoë says they're the best in Paris.",
    "I bought a 2019 Subaru Outback; the previous car was a Honda Civic (2012).",
    "My cat's vet appointment is on the 14th — remind me to bring her vaccination records.",
    "We adopted two dogs: a beagle named Max and a retriever named Bella.",
    "Running shoes from Nike, size 10.5, were returned because they pinched.",
    "Ünïcödé tëxt with diacritics should fold: naïve résumé coöperate.",
    "The quarterly report is due Friday; John and Priya are writing the summary.",
    "She painted a sunset over the lake, with pottery class twice a week.",
    "Über-long compound words like Donaudampfschifffahrt stay one token.",
    "The the the the running runs runner ran: stems and repeats count.",
]
QUERIES = [
    "When did Caroline go to the LGBTQ support group?", "running shoes", "best crêpes in Paris", "Zoe cafe",
    "what car did I buy", "vaccination records for the cat", "dogs named Max", "resume naive cooperate",
    "quarterly report summary", "pottery class", "runs ran runner", "Subaru 2019", "nothing matches xyzzy",
]


def insert(store: SQLiteStore, namespace: str, texts: list[str], prefix: str = "m") -> list[str]:
    now, ids = SystemClock().now(), []
    with store.transaction():
        for i, text in enumerate(texts):
            mid = f"{prefix}_{namespace}_{i}"
            store.insert(Memory(id=mid, namespace=namespace, content=text, recorded_at=now, content_hash=content_hash(text),
                                embedding_model="none"), None)
            ids.append(mid)
    return ids


@pytest.fixture
def store(tmp_path):
    s = SQLiteStore(tmp_path / "k.db", driver=available_drivers()[0])
    s.bind_embedding("test/none", 4)  # a hard delete clears the vector table too
    yield s
    s.close()


def assert_same_as_fts5(store: SQLiteStore, namespace: str, queries=QUERIES, limit: int = 50) -> int:
    """Every query scores and ranks as FTS5's bm25() does; returns how many queries the index answered itself."""
    answered = 0
    for query in queries:
        match = fts_query(query)
        mine = store.keywords.search(store.db, namespace, match, limit)
        fts = store.fts5_search(namespace, match, limit)
        if mine is None:
            continue
        answered += 1
        assert [r for r, _ in mine] == [r for r, _ in fts], query
        for (_, a), (_, b) in zip(mine, fts):
            assert a == pytest.approx(b, rel=1e-9), query
    return answered


def test_scores_and_order_equal_fts5_bm25(store):
    insert(store, "a", TEXTS * 3)  # repeats: terms in many rows, ties broken by rowid in both
    assert assert_same_as_fts5(store, "a") == len(QUERIES)


def test_terms_come_from_fts5_itself(store):
    """Document lengths and per-document terms equal what FTS5 stored for each row."""
    insert(store, "a", TEXTS)
    store.keyword_search("a", fts_query("running"), 5)
    part = store.keywords._parts["a"]
    store.db.execute("CREATE VIRTUAL TABLE temp.fv USING fts5vocab(main, memories_fts, 'instance')")
    stored: dict[int, list[str]] = {}
    for term, doc in store.db.execute("SELECT term, doc FROM temp.fv"):
        stored.setdefault(doc, []).append(term)
    for i in range(1, part.size):
        rowid = int(part.rowids[i])
        assert part.dl[i] == len(stored[rowid])
        for term in set(stored[rowid]):
            docs, tfs = part.postings(part.terms[term])
            assert tfs[list(docs).index(i)] == stored[rowid].count(term)
    assert len(part.terms) == store.db.one("SELECT COUNT(DISTINCT term) FROM temp.fv")[0]


def test_a_phrase_fts5_would_split_is_left_to_fts5(store):
    insert(store, "a", ["snake_case names and kebab-case names", "names only"])
    match = fts_query("snake_case names")  # '"snake_case"' is two tokens for FTS5: a phrase
    assert store.keywords.search(store.db, "a", match, 10) is None
    assert store.keyword_search("a", match, 10) == store.fts5_search("a", match, 10)


def test_statistics_are_the_namespaces_own(tmp_path):
    """Another namespace's texts move FTS5's scores but not the index's: it ranks namespace a as FTS5 does in a file
    holding namespace a alone."""
    shared = SQLiteStore(tmp_path / "shared.db")
    alone = SQLiteStore(tmp_path / "alone.db")
    insert(shared, "a", TEXTS)
    insert(shared, "b", ["running running running every day"] * 40)
    insert(alone, "a", TEXTS)
    match = fts_query("running shoes")
    mine, fts_alone, fts_shared = (dict(h) for h in (
        shared.keyword_search("a", match, 10), alone.fts5_search("a", match, 10), shared.fts5_search("a", match, 10)))
    assert list(mine) == list(fts_alone) and list(mine.values()) == pytest.approx(list(fts_alone.values()))
    assert list(fts_shared.values()) != pytest.approx(list(fts_alone.values()))
    assert set(fts_shared) == set(mine)  # the same matches, scored on other statistics
    shared.close()
    alone.close()


def test_writes_through_another_connection_are_seen(store, tmp_path):
    insert(store, "a", TEXTS[:6])
    assert store.keyword_search("a", fts_query("pottery"), 10) == []  # the index is built now
    other = SQLiteStore(store.path)
    insert(other, "a", TEXTS[6:], prefix="o")
    other.close()
    assert [r for r, _ in store.keyword_search("a", fts_query("pottery"), 10)] == [store.rowid_of("a", "o_a_3")]
    assert assert_same_as_fts5(store, "a") == len(QUERIES)


def test_writes_from_another_process_are_seen(store):
    insert(store, "a", TEXTS[:6])
    assert store.keyword_search("a", fts_query("sunset lake"), 10) == []
    code = (
        "import sys; from tests.test_keyword_index import insert, TEXTS; from server.store.sqlite import SQLiteStore; "
        "s = SQLiteStore(sys.argv[1]); insert(s, 'a', TEXTS[6:], prefix='p'); s.close()"
    )
    subprocess.run([sys.executable, "-c", code, store.path], check=True)
    assert [r for r, _ in store.keyword_search("a", fts_query("sunset lake"), 10)] == [store.rowid_of("a", "p_a_3")]
    assert assert_same_as_fts5(store, "a") == len(QUERIES)


def test_hard_forget_drops_the_texts_postings(store):
    ids = insert(store, "a", TEXTS)
    store.keyword_search("a", fts_query("dogs"), 10)
    part = store.keywords._parts["a"]
    rowid = store.rowid_of("a", ids[5])
    doc = int(list(part.rowids).index(rowid))
    store.purge("a", ids[5], content_hash(TEXTS[5]))
    assert store.keywords._parts["a"] is part  # our own purge: kept in step, not rebuilt
    assert rowid not in {r for r, _ in store.keyword_search("a", fts_query("beagle Max Bella dogs"), 10)}
    for tid in range(len(part.terms)):
        docs, tfs = part.postings(tid)
        assert doc not in set(docs[tfs > 0].tolist())
    assert part.dl[doc] == 0
    assert assert_same_as_fts5(store, "a") == len(QUERIES)  # N keeps the emptied row, as FTS5 does


def test_a_hard_delete_in_another_process_rebuilds_the_copy(store):
    ids = insert(store, "a", TEXTS)
    store.keyword_search("a", fts_query("dogs"), 10)
    other = SQLiteStore(store.path)
    other.purge("a", ids[5], content_hash(TEXTS[5]))
    other.close()
    assert store.keyword_search("a", fts_query("beagle"), 10) == []
    assert assert_same_as_fts5(store, "a") == len(QUERIES)


def test_many_writes_merge_into_the_base_and_still_match(store, monkeypatch):
    monkeypatch.setattr(keyword_index, "MERGE_MIN", 40)
    ids = insert(store, "a", TEXTS)
    store.keyword_search("a", fts_query("dogs"), 10)
    for round_ in range(6):  # small batches land in the added postings, then a merge folds them in
        insert(store, "a", TEXTS[round_ : round_ + 4], prefix=f"r{round_}")
        assert assert_same_as_fts5(store, "a") == len(QUERIES)
    monkeypatch.setattr(keyword_index, "TOKENIZE_BATCH", 7)
    insert(store, "a", TEXTS * 5, prefix="big")
    assert assert_same_as_fts5(store, "a") == len(QUERIES)
    part = store.keywords._parts["a"]
    assert len(part.docs) > 0 and part.extra_count < len(part.docs)  # most postings live in the merged base
    store.purge("a", ids[3], content_hash(TEXTS[3]))  # a hard delete reaches postings in the base and added ones
    insert(store, "a", TEXTS * 4, prefix="more")  # and the next merge leaves its postings out
    assert assert_same_as_fts5(store, "a") == len(QUERIES)


def test_a_rolled_back_write_leaves_no_postings(store):
    insert(store, "a", TEXTS[:4])
    with pytest.raises(RuntimeError):
        with store.transaction():
            insert(store, "a", ["a ghost memory about pottery"], prefix="ghost")
            assert store.keyword_search("a", fts_query("ghost pottery"), 10)  # seen inside its transaction
            raise RuntimeError("roll back")
    assert store.keyword_search("a", fts_query("ghost pottery"), 10) == []
    insert(store, "a", TEXTS[4:], prefix="after")  # rowids the ghost had are reused
    assert assert_same_as_fts5(store, "a") == len(QUERIES)


def test_a_reopened_store_ranks_the_same(store, tmp_path):
    insert(store, "a", TEXTS)
    before = [store.keyword_search("a", fts_query(q), 20) for q in QUERIES]
    store.close()
    again = SQLiteStore(tmp_path / "k.db")
    assert [again.keyword_search("a", fts_query(q), 20) for q in QUERIES] == before
    again.close()


def test_the_setting_falls_back_to_fts5(tmp_path, monkeypatch):
    monkeypatch.setenv("REVERIE_KEYWORD_INDEX", "fts5")
    monkeypatch.setenv("REVERIE_DB", str(tmp_path / "s.db"))
    s = open_store(Settings())
    assert s.keywords is None
    insert(s, "a", TEXTS)
    match = fts_query("running shoes")
    assert s.keyword_search("a", match, 10) == s.fts5_search("a", match, 10) != []
    s.close()


def test_a_batch_returns_with_its_rows_in_the_index_so_the_next_recall_loads_nothing(app, monkeypatch):
    """remember_many loads its rows into the keyword index (behind its commits, the last before it returns): the
    first recall after it has nothing to tokenise and waits for no catch-up (bench/notes/recall-latency.md, Session 9)."""
    from server.models import RecallRequest, RememberRequest

    service = app.service
    service.remember_many([RememberRequest(content=t, namespace="kw") for t in TEXTS])
    part = service.store.keywords._parts["kw"]
    end = service.store.db.one("SELECT MAX(rowid) FROM memories")[0]
    assert part.checked == end and part.n == service.store.db.one("SELECT COUNT(*) FROM memories WHERE namespace = 'kw'")[0]
    tokenised = []
    tokens = service.store.keywords.tokenizer.tokens
    monkeypatch.setattr(service.store.keywords.tokenizer, "tokens", lambda *a: tokenised.append(a) or tokens(*a))
    hits = service.recall(RecallRequest(query="running shoes", namespace="kw", strategy="keyword")).results
    assert hits and "Running shoes" in hits[0].memory.content
    assert service.store.keywords._parts["kw"] is part and part.checked == end and tokenised == []


def test_the_tokenizers_three_readings_of_a_text_agree():
    """tokens (per-term counts for indexing), terms (a hard delete's postings) and words (a query's tokens in order)
    read the same FTS5 tokenisation, and each leaves the scratch table empty for the next call."""
    tokenizer = keyword_index.Tokenizer(available_drivers()[0])
    try:
        ids: dict[str, int] = {}
        tids, docs = tokenizer.tokens(TEXTS, lambda term: ids.setdefault(term, len(ids)))
        names = {i: term for term, i in ids.items()}
        for n, text in enumerate(TEXTS):
            in_order = [term for word in text.split() for term in tokenizer.words([word])[0]]
            assert tokenizer.terms(text) == {names[t] for t in tids[docs == n].tolist()} == set(in_order), text
            assert (docs == n).sum() == len(in_order), text
        assert tokenizer.terms("") == set()
    finally:
        tokenizer.close()


def test_a_recall_that_meets_a_catch_up_still_running_sees_every_stored_memory(app, monkeypatch):
    """A background catch-up holds the index while it tokenises; a keyword recall that arrives meanwhile waits for it
    and then loads what was committed after the catch-up began, so nothing stored is missing from its answer."""
    import threading

    from server.models import RecallRequest, RememberRequest

    service = app.service
    service.remember_many([RememberRequest(content=t, namespace="kw") for t in TEXTS])
    started, release = threading.Event(), threading.Event()
    tokens = service.store.keywords.tokenizer.tokens

    def slow(*args):
        if threading.current_thread().name.startswith("reverie_index_pool"):
            started.set()
            release.wait(10)
        return tokens(*args)

    monkeypatch.setattr(service.store.keywords.tokenizer, "tokens", slow)
    first = service.remember(RememberRequest(content="The zebra at the city zoo is called Stripes.", namespace="kw"))
    service._catch_up_keywords({"kw"})  # tokenises `first` in the background, held up in `slow`
    assert started.wait(10)
    second = service.remember(RememberRequest(content="A zebra crossing was painted outside the school.", namespace="kw"))
    found = []
    recall = threading.Thread(target=lambda: found.extend(
        service.recall(RecallRequest(query="zebra", namespace="kw", strategy="keyword", k=10)).results))
    recall.start()
    recall.join(0.3)
    assert recall.is_alive()  # waiting for the catch-up, not answering without its rows
    release.set()
    recall.join(10)
    assert {h.memory.id for h in found} == {first.memory_ids[0], second.memory_ids[0]}
