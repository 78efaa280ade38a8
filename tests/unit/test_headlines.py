"""Newest stories: copies of one story once, newest first, each with its lead."""

from __future__ import annotations

from retrieval.headlines import are_copies, newest_stories, normalise_title
from retrieval.types import ArticleInfo, Sentence


def test_normalise_title():
    assert normalise_title("Ferry fares rise again - BBC News") == "ferry fares rise again"
    assert normalise_title("Ferry fares rise again | Reuters") == "ferry fares rise again"
    assert normalise_title("FERRY fares rise, again!") == "ferry fares rise again"
    assert normalise_title("Jobs - a history") == "jobs a history"  # too short to drop a tail


def test_copies():
    lead = "The ferry fare rose to 4 euros on Monday, the operator said."
    assert are_copies("Fares rise", lead, "Fares rise - Harbour News", "Something else.")
    assert are_copies("Fares rise", lead, "Ferry operator raises prices", lead.replace("4", "four"))
    assert not are_copies("Fares rise", lead, "Bridge opens", "The new bridge opened to cyclists at dawn.")
    assert not are_copies("", "", "", "")


def _article(i: int, title: str, when: str) -> ArticleInfo:
    return ArticleInfo(id=f"a{i}", title=title, source="s", published_at=when)


def test_newest_stories():
    arts = [
        _article(1, "Bridge opens", "2025-03-10T08:00:00Z"),
        _article(2, "Fares rise", "2025-03-12T08:00:00Z"),
        _article(3, "Fares rise | Wire", "2025-03-11T08:00:00Z"),  # a copy of 2, older
        _article(4, "Undated story", ""),
        _article(5, "Storm warning", "2025-03-13T08:00:00+02:00"),
        _article(6, "Operator raises ferry prices", "2025-03-09T08:00:00Z"),  # same lead as 2
    ]
    leads = {
        "a1": "The bridge opened.",
        "a2": "The ferry fare rose to 4 euros.",
        "a3": "Fares went up today.",
        "a5": "A storm is coming.",
        "a6": "The ferry fare rose to 4 euros!",
    }
    calls = []

    def lead_of(aid):
        calls.append(aid)
        return Sentence(aid, 0, 0, len(leads[aid]), leads[aid]) if aid in leads else None

    got = newest_stories(arts, lead_of, n=10)
    assert [h.article.id for h in got] == ["a5", "a2", "a1"]
    assert [c.id for c in got[1].copies] == ["a3", "a6"]
    assert got[0].lead.text == "A storm is coming."
    assert "a4" not in calls  # undated articles are never read
    assert [h.article.id for h in newest_stories(arts, lead_of, n=1)] == ["a5"]
    assert newest_stories(arts, lead_of, n=0) == []
