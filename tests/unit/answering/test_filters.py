"""Planning a question's filters: explicit options win, dates from the question, sources, empty windows."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from retrieval.answering.filters import Catalog, plan_filters, resolve_source
from retrieval.errors import QuestionError
from retrieval.types import ArticleInfo

NOW = datetime(2025, 3, 19, 15, 30, tzinfo=UTC)  # a Wednesday


def _a(i: int, source: str, published: str = "") -> ArticleInfo:
    return ArticleInfo(id=f"a{i}", title=f"t{i}", source=source, published_at=published)


@pytest.fixture
def catalog() -> Catalog:
    return Catalog.from_articles(
        [
            _a(1, "Reuters", "2025-03-11T10:00:00Z"),  # last week
            _a(2, "Reuters", "2025-03-18T08:00:00+00:00"),  # yesterday
            _a(3, "The Verge", "2025-02-02T00:00:00Z"),
            _a(4, "bbc", ""),  # undated
            _a(5, "bbc", ""),
            _a(6, "Reuters World", "2025-03-01T00:00:00Z"),
        ]
    )


def test_no_filters(catalog):
    plan = plan_filters("Who won?", catalog, now=NOW)
    assert plan.window is None and not plan.applied.active and plan.search_question == "Who won?"
    assert plan.empty == "" and plan.note == ""


def test_window_from_the_question(catalog):
    plan = plan_filters("What did the Treasury say last week?", catalog, now=NOW)
    assert plan.search_question == "What did the Treasury say?"
    assert plan.applied.window_from == "question" and plan.applied.expression == "last week"
    assert (plan.applied.since, plan.applied.until) == ("2025-03-10T00:00:00Z", "2025-03-16T23:59:59Z")
    assert plan.applied.undated_skipped == 2
    assert plan.note == "2 undated articles left out by the date window"


def test_explicit_options_win_over_the_question(catalog):
    plan = plan_filters("What did the Treasury say last week?", catalog, now=NOW, since="2025-03-18")
    assert plan.search_question == "What did the Treasury say last week?"  # the words are left alone
    assert plan.applied.window_from == "options"
    assert (plan.applied.since, plan.applied.until) == ("2025-03-18T00:00:00Z", None)


def test_source_is_matched_case_insensitively_and_counts_only_its_undated(catalog):
    plan = plan_filters("Anything since Monday?", catalog, now=NOW, source="reuters")
    assert plan.applied.source == "Reuters" and plan.applied.undated_skipped == 0 and plan.note == ""


def test_unknown_source_lists_the_closest_names(catalog):
    with pytest.raises(QuestionError) as err:
        plan_filters("Who won?", catalog, now=NOW, source="Reuter")
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith("unknown source 'Reuter'; closest known: \"Reuters\", \"Reuters World\"")
    with pytest.raises(QuestionError, match='closest known: "The Verge"'):
        resolve_source("verge", catalog.sources)
    with pytest.raises(QuestionError, match="known sources: Reuters, Reuters World, The Verge, bbc"):
        resolve_source("zzzzqqq", catalog.sources)


def test_nothing_in_the_window_names_the_newest_date(catalog):
    plan = plan_filters("What happened in March 2004?", catalog, now=NOW)
    assert plan.empty == (
        'No article is dated from 2004-03-01 to 2004-03-31 ("in March 2004"); the newest is from 2025-03-18.'
    )
    plan = plan_filters("What happened?", catalog, now=NOW, source="The Verge", since="2025-03-01")
    assert plan.empty == "No article from The Verge is dated since 2025-03-01; the newest from The Verge is from 2025-02-02."


def test_undated_source_and_a_window_from_the_question(catalog):
    plan = plan_filters("What did Blair say in 2004?", catalog, now=NOW, source="bbc")
    assert plan.window is None and plan.search_question == "What did Blair say in 2004?"
    assert plan.note == 'no article from bbc carries a date, so "in 2004" was not applied as a window'
    plan = plan_filters("What did Blair say?", catalog, now=NOW, source="bbc", since="2004-01-01")
    assert plan.empty.startswith("No article from bbc carries a date, so none is dated since 2004-01-01")


def test_bad_options_are_one_line_errors(catalog):
    with pytest.raises(QuestionError, match="--since 'soon' is not understood"):
        plan_filters("Who?", catalog, now=NOW, since="soon")
    with pytest.raises(QuestionError, match="is before --since"):
        plan_filters("Who?", catalog, now=NOW, since="2025-03-10", until="2025-03-01")


def test_applied_filters_json(catalog):
    plan = plan_filters("What happened yesterday?", catalog, now=NOW, source="Reuters")
    assert plan.applied.to_json() == {
        "source": "Reuters",
        "since": "2025-03-18T00:00:00Z",
        "until": "2025-03-18T23:59:59Z",
        "window_from": "question",
        "expression": "yesterday",
        "undated_skipped": 0,
    }
