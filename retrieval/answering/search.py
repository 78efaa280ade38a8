"""Ranked sentences for a question: dense (Chroma) + lexical (BM25) candidates, fused and spread.

How a question is ranked (measured by `benchmarks/calibrate.py` on SQuAD2, HotpotQA and
MultiHop-RAG; the figures are in the README):
1. candidates = the nearest sentences by embedding (Chroma, the sentence embedded with its
   article title) united with the best BM25 sentences (bm25s over title + sentence);
2. score = cosine + COVERAGE_WEIGHT * coverage + BM25_WEIGHT * bm25 / (the query's best bm25),
   where coverage is the IDF-weighted share of the question's terms found in the sentence or
   its article's title (a term no article has counts as missing, with the highest weight).
   Cosine and coverage are absolute, so the answerer can threshold the score to decide when the
   articles don't say; the small relative BM25 term breaks ties by term frequency. This ranked
   best of the variants measured (RRF with several weights, cosine + scaled BM25): paraphrased
   questions keep the cosine, keyword questions gain from the coverage;
3. a question about "the latest" news adds a bonus for recent articles;
4. results are spread over articles: each further sentence from an already chosen article
   pays a small penalty, so several articles reporting one fact are all seen.

The lexical index is built lazily from `index.iter_sentences()`, saved under
`<data_dir>/lexical/<index version>/` and rebuilt when the index changes. It also keeps every
sentence's text and position, so hits get their context without further Chroma calls.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

import bm25s
import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever

from retrieval.errors import QuestionError
from retrieval.settings import Settings
from retrieval.text import LEXICAL_FORMAT, tokenize
from retrieval.types import ArticleInfo, Hit, Sentence

log = logging.getLogger(__name__)

MODES = ("hybrid", "dense", "bm25")
COVERAGE_WEIGHT = 0.4  # chosen in benchmarks/calibrate.py (fusion table in the README)
BM25_WEIGHT = 0.1
CANDIDATES = 50  # from each retriever; more changed no figure measured, fewer lost recall
SPREAD_PENALTY = 0.05  # per sentence already taken from the same article (measured: README)
RECENCY_BONUS = 0.08  # the newest candidate's bonus for "latest news" questions, oldest gets 0
CONTEXT_NEIGHBOURS = 1  # sentences on each side in Hit.context
BM25_K1, BM25_B = 1.2, 0.75

# Asking for the newest reports; these words are preferences, not topic terms.
_LATEST = re.compile(
    r"\b(latest|newest|most recent|recent(ly)?|today|tonight|this (week|month|morning|year)|"
    r"right now|currently|current|so far|breaking|update[sd]?)\b",
    re.IGNORECASE,
)
_TEMPORAL_TERMS = frozenset(
    ["latest", "newest", "most", "recent", "recently", "today", "tonight", "week", "month", "morning", "year", "right", "now", "currently", "current", "far", "breaking", "update", "updates", "updated"]
)



def wants_latest(question: str) -> bool:
    """True when the question asks for the newest reports ("latest", "today", "this week"...)."""
    return bool(_LATEST.search(question))


@dataclass(frozen=True)
class SearchFilters:
    """Metadata filters: source (case-insensitive), ISO date range (inclusive), article ids."""

    source: str | None = None
    since: str | None = None
    until: str | None = None
    article_ids: tuple[str, ...] = ()

    def since_ts(self) -> int | None:
        return None if not self.since else _parse_date(self.since, "since", end_of_day=False)

    def until_ts(self) -> int | None:
        return None if not self.until else _parse_date(self.until, "until", end_of_day=True)


def _parse_date(value: str, name: str, end_of_day: bool) -> int:
    raw = value.strip()
    try:
        dt = datetime.fromisoformat(raw)
    except ValueError:
        raise QuestionError(f"{name}={value!r} is not a date; use YYYY-MM-DD (e.g. 2024-12-27)") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    if end_of_day and len(raw) <= 10:  # a bare date means the whole day
        dt = datetime.combine(dt.date(), time.max, tzinfo=dt.tzinfo)
    return int(dt.timestamp())


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
    def build(cls, index, version: str) -> LexicalIndex:
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


@dataclass(frozen=True)
class Candidates:
    """One query's candidate rows and their ranking features (arrays aligned with `rows`)."""

    rows: np.ndarray
    cos: np.ndarray  # cosine similarity; BM25-only rows get the lowest dense one (an upper bound)
    in_dense: np.ndarray  # True where the row came from the dense retriever
    bm25: np.ndarray
    bm25_best: float  # the query's best BM25 score over the whole (filtered) index
    coverage: np.ndarray  # IDF-weighted share of question terms in the sentence or its title
    latest: bool  # the question asks for the newest reports

    def fused(self, mode: str = "hybrid") -> np.ndarray:
        """The ranking score of each candidate for a search mode."""
        if mode == "bm25":
            return self.bm25.copy()
        if mode == "dense":
            return self.cos.copy()
        rel = self.bm25 / self.bm25_best if self.bm25_best > 0 else np.zeros(len(self.rows))
        return self.cos + COVERAGE_WEIGHT * self.coverage + BM25_WEIGHT * rel


