"""Ingest embeds the next step's new articles while the current step is written (PrepareAhead)."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from retrieval.indexing import store
from retrieval.indexing.prepare import embed_text
from retrieval.indexing.store import NewsIndex
from retrieval.types import Article


def articles(n: int) -> list[Article]:
    return [Article(title=f"Harbour report {i}", text=f"Boats left the harbour {i} times on day {i}. The port said "
                    f"trade rose by {i} percent.", source="Port", key=f"/port/{i}.txt") for i in range(n)]


class Spy:
    """The real model, with a note of which thread embedded which titles."""

    def __init__(self, inner, fail_in_worker: bool = False) -> None:
        self.inner, self.fail_in_worker = inner, fail_in_worker
        self.calls: list[tuple[str, list[str]]] = []
        self.started: dict[str, threading.Event] = {}

    def encode(self, texts):
        thread = threading.current_thread().name
        self.calls.append((thread, texts))
        for text, event in self.started.items():
            if any(t.startswith(text) for t in texts):
                event.set()
        if self.fail_in_worker and thread.startswith("newsbot-prepare-ahead"):
            raise RuntimeError("the worker's model failed")
        return self.inner.encode(texts)

    def __getattr__(self, name):
        return getattr(self.inner, name)


def test_the_next_step_is_embedded_while_this_one_is_written(settings, embeddings, monkeypatch):
    monkeypatch.setattr(store, "WRITE_BATCH_ARTICLES", 2)
    spy = Spy(embeddings)
    spy.started["Harbour report 2."] = threading.Event()  # the first article of the second step
    index = NewsIndex.open(settings, spy)
    overlapped = []
    real = NewsIndex._upsert

    def upsert(collection, ids, *rest):
        if collection is index.sentences and ids and ids[0].startswith(articles(1)[0].id):
            # The first step's sentences are being written: the second step's embedding has begun.
            overlapped.append(spy.started["Harbour report 2."].wait(10))
        return real(collection, ids, *rest)

    monkeypatch.setattr(NewsIndex, "_upsert", staticmethod(upsert))
    report = index.add_articles(articles(5))
    assert report.added == 5 and overlapped == [True]
    workers = [texts for thread, texts in spy.calls if thread.startswith("newsbot-prepare-ahead")]
    assert len(workers) == 3 and len(spy.calls) == 3  # every step embedded once, all in the worker
    stored = index.sentence_vectors([f"{articles(5)[4].id}:s1"])
    alone = embeddings.encode([embed_text(articles(5)[4], index.get_sentences(articles(5)[4].id, 1, 1)[0])])[0]
    assert np.allclose(next(iter(stored.values())), alone, atol=1e-5)  # the same vectors as in line


def test_a_failure_ahead_is_redone_in_line_and_nothing_is_embedded_twice_when_unchanged(settings, embeddings, monkeypatch):
    monkeypatch.setattr(store, "WRITE_BATCH_ARTICLES", 2)
    spy = Spy(embeddings, fail_in_worker=True)
    index = NewsIndex.open(settings, spy)
    report = index.add_articles(articles(4))
    assert report.added == 4 and index.stats()["articles"] == 4
    assert [t for t, _ in spy.calls if not t.startswith("newsbot-prepare-ahead")]  # redone in line
    spy.calls.clear()
    again = index.add_articles(articles(4))
    assert again.unchanged == 4 and spy.calls == []  # stored articles are not embedded ahead


def test_a_model_error_still_reaches_the_caller(settings, embeddings):
    class Broken(Spy):
        def encode(self, texts):
            raise RuntimeError("model exploded")

    index = NewsIndex.open(settings, Broken(embeddings))
    with pytest.raises(Exception, match="model exploded"):
        index.add_articles(articles(2))
    assert index.stats()["articles"] == 0
