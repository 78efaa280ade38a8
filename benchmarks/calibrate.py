"""Choose the first stage's fusion of dense and lexical search on the shared sets.

    python benchmarks/calibrate.py
    python benchmarks/calibrate.py --datasets ../shared/datasets --data-dir /tmp/nb

It prints the fusion table: share of answerable questions with a gold sentence ranked 1st / in
the top 3, for each fusion method, computed on the same candidates (dense top-50 + BM25 top-50).
The fused score only orders the first stage (which articles are widened); which sentence answers,
and when to abstain, is the second stage's: `benchmarks/train_ranker.py` trains and calibrates it.

Indexes are built once per corpus under `<data_dir>/eval/` (shared with `newsbot eval`).
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from retrieval.answering.chain import AnswerPipeline
from retrieval.answering.search import Searcher
from retrieval.evaluation.datasets import EvalDataset, load_dataset
from retrieval.evaluation.gold import GoldResolver
from retrieval.evaluation.runner import open_corpus_index
from retrieval.settings import Settings

K = 8  # hits handed to the answerer (Settings.top_k)


def is_dev(qid: str) -> bool:
    """The calibration split: ids whose sha1 is even. The other half is the held-out test split."""
    return int(hashlib.sha1(qid.encode()).hexdigest(), 16) % 2 == 0


@dataclass
class Row:
    """One question with what calibration needs."""

    set: str
    id: str
    question: str
    answerable: bool
    dev: bool
    has_gold: bool
    cand_gold: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    cand = None  # retrieval.answering.search.Candidates
    hits: list = field(default_factory=list)
    hit_gold: list[bool] = field(default_factory=list)
    answer = None  # retrieval.types.Answer
    cited_gold: bool = False
    seconds: float = 0.0


def load_sets(root: Path, only: list[str]) -> dict[str, EvalDataset]:
    sets = {
        "squad": lambda: load_dataset("squad", root / "squad2_500"),
        "hotpot": lambda: load_dataset("hotpotqa", root / "hotpotqa_hipporag_100"),
        "multihop": lambda: load_dataset("multihop", root / "multihop_rag_500", distractors=root / "bbc_news_2225"),
    }
    return {name: make() for name, make in sets.items() if not only or name in only}


def collect(name: str, ds: EvalDataset, settings: Settings, limit: int | None) -> list[Row]:
    """Search and answer every question of a dataset; label candidates, hits and citations with gold."""
    index, s = open_corpus_index(ds, settings, show=True)
    searcher = Searcher(index, s)
    pipeline = AnswerPipeline(index, s, searcher=searcher)
    resolver = GoldResolver(index)
    rows: list[Row] = []
    questions = ds.questions[:limit] if limit else ds.questions
    for q in questions:
        resolved = resolver.resolve(q)
        units = resolved.units
        row = Row(name, q.id, q.question, q.answerable, is_dev(q.id), bool(units))
        found = searcher.candidates(q.question, K)
        if found is not None:
            lex, cand = found
            row.cand = cand
            row.cand_gold = np.asarray([any(u.in_sentence(lex.sentence(int(r))) for u in units) for r in cand.rows])
        t = time.perf_counter()
        ans = pipeline.ask(q.question)
        row.seconds = time.perf_counter() - t
        row.answer = ans
        row.hits = list(ans.hits)
        row.hit_gold = [any(u.in_sentence(h.sentence) for u in units) for h in row.hits]
        cited = {(c.article_id, c.sentence_index) for c in ans.citations}
        row.cited_gold = any(
            g and (h.sentence.article_id, h.sentence.index) in cited for h, g in zip(row.hits, row.hit_gold)
        )
        rows.append(row)
    return rows


# -- 1. fusion -------------------------------------------------------------------------------------


def _rank_positions(values: np.ndarray) -> np.ndarray:
    pos = np.empty(len(values))
    pos[np.argsort(-values, kind="stable")] = np.arange(len(values))
    return pos


def fusion_methods() -> dict[str, callable]:
    def rrf(w: float):
        def f(c):
            dense_rank = np.where(c.in_dense, _rank_positions(c.cos), 10_000)
            bm_rank = np.where(c.bm25 > 0, _rank_positions(c.bm25), 10_000)
            return 1 / (60 + dense_rank) + w / (60 + bm_rank)

        return f

    def rel(c):
        return c.bm25 / c.bm25_best if c.bm25_best > 0 else np.zeros(len(c.rows))

    methods = {
        "dense (cosine)": lambda c: np.where(c.in_dense, c.cos, -1.0),
        "bm25": lambda c: c.bm25,
        "RRF w=0.5": rrf(0.5),
        "RRF w=1.0": rrf(1.0),
        "cos + 0.2 bm25/max": lambda c: c.cos + 0.2 * rel(c),
        "cos + 0.3 bm25/max": lambda c: c.cos + 0.3 * rel(c),
    }
    for wc in (0.2, 0.3, 0.4, 0.5):
        methods[f"cos + {wc} cov"] = lambda c, wc=wc: c.cos + wc * c.coverage
    for wb in (0.05, 0.1, 0.2):
        for wc in (0.3, 0.4):
            methods[f"cos + {wc} cov + {wb} bm25/max"] = lambda c, wb=wb, wc=wc: c.cos + wc * c.coverage + wb * rel(c)
    methods["chosen (search.py)"] = lambda c: c.fused("hybrid")
    return methods


def fusion_table(rows_by_set: dict[str, list[Row]]) -> None:
    print("\n## 1. Fusion (answerable questions with gold; same candidates for every method)")
    names = list(rows_by_set)
    print("| method | " + " | ".join(f"{n} @1 | {n} @3" for n in names) + " | mean @3 |")
    print("|---|" + "---|" * (2 * len(names) + 1))
    for label, f in fusion_methods().items():
        cells, at3 = [], []
        for n in names:
            rows = [r for r in rows_by_set[n] if r.answerable and r.has_gold]
            h1 = h3 = 0
            for r in rows:
                if r.cand is None:
                    continue
                order = np.argsort(-f(r.cand), kind="stable")
                h1 += bool(r.cand_gold[order[0]])
                h3 += bool(r.cand_gold[order[:3]].any())
            cells += [h1 / len(rows), h3 / len(rows)]
            at3.append(h3 / len(rows))
        print(f"| {label} | " + " | ".join(f"{v:.3f}" for v in cells) + f" | {statistics.mean(at3):.3f} |")
    print("(with the article spread of search.py, the hits' gold @1/@3:",
          ", ".join(f"{n} {_share(rows_by_set[n], 1):.3f}/{_share(rows_by_set[n], 3):.3f}" for n in names) + ")")


def _share(rows: list[Row], k: int) -> float:
    rows = [r for r in rows if r.answerable and r.has_gold]
    return sum(any(r.hit_gold[:k]) for r in rows) / max(1, len(rows))


# -- figures of the ask path, for benchmarks/query.py -------------------------------------------


@dataclass
class Figures:
    answered: float
    gold_cited: float | None
    cited: float
    abstained_null: float | None
    n: int
    n_null: int


def figures(rows: list[Row]) -> Figures:
    ans = [r for r in rows if r.answerable]
    nul = [r for r in rows if not r.answerable]
    gold = [r for r in ans if r.has_gold]
    answered = [r for r in ans if not r.answer.abstained]
    return Figures(
        answered=len(answered) / max(1, len(ans)),
        gold_cited=(sum(r.cited_gold for r in gold) / len(gold)) if gold else None,
        cited=statistics.mean(len(r.answer.citations) for r in answered) if answered else 0.0,
        abstained_null=(sum(r.answer.abstained for r in nul) / len(nul)) if nul else None,
        n=len(ans),
        n_null=len(nul),
    )


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--datasets", type=Path, default=REPO.parent / "shared" / "datasets")
    ap.add_argument("--data-dir", type=Path, default=None, help="where eval indexes are cached (default: newsbot's)")
    ap.add_argument("--sets", default="squad,hotpot,multihop", help="comma-separated: squad, hotpot, multihop")
    ap.add_argument("--limit", type=int, default=None, help="questions per set (quick runs)")
    args = ap.parse_args(argv)
    settings = Settings.load(env_file=None)
    if args.data_dir:
        settings = settings.with_(data_dir=args.data_dir)
    only = [s.strip() for s in args.sets.split(",") if s.strip()]
    print(f"# calibrate: {' '.join(sys.argv)}")
    rows_by_set: dict[str, list[Row]] = {}
    for name, ds in load_sets(args.datasets, only).items():
        t = time.time()
        rows_by_set[name] = collect(name, ds, settings, args.limit)
        print(f"{name}: {len(rows_by_set[name])} questions in {time.time() - t:.0f} s", file=sys.stderr)
    fusion_table(rows_by_set)


if __name__ == "__main__":
    main()
