"""The HTTP client for feeds and pages, against a real HTTP server on 127.0.0.1 (no network)."""

from __future__ import annotations

import threading
import time

import pytest

from retrieval.errors import FetchError
from retrieval.sources.web import Fetcher, TransientFetchError, canonical_url, check_url, decode_html, sniff_kind
from tests.http_server import Route


def fetcher(settings, **kw) -> Fetcher:
    return Fetcher(settings, **{"retries": 1, "backoff": 0.01, **kw})


def test_fetches_html_with_user_agent_and_conditional_requests(server, fast):
    server.file("/a.html", "ferry.html")
    server.routes["/b.html"] = Route(b"<html><body><p>b</p></body></html>", etag=False, last_modified="Tue, 05 Mar 2024 09:00:00 GMT")
    with fetcher(fast) as f:
        first = f.fetch(server.url("/a.html"))
        assert first.status == 200 and first.kind == "html" and first.etag
        assert "Ferry service" in first.text()
        again = f.fetch(server.url("/a.html"), etag=first.etag)
        assert again.not_modified and again.body == b""
        b = f.fetch(server.url("/b.html"))
        assert b.last_modified and f.fetch(server.url("/b.html"), last_modified=b.last_modified).not_modified
    reqs = server.requests("/a.html")
    assert all(r.headers["user-agent"] == fast.user_agent for r in server.log)
    assert reqs[1].headers["if-none-match"] == first.etag and reqs[1].status == 304
    assert server.requests("/b.html")[1].headers["if-modified-since"] == "Tue, 05 Mar 2024 09:00:00 GMT"


def test_robots_txt_disallow_is_respected_and_read_once(server, fast):
    server.routes["/robots.txt"] = Route(
        b"User-agent: *\nDisallow: /private/\n\nUser-agent: newsbot\nDisallow: /private/\nDisallow: /nobots/\n",
        "text/plain",
    )
    server.file("/private/p.html", "ferry.html")
    server.file("/nobots/p.html", "ferry.html")
    server.file("/public/p.html", "ferry.html")
    with fetcher(fast) as f:
        for path in ("/private/p.html", "/nobots/p.html"):
            with pytest.raises(FetchError, match=r"disallowed for newsbot by 127\.0\.0\.1:\d+/robots\.txt"):
                f.fetch(server.url(path))
        assert f.fetch(server.url("/public/p.html")).status == 200
        assert not f.allowed(server.url("/private/x")) and f.allowed(server.url("/elsewhere"))
    assert not server.requests("/private/p.html") and not server.requests("/nobots/p.html")
    assert len(server.requests("/robots.txt")) == 1


def test_robots_rule_applies_after_a_redirect(server, fast):
    server.routes["/robots.txt"] = Route(b"User-agent: *\nDisallow: /private/\n", "text/plain")
    server.routes["/go"] = Route(status=302, headers={"Location": "/private/p.html"}, etag=False)
    with fetcher(fast) as f, pytest.raises(FetchError, match="disallowed"):
        f.fetch(server.url("/go"))
    assert not server.requests("/private/p.html")


def test_timeout_is_retried_then_reported(server, fast):
    server.routes["/slow"] = Route(b"<html></html>", delay=1.5)
    started = time.monotonic()
    with fetcher(fast) as f, pytest.raises(TransientFetchError, match=r"timed out after 0.5s after 2 tries; .*NEWSBOT_FETCH_TIMEOUT"):
        f.fetch(server.url("/slow"))
    assert time.monotonic() - started < 3
    assert len(server.requests("/slow")) == 2


def test_404_fails_at_once_and_500_is_retried(server, fast):
    server.routes["/boom"] = Route(b"oops", "text/plain", status=500)
    with fetcher(fast, retries=2) as f:
        with pytest.raises(FetchError, match=r"HTTP 404 \(not found\); check the address") as e404:
            f.fetch(server.url("/missing.html"))
        assert not isinstance(e404.value, TransientFetchError)
        with pytest.raises(TransientFetchError, match=r"HTTP 500 \(server error\) after 3 tries; try again later"):
            f.fetch(server.url("/boom"))
    assert len(server.requests("/missing.html")) == 1
    assert len(server.requests("/boom")) == 3


def test_a_passing_503_is_retried_and_succeeds(server, fast):
    calls = []

    def flaky(req):
        calls.append(req)
        if len(calls) == 1:
            return Route(b"busy", "text/plain", status=503, headers={"Retry-After": "0"})
        return Route(b"<html><body><p>fine</p></body></html>")

    server.routes["/flaky"] = flaky
    with fetcher(fast) as f:
        assert f.fetch(server.url("/flaky")).status == 200
    assert len(calls) == 2


def test_redirects_followed_and_loops_named(server, fast):
    server.file("/new.html", "ferry.html")
    server.routes["/old"] = Route(status=301, headers={"Location": "/new.html"}, etag=False)
    server.routes["/loop1"] = Route(status=302, headers={"Location": "/loop2"}, etag=False)
    server.routes["/loop2"] = Route(status=302, headers={"Location": "/loop1"}, etag=False)
    server.routes["/self"] = Route(status=307, headers={"Location": "/self"}, etag=False)
    with fetcher(fast) as f:
        result = f.fetch(server.url("/old"))
        assert result.final_url == server.url("/new.html") and result.url == server.url("/old")
        for path in ("/loop1", "/self"):
            with pytest.raises(FetchError, match="redirects in a loop; open it in a browser"):
                f.fetch(server.url(path))
    assert len(server.requests("/loop1")) == 1 and len(server.requests("/self")) == 1


