"""Source and date filters inside retrieval: a source under 1% of the index still yields its answer.

The filters are a Chroma `where` on the dense side and the same mask on the lexical side, applied
before the top-k: a post-hoc filter over the unfiltered top-k would find nothing here, because
hundreds of other outlets report a similar fact more prominently.
"""

from __future__ import annotations

import pytest

from retrieval.answering.search import Searcher
from retrieval.indexing.store import NewsIndex
from retrieval.settings import Settings
from retrieval.types import Article, SearchFilters

OUTLETS = 240  # + 2 Tiny Gazette articles: the filtered source is 0.8% of the index
QUESTION = "How much did the ferry fare rise to?"
TINY_FACT = "The ferry fare rose to nine euros and forty cents, Tiny Gazette learned."


def _corpus() -> list[Article]:
    arts = []
    for i in range(OUTLETS):
        month = 1 + i % 12
        arts.append(
            Article(
                title=f"Ferry fare rises in port {i}",
                text=f"The ferry fare rose to {3 + i % 5} euros in port {i}. "
                f"Passengers in port {i} complained about the ferry fare rise.",
                source=f"Outlet {i % 60}",
                published_at=f"2024-{month:02d}-{1 + i % 27:02d}T08:00:00Z" if i % 10 else "",  # 10% undated
                key=f"outlet-{i}",
            )
        )
    arts.append(
        Article(
            title="Ferry prices",
            text=f"{TINY_FACT} The council met on Tuesday.",
            source="Tiny Gazette",
            published_at="2024-06-03T09:00:00Z",
            key="tiny-1",
        )
    )
    arts.append(
        Article(
            title="Harbour works",
            text="Harbour works begin next month. The ferry will run as usual.",
            source="Tiny Gazette",
            published_at="2024-06-05T09:00:00Z",
            key="tiny-2",
        )
    )
    return arts


@pytest.fixture(scope="module")
def searcher(tmp_path_factory, embeddings) -> Searcher:
    settings = Settings(data_dir=tmp_path_factory.mktemp("filters"), threads=1)
    index = NewsIndex.open(settings, embeddings=embeddings)
    index.add_articles(_corpus())
    return Searcher(index, settings)


def test_unfiltered_search_prefers_the_many_other_outlets(searcher):
    # The premise of the test below: without the filter, the small source's answer is not on top.
    hits = searcher.search(QUESTION, k=8)
    assert hits[0].sentence.text != TINY_FACT
    assert sum(h.article.source == "Tiny Gazette" for h in hits) <= 1


@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
def test_a_small_source_still_yields_its_answer(searcher, mode):
    hits = searcher.search(QUESTION, k=8, filters=SearchFilters(source="tiny gazette"), mode=mode)
    assert hits and all(h.article.source == "Tiny Gazette" for h in hits)
    assert hits[0].sentence.text == TINY_FACT


def test_a_date_window_is_applied_inside_retrieval(searcher):
    window = SearchFilters(since="2024-06-01", until="2024-06-04T23:59:59Z")
    hits = searcher.search(QUESTION, k=8, filters=window)
    assert TINY_FACT in [h.sentence.text for h in hits]
    assert all("2024-06-01" <= h.article.published_at[:10] <= "2024-06-04" for h in hits)
    # Undated articles are outside any window, on both sides of the fusion.
    for mode in ("dense", "bm25"):
        hits = searcher.search(QUESTION, k=30, filters=SearchFilters(since="2024-01-01"), mode=mode)
        assert len(hits) == 30 and all(h.article.published_at for h in hits)


def test_the_answer_cites_the_small_source_when_asked_for_it(searcher):
    from retrieval.engine import Engine

    engine = Engine(searcher.settings, searcher.index)
    ans = engine.ask(QUESTION, source="tiny gazette")
    assert not ans.abstained and ans.citations[0].quote == TINY_FACT
    assert all(c.source == "Tiny Gazette" for c in ans.citations) and ans.filters.source == "Tiny Gazette"
