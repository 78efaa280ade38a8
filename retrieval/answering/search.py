"""Ranked sentences for a question: dense (Chroma) + lexical (BM25) candidates, fused and spread.

How a question is ranked (measured by `benchmarks/calibrate.py` on SQuAD2, HotpotQA and
MultiHop-RAG; the figures are in the README):
1. candidates = the nearest sentences by embedding (Chroma, the sentence embedded with its
   article title) united with the best BM25 sentences (over title + sentence, `lexical.py`);
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

The lexical index is an SQLite FTS5 file written with Chroma (`retrieval.indexing.lexical_store`),
read through `retrieval.answering.lexical.LexicalIndex`, which also gives every sentence's text and
position, so hits get their context without further Chroma calls.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import sqlite3
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import TYPE_CHECKING

import numpy as np

from retrieval.answering import admit, describe, rerank, roles
from retrieval.answering.lexical import LexicalIndex
from retrieval.answering.question import plain_question
from retrieval.errors import QuestionError
from retrieval.settings import Settings
from retrieval.text import content_terms, restore_case, strip_citations, tokenize, uncased
from retrieval.types import ArticleInfo, Hit, SearchFilters

if TYPE_CHECKING:
    from retrieval.indexing.store import NewsIndex

log = logging.getLogger(__name__)

MODES = ("hybrid", "dense", "bm25")
COVERAGE_WEIGHT = 0.4  # chosen in benchmarks/calibrate.py (fusion table in the README)
BM25_WEIGHT = 0.1
CANDIDATES = 50  # from each retriever; more changed no figure measured, fewer lost recall
SPREAD_PENALTY = 0.05  # per sentence already taken from the same article (measured: README)
RECENCY_BONUS = 0.08  # the newest candidate's bonus for "latest news" questions, oldest gets 0

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
class Candidates:
    """One query's candidate rows and their ranking features (arrays aligned with `rows`)."""

    rows: np.ndarray
    cos: np.ndarray  # cosine similarity; BM25-only rows get the lowest dense one (an upper bound)
    in_dense: np.ndarray  # True where the row came from the dense retriever
    bm25: np.ndarray
    bm25_best: float  # the query's best BM25 score over the whole (filtered) index
    coverage: np.ndarray  # IDF-weighted share of question terms in the sentence or its title
    latest: bool  # the question asks for the newest reports
    terms: tuple[str, ...] = ()  # the question's terms as searched
    qvec: np.ndarray | None = None  # the question's embedding (None in bm25 mode)

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

    def __init__(self, index: NewsIndex, settings: Settings) -> None:
        self.index = index
        self.settings = settings
        self._lock = threading.Lock()
        self._lexical: LexicalIndex | None = None

    # -- lexical index lifecycle ---------------------------------------------------------------

    def lexical(self) -> LexicalIndex:
        """This process's view of the lexical index, refreshed with what any process wrote since.

        Two cheap reads per question (Chroma's write version, the file's generation); when Chroma is
        at a version the file does not reflect (an index built before the file existed, a writer with
        another data dir), the file is reconciled with Chroma first (`LexicalStore.sync`).
        """
        store = self.index.lexical
        version = (self.index.version(), store.generation())
        current = self._lexical
        if current is not None and current.version == version:
            return current
        with self._lock:
            current = self._lexical
            if current is not None and current.version == version:
                return current
            if store.synced() != version[0]:
                try:
                    store.sync(self.index.articles, self.index.sentences, version[0], self.index.keys.all_keys())
                except sqlite3.Error as exc:  # a read-only lexical file still answers with what it holds
                    log.warning("cannot update the lexical index: %s", exc)
                version = (version[0], store.generation())
            previous = current if current is not None and current.store is store and current.generation <= version[1] else None
            self._lexical = LexicalIndex(store, version, previous)
            return self._lexical

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
        picked = _spread(cand.rows, scores, lex.article_of(cand.rows), k)
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
        n_cand = max(CANDIDATES, 3 * k)

        cos_by_row: dict[int, float] = {}
        emb = None
        if mode in ("hybrid", "dense"):
            emb = np.asarray(self.index.embeddings.embed_query(query), dtype=np.float64)
            for sentence_id, sim in self.index.nearest_sentence_ids(emb, n_cand, where=lex.where(filters)):
                row = lex.row_of(sentence_id)
                if row is not None:  # a sentence written after the lexical index was read
                    cos_by_row[row] = sim
        bm_rows, bm_scores = np.zeros(0, dtype=np.int64), np.zeros(0)
        if mode in ("hybrid", "bm25"):
            bm_rows, bm_scores = lex.top(terms, n_cand, filters)

        dense_rows = np.fromiter(cos_by_row, dtype=np.int64, count=len(cos_by_row))
        rows = np.unique(np.concatenate([dense_rows, bm_rows]))
        if rows.size == 0:
            return None
        # A BM25-only candidate ranked below every dense result: its cosine is at most the lowest seen.
        floor = min(cos_by_row.values()) if cos_by_row else 0.0
        cos = np.asarray([cos_by_row.get(int(r), floor) for r in rows], dtype=np.float64)
        lex.load(rows)
        coverage = self._coverage(lex, terms, rows) if mode == "hybrid" else np.zeros(len(rows))
        bm = lex.bm25(terms, rows) if mode in ("hybrid", "bm25") else np.zeros(len(rows))
        best = float(bm_scores.max()) if bm_scores.size else 0.0
        return lex, Candidates(
            rows=rows,
            cos=cos,
            in_dense=np.isin(rows, dense_rows),
            bm25=bm,
            bm25_best=max(best, float(bm.max()) if bm.size else 0.0),
            coverage=coverage,
            latest=latest,
            terms=tuple(terms),
            qvec=emb,
        )

    # -- second stage: the answering sentence, read in its context (rerank.py) ----------------

    def answer_hits(self, *args, **kwargs) -> list[Hit]:
        """The k sentences most likely to answer, best first (`answer_evidence(...).hits`)."""
        return self.answer_evidence(*args, **kwargs).hits

    def answer_evidence(
        self,
        question: str,
        k: int,
        filters: SearchFilters | None = None,
        history: Sequence[tuple[str, str]] = (),
        asked: str = "",
    ) -> Evidence:
        """The k sentences most likely to answer, best first (`Hit.score` is that probability), and the
        story the question most likely asks about (`admit.answering`), for an answer that declines
        (below the threshold, an LLM's "don't say", a negative question no sentence negates) to point to.

        `question` is the standalone question (a follow-up rewritten with its conversation's
        subject) and `asked` the reader's own words, when they differ (see `answer_candidates`).
        """
        # As a reader types in chat: a greeting or shorthand is no part of what is asked (the chain
        # condenses the plain question already; callers of this method may not), and a question
        # typed without capitals takes the corpus's.
        rewrite = question  # a follow-up's rewrite, its carried-over subject in brackets
        question, asked = plain_question(question), plain_question(asked) if asked else asked
        if uncased(question) or uncased(asked):
            question, asked = self._cased(question, asked, filters)
        # Who holds a role, who or what someone is (`roles.py`, `describe.py`): the reader's own words name the subject,
        # so a follow-up like "And who manages Arsenal?" is read without the conversation's.
        own = roles.own_words(asked or question)
        role = roles.asked_role(own)
        if role is None and (old := roles.replaced_whom(own, rewrite)):
            role = self._role_of(old, filters)
        if role is not None and (named := self._role_holders(role, k, filters)):
            return Evidence(named)
        if role is not None and role.also and (named := self._role_holders(replace(role, words=role.also), k, filters)):
            return Evidence(named)
        for name, reader in (
            (describe.asked_person(own), describe.descriptions),
            (describe.asked_club(own), partial(describe.descriptions, club=True)),
            (describe.asked_thing_name(own), describe.what_it_is),
        ):
            if name and (described := self._described(name, reader, k, filters)):
                return Evidence(described)
        found = self.answer_candidates(question, filters, history, asked)
        if found is None:
            return Evidence([])
        lex, rows, feats = found
        ranked = rerank.rank(rerank.load_model(self.settings.ranker_model), lex, rows, feats)
        said = content_terms(strip_citations(history[-1][1])) if history else set()
        admitted, story = admit.answering(lex, ranked, question, asked, role, said, k)
        hits = [self._hit(lex, r, p) for r, p in admitted]
        return Evidence(hits, lex.article(story) if story is not None else None)

    def _cased(self, question: str, asked: str, filters: SearchFilters | None) -> tuple[str, str]:
        """A question typed all in lower case or capitals, with its words as its candidate sentences and
        their headlines write them (`text.restore_case`): one more first-stage search, for such questions only."""
        found = self.candidates(question, k=self.settings.top_k, filters=filters)
        if found is None:
            return question, asked
        lex, cand = found
        sources = [lex.text(int(r)) for r in cand.rows]
        sources += [lex.article(a).title for a in dict.fromkeys(lex.article_of(cand.rows).tolist())]
        return restore_case(question, sources), restore_case(asked, sources)

    def _role_of(self, name: str, filters: SearchFilters | None) -> roles.RoleQuestion | None:
        """The role news most often gives a person ("Home Secretary David Blunkett"), as the question
        "who holds it instead of them" (None when no sentence describes them by a role)."""
        _, described = self._descriptions(name, describe.descriptions, filters)
        found = Counter(asked for _, d in described if (asked := roles.asked_role(f"Who is the {d}?")))
        return replace(found.most_common(1)[0][0], instead_of=name) if found else None

    def _role_holders(self, asked: roles.RoleQuestion, k: int, filters: SearchFilters | None) -> list[Hit]:
        """"Who leads X?": the sentences naming the holder of the role (`roles.py`), one per story,
        the most recent story first; [] when none names one (the ranker answers instead)."""
        lex = self.lexical()
        rows, _ = lex.top(tokenize(roles.search_text(asked)), roles.POOL, filters)
        lex.load(rows)
        named = []
        for r in rows.tolist():
            a = lex.article_of(r)
            for name in roles.holders(lex.text(r), asked, lambda a=a: lex.article_terms(a)):
                named.append((r, name))
        if asked.instead_of:  # "Who replaced X?": a story naming X in the role is from X's time (its other
            # holders came before: "Tory leader Margaret Thatcher" in 1979); a sentence naming X is about X
            # unless it speaks of a succession (`roles.about_successor`)
            held = {lex.article_of(r) for r, name in named if roles.same_person(name, asked.instead_of)}
            named = [(r, n) for r, n in named if lex.article_of(r) not in held and roles.about_successor(lex.text(r), asked)]
        holder = roles.choose([(r, name, lex.article(lex.article_of(r)).published_at) for r, name in named], asked.instead_of)
        if not holder:  # none named, or only the one "Who replaced X?" asks about
            return []
        mine = [(r, 0) for r, name in named if roles.same_person(name, holder)]
        return self._one_per_story(lex, mine, min(k, roles.CITED))

    def _described(
        self, name: str, reader: Callable[[str, str], list[str]], k: int, filters: SearchFilters | None
    ) -> list[Hit]:
        """"Who is Charles Kennedy?": the sentences saying what the person is ("Liberal Democrat leader
        Charles Kennedy..."), the description news gives most often first; [] when none gives one.
        `reader(text, name)` reads them: what someone is, the club they play for, or what an
        organisation or a thing is ("What is Yukos?": "Russian oil firm Yukos")."""
        lex, described = self._descriptions(name, reader, filters)
        found = [(r, describe.key(d)) for r, d in described]
        counts = Counter(d for _, d in found)
        return self._one_per_story(lex, [(r, -counts[d]) for r, d in found], min(k, describe.DESCRIBED))

    def _descriptions(
        self, name: str, reader: Callable[[str, str], list[str]], filters: SearchFilters | None
    ) -> tuple[LexicalIndex, list[tuple[int, str]]]:
        """(row, description) for each description `reader` finds of `name` in the sentences naming it.

        A sentence naming a person by surname alone ("Drogba, Chelsea's £24m striker") is read by the
        surname when its story names them in full (not a namesake: "Joe Cole" for "Ashley Cole")."""
        lex = self.lexical()
        terms = tokenize(name)
        rows, _ = lex.top(terms, roles.POOL, filters)
        lex.load(rows)
        surname = name.split()[-1] if len(name.split()) > 1 else ""
        out = []
        for r in rows.tolist():
            text = lex.text(r)
            found = reader(text, name)
            if not found and surname and all(t in lex.article_terms(lex.article_of(r)) for t in terms):
                found = reader(text, surname)
            out += [(r, d) for d in found]
        return lex, out

    def _one_per_story(self, lex: LexicalIndex, ranked: list[tuple[int, int]], n: int) -> list[Hit]:
        """Hits for n stories from (row, rank) pairs (lower rank = better): each story by its best-ranked,
        then shortest, sentence; the most recent stories first, then by that sentence. Scored `roles.SCORE`."""
        best: dict[int, tuple[int, int, int]] = {}  # story -> (rank, length, row)
        for r, rank in ranked:
            cand = (rank, len(lex.text(r)), r)
            a = lex.article_of(r)
            best[a] = min(best.get(a, cand), cand)
        order = sorted(best.values())
        order.sort(key=lambda c: lex.article(lex.article_of(c[2])).published_at, reverse=True)  # stable
        return [self._hit(lex, r, roles.SCORE) for _, _, r in order[:n]]

    def answer_candidates(
        self,
        question: str,
        filters: SearchFilters | None = None,
        history: Sequence[tuple[str, str]] = (),
        asked: str = "",
    ) -> tuple[LexicalIndex, np.ndarray, np.ndarray] | None:
        """First-stage rows widened to their best articles, with the ranker's features (None: nothing found).

        A follow-up that stays with its conversation's story is judged by the reader's own words
        (`asked`): the subject carried over by the rewrite is in every sentence's story already, and
        would favour the sentences that restate it over the one that answers (measured on the dev
        follow-ups: the rewritten question led with the answering sentence less often).

        Public for `benchmarks/train_ranker.py`, which trains on exactly what `ask` ranks.
        """
        found = self.candidates(question, k=self.settings.top_k, filters=filters)
        if found is None or found[1].qvec is None:
            return None
        lex, cand = found
        story = self.story_of(history, filters)
        if story and not rerank.names_new_subject(asked or question, lex, story):
            # A follow-up stays with the conversation's story unless it names someone or something new.
            rows = np.unique(np.concatenate([np.arange(*lex.article_span(a), dtype=np.int64) for a in story]))
            if asked and asked != question:
                question, cand = asked, self._as_asked(lex, cand, asked, filters)
        else:
            rows = rerank.widen(lex, cand.rows, cand.fused("hybrid"), story)
        rows = rows[lex.allowed(rows, filters)]
        if rows.size == 0:
            return None
        feats = rerank.features(
            question, cand.terms, lex, cand.bm25_best, rows, cand.qvec, self._vectors(lex), self._embed_queries, story
        )
        return lex, rows, feats

    def _as_asked(self, lex: LexicalIndex, cand: Candidates, asked: str, filters: SearchFilters | None) -> Candidates:
        """The candidates' query terms, vector and best BM25 for the reader's own words."""
        terms = tuple(tokenize(asked))
        _, best = lex.top(list(terms), 1, filters) if terms else (None, np.zeros(0))
        qvec = np.asarray(self.index.embeddings.embed_query(asked), dtype=np.float64)
        return dataclasses.replace(cand, terms=terms, qvec=qvec, bm25_best=float(best.max()) if best.size else 0.0)

    def story_of(self, history: Sequence[tuple[str, str]], filters: SearchFilters | None = None) -> list[int]:
        """The article a conversation is about: the best match of its last turn (question and answer)."""
        if not history:
            return []
        question, answer = history[-1]
        hits = self.search(strip_citations(f"{question} {answer}"), k=1, filters=filters)
        lex = self.lexical()
        return [lex.article_pos[h.article.id] for h in hits if h.article.id in lex.article_pos]

    def _vectors(self, lex: LexicalIndex):
        """Rows -> their stored vectors, fetched from Chroma (a few ms for a few hundred)."""

        def fetch(rows: np.ndarray) -> np.ndarray:
            ids = [lex.sentence(int(r)).id for r in rows]
            by_id = self.index.sentence_vectors(ids)
            dim = len(next(iter(by_id.values()))) if by_id else 1
            return np.asarray([by_id.get(i, np.zeros(dim)) for i in ids], dtype=np.float64)

        return fetch

    def _embed_queries(self, texts: list[str]) -> np.ndarray:
        """The texts' vectors, in order, each distinct text embedded once (one model run, or one
        call per text on a remote backend): with headlines made from first sentences, several of
        a question's variants are the same text."""
        distinct = list(dict.fromkeys(texts))
        vectors = np.asarray(self.index.embeddings.embed_queries(distinct), dtype=np.float64)
        if len(distinct) == len(texts):
            return vectors
        at = {t: i for i, t in enumerate(distinct)}
        return vectors[[at[t] for t in texts]]

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
        return out / total if total > 0 else out

    @staticmethod
    def _recency_bonus(lex: LexicalIndex, rows: np.ndarray, scores: np.ndarray) -> np.ndarray:
        """Up to RECENCY_BONUS for the newest dated candidates among the relevant ones."""
        ts = lex.ts_of(rows).astype(np.float64)
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
            article=lex.article(lex.article_of(row)),
            score=round(score, 6),
            context=lex.context(row),
        )


@dataclass(frozen=True)
class Evidence:
    """What `Searcher.answer_evidence` found: the sentences that may answer, best first, and the story the
    question most likely asks about, for a declined answer to point to (None when no story is likely)."""

    hits: list[Hit]
    closest: ArticleInfo | None = None


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

