"""`Engine.ask` with a source and a date window: from options, from the question, empty windows, notes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from retrieval.errors import QuestionError
from retrieval.types import Answer

DATA = Path(__file__).resolve().parent.parent / "data" / "dated"
NOW = datetime(2025, 3, 19, 15, 30, tzinfo=UTC)  # a Wednesday: "last week" is 10-16 March


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    from retrieval.engine import Engine
    from retrieval.settings import Settings

    engine = Engine.open(Settings(data_dir=tmp_path_factory.mktemp("ask-filters"), threads=1))
    engine.ingest_paths([DATA])
    return engine


def _dates(answer: Answer) -> list[str]:
    return [c.published_at[:10] for c in answer.citations]


def test_window_from_the_question_is_a_hard_filter(engine):
    ans = engine.ask("What did the Treasury say last week?", now=NOW)
    assert not ans.abstained and ans.citations
    assert all("2025-03-10" <= d <= "2025-03-16" for d in _dates(ans))
    assert ans.citations[0].title == "Treasury comments on tolls"
    assert ans.question == "What did the Treasury say last week?"  # as asked; retrieval matched it without "last week"
    f = ans.filters
    assert (f.window_from, f.expression, f.since, f.until) == ("question", "last week", "2025-03-10T00:00:00Z", "2025-03-16T23:59:59Z")
    assert f.undated_skipped == 1 and "1 undated article left out by the date window" in ans.note
    assert ans.to_json()["filters"]["expression"] == "last week"


def test_explicit_options_win_over_words_in_the_question(engine):
    ans = engine.ask("What did the Treasury say last week?", since="2025-03-17", now=NOW)
    assert ans.filters.window_from == "options" and ans.filters.since == "2025-03-17T00:00:00Z"
    assert all(d >= "2025-03-17" for d in _dates(ans))


def test_source_filter(engine):
    ans = engine.ask("What did the operator say about the ferry fare?", source="coast wire", now=NOW)
    assert ans.filters.source == "Coast Wire"
    assert ans.citations and all(c.source == "Coast Wire" for c in ans.citations)
    with pytest.raises(QuestionError, match='closest known: "Coast Wire"'):
        engine.ask("What happened?", source="Coast Wires", now=NOW)


def test_nothing_in_the_window_is_one_line_naming_the_newest_date(engine):
    ans = engine.ask("What happened to the ferry in 2004?", now=NOW)
    assert ans.abstained and not ans.citations
    assert ans.answer == 'No article is dated from 2004-01-01 to 2004-12-31 ("in 2004"); the newest is from 2025-03-19.'
    assert ans.filters.since == "2004-01-01T00:00:00Z"


def test_no_date_words_no_window(engine):
    ans = engine.ask("When did the harbour museum reopen?", now=NOW)
    assert ans.filters is None and ans.note == ""
    assert ans.to_json()["filters"] == {"source": None, "since": None, "until": None, "window_from": None, "expression": "", "undated_skipped": 0}
    c = ans.citations[0]
    assert c.path == str(DATA / "museum-notes.txt") and c.link == (DATA / "museum-notes.txt").as_uri()  # a local file to open


def test_stream_carries_the_filters(engine):
    items = list(engine.stream("What opened on 18 March 2025?", now=NOW))
    final = items[-1]
    assert isinstance(final, Answer) and "".join(i for i in items[:-1] if isinstance(i, str)) == final.answer
    assert final.filters.window_from == "question" and _dates(final) == ["2025-03-18"] * len(final.citations)
    empty = list(engine.stream("What happened yesterday?", now=datetime(2030, 1, 1, tzinfo=UTC)))
    assert empty[0].startswith("No article is dated on 2029-12-31") and empty[-1].abstained


def test_bad_input(engine):
    with pytest.raises(QuestionError, match="--since 'whenever' is not understood"):
        engine.ask("What happened?", since="whenever")
    with pytest.raises(QuestionError, match="the question is empty"):
        engine.ask("   ", since="2d")


def test_a_question_about_the_news_in_general_gets_the_newest_stories(engine):
    ans = engine.ask("What is the latest news?", now=NOW)
    assert ans.backend == "latest" and not ans.abstained
    assert [c.title for c in ans.citations] == ["Storm warning for the coast", "Bridge opens to cyclists", "Ferry fares rise to four euros"]
    assert ans.answer.startswith("Forecasters warned of a storm on the coast this weekend [1]. The new bridge")
    ans = engine.ask("What happened yesterday?", now=NOW)
    assert [c.title for c in ans.citations] == ["Bridge opens to cyclists"] and ans.filters.expression == "yesterday"
    items = list(engine.stream("Any headlines?", source="Harbour News", now=NOW))
    assert items[-1].backend == "latest" and all(c.source == "Harbour News" for c in items[-1].citations)
    assert engine.ask("What did the Treasury say?", now=NOW).backend != "latest"  # a topic: the normal path
