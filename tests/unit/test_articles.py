"""Browsing helpers: selecting by source and window, file paths and links."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from retrieval.answering.dates import DateWindow
from retrieval.articles import local_path, open_link, select, view
from retrieval.types import ArticleInfo, Sentence


def _a(i, source="s", when="", key="", url=""):
    return ArticleInfo(id=f"a{i}", title=f"Title {i}", source=source, published_at=when, key=key, url=url)


def test_select_orders_newest_first_and_counts_undated():
    arts = [_a(1, when="2025-03-01T00:00:00Z"), _a(2, when="2025-03-05T00:00:00Z"), _a(3), _a(4, "other", "2025-03-04")]
    got, skipped = select(arts)
    assert [a.id for a in got] == ["a2", "a4", "a1", "a3"] and skipped == 0  # undated last without a window
    window = DateWindow(datetime(2025, 3, 2, tzinfo=UTC), None)
    got, skipped = select(arts, window=window)
    assert [a.id for a in got] == ["a2", "a4"] and skipped == 1
    got, skipped = select(arts, source="s", window=window)
    assert [a.id for a in got] == ["a2"] and skipped == 1


def test_paths_and_links(tmp_path):
    f = tmp_path / "story.txt"
    assert local_path(_a(1, key=str(f))) == str(f)
    assert open_link(_a(1, key=str(f))) == f.as_uri()
    assert open_link(_a(1, key="https://x.example/feed-entry", url="https://x.example/a")) == "https://x.example/a"
    assert local_path(_a(1, key="https://x.example/a")) == ""
    both = _a(1, key=json.dumps(["https://x.example/a", str(f)]))
    assert local_path(both) == str(f)
    assert open_link(_a(1)) == ""


def test_view_sorts_sentences():
    s = [Sentence("a1", 1, 5, 8, "Two."), Sentence("a1", 0, 0, 4, "One.")]
    v = view(_a(1, key="/tmp/x.txt"), s)
    assert [x.index for x in v.sentences] == [0, 1] and v.path == "/tmp/x.txt" and v.link == "file:///tmp/x.txt"
