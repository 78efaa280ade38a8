"""benchmarks/data/developer_questions.jsonl and seed_questions.jsonl: questions written while developing
(not held out), kept so that what was measured on them can be re-measured."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from retrieval.evaluation.datasets import load_dataset
from retrieval.indexing.sentences import split_sentences
from retrieval.sources.files import article_from_text
from tests.helpers import DATASETS, REPO

SETS = {
    "developer_questions.jsonl": DATASETS / "bbc_news_2225",
    "seed_questions.jsonl": REPO / "seeds",
}


def squeeze(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("name", sorted(SETS))
def test_it_loads_and_every_evidence_is_a_sentence_of_its_article(name):
    path, corpus = REPO / "benchmarks" / "data" / name, SETS[name]
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    ds = load_dataset("jsonl", path)
    assert len(ds.questions) == len(records)
    assert {r["kind"] for r in records} <= {"single", "followup", "unanswerable"}
    assert all(bool(r["evidence"]) == (r["kind"] != "unanswerable") for r in records)
    if not corpus.is_dir():
        pytest.skip(f"{corpus} not present")
    for r in records:
        for ev in r["evidence"]:
            text = (Path(corpus) / ev["doc"]).read_bytes().decode("utf-8")
            sentences = split_sentences(ev["doc"], article_from_text(text, key=ev["doc"]).text)
            assert squeeze(ev["text"]) in {squeeze(s.text) for s in sentences}, r["id"]
