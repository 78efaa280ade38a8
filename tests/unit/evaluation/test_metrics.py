"""Evaluation measures: hand-computed values on tiny cases, ir-measures on a random one, gold placement by text."""

from __future__ import annotations

import math
import random

import ir_measures
import pytest
from ir_measures import RR, R, Success, nDCG

from retrieval.evaluation.gold import GoldUnit, find_spans, squeeze
from retrieval.evaluation.metrics import (
    AnswerOutcome,
    answer_metrics,
    label_items,
    latency_metrics,
    ranking_metrics,
)
from retrieval.types import Sentence


def test_ranking_metrics_match_hand_computed_values():
    # q1: gold a, b; items: miss, (a and b together: a chunk holding both), miss.
    # q2: gold c at item 5.   q3: no gold -> not scored.
    qrels = {"q1": {"a": 1, "b": 1}, "q2": {"c": 1}, "q3": {}}
    labelled = {"q1": [["x"], ["a", "b"], ["y"]], "q2": [["z"], ["w"], ["v"], ["u"], ["c"]]}
    m = ranking_metrics(qrels, labelled)
    assert m["questions"] == 2
    assert m["S@1"] == 0 and m["R@1"] == 0
    assert m["S@4"] == pytest.approx(0.5)  # q1 yes (item 2), q2 no (item 5)
    assert m["R@4"] == pytest.approx(0.5)  # q1 2/2, q2 0/1
    assert m["R@5"] == pytest.approx(1.0) and m["S@10"] == pytest.approx(1.0)
    assert m["MRR@10"] == pytest.approx((1 / 2 + 1 / 5) / 2)
    # nDCG: q1 gains at positions 2,3 against ideal 1,2; q2 one gain at position 5.
    q1 = (1 / math.log2(3) + 1 / math.log2(4)) / (1 + 1 / math.log2(3))
    q2 = 1 / math.log2(6)
    assert m["nDCG@10"] == pytest.approx((q1 + q2) / 2)


def test_a_question_with_no_retrieved_items_scores_zero_not_skipped():
    m = ranking_metrics({"q1": {"a": 1}, "q2": {"b": 1}}, {"q1": [["a"]]})
    assert m["S@1"] == pytest.approx(0.5) and m["MRR@10"] == pytest.approx(0.5)


def test_no_scorable_question_gives_no_figures():
    assert ranking_metrics({"q": {}}, {"q": [["x"]]}) == {}


def test_label_items_credits_each_gold_unit_once_and_keeps_ranks():
    units = [GoldUnit("g1", "A", ((0, 10),)), GoldUnit("g2", "A", ((20, 30),))]
    items = [
        Sentence("A", 0, 0, 10, "x"),
        Sentence("A", 0, 0, 10, "x"),
        Sentence("B", 0, 20, 30, "y"),
        Sentence("A", 2, 18, 25, "z"),
    ]
    labels = label_items(items, units, lambda u, s: u.in_sentence(s))
    assert labels[0] == ["g1"]
    assert labels[1][0] != "g1" and labels[2][0] != "g2"  # a repeat and another article are fillers
    assert labels[3] == ["g2"]
    assert len({lab[0] for lab in labels}) == 4  # fillers are unique


def test_ranking_metrics_agree_with_ir_measures_on_a_random_case():
    """With one label per item, our @k figures equal ir-measures' own cut-offs on the same run."""
    rng = random.Random(7)
    qrels, labelled, run = {}, {}, {}
    for q in range(40):
        qid = f"q{q}"
        pool = [f"d{i}" for i in range(30)]
        gold = rng.sample(pool, rng.randint(1, 4))
        qrels[qid] = {d: rng.choice([1, 2]) for d in gold}
        ranked = rng.sample(pool, rng.randint(0, 12))
        labelled[qid] = [[d] for d in ranked]
        run[qid] = {d: float(100 - i) for i, d in enumerate(ranked)}
    ours = ranking_metrics(qrels, labelled)
    theirs = ir_measures.calc_aggregate(
        [R @ 1, R @ 4, R @ 5, R @ 10, Success @ 1, Success @ 4, Success @ 10, RR @ 10, nDCG @ 10], qrels, run
    )
    for k in (1, 4, 5, 10):
        assert ours[f"R@{k}"] == pytest.approx(theirs[R @ k])
    for k in (1, 4, 10):
        assert ours[f"S@{k}"] == pytest.approx(theirs[Success @ k])
    assert ours["MRR@10"] == pytest.approx(theirs[RR @ 10])
    assert ours["nDCG@10"] == pytest.approx(theirs[nDCG @ 10])


