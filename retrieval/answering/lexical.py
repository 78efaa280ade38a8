"""The lexical side of search: BM25 over every stored sentence (its article title + its text).

The index itself is the SQLite FTS5 file kept by `retrieval.indexing.lexical_store` in the same
write path as Chroma (incremental, shared between processes). A `LexicalIndex` is one process's
view of it at one generation: every article's metadata in memory (filters, catalogs, `latest`),
sentences read on demand for the rows a question touches (cached: a row never changes).

Scores are BM25 exactly as bm25s computed them before (Lucene variant, k1 1.2, b 0.75, over the
terms of "title + sentence" from `retrieval.text.tokenize`), computed for the rows that need one;
FTS5's own bm25() only picks the first-stage candidates (`CANDIDATE_POOL` of them, rescored here).
"""

from __future__ import annotations

import bisect
import functools
import math
from collections.abc import Sequence

import numpy as np

from retrieval.indexing.lexical_store import ROW_SHIFT, LexicalStore
from retrieval.text import tokenize
from retrieval.types import ArticleInfo, SearchFilters, Sentence

BM25_K1, BM25_B = 1.2, 0.75
CONTEXT_NEIGHBOURS = 1  # sentences on each side in Hit.context
# A term in more of the rows than this share gathers no candidates (FTS5 scores every row holding a
# term, so common ones cost time growing with the corpus: at 1.9M sentences one question's FTS5 query
# took 147 ms at the median with them; dev and public sets answered the same without them).
COMMON_SHARE = 0.01
COMMON_FLOOR = 1000  # ... and below this many rows a term always gathers (it costs little)
# ... and above this many it never does, however large the corpus: a question's FTS5 cost stays bounded
# (at 1.9M sentences, 79 -> 54 ms p50; on the BBC dev set, gathering only by terms in <= 0.13% of the
# rows, the share this cap is at 3.8M sentences, answered exactly as before).
COMMON_CAP = 5000
RESORT_AFTER = 256  # a generation with more changed articles than this sorts them all again
CANDIDATE_POOL = 3  # FTS5 picks this many times the candidates wanted; exact BM25 keeps the best
# IDF is computed as if the index held at least this many sentences. In a small one (the seed article
# alone is 16) a word of the headline is in every row and weighs nothing, so a question about the
# story covers next to none of its own weight; the ranker, fitted on thousands of sentences, then
# declines. Indexes at least this large (every public evaluation set) are unaffected.
IDF_MIN_ROWS = 1000


def _order(info: ArticleInfo) -> tuple[str, str]:
    """Where an article stands in `LexicalIndex.articles`: oldest first, undated first, then by id."""
    return info.published_at or "", info.id


