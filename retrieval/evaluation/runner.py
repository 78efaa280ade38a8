"""Run retrieval configurations over an evaluation dataset and measure them side by side.

Configurations (`--compare`):
- `naive`: the LangChain baseline (retrieval/evaluation/naive.py), top-k 1000-char chunks;
- `dense`, `bm25`, `hybrid`: newsbot's sentence search in that mode, top-k sentences;
- `answer`: the full `Engine.ask` chain (citations, abstention).

The indexes questions are asked of (a dataset's own, the `--corpus` files', or the user's main
index, only read) are opened by `retrieval/evaluation/corpus.py`.
"""

from __future__ import annotations

import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tqdm import tqdm

from retrieval.errors import InputFileError, NewsbotError
from retrieval.evaluation.corpus import articles_in_index, open_corpus_index, open_naive, open_user_corpus

# Re-exported: benchmarks and tests import the index openers from here.
from retrieval.evaluation.corpus import corpus_hash as corpus_hash
from retrieval.evaluation.corpus import eval_settings as eval_settings
from retrieval.evaluation.corpus import open_files_index as open_files_index
from retrieval.evaluation.dated import WindowScorer
from retrieval.evaluation.gold import GoldResolver, GoldUnit, ResolvedQuestion
from retrieval.evaluation.metrics import (
    AnswerOutcome,
    answer_metrics,
    label_items,
    latency_metrics,
    ranking_metrics,
)
from retrieval.evaluation.naive import NaiveChunk, NaiveRAG
from retrieval.evaluation.questions import KIND_ORDER, EvalDataset, report_kind
from retrieval.indexing.store import NewsIndex
from retrieval.settings import Settings
from retrieval.types import Answer

if TYPE_CHECKING:
    from retrieval.engine import Engine

CONFIGS = ("naive", "dense", "bm25", "hybrid", "answer")
SEARCH_MODES = ("dense", "bm25", "hybrid")
NAIVE_CITES = 4  # the naive recipe puts its top 4 chunks in the prompt: they are its "citations"
READ_ITEMS = 4  # evidence a reader checks: the first 4 items, or the cited sentences


@dataclass
class ConfigResult:
    """Every figure for one configuration."""

    name: str
    sentence: dict = field(default_factory=dict)  # ranking metrics, gold = sentences
    article: dict = field(default_factory=dict)  # ranking metrics, gold = articles
    answers: dict | None = None  # citation and abstention metrics
    latency: dict = field(default_factory=dict)
    evidence_chars: float | None = None  # characters a reader checks per question
    errors: int = 0
    first_error: str = ""
    by_kind: dict = field(default_factory=dict)  # the same, per question type
    per_question: list = field(default_factory=list)  # one small record per question, for finding failures


@dataclass
class EvalReport:
    """A whole evaluation run: what was measured on what, and the results per configuration."""

    dataset: str
    path: str
    questions: int
    answerable: int
    unanswerable: int
    gold_units: int
    gold_missing: int
    questions_without_gold: int
    corpus_articles: int
    corpus_sentences: int
    index_dir: str
    k: int
    seed: int
    limit: int | None
    settings: dict
    machine: str
    command: str = ""
    notes: list[str] = field(default_factory=list)
    missing_examples: list[str] = field(default_factory=list)
    configs: list[ConfigResult] = field(default_factory=list)

    def to_json(self) -> dict:
        return asdict(self)


def parse_configs(text: str) -> list[str]:
    """`naive,dense,...` -> a checked list, in the given order."""
    names = [c.strip().lower() for c in text.split(",") if c.strip()]
    bad = [c for c in names if c not in CONFIGS]
    if bad or not names:
        raise InputFileError(f"unknown configuration {', '.join(bad) or '(none)'}; use some of: {', '.join(CONFIGS)}")
    return list(dict.fromkeys(names))


