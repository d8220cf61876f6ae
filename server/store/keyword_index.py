"""BM25 over a namespace's memories, held in process memory and scored with numpy.

Why not FTS5's bm25() alone: FTS5 scores every row that matches any OR-ed query term with per-row calls
back into the extension (instance counts, a docsize lookup per row), 10-14 ms of CPU per recall at 100k
memories where 5k-20k rows match. Here each term's postings are arrays; one recall gathers the query terms'
postings and accumulates BM25 with vectorised arithmetic and one `bincount`: ~1.5 ms at 100k. The first
search of a namespace builds its postings (~1.2 s CPU for 100k short memories). Numbers: bench/keyword_index.py,
bench/notes/recall-latency.md.

Same terms as FTS5, by construction: texts are tokenised by FTS5 itself (`Tokenizer`: an in-memory FTS5
table with memories_fts's tokenizer, read back through fts5vocab), and scores follow fts5_aux.c's bm25()
formula and constants. A query phrase that is not exactly one token (FTS5 would match it as a phrase) is
left to FTS5: `search` returns None. The file and its FTS5 index stay the source of truth.

Corpus statistics (N, average length, document frequency) are the namespace's own, not the whole file's
as FTS5 has them: one user's writes never move another's ranking, and a namespace is searched without
reading anything of the others. In a one-namespace store both are the same; bench/keyword_index.py
measures the difference on stores of many namespaces.

Staying in step: memory rows are never deleted and their text changes only when a hard delete empties it.
Before a search the index reads the file's largest rowid and loads the namespace's rows past the one it
saw last (its own writes included: nothing is tokenised on the write path); a hard delete elsewhere bumps
`meta.vec_purge` (vector_index.py) and drops the copy; one in this process drops the text's postings.
Statuses do not matter here: FTS5 indexes every row, and recall filters.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field

import numpy as np

from server.store.driver import Database

TOKENIZER = "porter unicode61 remove_diacritics 2"  # memories_fts's (server/store/migrations.py)
K1, B = 1.2, 0.75  # fts5_aux.c's bm25() defaults
TOKENIZE_BATCH = 5000  # texts per pass through the tokenizer table
QUERY_CACHE = 20_000  # query words whose tokens are remembered
MERGE_MIN = 4096  # added postings are merged into the base past this many (or an eighth of the base)


class Tokenizer:
    """FTS5's own tokenizer: texts go into an in-memory FTS5 table, terms come back through fts5vocab."""

    def __init__(self, driver: str):
        self.db = Database(":memory:", driver=driver)
        self.db.executescript(
            f"CREATE VIRTUAL TABLE t USING fts5(content, content='', tokenize='{TOKENIZER}');\n"
            "CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance');\n"
        )
        self._cache: dict[str, tuple[str, ...]] = {}

    def tokens(self, texts: list[str], term_id) -> tuple[np.ndarray, np.ndarray]:
        """(term ids, text indices), one pair per token of `texts`; `term_id` maps a term to its id.

        Per term, one row with its documents as text: a long text has hundreds of tokens, and a Python tuple
        per token made the first search at 100k conversation turns a matter of seconds.
        """
        tids, docs = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.int64)]
        for start in range(0, len(texts), TOKENIZE_BATCH):
            chunk = texts[start : start + TOKENIZE_BATCH]
            rows = self._vocab(chunk, "SELECT term, count(*), group_concat(doc) FROM v GROUP BY term", first=start)
            if rows:
                ids = np.fromiter((term_id(r[0]) for r in rows), dtype=np.int64, count=len(rows))
                tids.append(np.repeat(ids, [r[1] for r in rows]))
                docs.append(np.fromstring(",".join(r[2] for r in rows), dtype=np.int64, sep=","))  # parsed in C
        return np.concatenate(tids), np.concatenate(docs)

    def terms(self, text: str) -> set[str]:
        return {r[0] for r in self._vocab([text], "SELECT DISTINCT term FROM v")}

    def words(self, words: list[str]) -> list[tuple[str, ...]]:
        """Each query word's tokens in order (remembered: recall's words repeat)."""
        todo = [w for w in dict.fromkeys(words) if w not in self._cache]
        if todo:
            if len(self._cache) > QUERY_CACHE:
                self._cache.clear()
            found: dict[int, list[tuple[int, str]]] = {}
            for term, doc, offset in self._vocab(todo, "SELECT term, doc, offset FROM v"):
                found.setdefault(doc, []).append((offset, term))
            for i, word in enumerate(todo):
                self._cache[word] = tuple(term for _, term in sorted(found.get(i, ())))
        return [self._cache[w] for w in words]

    def _vocab(self, texts: list[str], query: str, first: int = 0) -> list[tuple]:
        """`query`'s rows over fts5vocab `v` with `texts` in the table as documents first, first + 1, ...; the table
        is emptied after. tokens, terms and words differ only in the query: what shape they read."""
        with self.db.write():
            self.db.executemany("INSERT INTO t(rowid, content) VALUES (?, ?)", [(first + i, s) for i, s in enumerate(texts)])
            rows = self.db.execute(query)
            self.db.execute("INSERT INTO t(t) VALUES ('delete-all')")
        return rows

    def close(self) -> None:
        self.db.close()