class Searcher:
    """Hybrid sentence search over a NewsIndex; safe to share between threads."""

    def __init__(self, index, settings: Settings) -> None:
        self.index = index
        self.settings = settings
        self._lock = threading.Lock()
        self._lexical: LexicalIndex | None = None
        self._cache_root = Path(settings.data_dir) / "lexical" / settings.collection

    # -- lexical index lifecycle ---------------------------------------------------------------

    def lexical(self) -> LexicalIndex:
        """The lexical index for the index's current version: memory, then disk, then a rebuild."""
        version = self.index.version()
        current = self._lexical
        if current is not None and current.version == version:
            return current
        with self._lock:
            current = self._lexical
            if current is not None and current.version == version:
                return current
            folder = self._cache_root / _safe_name(f"{version}-{LEXICAL_FORMAT}")
            lex = None
            if (folder / "meta.json").is_file():
                try:
                    lex = LexicalIndex.load(folder)
                except Exception as exc:  # noqa: BLE001 - a damaged cache is only a cache: rebuild it
                    log.warning("rebuilding the lexical index cache at %s: %s", folder, exc)
                    shutil.rmtree(folder, ignore_errors=True)
            if lex is None:
                lex = LexicalIndex.build(self.index, version)
                try:
                    lex.save(folder)
                    self._drop_stale(keep=folder)
                except OSError as exc:  # a read-only data dir still answers questions
                    log.warning("cannot cache the lexical index at %s: %s", folder, exc)
            self._lexical = lex
            return lex

    def _drop_stale(self, keep: Path) -> None:
        for other in self._cache_root.iterdir():
            if other != keep and other.is_dir() and not other.name.startswith("."):
                shutil.rmtree(other, ignore_errors=True)

    # -- search --------------------------------------------------------------------------------

    def search(self, query: str, k: int = 8, filters: SearchFilters | None = None, mode: str = "hybrid") -> list[Hit]:
        """The k best sentences for `query`; modes "hybrid" (default), "dense", "bm25"."""
        found = self.candidates(query, k, filters, mode)
        if found is None:
            return []
        lex, cand = found
        scores = cand.fused(mode)
        if cand.latest:
            scores = scores + self._recency_bonus(lex, cand.rows, scores)
        picked = _spread(cand.rows, scores, lex.article_row[cand.rows], k)
        return [self._hit(lex, int(cand.rows[i]), float(scores[i])) for i in picked]

    def candidates(
        self, query: str, k: int = 8, filters: SearchFilters | None = None, mode: str = "hybrid"
    ) -> tuple[LexicalIndex, Candidates] | None:
        """The candidate sentences of both retrievers with every ranking feature (None: nothing found).

        Public for `benchmarks/calibrate.py`, which compares fusion methods on the same candidates.
        """
        if mode not in MODES:
            raise QuestionError(f"search mode {mode!r} is not known; use one of {', '.join(MODES)}")
        query = (query or "").strip()
        if not query or k <= 0:
            return None
        lex = self.lexical()
        if lex.n_rows == 0:
            return None
        latest = wants_latest(query)
        terms = tokenize(query)
        if latest:
            terms = [t for t in terms if t not in _TEMPORAL_TERMS] or terms
        mask = lex.mask(filters)
        n_cand = max(CANDIDATES, 3 * k)

        cos_by_row: dict[int, float] = {}
        if mode in ("hybrid", "dense"):
            emb = self.index.embeddings.embed_query(query)
            for sentence, sim in self.index.query_sentences(emb, n_cand, where=lex.where(filters)):
                row = lex.row_of.get(sentence.id)
                if row is not None:  # a sentence written after the lexical index was read
                    cos_by_row[row] = sim
        bm = np.zeros(lex.n_rows, dtype=np.float32)
        bm_rows = np.zeros(0, dtype=np.int64)
        if mode in ("hybrid", "bm25"):
            bm = lex.scores(terms)
            if mask is not None:
                bm = np.where(mask, bm, 0.0)
            top = min(n_cand, lex.n_rows)
            bm_rows = np.argpartition(-bm, top - 1)[:top]
            bm_rows = bm_rows[bm[bm_rows] > 0]

        dense_rows = np.fromiter(cos_by_row, dtype=np.int64, count=len(cos_by_row))
        rows = np.unique(np.concatenate([dense_rows, bm_rows]))
        if rows.size == 0:
            return None
        # A BM25-only candidate ranked below every dense result: its cosine is at most the lowest seen.
        floor = min(cos_by_row.values()) if cos_by_row else 0.0
        cos = np.asarray([cos_by_row.get(int(r), floor) for r in rows], dtype=np.float64)
        coverage = self._coverage(lex, terms, rows) if mode == "hybrid" else np.zeros(len(rows))
        best = float(bm.max()) if bm.size else 0.0
        return lex, Candidates(
            rows=rows,
            cos=cos,
            in_dense=np.isin(rows, dense_rows),
            bm25=bm[rows].astype(np.float64),
            bm25_best=best,
            coverage=coverage,
            latest=latest,
        )

    @staticmethod
    def _coverage(lex: LexicalIndex, terms: Sequence[str], rows: np.ndarray) -> np.ndarray:
        """IDF-weighted share of the question's terms in each row's sentence or article title."""
        unique = list(dict.fromkeys(terms))
        if not unique:
            return np.zeros(len(rows))
        weights = np.asarray([lex.idf(t) for t in unique])
        total = float(weights.sum())
        out = np.zeros(len(rows))
        for term, weight in zip(unique, weights):
            out += weight * lex.contains(term, rows)
        return out / total

    @staticmethod
    def _recency_bonus(lex: LexicalIndex, rows: np.ndarray, scores: np.ndarray) -> np.ndarray:
        """Up to RECENCY_BONUS for the newest dated candidates among the relevant ones."""
        ts = lex.ts[rows].astype(np.float64)
        relevant = (scores >= scores.max() - 2 * RECENCY_BONUS) & (ts >= 0)
        if relevant.sum() < 2:
            return np.zeros(len(rows))
        lo, hi = ts[relevant].min(), ts[relevant].max()
        if hi <= lo:
            return np.zeros(len(rows))
        return np.where(relevant, RECENCY_BONUS * (ts - lo) / (hi - lo), 0.0)

    def _hit(self, lex: LexicalIndex, row: int, score: float) -> Hit:
        return Hit(
            sentence=lex.sentence(row),
            article=lex.articles[lex.article_row[row]],
            score=round(score, 6),
            context=lex.context(row),
        )


