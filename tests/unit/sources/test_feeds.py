"""Followed feeds and article URLs into a real on-disk index, served by a local HTTP server."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest
from click.testing import CliRunner

from retrieval.errors import ConfigError, FetchError
from retrieval.sources.feed_store import last_refresh, list_feeds, remove_feed
from retrieval.sources.feeds import add_feed, discover_feeds, html_to_text, refresh_feeds
from retrieval.sources.web import Fetcher, canonical_url
from tests.helpers import serve_site
from tests.http_server import FIXTURES, LocalServer, Route


def feed_fetches(server: LocalServer) -> list:
    return [r for r in server.log if r.path.endswith((".xml", ".rdf"))]


def page_fetches(server: LocalServer, status: int = 200) -> list:
    return [r for r in server.log if r.path.endswith(".html") or ".html?" in r.path if r.status == status]


def test_add_refresh_and_conditional_second_refresh(server, fast, fetcher, index):
    serve_site(server)
    for path in ("/rss2.xml", "/rss1.rdf", "/atom.xml"):
        add_feed(fast, server.url(path), fetcher=fetcher)
    feeds = {f.title: f for f in list_feeds(fast)}
    assert set(feeds) == {"Harbour Gazette", "Valley Times", "Mountain Courier"}
    assert feeds["Mountain Courier"].pending == 5 and feeds["Harbour Gazette"].articles == 0

    report = refresh_feeds(index, fast, fetcher=fetcher)
    # Feeds were read when added, so the refresh asks for them conditionally and gets 304s.
    assert [r.status for r in feed_fetches(server)] == [200, 200, 200, 304, 304, 304]
    assert report.feeds == 3 and report.feeds_unchanged == 3 and not report.feeds_failed
    # ferry (twice: gazette + mirror), library, avalanche, pass road (feed text), lift (feed text after 404)
    assert report.added == 5 and report.duplicates == 1 and report.from_feed_text == 1
    assert sorted(s.reason for s in report.skipped) == [
        f"{server.url('/private/budget.html')} is disallowed for newsbot by "
        f"{server.url('')[7:]}/robots.txt; the site asks bots not to fetch it",
        "the entry has no link and no text",
    ]
    assert not server.requests("/private/budget.html")

    ferry = index.find_by_key(canonical_url(server.url("/articles/ferry.html")))
    assert ferry is not None
    assert ferry.title == "Ferry service to the islands resumes after storm repairs"
    assert ferry.source == "Harbour Gazette"
    assert ferry.published_at == "2024-03-05T08:30:00Z"  # +0100 normalised to UTC
    assert ferry.author == "Maria Lund"
    assert "utm_source" not in ferry.url
    # The same story through the syndicating feed's URL is the same stored article.
    assert index.find_by_key(server.url("/mirror/ferry.html")).id == ferry.id
    assert index.get_article_text(ferry.id).startswith("The ferry between Harbourtown")
    avalanche = index.find_by_key(server.url("/articles/avalanche.html"))
    assert avalanche.published_at == "2024-03-06T12:15:00Z" and avalanche.author == "Jon Berg"
    road = [a for a in index.list_articles() if a.title == "Pass road closed for the night"]
    assert road and road[0].url == "" and road[0].source == "Mountain Courier"
    lift = index.find_by_key(server.url("/articles/gone.html"))
    assert lift and "worn cables" in index.get_article_text(lift.id)
    assert index.stats()["articles"] == 5

    version = index.version()
    n_pages = len(page_fetches(server))
    again = refresh_feeds(index, fast, fetcher=fetcher)
    assert again.feeds_unchanged == 3 and again.added == again.replaced == 0 and again.new_entries == 0
    assert len(page_fetches(server)) == n_pages  # no page was fetched again
    assert [r.status for r in feed_fetches(server)][-3:] == [304, 304, 304]
    assert index.version() == version  # nothing was embedded or written
    assert last_refresh(fast).summary() == again.summary()

    # --full re-reads everything (e.g. after the index folder was wiped); the index still embeds nothing.
    full = refresh_feeds(index, fast, fetcher=fetcher, full=True)
    assert full.feeds_unchanged == 0 and full.pages_fetched == 4 and full.unchanged == 6 and full.added == 0
    assert index.version() == version


def test_updated_article_replaces_the_old_version(server, fast, fetcher, index):
    serve_site(server)
    add_feed(fast, server.url("/rss2.xml"), fetcher=fetcher)
    refresh_feeds(index, fast, fetcher=fetcher)
    key = canonical_url(server.url("/articles/ferry.html"))
    old = index.find_by_key(key)

    # The newsroom corrects the story: new page text, and the feed says it was updated.
    server.file("/articles/ferry.html?utm_source=rss", "ferry_v2.html")
    feed = (FIXTURES / "rss2.xml").read_bytes().replace(b"09:30:00 +0100", b"11:00:00 +0100")
    server.routes["/rss2.xml"] = Route(feed, "application/rss+xml")
    report = refresh_feeds(index, fast, fetcher=fetcher)

    assert report.updated_entries == 1 and report.replaced == 1 and report.added == 0
    new = index.find_by_key(key)
    assert new.id != old.id and index.get_article(old.id) is None
    assert "455,000 euros" in index.get_article_text(new.id)
    assert new.published_at == "2024-03-05T10:00:00Z"
    # The unchanged library page was asked for conditionally and not re-read.
    assert server.requests("/articles/library.html")[-1].status == 200
    assert len(server.requests("/articles/library.html")) == 1


def test_failing_feeds_do_not_stop_the_others(server, fast, fetcher, index):
    serve_site(server)
    server.file("/malformed.xml", "malformed.xml", "application/rss+xml")
    server.file("/articles/roof.html", "roof.html")
    server.file("/not-a-feed.xml", "not-a-feed.xml", "application/xml")
    server.file("/garbage.xml", "not-a-feed.xml", "application/rss+xml")  # says feed, is not
    server.routes["/down.xml"] = Route(b"oops", "text/plain", status=500)
    server.routes["/slow.xml"] = Route(b"<rss/>", "application/rss+xml", delay=1.5)
    server.file("/page.html", "ferry.html")
    urls = ["/down.xml", "/slow.xml", "/not-a-feed.xml", "/garbage.xml", "/missing.xml", "/page.html", "/malformed.xml", "/rss2.xml"]
    for path in urls:
        add_feed(fast, server.url(path), check=False)

    report = refresh_feeds(index, fast, fetcher=fetcher)

    reasons = {item.key.rsplit("/", 1)[1]: item.reason for item in report.feeds_failed}
    assert set(reasons) == {"down.xml", "slow.xml", "not-a-feed.xml", "garbage.xml", "missing.xml", "page.html"}
    assert "HTTP 500 (server error); try again later" in reasons["down.xml"]
    assert "timed out after 0.5s" in reasons["slow.xml"]
    assert "is not an RSS or Atom feed (it is application/xml)" in reasons["not-a-feed.xml"]
    assert "is not a valid RSS or Atom feed (" in reasons["garbage.xml"]
    assert "HTTP 404 (not found)" in reasons["missing.xml"]
    assert "is a web page, not a feed" in reasons["page.html"]
    # The malformed feed still gave its readable entry, with a warning; the good feed worked.
    assert any("malformed.xml is malformed" in w for w in report.warnings)
    assert index.find_by_key(server.url("/articles/roof.html")) is not None
    assert index.find_by_key(server.url("/articles/library.html")) is not None
    by_url = {f.url.rsplit("/", 1)[1]: f for f in list_feeds(fast)}
    assert "HTTP 500" in by_url["down.xml"].last_error and by_url["rss2.xml"].last_error == ""


def test_page_failures_fall_back_to_the_feed_text_or_retry(server, fast, fetcher, index):
    body = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Edge Cases</title>
    <item><title>Slow page</title><link>{base}/slow.html</link><guid>slow</guid>
      <description>The slow page's own summary says the harbour bridge opens on Friday.</description></item>
    <item><title>Slow page without text</title><link>{base}/slow2.html</link><guid>slow2</guid></item>
    <item><title>A PDF</title><link>{base}/report.pdf</link><guid>pdf</guid></item>
    <item><title>Huge page</title><link>{base}/huge.html</link><guid>huge</guid>
      <description>The huge page is about the regional budget for schools and roads.</description></item>
    <item><title>Bridge opens</title><link>{base}/bridge.html</link><guid>bridge</guid></item>
    <item><title>Empty page</title><link>{base}/empty.html</link><guid>empty</guid></item>
    </channel></rss>"""
    server.routes["/edge.xml"] = Route(body, "application/rss+xml")
    server.routes["/slow.html"] = Route(b"<html><body><p>late</p></body></html>", delay=1.5)
    server.routes["/slow2.html"] = Route(b"<html><body><p>late</p></body></html>", delay=1.5)
    server.routes["/report.pdf"] = Route(b"%PDF-1.4", "application/pdf")
    server.routes["/huge.html"] = Route(b"<html><body>" + b"<p>budget</p>" * 100_000 + b"</body></html>")
    server.file("/bridge.html", "bridge-cp1251.html", "text/html; charset=windows-1251")
    # A page that only renders in a browser: no text without running its script.
    server.routes["/empty.html"] = Route(b'<html><body><div id="root"></div><script>render()</script></body></html>')
    add_feed(fast, server.url("/edge.xml"), fetcher=fetcher)

    with Fetcher(fast.with_(max_page_mb=0.5), retries=0) as small:
        report = refresh_feeds(index, fast, fetcher=small)

    slow = index.find_by_key(server.url("/slow.html"))
    assert slow and "harbour bridge opens on Friday" in index.get_article_text(slow.id)
    huge = index.find_by_key(server.url("/huge.html"))
    assert huge and "regional budget" in index.get_article_text(huge.id)
    bridge = index.find_by_key(server.url("/bridge.html"))
    assert bridge and "сорока тысяч автомобилей" in index.get_article_text(bridge.id)
    reasons = {s.key.rsplit("/", 1)[1]: s.reason for s in report.skipped}
    assert set(reasons) == {"report.pdf", "empty.html"}
    assert "is not an HTML page (it is application/pdf)" in reasons["report.pdf"]
    assert "no article text found" in reasons["empty.html"]
    assert report.retry_later == 2  # both slow pages: their entries are tried again next refresh
    feed = list_feeds(fast)[0]
    assert feed.pending == 2

    # The site recovers: the page replaces the summary stored from the feed.
    server.file("/slow.html", "avalanche.html")
    server.file("/slow2.html", "library.html")
    again = refresh_feeds(index, fast, fetcher=fetcher)
    assert again.replaced == 1 and again.added == 1 and again.retry_later == 0
    assert "avalanche" in index.get_article_text(index.find_by_key(server.url("/slow.html")).id)
    assert list_feeds(fast)[0].pending == 0