def test_answer_metrics_match_hand_computed_values():
    outcomes = [
        # answered, 2 of 3 citations gold, covering 1 of 2 gold units
        AnswerOutcome(True, True, False, cited=3, cited_gold=2, gold_units=2, gold_units_cited=1),
        # answered, no gold cited
        AnswerOutcome(True, True, False, cited=1, cited_gold=0, gold_units=1, gold_units_cited=0),
        # answerable but abstained
        AnswerOutcome(True, True, True, cited=0, cited_gold=0, gold_units=1, gold_units_cited=0),
        # unanswerable: one abstained, one answered
        AnswerOutcome(False, False, True, 0, 0, 0, 0),
        AnswerOutcome(False, False, False, 2, 0, 0, 0),
    ]
    m = answer_metrics(outcomes)
    assert m["cited_gold"] == pytest.approx(1 / 3)
    assert m["cite_precision"] == pytest.approx((2 / 3 + 0) / 2)
    assert m["cite_recall"] == pytest.approx((1 / 2 + 0 + 0) / 3)
    assert m["answer_rate"] == pytest.approx(2 / 3)
    assert m["abstain_rate"] == pytest.approx(1 / 2)
    assert m["cites_per_answer"] == pytest.approx((3 + 1 + 2) / 3)
    assert (m["answerable"], m["unanswerable"]) == (3, 2)


def test_first_citation_rate_counts_answers_that_lead_with_gold():
    outcomes = [
        AnswerOutcome(True, True, False, 2, 1, 1, 1, first_gold=True),
        AnswerOutcome(True, True, False, 3, 1, 1, 1, first_gold=False),  # gold cited, but second
        AnswerOutcome(True, True, False, 1, 0, 1, 0),
        AnswerOutcome(True, True, True, 0, 0, 1, 0, first_gold=True),  # abstained: never counts
        AnswerOutcome(True, False, False, 1, 0, 0, 0, first_gold=False),  # gold not placed: not scored
        AnswerOutcome(False, False, True, 0, 0, 0, 0),
    ]
    m = answer_metrics(outcomes)
    assert m["first_cited_gold"] == pytest.approx(1 / 4)
    assert m["cited_gold"] == pytest.approx(2 / 4)
    assert answer_metrics([AnswerOutcome(False, False, True, 0, 0, 0, 0)])["first_cited_gold"] is None


def test_answer_metrics_without_unanswerables_leave_abstention_empty():
    m = answer_metrics([AnswerOutcome(True, True, False, 1, 1, 1, 1)])
    assert m["abstain_rate"] is None and m["answer_rate"] == 1.0


def test_latency_percentiles():
    m = latency_metrics([0.001 * i for i in range(1, 101)])
    assert m["latency_p50_ms"] == pytest.approx(50.5)
    assert m["latency_p95_ms"] == pytest.approx(95.05)
    assert latency_metrics([])["latency_p50_ms"] is None


def test_find_spans_ignores_spacing_and_respects_word_bounds():
    text = "The network has two\n  nodes. Two more were added."
    assert find_spans(text, "has two nodes.") == [(12, 28)]
    assert find_spans(text, "two") == [(16, 19)]  # not inside "network"
    assert find_spans(text, "work") == []
    assert find_spans(text, "") == []


def test_gold_unit_matches_overlapping_sentences_and_containing_chunks():
    unit = GoldUnit("g", "A", spans=((10, 30),), texts=("gold  fact\nhere",))
    assert unit.in_sentence(Sentence("A", 1, 25, 40, "..."))
    assert not unit.in_sentence(Sentence("A", 2, 30, 40, "..."))  # touching is not overlapping
    assert not unit.in_sentence(Sentence("B", 1, 10, 30, "..."))
    assert unit.in_chunk("A", "before gold fact here after")
    assert not unit.in_chunk("A", "before gold fact")
    whole = GoldUnit("w", "A")
    assert whole.in_sentence(Sentence("A", 9, 500, 510, "...")) and whole.in_chunk("A", "anything")
    assert squeeze(" a b\n c ") == "abc"


def test_naive_baseline_stores_duplicate_texts_once(tmp_path, embeddings):
    """The BBC set has 98 exact duplicate pairs; the naive store must not trip over them."""
    from retrieval.evaluation.naive import NaiveRAG
    from retrieval.types import Article

    text = "The harbour reopened on Monday after storm repairs. Ferries run again."
    a, b = Article("Harbour", text, key="/x/1.txt"), Article("Harbour", text, key="/x/2.txt")
    naive = NaiveRAG(tmp_path / "naive", embeddings)
    assert naive.build([a, b]) == 1
    assert naive.count() == 1