def parse_match(match: str) -> list[str] | None:
    """The quoted words of `search.fts_query`'s expression ('"a" OR "b"'); None for anything else."""
    words = []
    for part in match.split(" OR "):
        if len(part) < 3 or part[0] != '"' or part[-1] != '"' or '"' in part[1:-1]:
            return None
        words.append(part[1:-1])
    return words


@dataclass
class _Part:
    """One namespace: documents 1..size-1 (slot 0 is the sentinel a dropped posting points at).

    Postings: a compressed base (per term a slice of `docs`/`tfs`, documents ascending) plus postings added
    since it was built, merged in when they grow past an eighth of it.
    """

    rowids: np.ndarray = field(default_factory=lambda: np.zeros(1, dtype=np.int64))
    dl: np.ndarray = field(default_factory=lambda: np.zeros(1, dtype=np.float64))
    size: int = 1
    tokens: int = 0  # sum of dl
    checked: int = 0  # the file's largest memory rowid when last loaded
    terms: dict[str, int] = field(default_factory=dict)
    df: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    offsets: np.ndarray = field(default_factory=lambda: np.zeros(1, dtype=np.int64))
    docs: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    tfs: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float64))
    extra: dict[int, tuple[list[int], list[float]]] = field(default_factory=dict)
    extra_count: int = 0

    @property
    def n(self) -> int:
        return self.size - 1

    def term_id(self, term: str) -> int:
        return self.terms.setdefault(term, len(self.terms))

    def add(self, rowids: list[int], tids: np.ndarray, docs: np.ndarray) -> None:
        """Append documents (rowids ascending, indices from `size` on) given one (term id, document) per token."""
        count = len(rowids)
        if self.size + count > len(self.rowids):  # grown by doubling: a catch-up of a few rows copies nothing
            capacity = max(self.size + count, 2 * len(self.rowids))
            self.rowids = np.concatenate([self.rowids[: self.size], np.zeros(capacity - self.size, dtype=np.int64)])
            self.dl = np.concatenate([self.dl[: self.size], np.zeros(capacity - self.size)])
        first = self.size
        self.rowids[first : first + count] = rowids
        self.size += count
        if not len(tids):
            return
        self.dl[first : self.size] += np.bincount(docs - first, minlength=count)
        self.tokens += len(tids)
        terms = self.terms
        # One posting per (term, document) with its count, ordered by term then document.
        keys, tf = np.unique(tids * (self.size + 1) + docs, return_counts=True)
        tids, docs = keys // (self.size + 1), keys % (self.size + 1)
        if len(self.df) < len(terms):
            self.df = np.concatenate([self.df, np.zeros(len(terms) - len(self.df), dtype=np.int64)])
        np.add.at(self.df, tids, 1)
        if self.extra_count + len(tids) > max(MERGE_MIN, len(self.docs) // 8):
            self._rebuild(tids, docs, tf.astype(np.float64))
            return
        bounds = np.flatnonzero(np.diff(tids)) + 1
        for t_run, d_run, f_run in zip(np.split(tids, bounds), np.split(docs, bounds), np.split(tf, bounds)):
            lists = self.extra.setdefault(int(t_run[0]), ([], []))
            lists[0].extend(d_run.tolist())
            lists[1].extend(f_run.tolist())
        self.extra_count += len(tids)

    def _rebuild(self, tids: np.ndarray, docs: np.ndarray, tfs: np.ndarray) -> None:
        """Merge the base, the added postings and new ones (all newer documents last) into a new base."""
        base_tids = np.repeat(np.arange(len(self.offsets) - 1), np.diff(self.offsets))
        parts_t, parts_d, parts_f = [base_tids, tids], [self.docs.astype(np.int64), docs], [self.tfs, tfs]
        for t, (d, f) in self.extra.items():
            parts_t.append(np.full(len(d), t))
            parts_d.append(np.asarray(d, dtype=np.int64))
            parts_f.append(np.asarray(f, dtype=np.float64))
        t, d, f = np.concatenate(parts_t), np.concatenate(parts_d), np.concatenate(parts_f)
        keep = f > 0  # dropped postings go for good
        t, d, f = t[keep], d[keep], f[keep]
        order = np.lexsort((d, t))
        t, self.docs, self.tfs = t[order], d[order].astype(np.int32), f[order]
        self.offsets = np.zeros(len(self.terms) + 1, dtype=np.int64)
        np.cumsum(np.bincount(t, minlength=len(self.terms)), out=self.offsets[1:])
        self.extra, self.extra_count = {}, 0

    def postings(self, tid: int) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = (self.offsets[tid], self.offsets[tid + 1]) if tid + 1 < len(self.offsets) else (0, 0)
        docs, tfs = self.docs[lo:hi], self.tfs[lo:hi]
        if tid in self.extra:
            d, f = self.extra[tid]
            docs, tfs = np.concatenate([docs, np.asarray(d, dtype=np.int32)]), np.concatenate([tfs, np.asarray(f)])
        return docs, tfs

    def drop(self, rowid: int, terms: set[str]) -> None:
        """A hard delete: the document's postings point at the sentinel with count 0, its length is 0."""
        i = int(np.searchsorted(self.rowids[: self.size], rowid))
        if i >= self.size or self.rowids[i] != rowid or i == 0:
            return
        for term in terms:
            tid = self.terms.get(term)
            if tid is None:
                continue
            lo, hi = (self.offsets[tid], self.offsets[tid + 1]) if tid + 1 < len(self.offsets) else (0, 0)
            hit = np.flatnonzero(self.docs[lo:hi] == i)
            found = len(hit) > 0
            self.docs[lo + hit], self.tfs[lo + hit] = 0, 0.0
            if tid in self.extra:
                d, f = self.extra[tid]
                for j, doc in enumerate(d):
                    if doc == i:
                        d[j], f[j], found = 0, 0.0, True
            if found:
                self.df[tid] -= 1
        self.tokens -= int(self.dl[i])
        self.dl[i] = 0.0


class KeywordIndex:
    """Per-namespace BM25 postings for a SQLite store (see the module docstring)."""

    def __init__(self, driver: str):
        self.tokenizer = Tokenizer(driver)
        self._parts: dict[str, _Part] = {}
        self._lock = threading.RLock()
        self._seen_purge: int | None = None

    def reset(self) -> None:
        with self._lock:
            self._parts.clear()
            self._seen_purge = None

    def close(self) -> None:
        self.tokenizer.close()

    @staticmethod
    def _purge_gen(db: Database) -> int:
        row = db.one("SELECT value FROM meta WHERE key = 'vec_purge'")
        return int(row[0]) if row else 0

    def _sync(self, db: Database, namespace: str) -> _Part:
        purge = self._purge_gen(db)
        if purge != self._seen_purge:
            self._parts.clear()
            self._seen_purge = purge
        part = self._parts.get(namespace)
        if part is None:
            part = self._parts[namespace] = _Part()
        end = db.one("SELECT COALESCE(MAX(rowid), 0) FROM memories")[0]
        if end > part.checked:
            # In batches: a first search at 100k memories never holds every text and token at once.
            rowids, tids, docs, after = [], [], [], part.checked
            while True:
                rows = db.execute(
                    "SELECT rowid, content FROM memories WHERE rowid > ? AND rowid <= ? AND +namespace = ? ORDER BY rowid LIMIT ?",
                    (after, end, namespace, TOKENIZE_BATCH),
                )
                if not rows:
                    break
                t, d = self.tokenizer.tokens([r[1] for r in rows], part.term_id)
                d += part.size + len(rowids)
                rowids += [r[0] for r in rows]
                tids.append(t)
                docs.append(d)
                after = rows[-1][0]
            if rowids:
                part.add(rowids, np.concatenate(tids), np.concatenate(docs))
            part.checked = end
            if db.in_transaction():  # rows not yet committed: a rollback takes them back
                db.on_rollback(self.reset)
        return part

    def catch_up(self, db: Database, namespace: str) -> None:
        """Load the namespace's rows written since the last look, so the next search has nothing to tokenise.

        Called after writes (MemoryService.remember_many: in the background behind a batch's commits, and for its
        last rows before it returns): without it the first recall after a batch, or after opening a store, paid for
        tokenising everything new (a whole namespace, at first), or waited for a catch-up still running.
        """
        with db.read(), self._lock:
            self._sync(db, namespace)

    def search(self, db: Database, namespace: str, match: str, limit: int) -> list[tuple[int, float]] | None:
        """Top `limit` (rowid, BM25) of the namespace for an `fts_query` expression, higher = better, as FTS5's
        bm25() would score them over the namespace's rows; None when FTS5 must answer (see module docstring)."""
        words = parse_match(match)
        if words is None or limit <= 0:
            return None
        with db.read(), self._lock:
            phrases = self.tokenizer.words(words)
            if any(len(p) != 1 for p in phrases):
                return None
            part = self._sync(db, namespace)
            if part.n == 0:
                return []
            avgdl = part.tokens / part.n if part.tokens else 1.0
            all_docs, all_scores = [], []
            for (term,) in phrases:  # a term twice (two words, one stem) counts twice, as in FTS5
                tid = part.terms.get(term)
                if tid is None or part.df[tid] == 0:
                    continue
                df = int(part.df[tid])
                idf = math.log((part.n - df + 0.5) / (df + 0.5))
                docs, tfs = part.postings(tid)
                all_docs.append(docs)
                all_scores.append(max(idf, 1e-6) * tfs * (K1 + 1) / (tfs + K1 * (1 - B + B * part.dl[docs] / avgdl)))
            if not all_docs:
                return []
            docs = np.concatenate(all_docs)
            scores = np.bincount(docs, weights=np.concatenate(all_scores), minlength=part.size)
            scores[0] = 0.0  # the sentinel of dropped postings
            hits = np.flatnonzero(scores)
            if len(hits) > limit:
                hits = hits[np.argpartition(-scores[hits], limit - 1)[:limit]]
            # Best first (equal scores in rowid order among those kept; at the cut, FTS5's order is no better defined).
            hits = hits[np.lexsort((hits, -scores[hits]))]
            return list(zip(part.rowids[hits].tolist(), scores[hits].tolist()))

    def purged(self, db: Database, namespace: str, rowid: int, text: str, purge_gen: int) -> None:
        """Inside the hard delete's transaction, after it bumped `meta.vec_purge` to `purge_gen`: drop the text's
        postings here, and stay in step if we were (no other process can write meanwhile)."""
        db.on_rollback(self.reset)
        terms = self.tokenizer.terms(text)
        with self._lock:
            part = self._parts.get(namespace)
            if part is not None:
                part.drop(rowid, terms)
            if self._seen_purge == purge_gen - 1:
                self._seen_purge = purge_gen