def machine_line() -> str:
    """CPU, cores, OS and Python: figures mean little without the machine they ran on."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, Python {platform.python_version()}"
    )


# -- running -------------------------------------------------------------------------------


@dataclass
class _ArticleGold:
    id: str
    grade: int = 1


def _item_article(item) -> str:
    return item.article_id if isinstance(item, NaiveChunk) else item.sentence.article_id


def _covers_sentence(u: GoldUnit, item) -> bool:
    if isinstance(item, NaiveChunk):
        return u.in_chunk(item.article_id, item.text)
    return u.in_sentence(item.sentence)


def _item_text(item) -> str:
    return item.text if isinstance(item, NaiveChunk) else item.sentence.text


class Evaluator:
    """Runs configurations on resolved questions against one index."""

    def __init__(
        self,
        index: NewsIndex,
        index_settings: Settings,
        questions: Sequence[ResolvedQuestion],
        resolver: GoldResolver,
        k: int = 10,
        naive: Callable[[], NaiveRAG] | None = None,
        show: bool = False,
        dates: WindowScorer | None = None,
    ) -> None:
        self.index = index
        self.dates = dates or WindowScorer()  # each question's clock; dated sets: its window, scored
        self.settings = index_settings
        self.questions = questions
        self.resolver = resolver
        self.k = k
        self._naive_factory = naive
        self.show = show
        self._engine = None

    def run(self, config: str) -> ConfigResult:
        if config == "answer":
            return self._run_answers()
        retrieve = self._retriever(config)
        result = ConfigResult(config)
        items_by_q: dict[str, list] = {}
        seconds: list[float] = []
        for rq in _progress(self.questions, config, self.show):
            t0 = time.perf_counter()
            try:
                items = retrieve(rq.question.question)
            except NewsbotError as exc:
                result.errors += 1
                result.first_error = result.first_error or str(exc)
                items = []
            seconds.append(time.perf_counter() - t0)
            items_by_q[rq.question.id] = items
            gold_rank = next(
                (i + 1 for i, it in enumerate(items) if any(_covers_sentence(u, it) for u in rq.units)), None
            )
            result.per_question.append(
                {
                    "id": rq.question.id,
                    "ms": round(seconds[-1] * 1000, 1),
                    "gold_rank": gold_rank,
                    "kind": report_kind(rq.question),
                    "top": _item_text(items[0])[:160] if items else "",
                }
            )
        result.sentence, result.article = self._ranking(items_by_q, self.questions)
        result.latency = latency_metrics(seconds)
        result.evidence_chars = _mean(
            [sum(len(_item_text(i)) for i in items[:READ_ITEMS]) for items in items_by_q.values()]
        )
        naive = {}
        if config == "naive":
            # The naive recipe never abstains and "cites" the chunks it puts in the prompt.
            naive = {rq.question.id: self._naive_outcome(rq, items_by_q[rq.question.id]) for rq in self.questions}
            result.answers = answer_metrics(list(naive.values()))
        for kind, group in _by_kind(self.questions).items():
            sent, art = self._ranking(items_by_q, group)
            result.by_kind[kind] = {"questions": len(group), "sentence": sent, "article": art}
            if naive:
                result.by_kind[kind]["answers"] = answer_metrics([naive[rq.question.id] for rq in group])
        return result

    def _retriever(self, config: str) -> Callable[[str], list]:
        if config == "naive":
            if self._naive_factory is None:
                raise InputFileError("the naive baseline is not available for this dataset")
            naive = self._naive_factory()
            return lambda q: naive.search(q, self.k)
        if config in SEARCH_MODES:
            searcher = self.engine.searcher
            return lambda q: searcher.search(q, k=self.k, mode=config)
        raise InputFileError(f"unknown configuration {config!r}; use some of: {', '.join(CONFIGS)}")

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            from retrieval.engine import Engine

            self._engine = Engine(self.settings, self.index)
        return self._engine

    def _ranking(self, items_by_q: dict[str, list], questions: Sequence[ResolvedQuestion]) -> tuple[dict, dict]:
        gold = [rq for rq in questions if rq.units]
        s_qrels = {rq.question.id: {u.id: u.grade for u in rq.units} for rq in gold}
        s_labels = {
            rq.question.id: label_items(items_by_q.get(rq.question.id, []), rq.units, _covers_sentence) for rq in gold
        }
        a_qrels = {rq.question.id: rq.article_ids for rq in gold}
        a_labels = {
            rq.question.id: label_items(
                items_by_q.get(rq.question.id, []),
                [_ArticleGold(a, g) for a, g in rq.article_ids.items()],
                lambda u, item: _item_article(item) == u.id,
            )
            for rq in gold
        }
        return ranking_metrics(s_qrels, s_labels), ranking_metrics(a_qrels, a_labels)

    def _naive_outcome(self, rq: ResolvedQuestion, chunks: list[NaiveChunk]) -> AnswerOutcome:
        cited = chunks[:NAIVE_CITES]
        good = [c for c in cited if any(u.in_chunk(c.article_id, c.text) for u in rq.units)]
        first_gold = bool(cited) and any(u.in_chunk(cited[0].article_id, cited[0].text) for u in rq.units)
        covered = [u for u in rq.units if any(u.in_chunk(c.article_id, c.text) for c in cited)]
        return AnswerOutcome(
            answerable=rq.question.answerable,
            has_gold=bool(rq.units) and rq.question.answerable,
            abstained=False,
            cited=len(cited),
            cited_gold=len(good),
            gold_units=len(rq.units),
            gold_units_cited=len(covered),
            first_gold=first_gold,
        )

    def _answer_outcome(self, rq: ResolvedQuestion, answer: Answer) -> AnswerOutcome:
        sentences = []
        for c in answer.citations:
            stored = self.resolver.sentences(c.article_id) if c.article_id in rq.article_ids else []
            match = [s for s in stored if s.index == c.sentence_index]
            sentences.append(match[0] if match else None)
        good = [s for s in sentences if s is not None and any(u.in_sentence(s) for u in rq.units)]
        first = sentences[0] if sentences else None
        first_gold = first is not None and any(u.in_sentence(first) for u in rq.units)
        covered = [u for u in rq.units if any(s is not None and u.in_sentence(s) for s in sentences)]
        return AnswerOutcome(
            answerable=rq.question.answerable,
            has_gold=bool(rq.units) and rq.question.answerable,
            abstained=answer.abstained,
            cited=0 if answer.abstained else len(answer.citations),
            cited_gold=0 if answer.abstained else len(good),
            gold_units=len(rq.units),
            gold_units_cited=0 if answer.abstained else len(covered),
            first_gold=first_gold and not answer.abstained,
        )

    def _run_answers(self) -> ConfigResult:
        result = ConfigResult("answer")
        engine = self.engine
        outcomes: dict[str, AnswerOutcome] = {}
        seconds: list[float] = []
        chars: list[int] = []
        for rq in _progress(self.questions, "answer", self.show):
            q = rq.question
            t0 = time.perf_counter()
            try:
                answer = engine.ask(q.question, q.history, now=self.dates.clock(q.id))
            except NewsbotError as exc:
                result.errors += 1
                result.first_error = result.first_error or str(exc)
                answer = Answer(question=q.question, answer="", abstained=True, backend="error")
            seconds.append(time.perf_counter() - t0)
            outcomes[q.id] = self._answer_outcome(rq, answer)
            o = outcomes[q.id]
            self.dates.score(q.id, answer, found_gold=o.cited_gold > 0)
            result.per_question.append(
                {
                    "id": q.id,
                    "ms": round(seconds[-1] * 1000, 1),
                    "kind": report_kind(q),
                    "abstained": answer.abstained,
                    "cited": o.cited,
                    "cited_gold": o.cited_gold,
                    "first_gold": o.first_gold,
                    "answer": answer.answer[:300],
                }
            )
            chars.append(0 if answer.abstained else sum(len(c.quote) for c in answer.citations))
        result.answers = {**answer_metrics(list(outcomes.values())), **self.dates.metrics()}  # + dated sets' window
        result.latency = latency_metrics(seconds)
        result.evidence_chars = _mean(chars)
        for kind, group in _by_kind(self.questions).items():
            result.by_kind[kind] = {
                "questions": len(group),
                "answers": answer_metrics([outcomes[rq.question.id] for rq in group]),
            }
        return result


def _progress(questions, desc: str, show: bool):
    return tqdm(questions, desc=desc, unit="q", disable=not show, dynamic_ncols=True, file=sys.stderr)


def _by_kind(questions: Sequence[ResolvedQuestion]) -> dict[str, list[ResolvedQuestion]]:
    """Questions per reported kind (`report_kind`), the project's kinds first in `KIND_ORDER`."""
    groups: dict[str, list[ResolvedQuestion]] = {}
    for rq in questions:
        kind = report_kind(rq.question)
        if kind:
            groups.setdefault(kind, []).append(rq)
    if len(groups) < 2:
        return {}
    rank = {k: i for i, k in enumerate(KIND_ORDER)}
    return dict(sorted(groups.items(), key=lambda kv: rank.get(kv[0], len(rank))))