def test_interrupted_refresh_resumes_without_loss(server, fast, fetcher, index, monkeypatch):
    serve_site(server)
    add_feed(fast, server.url("/atom.xml"), fetcher=fetcher)
    add_feed(fast, server.url("/rss2.xml"), fetcher=fetcher)
    real_add = index.add_articles
    calls = []

    def add_then_interrupt(articles):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt  # Ctrl-C (or a kill) while the second batch is being stored
        return real_add(articles)

    monkeypatch.setattr(index, "add_articles", add_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        refresh_feeds(index, fast, fetcher=fetcher, batch=2)
    assert last_refresh(fast).interrupted
    stored_first = {a.id for a in index.list_articles()}
    assert len(stored_first) == 2
    monkeypatch.setattr(index, "add_articles", real_add)

    report = refresh_feeds(index, fast, fetcher=fetcher, batch=2)
    assert not report.interrupted and report.feeds_unchanged == 2
    assert stored_first < {a.id for a in index.list_articles()}
    assert index.stats()["articles"] == 5  # avalanche, pass road, lift, ferry, library
    assert all(f.pending == 0 for f in list_feeds(fast))
    # The batch stored before the interruption is not fetched again; the one being stored is redone.
    assert len(server.requests("/articles/avalanche.html")) == 1
    assert len(server.requests("/articles/gone.html")) == 2
    assert len(server.requests("/articles/ferry.html?utm_source=rss")) == 1


def test_second_refresh_at_the_same_time_is_refused(server, fast, fetcher, index):
    server.routes["/slow.xml"] = Route((FIXTURES / "rss2.xml").read_bytes(), "application/rss+xml", delay=1.0)
    add_feed(fast, server.url("/slow.xml"), check=False)
    errors = []
    first = threading.Thread(target=lambda: refresh_feeds(index, fast, fetcher=fetcher))
    first.start()
    time.sleep(0.2)
    try:
        refresh_feeds(index, fast, fetcher=fetcher)
    except FetchError as exc:
        errors.append(str(exc))
    first.join()
    assert errors == ["a feed refresh is already running; wait for it to finish"]





def test_add_feed_discovers_checks_and_removes(server, fast, fetcher):
    serve_site(server)
    server.routes["/"] = Route(
        b'<html><head><link rel="alternate" type="application/atom+xml" href="/atom.xml"></head><body>Home</body></html>'
    )
    server.file("/plain.html", "ferry.html")
    feed = add_feed(fast, server.url("/"), fetcher=fetcher)
    assert feed.url == server.url("/atom.xml") and feed.title == "Mountain Courier"
    assert add_feed(fast, server.url("/atom.xml"), fetcher=fetcher) == feed  # twice is harmless

    with pytest.raises(FetchError, match="is a web page, not a feed, and advertises no feed"):
        add_feed(fast, server.url("/plain.html"), fetcher=fetcher)
    with pytest.raises(FetchError, match="HTTP 404"):
        add_feed(fast, server.url("/nope.xml"), fetcher=fetcher)
    assert [f.url for f in list_feeds(fast)] == [feed.url]

    assert remove_feed(fast, feed.url) and not remove_feed(fast, feed.url)
    assert list_feeds(fast) == []
    with sqlite3.connect(fast.data_dir / "feeds.sqlite3") as conn:
        assert conn.execute("SELECT COUNT(*) FROM entries").fetchone()[0] == 0


def test_feed_in_another_encoding(server, fast, fetcher):
    feed = """<?xml version="1.0" encoding="windows-1251"?>
    <rss version="2.0"><channel><title>Вести Волхова</title>
    <item><title>Новый мост через реку открыт</title><link>{base}/bridge.html</link></item>
    </channel></rss>""".encode("cp1251")
    server.routes["/ru.xml"] = Route(feed, "application/rss+xml")  # the charset is only in the XML prolog
    assert add_feed(fast, server.url("/ru.xml"), fetcher=fetcher).title == "Вести Волхова"


def test_feeds_survive_a_restart_and_a_damaged_file_is_reported(server, fast, fetcher):
    serve_site(server)
    add_feed(fast, server.url("/rss2.xml"), fetcher=fetcher)
    assert [f.title for f in list_feeds(fast.with_())] == ["Harbour Gazette"]
    (fast.data_dir / "feeds.sqlite3").write_bytes(b"this is not a database" * 100)
    with pytest.raises(ConfigError, match="is damaged .* move it away and add the feeds again"):
        list_feeds(fast)


def test_cli_feeds_commands(server, fast, monkeypatch):
    serve_site(server)
    monkeypatch.setenv("NEWSBOT_THREADS", "1")
    from bot.cli import main

    runner = CliRunner()
    data = ["--data-dir", str(fast.data_dir)]
    out = runner.invoke(main, [*data, "feeds", "list"])
    assert out.exit_code == 0 and "no feeds followed yet" in out.output
    out = runner.invoke(main, [*data, "feeds", "add", server.url("/rss2.xml"), server.url("/nope.xml")])
    assert out.exit_code == 1
    assert "following " + server.url("/rss2.xml") + " (Harbour Gazette), 2 entries to fetch" in out.output
    assert "HTTP 404" in out.output and "1 of 2 feeds could not be added" in out.output
    out = runner.invoke(main, [*data, "feeds", "refresh", "--no-progress"])
    assert out.exit_code == 0, out.output
    assert "articles: 2 added" in out.output
    out = runner.invoke(main, [*data, "feeds", "list"])
    assert "Harbour Gazette · 2 articles · 0 pending" in out.output and "last refresh" in out.output
    out = runner.invoke(main, [*data, "feeds", "remove", server.url("/rss2.xml"), server.url("/other.xml")])
    assert out.exit_code == 1 and "stopped following" in out.output and "not following" in out.output


def test_helpers():
    assert html_to_text("<p>One <b>two</b>.</p><p>Three.<br>Four.</p><script>x()</script>") == "One two.\n\nThree.\n\nFour."
    assert discover_feeds('<link rel="alternate" type="application/rss+xml" href="/feed">', "http://x.org/a/") == [
        "http://x.org/feed"
    ]
