"""Finding 3 of issue 11: every fetch has one wall-clock deadline; one slow host can't stall a refresh.

`DripServer` answers on 127.0.0.1 one byte at a time, for at most `DRIP_S` seconds, then finishes
a valid response. A client with a deadline gives up long before that; one without a deadline
waits the drip out and succeeds, so each test here fails on a fetcher that only has per-read
timeouts (no assertion depends on how fast this machine is).
"""

from __future__ import annotations

import socket
import threading
import time

import pytest

from retrieval.indexing.store import NewsIndex
from retrieval.sources.feed_store import list_feeds
from retrieval.sources.feeds import add_feed, refresh_feeds
from retrieval.sources.web import Fetcher, TransientFetchError
from tests.http_server import FIXTURES, LocalServer, Route

DRIP_S = 20.0


class DripServer:
    """Sends the status line and headers (or the body) one byte every 0.1 s.

    With `only`, just those paths drip; the others are `routes` answered at once (404 if absent).
    """

    def __init__(self, body: bytes, content_type: str = "text/html", drip: str = "headers",
                 only: set[str] | None = None, routes: dict[str, tuple[bytes, str]] | None = None) -> None:
        self.body, self.content_type, self.drip = body, content_type, drip
        self.only, self.routes = only, routes or {}
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.base = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.paths: list[str] = []
        self.gave_up = 0  # connections the client closed before the response was complete
        self._stop = threading.Event()
        self._handlers: list[threading.Thread] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            handler = threading.Thread(target=self._handle, args=(conn,), daemon=True)
            self._handlers.append(handler)
            handler.start()

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            request = b""
            while b"\r\n\r\n" not in request:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                request += chunk
            path = request.split(b" ")[1].decode()
            self.paths.append(path)
            if self.only is not None and path not in self.only:
                body, ctype = self.routes.get(path, (b"not here", "text/plain"))
                status = "200 OK" if path in self.routes else "404 Not Found"
                conn.sendall(
                    f"HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n"
                    "Connection: close\r\n\r\n".encode() + body
                )
                return
            head = (
                f"HTTP/1.1 200 OK\r\nContent-Type: {self.content_type}\r\n"
                f"Content-Length: {len(self.body)}\r\nConnection: close\r\n\r\n"
            ).encode()
            slow, fast = (head, self.body) if self.drip == "headers" else (self.body, head)
            started = time.monotonic()
            try:
                if self.drip != "headers":
                    conn.sendall(head)
                for i in range(len(slow)):
                    conn.sendall(slow[i : i + 1])
                    if time.monotonic() - started < DRIP_S:
                        time.sleep(0.1)
                if self.drip == "headers":
                    conn.sendall(fast)
            except OSError:
                self.gave_up += 1

    def url(self, path: str) -> str:
        return self.base + path

    def settle(self) -> None:
        """Wait until every connection so far has ended (the client hung up, or the drip finished)."""
        for handler in list(self._handlers):
            handler.join(DRIP_S + 10)

    def close(self) -> None:
        self._stop.set()
        self.sock.close()


@pytest.fixture
def drip():
    servers: list[DripServer] = []

    def make(*args, **kw) -> DripServer:
        servers.append(DripServer(*args, **kw))
        return servers[-1]

    yield make
    for s in servers:
        s.close()


PAGE = b"<html><body><article><p>" + b"The harbour ferry runs again from Monday, the port said. " * 20 + b"</p></article></body></html>"


@pytest.mark.parametrize("part", ["headers", "body"])
def test_a_server_dripping_headers_or_body_hits_the_deadline(drip, fast, part):
    server = drip(PAGE, drip=part)
    with Fetcher(fast.with_(fetch_timeout=1), retries=0) as f:
        with pytest.raises(TransientFetchError, match=r"timed out after 1s; .*NEWSBOT_FETCH_TIMEOUT"):
            f.fetch(server.url("/story.html"))


def test_a_slow_robots_txt_does_not_hang_feeds_add(drip, fast):
    feed = (FIXTURES / "rss2.xml").read_bytes()
    site = drip(b"User-agent: *\nDisallow:\n", "text/plain", only={"/robots.txt"},
                routes={"/rss2.xml": (feed, "application/rss+xml")})
    # robots.txt never arrives in time: it counts as "no rules", and the feed is added.
    added = add_feed(fast.with_(fetch_timeout=1), site.url("/rss2.xml"))
    assert added.title == "Harbour Gazette" and added.pending == 2
    assert site.paths == ["/robots.txt", "/rss2.xml"]
    site.settle()
    assert site.gave_up == 1  # the client hung up on robots.txt instead of waiting it out


def test_one_slow_feed_does_not_stall_the_refresh_of_the_others(drip, server, fast, embeddings):
    server.file("/rss2.xml", "rss2.xml", "application/rss+xml")
    server.file("/articles/ferry.html?utm_source=rss", "ferry.html")
    server.file("/articles/library.html", "library.html")
    settings = fast.with_(fetch_timeout=1)
    slow = drip((FIXTURES / "rss2.xml").read_bytes(), "application/rss+xml")
    index = NewsIndex.open(settings, embeddings=embeddings)
    add_feed(settings, server.url("/rss2.xml"))
    add_feed(settings, slow.url("/feed.xml"), check=False)
    with Fetcher(settings, retries=0) as f:
        report = refresh_feeds(index, settings, fetcher=f)
    assert report.added == 2, report.summary()
    failed = {s.key: s.reason for s in report.feeds_failed}
    assert "timed out" in failed[slow.url("/feed.xml")]
    by_url = {x.url: x for x in list_feeds(settings)}
    assert by_url[server.url("/rss2.xml")].pending == 0


def test_a_feed_that_uses_up_its_time_leaves_the_rest_pending(server, fast, embeddings):
    items = "".join(
        f"<item><title>Slow story {i}</title><link>{{base}}/slow/{i}.html</link><guid>s{i}</guid></item>" for i in range(6)
    )
    server.routes["/slow.xml"] = Route(f'<?xml version="1.0"?><rss version="2.0"><channel><title>Slow</title>{items}'
                                       "</channel></rss>".encode(), "application/rss+xml")
    for i in range(6):
        server.routes[f"/slow/{i}.html"] = Route(PAGE, delay=3.0)
    settings = fast.with_(fetch_timeout=30, feed_timeout=1)
    index = NewsIndex.open(settings, embeddings=embeddings)
    with LocalServer() as other:  # another site, with a healthy feed
        other.file("/rss2.xml", "rss2.xml", "application/rss+xml")
        other.file("/articles/ferry.html?utm_source=rss", "ferry.html")
        other.file("/articles/library.html", "library.html")
        add_feed(settings, server.url("/slow.xml"))
        add_feed(settings, other.url("/rss2.xml"))
        with Fetcher(settings, retries=0, per_host=1) as f:
            report = refresh_feeds(index, settings, fetcher=f)
    assert report.added == 2  # the other feed's two articles
    assert report.deferred >= 1 and "left for the next refresh" in report.summary()
    slow_feed = next(x for x in list_feeds(settings) if x.url.endswith("/slow.xml"))
    assert slow_feed.pending >= report.deferred  # nothing lost: deferred entries are still pending
