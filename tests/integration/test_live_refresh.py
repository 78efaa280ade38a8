"""A feed refresh running in the background never blocks answers from the same index."""

from __future__ import annotations

import threading
import time

from retrieval.engine import Engine
from retrieval.sources.feeds import add_feed, refresh_feeds
from tests.helpers import SEED_QUESTION, SEEDS


def test_questions_are_answered_while_a_refresh_is_under_way(server, settings):
    engine = Engine.open(settings)
    engine.ingest_paths([SEEDS])
    engine.ask(SEED_QUESTION)  # warm: model and lexical index loaded
    server.file("/rss2.xml", "rss2.xml", "application/rss+xml")
    server.file("/articles/ferry.html?utm_source=rss", "ferry.html", delay=2.0)  # a slow news site
    server.file("/articles/library.html", "library.html", delay=2.0)
    add_feed(settings, server.url("/rss2.xml"))

    refresh = threading.Thread(target=refresh_feeds, args=(engine.index, settings))
    refresh.start()
    deadline = time.monotonic() + 30
    while not server.requests("/articles/library.html") and time.monotonic() < deadline:
        time.sleep(0.02)
    assert refresh.is_alive(), "the refresh should still be fetching pages"
    answer = engine.ask(SEED_QUESTION)
    answered_during_refresh = refresh.is_alive()
    refresh.join(60)
    assert "88" in answer.answer and not answer.abstained
    assert answered_during_refresh
    # and the refreshed articles are answerable as soon as the refresh is done
    ferry = engine.ask("When does the ferry to the islands run again?")
    assert any("ferry" in c.quote.lower() for c in ferry.citations)