class LexicalIndex:
    """One generation of the lexical index: articles in memory, sentences read when needed."""

    def __init__(self, store: LexicalStore, version: tuple, previous: LexicalIndex | None = None) -> None:
        self.store = store
        self.version = version  # (Chroma version, lexical generation)
        generation = int(version[1])
        if previous is None:
            self._by_no: dict[int, ArticleInfo] = {}
            self._ts: dict[int, int] = {}
            self._title_terms: dict[int, tuple[str, ...]] = {}
            changed, gone = store.articles_since(-1)
        else:  # only what changed since the previous generation
            self._by_no = dict(previous._by_no)
            self._ts = dict(previous._ts)
            self._title_terms = dict(previous._title_terms)
            changed, gone = store.articles_since(int(previous.version[1]))
        removed: list[ArticleInfo] = []  # the versions of articles that left or changed
        added: list[tuple[int, ArticleInfo]] = []
        for no in gone:
            if (old := self._by_no.pop(no, None)) is not None:
                removed.append(old)
            self._ts.pop(no, None)
            self._title_terms.pop(no, None)
        for no, aid, title, source, url, published, author, keys, n, ts, title_terms, updated in changed:
            key_list = _keys(keys)
            info = ArticleInfo(
                id=aid, title=title or "", source=source or "", url=url or "", published_at=published or "",
                author=author or "", key=key_list[0] if len(key_list) == 1 else (keys if key_list else ""),
                n_sentences=int(n or 0), updated_at=updated or "",
            )
            if (old := self._by_no.get(no)) is not None:
                removed.append(old)
            self._by_no[no] = info
            added.append((no, info))
            self._ts[no] = int(ts)
            self._title_terms[no] = tuple((title_terms or "").split())
        self.generation = generation
        if previous is None or len(added) + len(removed) > RESORT_AFTER:
            order = sorted(self._by_no, key=lambda no: _order(self._by_no[no]))
            self.articles: list[ArticleInfo] = [self._by_no[no] for no in order]
            self.article_pos = {self._by_no[no].id: no for no in order}
            self.sources = sorted({a.source for a in self.articles})
        else:  # a write changes a few articles: the sorted list is edited, not sorted again (200k: 0.3 s)
            self.articles = list(previous.articles)
            self.article_pos = dict(previous.article_pos)
            for info in removed:
                i = bisect.bisect_left(self.articles, _order(info), key=_order)
                if i < len(self.articles) and self.articles[i].id == info.id:
                    del self.articles[i]
                self.article_pos.pop(info.id, None)
            for no, info in added:
                bisect.insort(self.articles, info, key=_order)
                self.article_pos[info.id] = no
            self.sources = (sorted({a.source for a in self.articles}) if removed
                            else sorted(set(previous.sources) | {info.source for _, info in added}))
        self.n_rows, n_tokens = store.counts()
        self._avgdl = n_tokens / self.n_rows if self.n_rows else 1.0
        self._df: dict[str, int] = {}
        self._article_terms: dict[int, set[str]] = {}

    # -- articles and rows -------------------------------------------------------------------

    def article(self, no: int) -> ArticleInfo:
        return self._by_no[int(no)]

    @staticmethod
    def article_of(rows):
        """The article number of each row (an int for an int, an array for an array)."""
        if isinstance(rows, (int, np.integer)):
            return int(rows) >> ROW_SHIFT
        return np.asarray(rows, dtype=np.int64) >> ROW_SHIFT

    def article_span(self, article: int) -> tuple[int, int]:
        """The rows [lo, hi) of one article's sentences (contiguous, in order)."""
        lo = int(article) << ROW_SHIFT
        info = self._by_no.get(int(article))
        return lo, lo + (info.n_sentences if info else 0)

    def row_of(self, sentence_id: str) -> int | None:
        """The row of a stored sentence id (`<article id>:s<i>`), None when this generation lacks it."""
        aid, _, idx = sentence_id.rpartition(":s")
        no = self.article_pos.get(aid)
        if no is None or not idx.isdigit() or int(idx) >= self._by_no[no].n_sentences:
            return None
        return (no << ROW_SHIFT) + int(idx)

    def load(self, rows) -> None:
        """Read these rows (and nothing already cached) in one go."""
        self.store.rows(int(r) for r in rows)

    def load_articles(self, articles) -> None:
        self.store.article_rows(int(a) for a in articles)

    def article_terms(self, article: int) -> set[str]:
        """Every term of an article's rows (its title and all its sentences)."""
        got = self._article_terms.get(int(article))
        if got is None:
            self.load_articles([article])
            got = self._article_terms[int(article)] = set().union(*(self.terms(r) for r in range(*self.article_span(article))))
        return got

    def _row(self, row: int):
        got = self.store.row_cache.get(int(row))
        if got is None:
            got = self.store.rows([int(row)]).get(int(row))
        return got

    def text(self, row: int) -> str:
        got = self._row(row)
        return got[2] if got else ""

    def texts(self, lo: int, hi: int) -> list[str]:
        self.load(range(lo, hi))
        return [self.text(r) for r in range(lo, hi)]

    def terms(self, row: int) -> tuple[str, ...]:
        """The row's indexed terms: its article's title and its sentence, tokenised."""
        got = self._row(row)
        return got[3] if got else ()

    def sentence(self, row: int) -> Sentence:
        got = self._row(row)
        a = self._by_no[int(row) >> ROW_SHIFT]
        return Sentence(a.id, int(row) & ((1 << ROW_SHIFT) - 1), got[0], got[1], got[2])

    def context(self, row: int, neighbours: int = CONTEXT_NEIGHBOURS) -> str:
        """The sentence with its neighbours in the same article, joined by spaces."""
        lo, hi = self.article_span(self.article_of(row))
        return " ".join(self.texts(max(lo, row - neighbours), min(hi, row + neighbours + 1)))

    def ts_of(self, rows: np.ndarray) -> np.ndarray:
        return np.asarray([self._ts.get(int(a), -1) for a in self.article_of(rows)], dtype=np.int64)

    # -- BM25 --------------------------------------------------------------------------------

    def doc_freq(self, terms: Sequence[str]) -> dict[str, int]:
        want = [t for t in dict.fromkeys(terms) if t not in self._df]
        if want:
            self._df.update(self.store.doc_freq(want))
        return {t: self._df[t] for t in terms}

    @functools.cached_property
    def source_terms(self) -> frozenset[str]:
        """The terms of every source's name (a question may name a source: "according to BBC Sport")."""
        return frozenset(t for source in self.sources for t in tokenize(source))

    def spelled_like(self, term: str) -> list[str]:
        """Indexed terms spelled almost like `term` (a misspelt name: "nistlerooy" -> "nistelrooy")."""
        return self.store.spelled_like(term)

    def idf(self, term: str) -> float:
        """Lucene's idf; a term no sentence has gets the highest (the rarest possible)."""
        n = max(IDF_MIN_ROWS, self.n_rows)
        df = self.doc_freq([term])[term]
        return float(math.log1p((n - df + 0.5) / (df + 0.5)))

    def contains(self, term: str, rows: np.ndarray) -> np.ndarray:
        """Which of `rows` hold `term` in their sentence or title."""
        self.load(rows)
        return np.asarray([term in self.terms(int(r)) for r in rows], dtype=bool)

    def bm25(self, terms: Sequence[str], rows: np.ndarray) -> np.ndarray:
        """BM25 of each row for the query terms (a repeated term counts again, as in bm25s)."""
        out = np.zeros(len(rows), dtype=np.float64)
        if not len(rows) or not terms or self.n_rows == 0:
            return out
        df = self.doc_freq(terms)
        n = max(IDF_MIN_ROWS, self.n_rows)
        idf = {t: math.log1p((n - d + 0.5) / (d + 0.5)) for t, d in df.items() if d > 0}
        if not idf:
            return out
        self.load(rows)
        for i, r in enumerate(rows.tolist()):
            row_terms = self.terms(r)
            if not row_terms:
                continue
            norm = BM25_K1 * ((1 - BM25_B) + BM25_B * len(row_terms) / self._avgdl)
            score = 0.0
            for t in terms:
                if t in idf:
                    tf = row_terms.count(t)
                    if tf:
                        score += idf[t] * tf / (norm + tf)
            out[i] = score
        return out

    def top(self, terms: Sequence[str], n: int, filters: SearchFilters | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The n best rows by BM25 within the filters, with their scores, best first (none scoring 0)."""
        sql, params = self._article_sql(filters)
        if sql is None:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        rows = np.asarray(self.store.top(self._gathering(terms), CANDIDATE_POOL * n, sql, params), dtype=np.int64)
        rows = rows[np.isin(self.article_of(rows), list(self._by_no))] if rows.size else rows
        scores = self.bm25(terms, rows)
        order = np.argsort(-scores, kind="stable")[:n]
        keep = order[scores[order] > 0]
        return rows[keep], scores[keep]

    def _gathering(self, terms: Sequence[str]) -> list[str]:
        """The terms FTS5 gathers candidates by: those in at most COMMON_SHARE of the rows, but
        never more than COMMON_CAP rows and always up to COMMON_FLOOR (FTS5 scores every row holding
        any of them, a cost that grows with the corpus); the two rarest when every term is common.
        Candidates are scored with all the terms."""
        df = self.doc_freq(list(dict.fromkeys(t for t in terms if t)))
        present = [t for t, d in df.items() if d > 0]
        limit = max(min(COMMON_SHARE * self.n_rows, COMMON_CAP), COMMON_FLOOR)
        rare = [t for t in present if df[t] <= limit]
        return rare or sorted(present, key=lambda t: df[t])[:2]

    # -- filters -----------------------------------------------------------------------------

    def _wanted_sources(self, source: str) -> list[str]:
        return [s for s in self.sources if s.casefold() == source.strip().casefold()]

    def _article_sql(self, filters: SearchFilters | None) -> tuple[str | None, list]:
        """The filters as SQL over the articles table ("" = no filter, None = nothing can match)."""
        if filters is None:
            return "", []
        clauses: list[str] = []
        params: list = []
        if filters.source:
            wanted = self._wanted_sources(filters.source)
            if not wanted:
                return None, []
            clauses.append(f"source IN ({','.join('?' * len(wanted))})")
            params += wanted
        lo, hi = filters.since_ts(), filters.until_ts()
        if lo is not None:
            clauses.append("ts >= ?")
            params.append(lo)
        if hi is not None:
            clauses.append("ts <= ? AND ts >= 0")
            params.append(hi)
        if filters.article_ids:
            ids = list(filters.article_ids)
            clauses.append(f"id IN ({','.join('?' * len(ids))})")
            params += ids
        return " AND ".join(clauses), params

    def allowed(self, rows: np.ndarray, filters: SearchFilters | None) -> np.ndarray:
        """Which rows the filters allow, decided per article in memory."""
        rows = np.asarray(rows, dtype=np.int64)
        if filters is None:
            return np.ones(len(rows), dtype=bool)
        arts = self.article_of(rows)
        keep = np.ones(len(rows), dtype=bool)
        if filters.source:
            wanted = set(self._wanted_sources(filters.source))
            keep &= np.asarray([a in self._by_no and self._by_no[a].source in wanted for a in arts.tolist()], dtype=bool)
        lo, hi = filters.since_ts(), filters.until_ts()
        ts = self.ts_of(rows)
        if lo is not None:
            keep &= ts >= lo
        if hi is not None:
            keep &= (ts <= hi) & (ts >= 0)
        if filters.article_ids:
            nos = [self.article_pos[a] for a in filters.article_ids if a in self.article_pos]
            keep &= np.isin(arts, nos)
        return keep

    def where(self, filters: SearchFilters | None) -> dict | None:
        """The same filters as a Chroma `where` clause for the dense query."""
        if filters is None:
            return None
        clauses: list[dict] = []
        if filters.source:
            wanted = self._wanted_sources(filters.source)
            clauses.append({"source": {"$in": wanted or [filters.source]}})
        lo, hi = filters.since_ts(), filters.until_ts()
        if lo is not None:
            clauses.append({"ts": {"$gte": lo}})
        if hi is not None:
            clauses.append({"ts": {"$lte": hi}})
            clauses.append({"ts": {"$gte": 0}})
        if filters.article_ids:
            clauses.append({"article_id": {"$in": list(filters.article_ids)}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def _keys(raw: str | None) -> list[str]:
    import json

    try:
        keys = json.loads(raw or "[]")
    except ValueError:
        return [raw] if raw else []
    return [str(k) for k in keys] if isinstance(keys, list) else [str(keys)]
