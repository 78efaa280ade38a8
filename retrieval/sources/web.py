"""A polite, bounded HTTP client for feeds and article pages.

`Fetcher` sends the configured User-Agent, honours robots.txt, makes conditional requests
(ETag / Last-Modified) so unchanged pages cost one small round trip, times out, retries transient
failures with backoff, limits concurrent requests per host, refuses bodies over
`settings.max_page_mb`, and decodes HTML with the charset the page declares. Every failure is a
`FetchError` whose message says what to do; `TransientFetchError` marks the ones worth retrying later.
"""

from __future__ import annotations

import codecs
import contextlib
import email.utils
import re
import threading
import time
import urllib.robotparser
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import charset_normalizer
import httpx

from retrieval.errors import FetchError
from retrieval.settings import Settings

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
FEED_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/xml",
        "text/xml",
        "application/x-rss+xml",
        "application/x-atom+xml",
    }
)
# Types that may hold either (servers mislabel feeds and pages a lot); decided by sniffing the body.
_SNIFF_TYPES = frozenset({"", "text/plain", "application/octet-stream", "binary/octet-stream"})
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_REDIRECTS = 10
ROBOTS_MAX_BYTES = 512 * 1024  # Google's limit is 500 KiB; anything beyond is ignored
# Query parameters that only track clicks: dropped so the same story has one key.
_TRACKING_PARAMS = re.compile(r"^(utm_\w+|fbclid|gclid|mc_cid|mc_eid|igshid|ref_src)$", re.I)
_STATUS_WORDS = {
    400: "bad request",
    401: "login required",
    403: "access denied",
    404: "not found",
    410: "gone",
    429: "too many requests",
    500: "server error",
    502: "bad gateway",
    503: "service unavailable",
    504: "gateway timeout",
}


class TransientFetchError(FetchError):
    """A failure that may go away by itself (timeout, connection refused, HTTP 5xx/429)."""


@dataclass(frozen=True)
class FetchResult:
    """One fetched URL. `not_modified` means the server answered 304 and `body` is empty."""

    url: str  # the URL asked for
    final_url: str  # after redirects
    status: int
    body: bytes = b""
    content_type: str = ""  # media type without parameters, lower case
    charset: str = ""  # from the Content-Type header, "" when not given
    etag: str = ""
    last_modified: str = ""
    kind: str = ""  # "html", "feed" or "other" ("" when not modified)

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    def text(self) -> str:
        """The body decoded with the declared or detected charset (HTML rules)."""
        return decode_html(self.body, self.charset)