def _mean(values: Sequence[float]) -> float | None:
    return float(sum(values) / len(values)) if values else None


# -- the whole run -------------------------------------------------------------------------


def evaluate(
    ds: EvalDataset,
    settings: Settings,
    configs: Sequence[str],
    k: int = 10,
    seed: int = 13,
    limit: int | None = None,
    max_articles: int | None = None,
    corpus_paths: Sequence[Path] = (),
    rebuild: bool = False,
    show: bool = False,
    path: str = "",
    subset: str | None = None,
) -> EvalReport:
    """Pick the questions (subset, sample), index (or reuse), place the gold, run each configuration."""
    if k < 1:
        raise InputFileError("-k must be at least 1")
    ds = ds.subset(subset).sample(limit, seed).shrink(max_articles, seed)
    find_text = True
    if ds.corpus is not None:
        index, s = open_corpus_index(ds, settings, rebuild=rebuild, show=show)
        corpus = ds.corpus
    elif corpus_paths:
        ds, index, s, corpus = open_user_corpus(ds, corpus_paths, settings, max_articles, seed, rebuild, show)
        find_text = corpus is None  # a cut corpus had its evidence placed in the whole corpus already
    else:
        index, s = NewsIndex.open(settings), settings  # the user's own index, read only
        corpus = None
    stats = index.stats()
    if not stats["articles"]:
        raise InputFileError(f"the index at {index.location} is empty; ingest articles first or pass --corpus")
    resolver = GoldResolver(index, roots=corpus_paths, find_text=find_text)
    resolved = [resolver.resolve(q) for q in _progress(ds.questions, "placing gold", show)]

    def naive_factory() -> NaiveRAG:
        # Beside the dataset's own index; for the user's index, under <data_dir>/eval like every eval file.
        root = s.data_dir if s is not settings else settings.data_dir / "eval" / "own-index"
        return open_naive(root, corpus if corpus is not None else articles_in_index(index), settings, show)

    dates = WindowScorer.for_dataset(ds, stats.get("last_published"))
    evaluator = Evaluator(index, s, resolved, resolver, k=k, naive=naive_factory, show=show, dates=dates)
    missing = [m for rq in resolved for m in rq.missing]
    report = EvalReport(
        dataset=ds.name,
        path=path,
        questions=len(resolved),
        answerable=sum(rq.question.answerable for rq in resolved),
        unanswerable=sum(not rq.question.answerable for rq in resolved),
        gold_units=sum(len(rq.units) for rq in resolved),
        gold_missing=len(missing),
        questions_without_gold=sum(1 for rq in resolved if rq.question.answerable and not rq.units),
        corpus_articles=stats["articles"],
        corpus_sentences=stats["sentences"],
        index_dir=str(index.location),
        k=k,
        seed=seed,
        limit=limit,
        settings={
            "embeddings": settings.embeddings,
            "answerer": settings.answerer,
            "top_k": settings.top_k,
            "chunk_sentences": settings.chunk_sentences,
            "chunk_overlap": settings.chunk_overlap,
        },
        machine=machine_line(),
        notes=list(ds.notes),
        missing_examples=missing[:5],
    )
    for config in configs:
        report.configs.append(evaluator.run(config))
    return report
