"""Loading the index ahead of the first question (the Discord bot does it while it connects)."""

from __future__ import annotations

from retrieval.engine import Engine
from retrieval.indexing.store import NewsIndex
from tests.helpers import SEED_QUESTION, SEEDS


def test_warm_up_runs_one_vector_query_and_loads_the_lexical_view(settings, monkeypatch):
    engine = Engine(settings)
    engine.ingest_paths([SEEDS])
    queried = []
    real = NewsIndex.nearest_sentence_ids
    monkeypatch.setattr(NewsIndex, "nearest_sentence_ids", lambda self, *a, **k: (queried.append(1), real(self, *a, **k))[1])
    engine.warm_up()
    assert queried == [1]  # Chroma reads a collection's vector segments on its first query: done now
    assert engine.searcher._lexical is not None and engine.searcher._lexical.n_rows > 0
    answer = engine.ask(SEED_QUESTION)  # nothing of the warm-up shows in answers
    assert "88" in answer.answer and not answer.abstained
