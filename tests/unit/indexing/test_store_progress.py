"""`add_articles(progress=...)` reports each article when it is settled: new ones after they are embedded and stored."""

from __future__ import annotations

import retrieval.indexing.store as store
from retrieval.indexing.store import NewsIndex
from retrieval.types import Article


def _article(i: int) -> Article:
    text = f"Story {i} begins in the harbour town. The ferry number {i} was late again.\nPassengers waited {i} hours."
    return Article(title=f"Ferry story {i}", text=text, key=f"/news/{i}.txt", source="test")


def test_progress_fires_once_per_article_after_it_is_stored(settings, embeddings, monkeypatch):
    monkeypatch.setattr(store, "WRITE_BATCH_ARTICLES", 2)  # three write batches for five articles
    index = NewsIndex.open(settings, embeddings)
    calls: list[tuple[str, int, bool]] = []

    def progress(article: Article, n_sentences: int) -> None:
        calls.append((article.id, n_sentences, index.get_article(article.id) is not None))

    articles = [_article(i) for i in range(5)]
    report = index.add_articles(articles, progress=progress)
    assert [c[0] for c in calls] == [a.id for a in articles]
    assert all(stored for _, _, stored in calls), "progress fired before the article was stored"
    assert sum(n for _, n, _ in calls) == report.sentences == 15

    calls.clear()  # unchanged, duplicate under a new name, and an article without sentences: settled at once
    again = index.add_articles([articles[0], Article(title=articles[1].title, text=articles[1].text, key="/news/copy.txt", source="test"),
                                Article(title="Empty", text="   ", key="/news/empty.txt")], progress=progress)
    assert (again.unchanged, again.duplicates) == (1, 1)
    assert [n for _, n, _ in calls] == [0, 0, 0]


def test_progress_does_not_fire_for_a_batch_before_it_is_embedded(settings, embeddings, monkeypatch):
    monkeypatch.setattr(store, "WRITE_BATCH_ARTICLES", 3)
    events: list[str] = []

    class Recording:
        name, dims = embeddings.name, embeddings.dims

        def encode(self, texts):
            events.append("embed")
            return embeddings.encode(texts)

        def embed_documents(self, texts):
            return embeddings.embed_documents(texts)

        def embed_query(self, text):
            return embeddings.embed_query(text)

    index = NewsIndex.open(settings, Recording())
    index.add_articles([_article(i) for i in range(4)], progress=lambda a, n: events.append("stored"))
    assert events == ["embed", "stored", "stored", "stored", "embed", "stored"]
