"""The lexical index: BM25 (bm25s) over every stored sentence (its article title + its text), plus
each sentence's text and position, so search needs no further Chroma call to build a Hit.

Built from `index.iter_sentences()`, saved under `<data_dir>/lexical/<index version>/` by
`retrieval.answering.search.Searcher`, and rebuilt when the index changes. Terms come from
`retrieval.text.tokenize`, the same the question is tokenised with.
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import bm25s
import numpy as np

from retrieval.text import tokenize
from retrieval.types import ArticleInfo, SearchFilters, Sentence

if TYPE_CHECKING:
    from retrieval.indexing.store import NewsIndex

BM25_K1, BM25_B = 1.2, 0.75
CONTEXT_NEIGHBOURS = 1  # sentences on each side in Hit.context


class LexicalIndex:
    """BM25 over every stored sentence (title + text) plus the sentences' texts and positions."""

    def __init__(
        self,
        version: str,
        bm25: bm25s.BM25,
        sentence_ids: list[str],
        texts: list[str],
        article_row: np.ndarray,
        sentence_index: np.ndarray,
        starts: np.ndarray,
        ends: np.ndarray,
        ts: np.ndarray,
        source_row: np.ndarray,
        articles: list[ArticleInfo],
        sources: list[str],
    ) -> None:
        self.version = version
        self.bm25 = bm25
        self.sentence_ids = sentence_ids
        self.texts = texts
        self.article_row = article_row
        self.sentence_index = sentence_index
        self.starts = starts
        self.ends = ends
        self.ts = ts
        self.source_row = source_row
        self.articles = articles
        self.sources = sources
        self.row_of = {sid: r for r, sid in enumerate(sentence_ids)}
        self.article_pos = {a.id: i for i, a in enumerate(articles)}
        # Rows are sorted by (article, sentence index): an article's sentences are contiguous.
        self.first_row = np.searchsorted(article_row, np.arange(len(articles)), side="left")
        self.n_rows = len(texts)
        indptr = np.asarray(bm25.scores["indptr"])
        df = np.diff(indptr).astype(np.float64)
        n = max(1, self.n_rows)
        self._idf_by_id = np.log1p((n - df + 0.5) / (df + 0.5))
        self._idf_unknown = float(np.log1p((n + 0.5) / 0.5))  # a term no sentence has: rarest possible

    # -- building and caching ----------------------------------------------------------------

    @classmethod
    def build(cls, index: NewsIndex, version: str) -> LexicalIndex:
        """Read every sentence from the index and build BM25 over "title + sentence"."""
        articles = index.list_articles()
        pos = {a.id: i for i, a in enumerate(articles)}
        rows: list[tuple[int, int, Sentence, int, str]] = []
        for sentence, meta in index.iter_sentences():
            a = pos.get(sentence.article_id)
            if a is None:  # an article still being written: not searchable yet
                continue
            rows.append((a, sentence.index, sentence, int(meta.get("ts", -1)), str(meta.get("source", ""))))
        rows.sort(key=lambda r: (r[0], r[1]))
        sources = sorted({r[4] for r in rows})
        src_pos = {s: i for i, s in enumerate(sources)}
        title_tok = [tokenize(a.title) for a in articles]
        corpus = [title_tok[r[0]] + tokenize(r[2].text) or [""] for r in rows]
        bm25 = bm25s.BM25(k1=BM25_K1, b=BM25_B)
        if corpus:
            bm25.index(corpus, show_progress=False)
        else:
            bm25.index([[""]], show_progress=False)
        return cls(
            version=version,
            bm25=bm25,
            sentence_ids=[r[2].id for r in rows],
            texts=[r[2].text for r in rows],
            article_row=np.asarray([r[0] for r in rows], dtype=np.int32),
            sentence_index=np.asarray([r[1] for r in rows], dtype=np.int32),
            starts=np.asarray([r[2].start for r in rows], dtype=np.int64),
            ends=np.asarray([r[2].end for r in rows], dtype=np.int64),
            ts=np.asarray([r[3] for r in rows], dtype=np.int64),
            source_row=np.asarray([src_pos[r[4]] for r in rows], dtype=np.int32),
            articles=articles,
            sources=sources,
        )

    def save(self, folder: Path) -> None:
        """Write to `folder` atomically (a temp folder renamed into place)."""
        # Unique per writer: two processes on one data dir may build the same version at once.
        tmp = folder.with_name(f".{folder.name}.tmp-{uuid.uuid4().hex[:8]}")
        tmp.mkdir(parents=True)
        self.bm25.save(str(tmp / "bm25"), show_progress=False)
        np.savez(
            tmp / "rows.npz",
            article_row=self.article_row,
            sentence_index=self.sentence_index,
            starts=self.starts,
            ends=self.ends,
            ts=self.ts,
            source_row=self.source_row,
        )
        meta = {
            "version": self.version,
            "sentence_ids": self.sentence_ids,
            "texts": self.texts,
            "sources": self.sources,
            "articles": [a.__dict__ for a in self.articles],
        }
        (tmp / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        try:
            tmp.rename(folder)
        except OSError:  # another process saved this version first: theirs is as good
            shutil.rmtree(tmp, ignore_errors=True)

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        arrays = np.load(folder / "rows.npz")
        bm25 = bm25s.BM25.load(str(folder / "bm25"), show_progress=False, verbosity=0)
        return cls(
            version=meta["version"],
            bm25=bm25,
            sentence_ids=meta["sentence_ids"],
            texts=meta["texts"],
            article_row=arrays["article_row"],
            sentence_index=arrays["sentence_index"],
            starts=arrays["starts"],
            ends=arrays["ends"],
            ts=arrays["ts"],
            source_row=arrays["source_row"],
            articles=[ArticleInfo(**a) for a in meta["articles"]],
            sources=meta["sources"],
        )

    # -- querying ----------------------------------------------------------------------------

    def article_span(self, article: int) -> tuple[int, int]:
        """The rows [lo, hi) of one article's sentences (contiguous, in order)."""
        lo = int(self.first_row[article])
        hi = int(self.first_row[article + 1]) if article + 1 < len(self.first_row) else self.n_rows
        return lo, hi

    def postings(self, term: str) -> np.ndarray:
        """The rows whose headline + sentence hold `term` (empty for an unknown term)."""
        tid = self.bm25.vocab_dict.get(term)
        if tid is None:
            return np.zeros(0, dtype=np.int64)
        indptr, indices = self.bm25.scores["indptr"], self.bm25.scores["indices"]
        return np.asarray(indices[indptr[tid] : indptr[tid + 1]], dtype=np.int64)

    def term_ids(self, terms: Sequence[str]) -> list[int]:
        vocab = self.bm25.vocab_dict
        return [vocab[t] for t in terms if t in vocab]

    def contains(self, term: str, rows: np.ndarray) -> np.ndarray:
        """Which of `rows` hold `term` in their sentence or title: BM25's posting list, no re-tokenising."""
        tid = self.bm25.vocab_dict.get(term)
        if tid is None:
            return np.zeros(len(rows), dtype=bool)
        indptr, indices = self.bm25.scores["indptr"], self.bm25.scores["indices"]
        return np.isin(rows, indices[indptr[tid] : indptr[tid + 1]])

    def idf(self, term: str) -> float:
        tid = self.bm25.vocab_dict.get(term)
        return self._idf_unknown if tid is None else float(self._idf_by_id[tid])

    def scores(self, terms: Sequence[str]) -> np.ndarray:
        ids = self.term_ids(terms)
        if not ids or self.n_rows == 0:
            return np.zeros(self.n_rows, dtype=np.float32)
        return self.bm25.get_scores(ids)

    def sentence(self, row: int) -> Sentence:
        a = self.articles[self.article_row[row]]
        return Sentence(a.id, int(self.sentence_index[row]), int(self.starts[row]), int(self.ends[row]), self.texts[row])

    def context(self, row: int, neighbours: int = CONTEXT_NEIGHBOURS) -> str:
        """The sentence with its neighbours in the same article, joined by spaces."""
        a = self.article_row[row]
        lo = max(int(self.first_row[a]), row - neighbours)
        hi = min(row + neighbours, self.n_rows - 1)
        while self.article_row[hi] != a:
            hi -= 1
        return " ".join(self.texts[lo : hi + 1])

    def mask(self, filters: SearchFilters | None) -> np.ndarray | None:
        """Rows allowed by the filters (None = all), computed with numpy, not per row in Python."""
        if filters is None:
            return None
        keep = np.ones(self.n_rows, dtype=bool)
        if filters.source:
            wanted = [i for i, s in enumerate(self.sources) if s.casefold() == filters.source.strip().casefold()]
            keep &= np.isin(self.source_row, wanted)
        lo, hi = filters.since_ts(), filters.until_ts()
        if lo is not None:
            keep &= self.ts >= lo
        if hi is not None:
            keep &= (self.ts <= hi) & (self.ts >= 0)
        if filters.article_ids:
            arts = [self.article_pos[a] for a in filters.article_ids if a in self.article_pos]
            keep &= np.isin(self.article_row, arts)
        return keep

    def where(self, filters: SearchFilters | None) -> dict | None:
        """The same filters as a Chroma `where` clause for the dense query."""
        if filters is None:
            return None
        clauses: list[dict] = []
        if filters.source:
            wanted = [s for s in self.sources if s.casefold() == filters.source.strip().casefold()]
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
