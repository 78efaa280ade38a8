"""Publishers correct articles without touching the feed: recent pages are re-checked on each refresh.

A real local HTTP server serves a feed whose entries never change and article pages that do.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from bot.discord.render import citation_meta
from bot.terminal import TerminalStyle, render_citation
from retrieval.engine import Engine
from retrieval.sources.feed_store import updated_at
from retrieval.sources.feeds import add_feed, refresh_feeds
from retrieval.sources.web import Fetcher, canonical_url
from tests.helpers import run_newsbot
from tests.http_server import LocalServer, Route

QUESTION = "By how much did consumer prices in Harbourtown rise?"
# Last-Modified values after the recent entry's publication (an hour ago) and before now: believed.
_NOW = datetime.now(UTC).replace(microsecond=0)
MODIFIED = format_datetime(_NOW - timedelta(minutes=50), usegmt=True)
CORRECTED = format_datetime(_NOW - timedelta(minutes=10), usegmt=True)
CORRECTED_ISO = (_NOW - timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
CORRECTED_SHOWN = "updated " + CORRECTED_ISO[:16].replace("T", " ") + " UTC"


def page(title: str, *paragraphs: str, extra: str = "") -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title></head><body>{extra}"
        f"<nav><a href='/'>Home</a></nav><article><h1>{title}</h1>{body}</article></body></html>"
    ).encode()


def prices(rate: str, extra: str = "") -> bytes:
    return page(
        "Harbourtown prices climb as fuel costs rise",
        f"Consumer prices in Harbourtown rose by {rate} in the year to October, the regional statistics office said on Monday.",
        "Fuel and ferry tickets drove most of the increase, while food prices were flat over the year.",
        "The council said it would review harbour fees in the spring and publish its plan in March.",
        extra=extra,
    )


def school(word: str) -> bytes:
    return page(
        "Storholm school reopens after roof repairs",
        f"The school on Storholm reopened on {word} after builders replaced the roof damaged in the winter storm.",
        "Pupils had been taught in the village hall for six weeks, the head teacher said.",
    )


def serve(server: LocalServer, now: datetime) -> None:
    """A feed with a recent entry (1 hour old) and an old one (3 days), and their pages."""
    items = [
        ("Harbourtown prices climb as fuel costs rise", "/news/prices.html", now - timedelta(hours=1)),
        ("Storholm school reopens after roof repairs", "/news/school.html", now - timedelta(hours=72)),
    ]
    xml = "".join(
        f"<item><title>{t}</title><link>{{base}}{p}</link><guid>{p}</guid>"
        f"<pubDate>{format_datetime(d.astimezone(UTC), usegmt=True)}</pubDate></item>"
        for t, p, d in items
    )
    feed = f'<?xml version="1.0"?><rss version="2.0"><channel><title>Harbour Gazette</title>{xml}</channel></rss>'
    server.routes["/feed.xml"] = Route(feed.encode(), "application/rss+xml")
    server.routes["/news/prices.html"] = Route(prices("4.5%"), last_modified=MODIFIED)
    server.routes["/news/school.html"] = Route(school("Monday"))


@pytest.fixture
def engine(fast):
    return Engine.open(fast)


@pytest.fixture
def quick(fast):
    with Fetcher(fast, retries=0, backoff=0.01) as f:
        yield f


def page_requests(server: LocalServer, path: str) -> list:
    return server.requests(path)


def test_a_corrected_page_replaces_the_article_and_the_citation_says_when(server, fast, engine, quick):
    serve(server, _NOW)
    add_feed(fast, server.url("/feed.xml"), fetcher=quick)
    refresh_feeds(engine.index, fast, fetcher=quick)
    before = engine.ask(QUESTION)
    assert "4.5%" in before.answer and not before.abstained
    assert before.citations[0].updated_at == ""  # never updated: nothing to show
    old_id = before.citations[0].article_id
    key = canonical_url(server.url("/news/prices.html"))

    # The newsroom corrects the figure; the feed entry stays exactly as it was. The old story changes too.
    server.routes["/news/prices.html"] = Route(prices("6%"), last_modified=CORRECTED)
    server.routes["/news/school.html"] = Route(school("Tuesday"))
    report = refresh_feeds(engine.index, fast, fetcher=quick)

    assert report.feeds_unchanged == 1 and report.updated_entries == report.new_entries == 0
    assert report.rechecked == 1 and report.corrected == 1 and report.replaced == 1
    assert "pages re-checked: 1, 1 updated" in report.summary()
    # The page was asked for conditionally, with the validators of the first fetch.
    ask = page_requests(server, "/news/prices.html")[-1]
    assert ask.headers.get("if-none-match") and ask.headers.get("if-modified-since") == MODIFIED and ask.status == 200
    # An entry older than NEWSBOT_RECHECK_HOURS (48) is not asked again: the old text stays.
    assert len(page_requests(server, "/news/school.html")) == 1
    school_info = engine.index.find_by_key(canonical_url(server.url("/news/school.html")))
    assert "on Monday" in engine.index.get_article_text(school_info.id)

    after = engine.ask(QUESTION)
    assert "6%" in after.answer and "4.5%" not in after.answer
    cited = after.citations[0]
    assert cited.updated_at == CORRECTED_ISO  # the page's Last-Modified
    # Same key, new text: the old version and its sentences are gone.
    assert engine.index.find_by_key(key).id == cited.article_id != old_id
    assert engine.index.get_article(old_id) is None and engine.index.get_sentences(old_id) == []
    assert not [h for h in engine.search("rose by 4.5% in the year to October") if "4.5%" in h.sentence.text]
    # Shown wherever citations are: terminal, Discord, --json (a new key; the others unchanged).
    shown = " ".join(render_citation(cited, TerminalStyle(color=False, links=False, width=100)).split())
    assert f"Harbour Gazette, {cited.published_at[:10]}, {CORRECTED_SHOWN}" in shown
    assert CORRECTED_SHOWN in citation_meta(cited)
    assert after.to_json()["citations"][0]["updated_at"] == CORRECTED_ISO
    assert engine.index.get_article(cited.article_id).published_at == before.citations[0].published_at

    # Nothing changed since: exactly one conditional request, answered 304, and nothing written.
    version = engine.index.version()
    n = len(page_requests(server, "/news/prices.html"))
    again = refresh_feeds(engine.index, fast, fetcher=quick)
    asked = page_requests(server, "/news/prices.html")[n:]
    assert [r.status for r in asked] == [304]
    assert again.rechecked == 1 and again.corrected == 0 and again.pages_unchanged == 1
    assert engine.index.version() == version


def test_a_server_that_ignores_conditional_requests_costs_no_embedding(server, fast, engine, quick):
    serve(server, _NOW)
    server.routes["/news/prices.html"] = Route(prices("4.5%"), etag=False)  # no ETag, no Last-Modified
    add_feed(fast, server.url("/feed.xml"), fetcher=quick)
    refresh_feeds(engine.index, fast, fetcher=quick)
    version = engine.index.version()

    same = refresh_feeds(engine.index, fast, fetcher=quick)  # the same bytes: recognised by their hash
    assert page_requests(server, "/news/prices.html")[-1].status == 200
    assert same.rechecked == 1 and same.corrected == 0 and same.unchanged == 0
    assert engine.index.version() == version

    # The page around the article changes (an ad, a timestamp), the article text does not: still nothing written.
    server.routes["/news/prices.html"] = Route(prices("4.5%", extra="<!-- served 12:01 --><aside>Ad</aside>"), etag=False)
    around = refresh_feeds(engine.index, fast, fetcher=quick)
    assert around.rechecked == 1 and around.corrected == 0 and engine.index.version() == version

    server.routes["/news/prices.html"] = Route(prices("6%"), etag=False)
    changed = refresh_feeds(engine.index, fast, fetcher=quick)
    assert changed.corrected == 1 and changed.replaced == 1
    cited = engine.ask(QUESTION).citations[0]
    assert "6%" in cited.quote and cited.updated_at  # no Last-Modified: the time the change was found
    found = datetime.fromisoformat(cited.updated_at.replace("Z", "+00:00"))
    assert abs((datetime.now(UTC) - found).total_seconds()) < 600


def test_rechecks_can_be_turned_off(server, fast, engine, quick):
    serve(server, _NOW)
    settings = fast.with_(recheck_hours=0)
    add_feed(settings, server.url("/feed.xml"), fetcher=quick)
    refresh_feeds(engine.index, settings, fetcher=quick)
    report = refresh_feeds(engine.index, settings, fetcher=quick)
    assert report.rechecked == 0 and len(page_requests(server, "/news/prices.html")) == 1


def test_rechecks_pass_the_address_guard_and_the_deadlines(server, fast, engine, quick):
    serve(server, _NOW)
    add_feed(fast, server.url("/feed.xml"), fetcher=quick)
    refresh_feeds(engine.index, fast, fetcher=quick)
    key = canonical_url(server.url("/news/prices.html"))
    stored = engine.index.find_by_key(key).id
    n = len(page_requests(server, "/news/prices.html"))

    # Without the opt-in, the re-check of a page on 127.0.0.1 is refused before any request is sent.
    server.routes["/news/prices.html"] = Route(prices("6%"))
    guarded = refresh_feeds(engine.index, fast.with_(allow_private_urls=False))
    assert len(page_requests(server, "/news/prices.html")) == n
    assert guarded.rechecked == 1 and guarded.corrected == 0
    assert any(w.startswith("could not re-check") and "NEWSBOT_ALLOW_PRIVATE_URLS" in w for w in guarded.warnings)
    assert engine.index.find_by_key(key).id == stored  # the stored article is kept

    # A page that answers too slowly is given up at NEWSBOT_FETCH_TIMEOUT; the article stays, and is
    # re-checked on the next refresh.
    server.routes["/news/prices.html"] = Route(prices("6%"), delay=3.0)
    slow = refresh_feeds(engine.index, fast, fetcher=quick)
    assert slow.rechecked == 1 and slow.corrected == 0
    assert any(w.startswith("could not re-check") and "0.5s" in w for w in slow.warnings), slow.warnings
    assert engine.index.find_by_key(key).id == stored
    with sqlite3.connect(fast.data_dir / "feeds.sqlite3") as db:
        assert {s for (s,) in db.execute("SELECT state FROM entries")} == {"done"}

    server.routes["/news/prices.html"] = Route(prices("6%"))
    fixed = refresh_feeds(engine.index, fast, fetcher=quick)
    assert fixed.corrected == 1 and "6%" in engine.index.get_article_text(engine.index.find_by_key(key).id)


def test_feed_store_from_an_older_version_gains_the_page_hash(server, fast, engine, quick):
    serve(server, _NOW)
    add_feed(fast, server.url("/feed.xml"), fetcher=quick)
    refresh_feeds(engine.index, fast, fetcher=quick)
    with sqlite3.connect(fast.data_dir / "feeds.sqlite3") as db:  # as the previous version left it
        db.execute("ALTER TABLE entries DROP COLUMN page_hash")
    server.routes["/news/prices.html"] = Route(prices("6%"))
    report = refresh_feeds(engine.index, fast, fetcher=quick)
    assert report.corrected == 1 and not report.feeds_failed


def test_cli_refresh_then_ask_shows_the_corrected_figure(server, tmp_path):
    serve(server, _NOW)
    data = tmp_path / "cli-data"
    env = {"NEWSBOT_ALLOW_PRIVATE_URLS": "1", "NEWSBOT_FETCH_TIMEOUT": "5"}
    for args in (("feeds", "add", server.url("/feed.xml")), ("feeds", "refresh")):
        done = run_newsbot(*args, data_dir=data, env=env)
        assert done.returncode == 0, done.stderr
    server.routes["/news/prices.html"] = Route(prices("6%"), last_modified=CORRECTED)
    refreshed = run_newsbot("feeds", "refresh", data_dir=data, env=env)
    assert refreshed.returncode == 0 and "pages re-checked: 1, 1 updated" in refreshed.stdout + refreshed.stderr

    shown = run_newsbot("ask", QUESTION, data_dir=data, env=env)
    assert "6%" in shown.stdout and "4.5%" not in shown.stdout
    assert CORRECTED_SHOWN in shown.stdout
    out = json.loads(run_newsbot("ask", "--json", QUESTION, data_dir=data, env=env).stdout)
    assert out["citations"][0]["updated_at"] == CORRECTED_ISO and "6%" in out["citations"][0]["quote"]


def test_the_update_time_is_the_last_modified_header_only_when_plausible():
    published = "2024-03-05T08:00:00Z"
    assert updated_at("Tue, 05 Mar 2024 10:30:00 GMT", published) == "2024-03-05T10:30:00Z"
    for nonsense in ("Mon, 04 Mar 2024 10:30:00 GMT", "Fri, 01 Jan 2100 00:00:00 GMT", "yesterday", ""):
        stamp = datetime.fromisoformat(updated_at(nonsense, published).replace("Z", "+00:00"))
        assert abs((datetime.now(UTC) - stamp).total_seconds()) < 600  # before publication, future, bad: now
