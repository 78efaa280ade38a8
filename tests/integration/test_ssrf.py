"""Finding 1 of issue 11: the fetcher never reads internal services (SSRF), at any hop.

Every server here is on 127.0.0.1. To test a redirect *from* a public site *to* a private one,
`TrustingGuard` pretends the name `news.test` is a public site living at 127.0.0.1; everything
else goes through the real policy.
"""

from __future__ import annotations

import socket

import pytest

from retrieval.errors import FetchError
from retrieval.indexing.store import NewsIndex
from retrieval.sources.feeds import add_feed, refresh_feeds
from retrieval.sources.netguard import AddressRefused, Guard
from retrieval.sources.web import Fetcher, check_url
from tests.helpers import run_newsbot
from tests.http_server import Route

PUBLIC = "news.test"


class TrustingGuard(Guard):
    """The real policy, except that `news.test` is a public site that happens to live at 127.0.0.1."""

    def __init__(self, resolve: dict[str, str] | None = None) -> None:
        super().__init__(allow_private=False, dns_timeout=2)
        self.resolve = {PUBLIC: "127.0.0.1", **(resolve or {})}
        self.lookups: list[str] = []

    def refusal(self, host, ip):
        return None if host == PUBLIC else super().refusal(host, ip)

    def _getaddrinfo(self, host, port, timeout):
        self.lookups.append(host)
        if host in self.resolve:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (self.resolve[host], port))]
        return super()._getaddrinfo(host, port, timeout)


def public(server, path: str) -> str:
    return f"http://{PUBLIC}:{server.httpd.server_address[1]}{path}"


ARTICLE = b"""<html><head><title>Internal payroll</title></head><body><article>
<p>The internal payroll service says the secret salary of the director is 990,000 crowns.</p>
<p>This page must never be fetched by a bot that takes URLs from strangers on the internet.</p>
</article></body></html>"""


def test_cli_refuses_a_local_page_without_the_opt_in_and_stores_nothing(server, tmp_path):
    server.routes["/page.html"] = Route(ARTICLE)
    data = tmp_path / "data"
    out = run_newsbot("ingest", "--url", server.url("/page.html"), data_dir=data)
    assert out.returncode == 1
    assert "loopback" in out.stderr and "NEWSBOT_ALLOW_PRIVATE_URLS=1" in out.stderr
    assert "Traceback" not in out.stderr
    assert not server.requests("/page.html") and not server.requests("/robots.txt")
    asked = run_newsbot("ask", "--json", "What is the secret salary of the director?", data_dir=data)
    assert "990,000" not in asked.stdout

    secret = run_newsbot("ingest", "--url", server.url("/page.html").replace("http://", "http://ed:hunter2@"), data_dir=data)
    assert secret.returncode == 1 and "hunter2" not in secret.stdout + secret.stderr

    allowed = run_newsbot("ingest", "--url", server.url("/page.html"), data_dir=data, env={"NEWSBOT_ALLOW_PRIVATE_URLS": "1"})
    assert allowed.returncode == 0, allowed.stderr
    assert "1 added" in allowed.stdout and server.requests("/page.html")


def test_redirect_hops_to_internal_addresses_are_refused(server, fast):
    port = server.httpd.server_address[1]
    server.routes["/secret.html"] = Route(ARTICLE)
    targets = {
        "/to-ip": f"http://127.0.0.1:{port}/secret.html",
        "/to-localhost": f"http://localhost:{port}/secret.html",
        "/to-number": f"http://2130706433:{port}/secret.html",
        "/to-metadata": "http://169.254.169.254/latest/meta-data/",
        "/to-resolved": f"http://intranet.test:{port}/secret.html",  # a name whose DNS answer is private
    }
    for path, location in targets.items():
        server.routes[path] = Route(status=302, headers={"Location": location}, etag=False)
    guard = TrustingGuard(resolve={"intranet.test": "127.0.0.1"})
    with Fetcher(fast.with_(allow_private_urls=False), retries=0, guard=guard) as f:
        for path in targets:
            with pytest.raises(AddressRefused, match="newsbot only fetches public sites|never fetches"):
                f.fetch(public(server, path))
    assert not server.requests("/secret.html")
    assert all(server.requests(path) for path in targets), "the public hop itself was fetched"


