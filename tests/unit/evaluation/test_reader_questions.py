"""benchmarks/data/reader_questions.jsonl and third_writers_questions.jsonl: other writers' reader questions,
checked as their README says."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from retrieval.evaluation.datasets import load_dataset
from retrieval.indexing.sentences import split_sentences
from retrieval.sources.files import article_from_text
from tests.helpers import DATASETS, REPO

DATA = REPO / "benchmarks" / "data"
# file -> (singles, follow-ups, unanswerables)
SETS = {"reader_questions.jsonl": (100, 20, 34), "third_writers_questions.jsonl": (80, 20, 27)}
CORPUS = DATASETS / "bbc_news_2225"
DEV = DATASETS / "bbc_news_questions_dev" / "questions.jsonl"


def squeeze(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module", params=sorted(SETS))
def name(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def records(name) -> list[dict]:
    return [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def corpus() -> dict[str, str]:
    if not CORPUS.is_dir():
        pytest.skip(f"{CORPUS} not present")
    return {str(p.relative_to(CORPUS)): p.read_bytes().decode("utf-8") for p in sorted(CORPUS.glob("*/*.txt"))}


def test_it_loads_as_a_jsonl_evaluation_set(name, records):
    singles, followups, unanswerables = SETS[name]
    ds = load_dataset("jsonl", DATA / name)
    assert len(ds.questions) == len(records) == singles + followups + unanswerables
    assert Counter(r["kind"] for r in records) == {"single": singles, "followup": followups, "unanswerable": unanswerables}
    assert sum(not q.answerable for q in ds.questions) == unanswerables
    assert all(isinstance(r.get("near_miss"), bool) for r in records if r["kind"] == "unanswerable")
    assert all(len(r["history"]) == 1 and r["history_evidence"] for r in records if r["kind"] == "followup")


def test_every_evidence_is_one_sentence_of_its_article_and_of_no_other(records, corpus):
    bodies = {doc: squeeze(text) for doc, text in corpus.items()}
    for r in records:
        for ev in r["evidence"] + r.get("history_evidence", []):
            want = squeeze(ev["text"])
            assert len(want) >= 40, r["id"]
            article = article_from_text(corpus[ev["doc"]], key=ev["doc"])
            assert any(want in squeeze(s.text) for s in split_sentences(ev["doc"], article.text)), r["id"]
            elsewhere = [d for d, b in bodies.items() if d != ev["doc"] and want in b and b != bodies[ev["doc"]]]
            assert not elsewhere, (r["id"], elsewhere)


def test_it_shares_no_article_and_no_question_with_the_dev_set(records):
    if not DEV.is_file():
        pytest.skip(f"{DEV} not present")
    dev = [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines() if line.strip()]
    dev_docs = {e["doc"] for r in dev for e in r["evidence"] + r.get("history_evidence", [])}
    docs = {e["doc"] for r in records for e in r["evidence"] + r.get("history_evidence", [])}
    assert not docs & dev_docs
    assert not {squeeze(r["question"]).lower() for r in records} & {squeeze(r["question"]).lower() for r in dev}
