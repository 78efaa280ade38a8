"""Finding 7 of issue 11: n copies of one text cost O(n), not O(n²); noise is not decoded into "sentences"."""

from __future__ import annotations

from retrieval.indexing.store import NewsIndex
from retrieval.types import Article

TEXT = "The harbour council approved the new ferry timetable for the islands on Monday evening."


def test_many_copies_of_one_text_write_its_key_list_once(settings, embeddings, monkeypatch):
    index = NewsIndex.open(settings, embeddings=embeddings)
    index.add_articles([Article(title="Ferry", text=TEXT, key="feed#0")])
    writes: list[int] = []
    real = index.articles.update

    def counting_update(ids, metadatas=None, **kw):
        writes.append(len(ids))
        return real(ids=ids, metadatas=metadatas, **kw)

    monkeypatch.setattr(index.articles, "update", counting_update)
    copies = [Article(title="Ferry", text=TEXT, key=f"feed#{i}") for i in range(1, 2001)]
    report = index.add_articles(copies)
    assert report.duplicates == 2000 and report.added == 0
    assert len(writes) <= 2, f"{len(writes)} metadata writes for 2,000 duplicates"  # was one per duplicate
    info = index.find_by_key("feed#2000")
    assert info is not None and info.id == index.find_by_key("feed#0").id
    # A changed text under one of those keys still replaces just that key's link.
    index.add_articles([Article(title="Ferry", text=TEXT + " It starts in May.", key="feed#7")])
    assert index.find_by_key("feed#7").id != index.find_by_key("feed#8").id
