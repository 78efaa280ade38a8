"""Evaluation measures: ranking metrics through ir-measures, citation and abstention rates, latency.

Ranking input is, per question, the list of retrieved *items* (sentences or chunks) in rank order,
each labelled with the gold unit ids it newly covers (`label_items`). An item that covers no new
gold gets a unique filler id, so the k-th item is always rank k. A chunk covering two gold units
counts for both at its own rank; to keep cut-offs about items (not about labels), each figure @k
is ir-measures' full-depth measure on the run cut to its first k items:

- `R@k`: share of a question's gold units covered by the first k items (sentence-level recall).
- `S@k`: share of questions with any gold unit in the first k items (MultiHop-RAG's Hits@k).
- `MRR@10`: 1 / rank of the first item holding gold (0 past 10): MultiHop-RAG's MRR@10.
- `nDCG@10`: graded gain of newly covered gold units, log-discounted.
Questions without gold (unanswerable, or gold not found in the corpus) are left out of these.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import ir_measures
import numpy as np
from ir_measures import RR, R, Success, nDCG

RANK_KS = (1, 4, 5, 10)
DEPTH = 10
_FULL = 100_000  # "no cut-off" for ir-measures: runs are already cut to k items


def label_items(items: Sequence, units: Sequence, covers: Callable[[object, object], bool]) -> list[list[str]]:
    """For each retrieved item, the ids of gold units it covers that no earlier item covered."""
    found: set[str] = set()
    out: list[list[str]] = []
    for i, item in enumerate(items):
        new = [u.id for u in units if u.id not in found and covers(u, item)]
        found.update(new)
        out.append(new or [f"~miss~{i}"])  # filler: no gold id has this form
    return out


def _run(labelled: dict[str, list[list[str]]], k: int) -> dict[str, dict[str, float]]:
    run: dict[str, dict[str, float]] = {}
    for qid, items in labelled.items():
        docs = [d for item in items[:k] for d in item]
        # Strictly decreasing scores keep our order (ir-measures sorts by score).
        run[qid] = {d: float(len(docs) - i) for i, d in enumerate(docs)}
    return run


def ranking_metrics(
    qrels: dict[str, dict[str, int]], labelled: dict[str, list[list[str]]], ks: Iterable[int] = RANK_KS
) -> dict[str, float]:
    """R@k, S@k for each k, MRR@10 and nDCG@10, averaged over the questions in `qrels` (see module doc)."""
    qrels = {q: {d: g for d, g in docs.items() if g > 0} for q, docs in qrels.items()}
    qrels = {q: docs for q, docs in qrels.items() if docs}
    if not qrels:
        return {}
    labelled = {q: labelled.get(q, []) for q in qrels}
    out: dict[str, float] = {}
    for k in sorted(set(ks) | {DEPTH}):
        agg = ir_measures.calc_aggregate([R @ _FULL, Success @ _FULL], qrels, _run(labelled, k))
        out[f"R@{k}"] = float(agg.get(R @ _FULL, 0.0))
        out[f"S@{k}"] = float(agg.get(Success @ _FULL, 0.0))
    agg = ir_measures.calc_aggregate([RR @ _FULL, nDCG @ _FULL], qrels, _run(labelled, DEPTH))
    out[f"MRR@{DEPTH}"] = float(agg.get(RR @ _FULL, 0.0))
    out[f"nDCG@{DEPTH}"] = float(agg.get(nDCG @ _FULL, 0.0))
    out["questions"] = len(qrels)
    return out


@dataclass(frozen=True)
class AnswerOutcome:
    """What one answer did, in the terms the citation and abstention measures need."""

    answerable: bool
    has_gold: bool  # answerable and some gold was found in the corpus
    abstained: bool
    cited: int  # citations given
    cited_gold: int  # citations that are gold sentences
    gold_units: int  # gold units of the question
    gold_units_cited: int  # gold units covered by at least one citation
    first_gold: bool = False  # the first citation is a gold sentence (naive: its first chunk holds gold)


def answer_metrics(outcomes: Sequence[AnswerOutcome]) -> dict[str, float | None]:
    """Citation precision/recall (ALCE-style, a citation is correct when it is a gold sentence) and abstention.

    - `cited_gold`: share of questions with gold where some cited sentence is gold (0 when abstaining);
    - `first_cited_gold`: share of questions with gold whose FIRST citation is gold (0 when abstaining);
    - `cite_precision`: gold citations / citations, over answered questions with gold and citations;
    - `cite_recall`: gold units covered by a citation / gold units, over questions with gold;
    - `cites_per_answer`: citations per non-abstained answer;
    - `answer_rate`: share of answerable questions answered; `abstain_rate`: share of
      unanswerable ones abstained on (None when the set has none).
    """
    gold = [o for o in outcomes if o.has_gold]
    precise = [o for o in gold if not o.abstained and o.cited]
    answered = [o for o in outcomes if not o.abstained]
    answerable = [o for o in outcomes if o.answerable]
    unanswerable = [o for o in outcomes if not o.answerable]
    return {
        "cited_gold": _mean(float(o.cited_gold > 0) for o in gold),
        "first_cited_gold": _mean(float(o.first_gold and not o.abstained) for o in gold),
        "cite_precision": _mean(o.cited_gold / o.cited for o in precise),
        "cite_recall": _mean(o.gold_units_cited / o.gold_units for o in gold if o.gold_units),
        "cites_per_answer": _mean(float(o.cited) for o in answered),
        "answer_rate": _mean(float(not o.abstained) for o in answerable),
        "abstain_rate": _mean(float(o.abstained) for o in unanswerable),
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
    }


def latency_metrics(seconds: Sequence[float]) -> dict[str, float | None]:
    """Median and 95th percentile per question, in milliseconds."""
    if not seconds:
        return {"latency_p50_ms": None, "latency_p95_ms": None}
    ms = np.asarray(seconds) * 1000.0
    return {"latency_p50_ms": float(np.percentile(ms, 50)), "latency_p95_ms": float(np.percentile(ms, 95))}


def _mean(values: Iterable[float]) -> float | None:
    vals = list(values)
    return float(sum(vals) / len(vals)) if vals else None
