"""The dated evaluation set (MultiHop-RAG with windows) and its window metrics."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from retrieval.answering.dates import DateWindow, find_window
from retrieval.evaluation.dated import load_dated, parse_published, window_metrics, window_outcome
from tests.helpers import DATASETS as SHARED_DATASETS


def _article(url, title, source, published, facts, cited_by):
    return {"url": url, "title": title, "source": source, "author": "", "category": "news",
            "published_at": published, "facts": facts, "cited_by": cited_by}  # fmt: skip


def _evidence(article, fact):
    return {k: article[k] for k in ("url", "title", "source", "published_at")} | {"fact": fact}


@pytest.fixture
def multihop_dir(tmp_path) -> Path:
    a = _article("https://a.example/1", "Ferry fares rise", "Harbour News", "2023-10-02T09:00:00+00:00",
                 ["The ferry fare rose to 4 euros on Monday."], ["1", "3"])  # fmt: skip
    b = _article("https://b.example/2", "Ferry fares fall", "Coast Post", "2023-11-20T09:00:00+00:00",
                 ["The ferry fare fell to 3 euros after protests."], ["1"])  # fmt: skip
    c = _article("https://c.example/3", "Bridge opens", "Harbour News", "2023-10-04T18:00:00+00:00",
                 ["The new bridge opened to cyclists at dawn."], ["2", "3"])  # fmt: skip
    queries = {"queries": [
        {"id": "1", "question": "Did Harbour News on October 2, 2023 and Coast Post on November 20, 2023 agree on the ferry fare?", "question_type": "temporal_query"},
        {"id": "2", "question": "Which structure opened to cyclists at dawn?", "question_type": "inference_query"},
        {"id": "3", "question": "Did Harbour News report on both the ferry fare and the bridge?", "question_type": "comparison_query"},
        {"id": "4", "question": "Was the harbour report consistent?", "question_type": "temporal_query"},
        {"id": "5", "question": "Who won the lottery?", "question_type": "null_query"},
    ]}  # fmt: skip
    truth = {
        "1": {"answer": "No", "evidence_list": [_evidence(a, a["facts"][0]), _evidence(b, b["facts"][0])]},
        "2": {"answer": "The bridge", "evidence_list": [_evidence(c, c["facts"][0])]},
        "3": {"answer": "Yes", "evidence_list": [_evidence(a, a["facts"][0]), _evidence(c, c["facts"][0])]},
        "4": {"answer": "Yes", "evidence_list": [_evidence(a, a["facts"][0])]},
        "5": {"answer": "Insufficient information.", "evidence_list": []},
    }
    folder = tmp_path / "multihop"
    folder.mkdir()
    (folder / "queries.json").write_text(json.dumps(queries), encoding="utf-8")
    (folder / "ground_truth.json").write_text(json.dumps(truth), encoding="utf-8")
    (folder / "derived_facts_by_article.json").write_text(json.dumps([a, b, c]), encoding="utf-8")
    return folder


def test_builder_on_a_fixture(multihop_dir):
    ds = load_dated(multihop_dir)
    by_id = {q.id: q for q in ds.questions}
    assert set(by_id) == {"1", "2-month", "2-week", "3-month", "3-week"}
    # The temporal query keeps its own words and both dated facts; the clock is the day after the newest article.
    assert by_id["1"].question.startswith("Did Harbour News on October 2, 2023")
    assert ds.clocks["1"] == datetime(2023, 11, 21, tzinfo=UTC)
    assert (ds.windows["1"].since_iso(), ds.windows["1"].until_iso()) == ("2023-10-02T00:00:00Z", "2023-11-20T23:59:59Z")
    assert len(by_id["1"].evidence) == 2
    # Rewritten: a month prefix, or "last week" with a clock in the following week.
    assert by_id["2-month"].question == "In October 2023, which structure opened to cyclists at dawn?"
    assert by_id["2-week"].question == "Which structure opened to cyclists at dawn last week?"
    assert ds.clocks["2-week"] == datetime(2023, 10, 11, 12, tzinfo=UTC)
    assert ds.windows["2-week"].describe() == "2023-10-02 to 2023-10-08"
    assert by_id["3-month"].kind == "month" and by_id["3-week"].kind == "last week"
    assert any("left out: 1 (temporal: no date expression read)" in n for n in ds.notes)


def test_every_window_is_what_the_question_says_and_holds_its_gold(multihop_dir):
    ds = load_dated(multihop_dir)
    published = {a.id: parse_published(a.published_at) for a in ds.corpus}
    for q in ds.questions:
        assert find_window(q.question, now=ds.clocks[q.id]).window == ds.windows[q.id]
        assert q.evidence and all(ds.windows[q.id].contains(published[e.doc]) for e in q.evidence)


def test_gold_outside_the_window_is_dropped(multihop_dir):
    truth_path = multihop_dir / "ground_truth.json"
    truth = json.loads(truth_path.read_text(encoding="utf-8"))
    queries = json.loads((multihop_dir / "queries.json").read_text(encoding="utf-8"))
    queries["queries"][0]["question"] = "Did Harbour News on October 2, 2023 report the ferry fare, and did Coast Post?"
    (multihop_dir / "queries.json").write_text(json.dumps(queries), encoding="utf-8")
    truth_path.write_text(json.dumps(truth), encoding="utf-8")
    ds = load_dated(multihop_dir, kinds=["temporal"])
    (q,) = ds.questions
    assert [e.text for e in q.evidence] == ["The ferry fare rose to 4 euros on Monday."]


@pytest.mark.skipif(not (SHARED_DATASETS / "multihop_rag_500").is_dir(), reason="needs ../shared/datasets")
def test_builder_on_multihop_rag():
    ds = load_dated(SHARED_DATASETS / "multihop_rag_500")
    kinds = {k: sum(q.kind == k for q in ds.questions) for k in ("temporal", "month", "last week")}
    assert kinds["temporal"] >= 80 and kinds["month"] >= 100 and kinds["last week"] >= 30
    published = {a.id: parse_published(a.published_at) for a in ds.corpus}
    assert all(d is not None for d in published.values())  # every MultiHop-RAG article is dated
    for q in ds.questions:
        assert all(ds.windows[q.id].contains(published[e.doc]) for e in q.evidence)


def test_window_outcome_and_metrics():
    window = DateWindow(datetime(2023, 10, 1, tzinfo=UTC), datetime(2023, 10, 31, 23, 59, 59, tzinfo=UTC))
    cite = lambda aid, when: SimpleNamespace(article_id=aid, published_at=when)  # noqa: E731
    good = window_outcome(window, [cite("a1", "2023-10-02T09:00:00Z")], found_gold=True)
    undated = window_outcome(window, [cite("a1", "2023-10-02T09:00:00Z"), cite("bbc", "")], found_gold=False)
    late = window_outcome(window, [cite("a2", "2023-11-02T09:00:00+00:00")], found_gold=False)
    none = window_outcome(window, [], found_gold=False)
    assert good.in_window and good.answered
    assert not undated.in_window and undated.outside == ("bbc",)
    assert not late.in_window and late.outside == ("a2",)
    assert none.in_window and not none.answered
    m = window_metrics([good, undated, late, none])
    assert m == {"windowed": 4, "window_answered": 0.75, "cites_in_window": pytest.approx(1 / 3), "window_gold_found": 0.25}
    assert window_metrics([])["cites_in_window"] is None
