"""Rendering an evaluation report: the first-citation column, and the per-kind tables."""

from __future__ import annotations

from retrieval.evaluation.report import kind_tables, markdown_table
from retrieval.evaluation.runner import ConfigResult, EvalReport


def answers(cited: float | None, first: float | None, per: float, answered: float | None, abstained: float | None):
    return {
        "cited_gold": cited,
        "first_cited_gold": first,
        "cite_precision": cited,
        "cites_per_answer": per,
        "answer_rate": answered,
        "abstain_rate": abstained,
    }


def report() -> EvalReport:
    naive = ConfigResult(
        "naive",
        sentence={"S@4": 0.8},
        answers=answers(0.8, 0.5, 4.0, 1.0, 0.0),
        by_kind={
            "single, needs context": {"questions": 3, "sentence": {"S@4": 1.0}, "answers": answers(1, 0.5, 4, 1, None)},
            "followup": {"questions": 2, "sentence": {"S@4": 0.5}, "answers": answers(0.5, 0, 4, 1, None)},
            "unanswerable": {"questions": 1, "sentence": {}, "answers": answers(None, None, 4, None, 0)},
        },
    )
    answer = ConfigResult(
        "answer",
        answers=answers(0.6, 0.4, 2.5, 0.9, 0.75),
        by_kind={
            "single, needs context": {"questions": 3, "answers": answers(2 / 3, 1 / 3, 2.0, 1.0, None)},
            "followup": {"questions": 2, "answers": answers(0.5, 0.5, 3.0, 0.5, None)},
            "unanswerable": {"questions": 1, "answers": answers(None, None, 1.0, None, 1.0)},
        },
    )
    return EvalReport(
        "jsonl", "q.jsonl", 6, 5, 1, 5, 0, 0, 10, 50, "/x", 10, 13, None, {}, "m", configs=[naive, answer]
    )


def test_the_main_table_shows_the_first_citation_rate_next_to_cited_gold():
    table = markdown_table(report())
    head = [c.strip() for c in table.splitlines()[0].split("|")]
    assert head[head.index("cited gold") + 1] == "first cited"
    assert "| naive | 80% | 80% | 50% |" in table and "| answer | – | 60% | 40% |" in table


def test_kind_tables_give_every_answer_figure_per_kind():
    text = kind_tables(report())
    assert "| naive | 100% | 50% | – |" in text  # Hit@4 per kind
    assert "Answers by question type, naive:" in text and "Answers by question type, answer:" in text
    answer_part = text.split("Answers by question type, answer:")[1]
    assert "| type | questions | cited gold | first cited | cite P | cites/ans | answered | abstained |" in answer_part
    assert "| single, needs context | 3 | 67% | 33% | 67% | 2.0 | 100% | – |" in answer_part
    assert "| followup | 2 | 50% | 50% | 50% | 3.0 | 50% | – |" in answer_part
    assert "| unanswerable | 1 | – | – | – | 1.0 | – | 100% |" in answer_part
