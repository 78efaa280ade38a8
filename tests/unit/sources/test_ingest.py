"""Single article URLs into the index (files and folders: tests/integration/test_ingest_cli.py)."""

from __future__ import annotations

import pytest

from retrieval.errors import FetchError
from retrieval.sources.ingest import ingest_url
from tests.helpers import serve_site
from tests.http_server import Route


def test_ingest_url(server, fast, fetcher, index):
    serve_site(server)
    server.file("/cafe.html", "cafe-latin1.html", "text/html")
    server.routes["/old-library"] = Route(status=301, headers={"Location": "/articles/library.html"}, etag=False)
    report = ingest_url(index, server.url("/old-library"), fast, fetcher=fetcher)
    assert report.added == 1
    library = index.find_by_key(server.url("/articles/library.html"))  # the page's rel=canonical
    assert library and library.url == server.url("/articles/library.html")
    assert ingest_url(index, server.url("/articles/library.html"), fast, fetcher=fetcher).unchanged == 1

    ingest_url(index, server.url("/cafe.html"), fast, fetcher=fetcher)
    cafe = index.find_by_key(server.url("/cafe.html"))
    assert "\u201cNous sommes très heureux" in index.get_article_text(cafe.id)

    with pytest.raises(FetchError, match=r"is a feed, not an article page; follow it with `newsbot feeds add"):
        ingest_url(index, server.url("/rss2.xml"), fast, fetcher=fetcher)
    with pytest.raises(FetchError, match="HTTP 404"):
        ingest_url(index, server.url("/nope.html"), fast, fetcher=fetcher)
    with pytest.raises(FetchError, match="disallowed"):
        ingest_url(index, server.url("/private/budget.html"), fast, fetcher=fetcher)
    with pytest.raises(FetchError, match="not an http"):
        ingest_url(index, "www.example.org/story", fast, fetcher=fetcher)
    assert index.stats()["articles"] == 2  # failures lost nothing
