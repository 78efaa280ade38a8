"""Browsing what the index holds: articles by source, date and words; one article in full; where to open it.

The listing works on article metadata (no model, no BM25): a source and a date window select
articles, newest first; undated articles are listed after the dated ones when no window is set
and left out (and counted) when one is. Words (`--query`) go through the normal search with the
same filters applied inside retrieval, and list the articles of the best sentences in rank order.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from retrieval.answering.dates import DateWindow
from retrieval.types import AppliedFilters, ArticleInfo, ArticleView, Listing, Sentence


def article_keys(info: ArticleInfo) -> list[str]:
    """The paths or URLs an article was read from (`key` holds a JSON list when there are several)."""
    raw = info.key or ""
    if raw.startswith("["):
        try:
            return [str(k) for k in json.loads(raw)]
        except ValueError:
            return [raw]
    return [raw] if raw else []


def local_path(info: ArticleInfo) -> str:
    """The local file an article came from ("" for web articles and feeds)."""
    for key in article_keys(info):
        if key and "://" not in key:
            return key
    return ""


def open_link(info: ArticleInfo) -> str:
    """Something a reader can open: the article's URL, else the file:// URI of its file, else ""."""
    if info.url:
        return info.url
    path = local_path(info)
    if not path:
        return ""
    p = Path(path)
    return p.as_uri() if p.is_absolute() else p.resolve().as_uri()


def published_ts(info: ArticleInfo) -> int:
    """Seconds since the epoch, -1 when undated or unreadable."""
    if not info.published_at:
        return -1
    try:
        dt = datetime.fromisoformat(info.published_at.replace("z", "Z"))
    except ValueError:
        return -1
    return int((dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt).timestamp())


def select(
    articles: Sequence[ArticleInfo], *, source: str | None = None, window: DateWindow | None = None
) -> tuple[list[ArticleInfo], int]:
    """(articles of `source` inside `window`, newest first; how many undated ones the window left out)."""
    pool = [a for a in articles if not source or a.source == source]
    stamped = [(published_ts(a), a) for a in pool]
    if window is None:
        dated = sorted((p for p in stamped if p[0] >= 0), key=lambda p: (p[0], p[1].id), reverse=True)
        undated = sorted((a for t, a in stamped if t < 0), key=lambda a: (a.title.casefold(), a.id))
        return [a for _, a in dated] + undated, 0
    lo = None if window.since is None else int(window.since.timestamp())
    hi = None if window.until is None else int(window.until.timestamp())
    inside = [p for p in stamped if p[0] >= 0 and (lo is None or p[0] >= lo) and (hi is None or p[0] <= hi)]
    inside.sort(key=lambda p: (p[0], p[1].id), reverse=True)
    return [a for _, a in inside], sum(1 for t, _ in stamped if t < 0)


def listing(
    articles: Sequence[ArticleInfo], applied: AppliedFilters, limit: int | None, note: str = ""
) -> Listing:
    kept = tuple(articles[:limit] if limit else articles)
    return Listing(articles=kept, total=len(articles), filters=applied, note=note)


def undated_note(n: int) -> str:
    return f"{n} undated article{'s' if n != 1 else ''} left out by the date window" if n else ""


def view(info: ArticleInfo, sentences: Sequence[Sentence]) -> ArticleView:
    """An article for reading, with its sentences in order and a link or path to open."""
    return ArticleView(
        article=info,
        sentences=tuple(sorted(sentences, key=lambda s: s.index)),
        path=local_path(info),
        link=open_link(info),
    )