def test_non_html_refused(server, fast):
    server.routes["/doc.pdf"] = Route(b"%PDF-1.4 " + b"x" * 100, "application/pdf")
    server.routes["/data.json"] = Route(b'{"a": 1}', "application/json")
    server.routes["/blob"] = Route(b"\x00\x01\x02 binary", "application/octet-stream")
    with fetcher(fast) as f:
        with pytest.raises(FetchError, match=r"is not an HTML page \(it is application/pdf\); give the address of an article page"):
            f.fetch(server.url("/doc.pdf"), accept=("html",))
        with pytest.raises(FetchError, match=r"not an RSS or Atom feed \(it is application/json\); give the address of the feed"):
            f.fetch(server.url("/data.json"), accept=("feed", "html"))
        with pytest.raises(FetchError, match="application/octet-stream"):
            f.fetch(server.url("/blob"))


def test_size_limit_with_and_without_content_length(server, fast):
    big = b"<html><body>" + b"<p>word word word</p>" * 3000 + b"</body></html>"  # ~63 KB
    server.routes["/big"] = Route(big)
    server.routes["/big-chunked"] = Route(big, chunked=True)
    small = fast.with_(max_page_mb=0.05)
    with fetcher(small) as f:
        for path in ("/big", "/big-chunked"):
            with pytest.raises(FetchError, match=r"larger than 0.05 MB; raise NEWSBOT_MAX_PAGE_MB"):
                f.fetch(server.url(path))
    with fetcher(fast) as f:
        assert len(f.fetch(server.url("/big-chunked")).body) == len(big)


def test_page_encodings_from_header_meta_and_detection(server, fast):
    server.file("/ru.html", "bridge-cp1251.html", "text/html; charset=windows-1251")
    server.file("/ru-undeclared.html", "bridge-cp1251.html", "text/html")
    server.file("/fr.html", "cafe-latin1.html", "text/html")  # charset only in <meta http-equiv>
    with fetcher(fast) as f:
        assert "Новый мост через реку открыт" in f.fetch(server.url("/ru.html")).text()
        assert "Новый мост" in f.fetch(server.url("/ru-undeclared.html")).text()
        fr = f.fetch(server.url("/fr.html")).text()
    # Latin-1 is read as windows-1252, as browsers do, so the curly quotes survive.
    assert "Le café du port" in fr and "\u201cNous sommes très heureux" in fr


def test_decode_html_rules():
    assert decode_html("héllo".encode()) == "héllo"
    assert decode_html(b"\xef\xbb\xbfh\xc3\xa9", "latin-1") == "hé"  # the BOM wins over the header
    french = "Le café du port a rouvert samedi après dix-huit mois de travaux; la façade a été rénovée."
    assert decode_html(french.encode("cp1252"), "no-such-charset") == french  # detected
    assert decode_html(b'<meta charset="koi8-r">' + "Привет".encode("koi8-r")).endswith("Привет")


def test_sniff_kind():
    assert sniff_kind(b"<rss version='2.0'>", "text/xml") == "feed"
    assert sniff_kind(b"<?xml version='1.0'?><note/>", "application/xml") == "other"
    assert sniff_kind(b"<!DOCTYPE html><html>", "text/plain") == "html"
    assert sniff_kind(b"<feed xmlns='http://www.w3.org/2005/Atom'>", "") == "feed"
    assert sniff_kind(b"%PDF", "application/pdf") == "other"


def test_bad_urls_and_unreachable_hosts(fast):
    for bad in ("", "example.org/news", "ftp://example.org/a", "javascript:alert(1)", "http://"):
        with pytest.raises(FetchError, match="is not an http\\(s\\) URL; give a full address"):
            check_url(bad)
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once the block ends: nothing listens there
    with fetcher(fast, retries=0) as f, pytest.raises(TransientFetchError, match=r"cannot connect to 127\.0\.0\.1:\d+"):
        f.fetch(f"http://127.0.0.1:{port}/a.html")


def test_per_host_concurrency_is_limited(server, fast):
    server.routes["/slowish"] = Route(b"<html><body>x</body></html>", delay=0.2, etag=False)
    with fetcher(fast.with_(fetch_timeout=5), per_host=2) as f:
        threads = [threading.Thread(target=f.fetch, args=(server.url(f"/slowish?n={i}"),)) for i in range(6)]
        server.routes.update({f"/slowish?n={i}": server.routes["/slowish"] for i in range(6)})
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert len([r for r in server.log if r.path.startswith("/slowish")]) == 6
    assert server.max_active == 2


def test_canonical_url():
    assert canonical_url("HTTP://Example.org:80/a?utm_source=rss&id=3#top") == "http://example.org/a?id=3"
    assert canonical_url("https://example.org") == "https://example.org/"
    assert canonical_url("https://example.org:8443/x?fbclid=1") == "https://example.org:8443/x"