def canonical_url(url: str) -> str:
    """A stable form of a URL: lower-case scheme and host, no default port, fragment or tracking parameters."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    netloc = host if port is None or (scheme, port) in (("http", 80), ("https", 443)) else f"{host}:{port}"
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING_PARAMS.match(k)])
    return urlunsplit((scheme, netloc, parts.path or "/", query, ""))


def check_url(url: str) -> str:
    """Return `url` stripped, or raise FetchError if it is not an absolute http(s) URL."""
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise FetchError(f"{url!r} is not an http(s) URL; give a full address like https://example.org/news/article.html")
    return url


def decode_html(body: bytes, header_charset: str = "") -> str:
    """Decode an HTML page: byte-order mark, then the HTTP charset, then <meta charset>, then detection."""
    for bom, enc in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if body.startswith(bom):
            return body.decode(enc, errors="replace")
    encoding = _codec(header_charset) or _codec(_meta_charset(body))
    if not encoding:
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError:
            best = charset_normalizer.from_bytes(body[:200_000]).best()
            encoding = _codec(best.encoding) if best else ""
    return body.decode(encoding or "utf-8", errors="replace")


def _codec(label: str | None) -> str:
    """Python codec for a charset label, "" if unknown; Latin-1 and ASCII mean windows-1252 as browsers do."""
    label = (label or "").strip().strip("\"'").lower()
    if not label:
        return ""
    if label in ("iso-8859-1", "latin1", "latin-1", "l1", "us-ascii", "ascii", "iso8859-1"):
        return "cp1252"  # WHATWG Encoding Standard: pages that say Latin-1 are written in windows-1252
    try:
        return codecs.lookup(label).name
    except LookupError:
        return ""


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.I)


def _meta_charset(body: bytes) -> str:
    m = _META_CHARSET.search(body[:4096])
    return m.group(1).decode("ascii", "replace") if m else ""


def sniff_kind(body: bytes, content_type: str) -> str:
    """'html', 'feed' or 'other' from the Content-Type, looking at the body when the type is vague."""
    if content_type in HTML_TYPES:
        return "html"
    if content_type in FEED_TYPES:
        # Plain XML can be anything; a feed names its root element early.
        if content_type in ("application/xml", "text/xml"):
            return "feed" if _looks_like_feed(body) else "other"
        return "feed"
    if content_type in _SNIFF_TYPES or content_type.startswith("text/"):
        if _looks_like_feed(body):
            return "feed"
        head = body[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
        if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head:
            return "html"
    return "other"


def _looks_like_feed(body: bytes) -> bool:
    head = body[:2048].lower()
    return b"<rss" in head or b"<feed" in head or b"<rdf:rdf" in head


class Fetcher:
    """HTTP client for one refresh or ingest run; thread-safe. Use as a context manager.

    `retries` extra attempts are made for timeouts, connection errors and HTTP 429/5xx, waiting
    `backoff * 2**n` seconds (or the server's Retry-After, capped) in between. At most `per_host`
    requests run at once against one host, so a big feed does not hammer its site.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        retries: int = 2,
        backoff: float = 1.0,
        per_host: int = 2,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.settings = settings
        self.user_agent = settings.user_agent
        self.timeout = float(settings.fetch_timeout)
        self.max_bytes = int(settings.max_page_mb * 1024 * 1024)
        self.retries = max(0, retries)
        self.backoff = max(0.0, backoff)
        self.per_host = max(1, per_host)
        self._client = httpx.Client(
            headers={"User-Agent": self.user_agent},
            timeout=httpx.Timeout(self.timeout),
            follow_redirects=False,  # followed by hand: robots.txt is checked and loops are named on every hop
            transport=transport,
        )
        self._lock = threading.Lock()
        self._host_slots: dict[str, threading.BoundedSemaphore] = {}
        self._robots: dict[str, urllib.robotparser.RobotFileParser | None] = {}
        self._robots_locks: dict[str, threading.Lock] = {}
        # The product token robots.txt groups are matched against ("newsbot" for "newsbot/0.1 (...)").
        self.robots_agent = self.user_agent.split("/")[0].split()[0] if self.user_agent.strip() else "*"

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    # -- public ----------------------------------------------------------------------------

    def fetch(
        self,
        url: str,
        *,
        etag: str = "",
        last_modified: str = "",
        accept: Collection[str] = ("html", "feed"),
    ) -> FetchResult:
        """GET `url` politely; raise FetchError (TransientFetchError when worth retrying later).

        With `etag` / `last_modified` from an earlier fetch the request is conditional and an
        unchanged resource comes back as a 304 result with no body. `accept` lists the kinds
        ("html", "feed", "other") the caller can use; anything else is refused before its body
        is downloaded when the Content-Type already says so.
        """
        url = check_url(url)
        seen: list[str] = []
        current = url
        while True:
            if current in seen:
                raise FetchError(f"{url} redirects in a loop; open it in a browser to find the article's real address")
            if len(seen) > MAX_REDIRECTS:
                raise FetchError(f"{url} redirects more than {MAX_REDIRECTS} times; open it in a browser to find the real address")
            seen.append(current)
            self._check_robots(current, original=url)
            # Sent on every hop: the stored validators came from the final URL of a redirect chain.
            validators = {}
            if etag:
                validators["If-None-Match"] = etag
            if last_modified:
                validators["If-Modified-Since"] = last_modified
            outcome = self._get_with_retries(current, validators, accept, original=url)
            if isinstance(outcome, str):  # a redirect target
                current = outcome
                continue
            return FetchResult(**{**outcome, "url": url, "final_url": current})

    def allowed(self, url: str) -> bool:
        """True if robots.txt of the URL's site lets our User-Agent fetch it."""
        parser = self._robots_for(url)
        return parser is None or parser.can_fetch(self.robots_agent, url)

    # -- internals -------------------------------------------------------------------------

    def _check_robots(self, url: str, *, original: str) -> None:
        if not self.allowed(url):
            host = urlsplit(url).netloc
            raise FetchError(
                f"{original} is disallowed for {self.robots_agent} by {host}/robots.txt; the site asks bots not to fetch it"
            )

    def _robots_for(self, url: str) -> urllib.robotparser.RobotFileParser | None:
        parts = urlsplit(url)
        origin = f"{parts.scheme.lower()}://{parts.netloc.lower()}"
        with self._lock:
            if origin in self._robots:
                return self._robots[origin]
            origin_lock = self._robots_locks.setdefault(origin, threading.Lock())
        with origin_lock:  # one robots.txt request per site even when many pages start at once
            with self._lock:
                if origin in self._robots:
                    return self._robots[origin]
            parser = self._load_robots(origin)
            with self._lock:
                self._robots[origin] = parser
            return parser

    def _load_robots(self, origin: str) -> urllib.robotparser.RobotFileParser | None:
        """Parsed robots.txt, or None for "everything allowed".

        RFC 9309 says 4xx means no rules. For 5xx and unreachable sites it says to assume full
        disallow; we allow instead, because the page request that follows then fails with the
        real reason (timeout, HTTP 500), which tells the user more than "disallowed" would.
        """
        try:
            with self._host_slot(origin), self._client.stream(
                "GET", origin + "/robots.txt", follow_redirects=True
            ) as r:
                if r.status_code != 200:
                    return None
                body = bytearray()
                for chunk in r.iter_bytes():
                    body += chunk
                    if len(body) >= ROBOTS_MAX_BYTES:
                        break
        except httpx.HTTPError:
            return None
        parser = urllib.robotparser.RobotFileParser()
        parser.parse(bytes(body[:ROBOTS_MAX_BYTES]).decode("utf-8", "replace").splitlines())
        return parser

    def _host_slot(self, url: str) -> threading.BoundedSemaphore:
        host = urlsplit(url).netloc.lower()
        with self._lock:
            slot = self._host_slots.get(host)
            if slot is None:
                slot = self._host_slots[host] = threading.BoundedSemaphore(self.per_host)
            return slot

    def _get_with_retries(self, url: str, headers: Mapping[str, str], accept: Collection[str], *, original: str):
        attempt = 0
        while True:
            try:
                return self._get_once(url, headers, accept, original=original)
            except _Retry as retry:
                attempt += 1
                if attempt > self.retries:
                    tries = f" after {attempt} tries" if attempt > 1 else ""
                    raise TransientFetchError(f"{retry.message}{tries}; {retry.advice}") from None
                wait = self.backoff * 2 ** (attempt - 1)
                if retry.retry_after is not None:
                    # Honour the server's wish, but never wait longer than a request may take.
                    wait = max(wait, min(retry.retry_after, self.timeout))
                time.sleep(wait)

    def _get_once(self, url: str, headers: Mapping[str, str], accept: Collection[str], *, original: str):
        """One request: a dict of FetchResult fields, a redirect target (str), or raise."""
        host = urlsplit(url).netloc
        # A per-read timeout does not stop a server that drips one byte a second: cap the whole body too.
        deadline = time.monotonic() + 3 * self.timeout
        try:
            with self._host_slot(url), self._client.stream("GET", url, headers=dict(headers)) as r:
                status = r.status_code
                if status in (301, 302, 303, 307, 308):
                    location = r.headers.get("location", "")
                    if not location:
                        raise FetchError(f"{original} answered HTTP {status} without a Location; check the address")
                    return check_url(urljoin(url, location))
                if status in RETRY_STATUSES:
                    raise _Retry(
                        f"{original} returned HTTP {status} ({_STATUS_WORDS.get(status, 'error')})",
                        "try again later",
                        _retry_after(r.headers.get("retry-after", "")),
                    )
                if status == 304:
                    return {"status": 304, "etag": r.headers.get("etag", ""), "last_modified": r.headers.get("last-modified", "")}
                if status >= 400:
                    word = _STATUS_WORDS.get(status, "error")
                    if status >= 500:
                        raise TransientFetchError(f"{original} returned HTTP {status} ({word}); try again later")
                    raise FetchError(f"{original} returned HTTP {status} ({word}); check the address")
                if status != 200:
                    raise FetchError(f"{original} returned HTTP {status}, not a page; check the address")
                ctype, charset = _content_type(r.headers.get("content-type", ""))
                if _clearly_other(ctype) and "other" not in accept:
                    raise FetchError(_not_usable(original, ctype, accept))  # before downloading a PDF or video
                length = r.headers.get("content-length", "")
                if length.isdigit() and int(length) > self.max_bytes:
                    raise FetchError(self._too_large(original))
                body = bytearray()
                for chunk in r.iter_bytes():
                    body += chunk
                    if len(body) > self.max_bytes:
                        raise FetchError(self._too_large(original))
                    if time.monotonic() > deadline:
                        raise _Retry(f"{original} took longer than {3 * self.timeout:g}s to download", "try again later")
        except httpx.TimeoutException:
            raise _Retry(
                f"{original} timed out after {self.timeout:g}s", "check the address or raise NEWSBOT_FETCH_TIMEOUT"
            ) from None
        except httpx.TransportError as exc:
            raise _Retry(f"cannot connect to {host} ({_reason(exc)})", "check the address and your network") from None
        body = bytes(body)
        kind = sniff_kind(body, ctype)
        if kind not in accept:
            raise FetchError(_not_usable(original, ctype or "unknown type", accept))
        return {
            "status": 200,
            "body": body,
            "content_type": ctype,
            "charset": charset,
            "etag": r.headers.get("etag", ""),
            "last_modified": r.headers.get("last-modified", ""),
            "kind": kind,
        }

    def _too_large(self, url: str) -> str:
        return f"{url} is larger than {self.settings.max_page_mb:g} MB; raise NEWSBOT_MAX_PAGE_MB to fetch it"


class _Retry(Exception):
    """Internal: a transient failure; retried, then raised as TransientFetchError."""

    def __init__(self, message: str, advice: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.advice = advice
        self.retry_after = retry_after


def _content_type(header: str) -> tuple[str, str]:
    media, _, params = header.partition(";")
    m = re.search(r"charset\s*=\s*[\"']?([\w.:-]+)", params, re.I)
    return media.strip().lower(), (m.group(1) if m else "")


def _retry_after(value: str) -> float | None:
    value = value.strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _reason(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:120]


def _clearly_other(ctype: str) -> bool:
    """True when the Content-Type alone says the body is neither a page nor a feed (image, PDF, JSON...)."""
    if not ctype or ctype in HTML_TYPES or ctype in FEED_TYPES or ctype in _SNIFF_TYPES:
        return False
    return not ctype.startswith("text/") and not ctype.endswith("+xml")


def _not_usable(url: str, ctype: str, accept: Collection[str]) -> str:
    """Why the body is of no use, worded for what the caller wanted most (the first kind in `accept`)."""
    primary = next(iter(accept), "html")
    if primary == "feed":
        return f"{url} is not an RSS or Atom feed (it is {ctype}); give the address of the feed itself"
    return f"{url} is not an HTML page (it is {ctype}); give the address of an article page"


@contextlib.contextmanager
def open_fetcher(settings: Settings, fetcher: Fetcher | None) -> Iterator[Fetcher]:
    """The caller's fetcher (left open), or a new one closed on exit."""
    if fetcher is not None:
        yield fetcher
        return
    with Fetcher(settings) as f:
        yield f


def looks_like_feed_text(body: bytes) -> bool:
    """True when a body fetched as a page is really a feed (an HTML page that mentions <feed> is not)."""
    head = body[:2048].lower()
    return b"<rss" in head or b"<rdf:rdf" in head or (b"<feed" in head and b"<html" not in head)