def test_robots_txt_redirect_to_an_internal_address_is_not_followed(server, fast):
    port = server.httpd.server_address[1]
    server.routes["/robots.txt"] = Route(status=301, headers={"Location": f"http://127.0.0.1:{port}/internal-robots"}, etag=False)
    server.routes["/internal-robots"] = Route(b"User-agent: *\nAllow: /\n", "text/plain")
    server.routes["/story.html"] = Route(ARTICLE)
    with Fetcher(fast.with_(allow_private_urls=False), retries=0, guard=TrustingGuard()) as f:
        assert f.fetch(public(server, "/story.html")).status == 200  # robots.txt unreadable = no rules
    assert not server.requests("/internal-robots")


def test_connects_to_the_checked_address_without_a_second_lookup(server, fast, monkeypatch):
    server.routes["/story.html"] = Route(ARTICLE)
    asked: list[str] = []
    real = socket.getaddrinfo

    def spy(host, *args, **kwargs):
        asked.append(host)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", spy)
    guard = TrustingGuard()
    with Fetcher(fast.with_(allow_private_urls=False), retries=0, guard=guard) as f:
        result = f.fetch(public(server, "/story.html"))
    assert result.status == 200
    assert PUBLIC in guard.lookups  # checked once by the guard...
    assert PUBLIC not in asked  # ...and never looked up again by the connection
    assert server.requests("/story.html")[0].headers["host"].startswith(PUBLIC)  # Host header keeps the name


def test_feed_links_and_guids_pointing_inside_are_not_fetched(server, fast, embeddings):
    port = server.httpd.server_address[1]
    feed = f"""<?xml version="1.0"?><rss version="2.0"><channel><title>Public News</title>
    <item><title>Harbour news</title><link>http://127.0.0.1:{port}/secret.html</link>
      <description>The harbour opens a new ferry line to the islands on Monday.</description></item>
    <item><title>Guid only</title><guid isPermaLink="true">http://127.0.0.1:{port}/secret2.html</guid>
      <description>The library extends its opening hours during the winter months.</description></item>
    <item><title>Metadata</title><link>http://169.254.169.254/latest/meta-data/iam/</link></item>
    </channel></rss>""".encode()
    server.routes["/feed.xml"] = Route(feed, "application/rss+xml")
    server.routes["/secret.html"] = Route(ARTICLE)
    server.routes["/secret2.html"] = Route(ARTICLE)
    settings = fast.with_(allow_private_urls=False)
    index = NewsIndex.open(settings, embeddings=embeddings)
    with Fetcher(settings, retries=0, guard=TrustingGuard()) as f:
        add_feed(settings, public(server, "/feed.xml"), fetcher=f)
        report = refresh_feeds(index, settings, fetcher=f)
    assert not server.requests("/secret.html") and not server.requests("/secret2.html")
    texts = " ".join(index.get_article_text(a.id) for a in index.list_articles())
    assert "990,000" not in texts
    assert "ferry line" in texts and "opening hours" in texts  # stored from the feed's own text
    assert any("metadata" in s.reason for s in report.skipped)


def test_feeds_add_refuses_internal_addresses_in_one_line(tmp_path, server):
    server.file("/rss2.xml", "rss2.xml", "application/rss+xml")
    out = run_newsbot("feeds", "add", server.url("/rss2.xml"), data_dir=tmp_path / "data")
    assert out.returncode == 1 and "loopback" in out.stderr and "Traceback" not in out.stderr
    assert not server.requests("/rss2.xml")
    with pytest.raises(FetchError):
        check_url("http://[fd00:ec2::254]/latest", Guard(allow_private=True))
