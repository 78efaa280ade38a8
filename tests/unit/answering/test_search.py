"""Hybrid sentence search: ranking, filters, newest-first, spread over articles, the lexical index."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from retrieval.answering.search import (
    Searcher,
    SearchFilters,
    _spread,
    wants_latest,
)
from retrieval.errors import QuestionError
from retrieval.indexing.store import NewsIndex
from retrieval.settings import Settings
from retrieval.types import Article
from tests.helpers import SEED_QUESTION

ARTICLES = [
    Article(
        title="Central bank raises rates",
        text="The central bank raised its interest rate to 4.5 percent on Tuesday.\n"
        "Economists had expected the increase after inflation rose again.\n"
        "The bank said further rises were possible.",
        source="Daily Planet",
        url="https://planet.example/rates-jan",
        published_at="2024-01-09T10:00:00Z",
        key="rates-jan",
    ),
    Article(
        title="Central bank raises rates again",
        text="The central bank raised its interest rate to 5 percent on Thursday.\n"
        "It was the second rise this year.",
        source="Metro News",
        url="https://metro.example/rates-mar",
        published_at="2024-03-14T10:00:00Z",
        key="rates-mar",
    ),
    Article(
        title="Harbour festival draws crowds",
        text="Thousands of visitors came to the harbour festival on Saturday.\n"
        "The festival featured tall ships, music and a fireworks display over the water.\n"
        "Organisers said the fireworks display was the largest in the festival's history.\n"
        "The fireworks display lasted twenty minutes.",
        source="Daily Planet",
        published_at="2024-02-03T09:00:00Z",
        key="festival",
    ),
    Article(
        title="Fireworks light up the bay",
        text="A fireworks display lit up the bay on Saturday night as the harbour festival ended.",
        source="Coast Gazette",
        published_at="2024-02-04T09:00:00Z",
        key="bay",
    ),
]


@pytest.fixture(scope="module")
def small(tmp_path_factory, embeddings):
    """A real on-disk index of ARTICLES and a Searcher over it."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("search-data"), threads=1)
    index = NewsIndex.open(settings, embeddings=embeddings)
    index.add_articles(ARTICLES)
    return index, Searcher(index, settings), settings


def test_seed_question_ranks_the_88_sentence_in_the_top_three(seed_engine):
    hits = seed_engine.search(SEED_QUESTION, k=3)
    assert any("88" in h.sentence.text for h in hits)


def test_hits_carry_the_exact_sentence_article_and_context(small):
    index, searcher, _ = small
    hits = searcher.search("What did the central bank raise its interest rate to?", k=4)
    assert hits and "interest rate" in hits[0].sentence.text
    for h in hits:
        stored = index.get_sentences(h.sentence.article_id, h.sentence.index, h.sentence.index)[0]
        assert stored == h.sentence
        assert h.article.id == h.sentence.article_id and h.article.title
        assert h.sentence.text in h.context
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True) or len({h.article.id for h in hits}) > 1


def test_context_is_the_sentence_with_its_neighbours(small):
    index, searcher, _ = small
    hit = next(h for h in searcher.search("Economists expected the increase after inflation", k=3)
               if h.sentence.index == 1)
    neighbours = index.get_sentences(hit.sentence.article_id, 0, 2)
    assert hit.context == " ".join(s.text for s in neighbours)


@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
def test_every_mode_finds_the_fireworks(small, mode):
    _, searcher, _ = small
    hits = searcher.search("fireworks display", k=3, mode=mode)
    assert hits and all("fireworks" in h.sentence.text.lower() or "festival" in h.context.lower() for h in hits)


def test_unknown_mode_and_bad_dates_are_clear_errors(small):
    _, searcher, _ = small
    with pytest.raises(QuestionError, match="mode"):
        searcher.search("rates", mode="magic")
    with pytest.raises(QuestionError, match="YYYY-MM-DD"):
        searcher.search("rates", filters=SearchFilters(since="last tuesday"))


def test_empty_question_returns_nothing(small):
    _, searcher, _ = small
    assert searcher.search("   ") == []
    assert searcher.search("rates", k=0) == []


def test_source_filter_is_case_insensitive(small):
    _, searcher, _ = small
    hits = searcher.search("central bank interest rate", k=5, filters=SearchFilters(source="metro news"))
    assert hits and {h.article.source for h in hits} == {"Metro News"}
    assert searcher.search("central bank", filters=SearchFilters(source="Nobody")) == []


def test_date_filters_are_inclusive_days(small):
    _, searcher, _ = small
    hits = searcher.search("fireworks", k=8, filters=SearchFilters(since="2024-02-04", until="2024-02-04"))
    assert hits and {h.article.title for h in hits} == {"Fireworks light up the bay"}
    early = searcher.search("central bank rate", k=8, filters=SearchFilters(until="2024-01-31"))
    assert early and {h.article.published_at[:7] for h in early} == {"2024-01"}


def test_article_id_filter(small):
    _, searcher, _ = small
    target = ARTICLES[2].id
    hits = searcher.search("fireworks display", k=8, filters=SearchFilters(article_ids=(target,)))
    assert hits and {h.article.id for h in hits} == {target}


def test_latest_questions_prefer_the_newest_article(small):
    _, searcher, _ = small
    assert wants_latest("What is the latest on interest rates?")
    assert not wants_latest("What did the central bank do?")
    hits = searcher.search("What is the latest central bank interest rate rise?", k=2)
    assert hits[0].article.published_at.startswith("2024-03")


def test_results_spread_over_articles_reporting_the_same_fact(small):
    _, searcher, _ = small
    hits = searcher.search("fireworks display at the harbour festival", k=4)
    titles = [h.article.title for h in hits]
    # The festival article has three fireworks sentences; the bay article reports it too.
    assert "Fireworks light up the bay" in titles


def test_spread_prefers_a_second_article_over_a_close_third_sentence():
    scores = np.array([1.00, 0.99, 0.98, 0.95])
    articles = np.array([0, 0, 0, 1])
    assert _spread(np.arange(4), scores, articles, 3) == [0, 3, 1]
    # Without a close competitor from another article, the best article keeps its sentences.
    assert _spread(np.arange(4), np.array([1.0, 0.99, 0.98, 0.5]), articles, 3) == [0, 1, 2]


def test_empty_index_returns_nothing(tmp_path, embeddings):
    settings = Settings(data_dir=tmp_path, threads=1)
    index = NewsIndex.open(settings, embeddings=embeddings)
    assert Searcher(index, settings).search("anything at all") == []


def test_concurrent_searches_agree(small):
    _, searcher, _ = small
    questions = ["fireworks", "interest rate", "tall ships", "inflation"] * 3
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda q: [h.sentence.id for h in searcher.search(q, k=3)], questions))
    assert results[:4] == results[4:8] == results[8:]


def test_the_us_is_searched_for(tmp_path, settings):
    """"US" is the stop word "us" once lower-cased: a question about the US economy matched "told us"."""
    from retrieval.text import tokenize
    from tests.helpers import engine_over

    engine = engine_over(tmp_path / "corpus", settings, [
        {"title": "Minister's speech", "published_at": "2005-01-10", "text": "He told us the economy grew."},
        {"title": "Growth figures", "published_at": "2005-01-11",
         "text": "The US economy grew 3.7% in the third quarter, official figures showed on Friday."},
    ])
    lex = engine.searcher.lexical()
    rows, _ = lex.top(tokenize("How fast did the US economy grow?"), 1)
    assert lex.text(int(rows[0])).startswith("The US economy grew 3.7%")