def _spread(rows: np.ndarray, scores: np.ndarray, article_rows: np.ndarray, k: int) -> list[int]:
    """Greedy top-k where each pick from an already chosen article costs SPREAD_PENALTY more."""
    order = list(np.argsort(-scores, kind="stable"))
    taken: dict[int, int] = {}
    out: list[int] = []
    pool = order[: max(4 * k, 40)]
    while pool and len(out) < k:
        best = max(pool, key=lambda i: scores[i] - SPREAD_PENALTY * taken.get(int(article_rows[i]), 0))
        pool.remove(best)
        out.append(int(best))
        a = int(article_rows[best])
        taken[a] = taken.get(a, 0) + 1
    return out


def _safe_name(version: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", version) or "v0"


# -- LangChain -------------------------------------------------------------------------------------


def hit_to_document(hit: Hit) -> Document:
    """A Hit as a LangChain Document: page_content = the sentence, metadata = the hit's fields."""
    s, a = hit.sentence, hit.article
    return Document(
        page_content=s.text,
        metadata={
            "sentence_id": s.id,
            "article_id": s.article_id,
            "sentence_index": s.index,
            "start": s.start,
            "end": s.end,
            "title": a.title,
            "source": a.source,
            "url": a.url,
            "published_at": a.published_at,
            "author": a.author,
            "key": a.key,
            "n_sentences": a.n_sentences,
            "score": hit.score,
            "context": hit.context,
        },
    )


def document_to_hit(doc: Document) -> Hit:
    """The inverse of `hit_to_document`."""
    m = doc.metadata
    sentence = Sentence(m["article_id"], int(m["sentence_index"]), int(m["start"]), int(m["end"]), doc.page_content)
    article = ArticleInfo(
        id=m["article_id"],
        title=m.get("title", ""),
        source=m.get("source", ""),
        url=m.get("url", ""),
        published_at=m.get("published_at", ""),
        author=m.get("author", ""),
        key=m.get("key", ""),
        n_sentences=int(m.get("n_sentences", 0)),
    )
    return Hit(sentence=sentence, article=article, score=float(m.get("score", 0.0)), context=m.get("context", ""))


class NewsRetriever(BaseRetriever):
    """LangChain retriever over a Searcher: ranked sentences as Documents (see `hit_to_document`)."""

    searcher: Any
    k: int = 8
    filters: SearchFilters | None = None
    mode: str = "hybrid"

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        hits = self.searcher.search(query, k=self.k, filters=self.filters, mode=self.mode)
        return [hit_to_document(h) for h in hits]
