"""Followed feeds (RSS 2.0, RSS 1.0, Atom) and single article URLs, turned into indexed articles.

Feeds are parsed with feedparser; pages are fetched with `retrieval.sources.web.Fetcher` and their main
text extracted by `retrieval.sources.files.article_from_html` (trafilatura). The followed feeds and what
was fetched from them live in `<data_dir>/feeds.sqlite3`:

- `feeds`: one row per followed feed, with its ETag / Last-Modified for conditional requests;
- `entries`: one row per feed entry ever seen, in state pending -> done | failed | skipped, with
  the page's own validators, so an unchanged page is a 304 and costs no embedding;
- `refreshes`: one JSON report per refresh, for `/stats`.

A refresh first records every new or changed entry as `pending` (in the same transaction that stores
the feed's new validators), then works through all pending entries in small batches, marking each
batch done only after the index has stored it. Killed at any point, the next refresh finds the
entries still pending and finishes them; re-adding a batch is free because the index is idempotent.
"""

from __future__ import annotations

import calendar
import contextlib
import hashlib
import json
import re
import sqlite3
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

import feedparser
import lxml.etree
import lxml.html

from retrieval.errors import ConfigError, FetchError, NewsbotError
from retrieval.settings import Settings
from retrieval.sources.files import article_from_html, parse_date
from retrieval.sources.web import Fetcher, FetchResult, TransientFetchError, canonical_url, check_url
from retrieval.types import Article, Skipped

if TYPE_CHECKING:  # chromadb is slow to import; `feeds list/add/remove` never need it
    from retrieval.indexing.store import IngestReport, NewsIndex

DB_NAME = "feeds.sqlite3"
MAX_ATTEMPTS = 3  # a page that keeps timing out is given up after this many refreshes
WORKERS = 4  # pages fetched at once (the Fetcher also caps requests per host)
BATCH = 16  # entries stored in the index per step: the unit of progress an interrupted refresh keeps

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feeds (
    url TEXT PRIMARY KEY,
    title TEXT NOT NULL DEFAULT '',
    added_at TEXT NOT NULL,
    etag TEXT NOT NULL DEFAULT '',
    last_modified TEXT NOT NULL DEFAULT '',
    last_checked TEXT NOT NULL DEFAULT '',
    last_ok TEXT NOT NULL DEFAULT '',
    last_error TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS entries (
    feed_url TEXT NOT NULL,
    entry_id TEXT NOT NULL,
    fingerprint TEXT NOT NULL,       -- hash of what the feed says about the entry: a change = updated
    data TEXT NOT NULL,              -- JSON: link, title, author, published_at, text (the feed's own)
    state TEXT NOT NULL,             -- pending | done | failed (retried) | skipped
    attempts INTEGER NOT NULL DEFAULT 0,
    page_etag TEXT NOT NULL DEFAULT '',
    page_last_modified TEXT NOT NULL DEFAULT '',
    article_key TEXT NOT NULL DEFAULT '',
    article_id TEXT NOT NULL DEFAULT '',
    error TEXT NOT NULL DEFAULT '',
    seen_at TEXT NOT NULL,
    done_at TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (feed_url, entry_id)
);
CREATE INDEX IF NOT EXISTS entries_state ON entries(state);
CREATE TABLE IF NOT EXISTS refreshes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    report TEXT NOT NULL
);
"""


# -- records -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Feed:
    """A followed feed and how its last fetch went."""

    url: str
    title: str = ""
    added_at: str = ""
    last_checked: str = ""
    last_ok: str = ""
    last_error: str = ""
    entries: int = 0  # entries seen so far
    articles: int = 0  # entries stored in the index
    pending: int = 0  # entries still to fetch (new, or failed and to be retried)


@dataclass
class RefreshReport:
    """What one `refresh_feeds` did; `summary()` is what the CLI and /stats show."""

    started_at: str = ""
    finished_at: str = ""
    feeds: int = 0  # feeds checked
    feeds_unchanged: int = 0  # answered 304 / same content: nothing to do
    feeds_failed: list[Skipped] = field(default_factory=list)
    new_entries: int = 0
    updated_entries: int = 0
    pages_fetched: int = 0
    pages_unchanged: int = 0  # answered 304
    from_feed_text: int = 0  # stored from the feed's own text because the page could not be used
    added: int = 0
    replaced: int = 0
    unchanged: int = 0
    duplicates: int = 0
    sentences: int = 0
    skipped: list[Skipped] = field(default_factory=list)  # entries not stored, with the reason
    retry_later: int = 0  # entries that failed for a passing reason and will be tried again
    warnings: list[str] = field(default_factory=list)
    interrupted: bool = False

    def absorb(self, ingest: IngestReport) -> None:
        self.added += ingest.added
        self.replaced += ingest.replaced
        self.unchanged += ingest.unchanged
        self.duplicates += ingest.duplicates
        self.sentences += ingest.sentences
        self.skipped.extend(ingest.skipped)

    def summary(self) -> str:
        head = (
            f"feeds: {self.feeds} checked, {self.feeds_unchanged} unchanged, {len(self.feeds_failed)} failed; "
            f"entries: {self.new_entries} new, {self.updated_entries} updated; "
            f"articles: {self.added} added, {self.replaced} replaced, {self.unchanged} unchanged, "
            f"{self.duplicates} duplicates, {len(self.skipped)} skipped"
        )
        if self.retry_later:
            head += f", {self.retry_later} to retry"
        if self.interrupted:
            head += " (interrupted: the next refresh resumes)"
        return head

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> RefreshReport:
        data = dict(data)
        for name in ("feeds_failed", "skipped"):
            data[name] = [Skipped(**s) for s in data.get(name, [])]
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass(frozen=True)
class _Entry:
    """A pending feed entry as stored in SQLite."""

    feed_url: str
    entry_id: str
    link: str
    title: str
    author: str
    published_at: str
    text: str  # the feed's own text (content or summary), plain
    source: str  # the feed's title
    page_etag: str
    page_last_modified: str
    attempts: int


@dataclass
class _Outcome:
    """What processing one entry produced, applied to SQLite by the refreshing thread."""

    entry: _Entry
    article: Article | None = None
    state: str = "done"
    error: str = ""
    page_etag: str = ""
    page_last_modified: str = ""
    fetched: bool = False
    not_modified: bool = False
    from_feed_text: bool = False


# -- the store ---------------------------------------------------------------------------------


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@contextlib.contextmanager
def _db(settings: Settings) -> Iterator[sqlite3.Connection]:
    """A connection to `<data_dir>/feeds.sqlite3`, created on first use; closed on exit."""
    path = Path(settings.data_dir) / DB_NAME
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, timeout=30)
    except (OSError, sqlite3.Error) as exc:
        raise ConfigError(f"cannot open {path} ({exc}); check NEWSBOT_DATA_DIR points at a writable folder") from None
    try:
        conn.row_factory = sqlite3.Row
        # WAL: the Discord bot can list feeds while a refresh in another thread or process writes.
        conn.execute("PRAGMA journal_mode=WAL")
        conn.executescript(_SCHEMA)
        yield conn
    except sqlite3.DatabaseError as exc:
        raise ConfigError(f"the feed list {path} is damaged ({exc}); move it away and add the feeds again") from None
    finally:
        conn.close()


def _feeds(conn: sqlite3.Connection, urls: list[str] | None = None) -> list[Feed]:
    rows = conn.execute(
        """SELECT f.*, COUNT(e.entry_id) AS n_entries,
                  SUM(e.article_id != '') AS n_articles,
                  SUM(e.state IN ('pending', 'failed')) AS n_pending
           FROM feeds f LEFT JOIN entries e ON e.feed_url = f.url
           GROUP BY f.url ORDER BY f.added_at, f.url"""
    ).fetchall()
    feeds = [
        Feed(
            url=r["url"],
            title=r["title"],
            added_at=r["added_at"],
            last_checked=r["last_checked"],
            last_ok=r["last_ok"],
            last_error=r["last_error"],
            entries=r["n_entries"] or 0,
            articles=r["n_articles"] or 0,
            pending=r["n_pending"] or 0,
        )
        for r in rows
    ]
    if urls is not None:
        wanted = {canonical_url(u) for u in urls}
        feeds = [f for f in feeds if f.url in wanted]
    return feeds


# -- public API --------------------------------------------------------------------------------


def list_feeds(settings: Settings) -> list[Feed]:
    """The followed feeds, oldest first, with entry counts and the last fetch's outcome."""
    with _db(settings) as conn:
        return _feeds(conn)


def find_feed(settings: Settings, url: str) -> Feed | None:
    """The followed feed with this URL (in any spelling `canonical_url` equates), or None."""
    with _db(settings) as conn:
        found = _feeds(conn, [url])
    return found[0] if found else None


def add_feed(settings: Settings, url: str, *, check: bool = True, fetcher: Fetcher | None = None) -> Feed:
    """Follow a feed; with `check`, fetch it first so a wrong URL fails now, not at the next refresh.

    Given a web page instead of a feed, the page's advertised feed (<link rel="alternate">) is
    followed. The entries read while checking are stored as pending, so the next refresh ingests
    them without fetching the feed again. Adding a feed twice is harmless.
    """
    url = canonical_url(check_url(url))
    existing = find_feed(settings, url)
    if existing:
        return existing
    parsed = None
    result = None
    if check:
        with _fetcher(settings, fetcher) as f:
            result = f.fetch(url, accept=("feed", "html"))
            if result.kind == "html" and not _looks_like_feed_text(result.body):
                found = discover_feeds(result.text(), result.final_url)
                if not found:
                    raise FetchError(
                        f"{url} is a web page, not a feed, and advertises no feed; give the address of its RSS or Atom feed"
                    )
                url = canonical_url(found[0])
                existing = find_feed(settings, url)
                if existing:
                    return existing
                result = f.fetch(url, accept=("feed", "html"))
            parsed = _parse_feed(result)
    with _db(settings) as conn, conn:
        conn.execute("INSERT OR IGNORE INTO feeds (url, added_at) VALUES (?, ?)", (url, _now()))
        if parsed is not None and result is not None:
            _record_feed(conn, url, result, parsed, RefreshReport())
    feed = find_feed(settings, url)
    assert feed is not None
    return feed


def remove_feed(settings: Settings, url: str) -> bool:
    """Stop following a feed; False if it was not followed. Articles already stored stay in the index."""
    url = canonical_url(url.strip())
    with _db(settings) as conn, conn:
        conn.execute("DELETE FROM entries WHERE feed_url = ?", (url,))
        return conn.execute("DELETE FROM feeds WHERE url = ?", (url,)).rowcount > 0


def last_refresh(settings: Settings) -> RefreshReport | None:
    """The report of the most recent refresh (for /stats), or None if there was none."""
    with _db(settings) as conn:
        row = conn.execute("SELECT report FROM refreshes ORDER BY id DESC LIMIT 1").fetchone()
    return RefreshReport.from_json(json.loads(row["report"])) if row else None


def refresh_feeds(
    index: NewsIndex,
    settings: Settings,
    *,
    feeds: list[str] | None = None,
    full: bool = False,
    fetcher: Fetcher | None = None,
    progress: Callable[[int, int], None] | None = None,
    batch: int = BATCH,
) -> RefreshReport:
    """Fetch every followed feed (or just `feeds`) once and store new and updated articles.

    Conditional requests make unchanged feeds and pages cost one round trip and no embedding.
    A failing feed is reported and never stops the others. Entries left pending by an interrupted
    refresh are finished first. `full` ignores stored validators and re-reads every entry (after
    the index was wiped, say). `progress(done, total)` is called after each batch of entries.
    Safe to call from a worker thread (`asyncio.to_thread`) while the index answers questions.
    """
    if feeds is not None:
        followed = {f.url for f in list_feeds(settings)}
        missing = [u for u in feeds if canonical_url(u) not in followed]
        if missing:
            raise FetchError(f"not following {', '.join(missing)}; add it first with `newsbot feeds add URL`")
    report = RefreshReport(started_at=_now())
    with _refresh_lock(settings), _fetcher(settings, fetcher) as f:
        try:
            with _db(settings) as conn:
                targets = _feeds(conn, feeds)
                state = {
                    r["url"]: (r["etag"], r["last_modified"]) for r in conn.execute("SELECT url, etag, last_modified FROM feeds")
                }
                if full:
                    state = {u: ("", "") for u in state}
                _fetch_feeds(conn, f, targets, state, report, full)
                _process_pending(conn, index, f, [t.url for t in targets], report, full, progress, batch)
        except (KeyboardInterrupt, SystemExit):
            report.interrupted = True
            raise
        finally:
            report.finished_at = _now()
            with contextlib.suppress(NewsbotError, sqlite3.Error), _db(settings) as conn, conn:
                conn.execute(
                    "INSERT INTO refreshes (started_at, finished_at, report) VALUES (?, ?, ?)",
                    (report.started_at, report.finished_at, json.dumps(report.to_json())),
                )
    return report


def ingest_url(index: NewsIndex, url: str, settings: Settings, *, fetcher: Fetcher | None = None) -> IngestReport:
    """Fetch one article page, extract its main text and store it under its canonical URL.

    Raises FetchError with a one-line reason when the page cannot be fetched or holds no article
    (and says to use `newsbot feeds add` when the URL is a feed). Storing the same URL again
    replaces the old text if it changed and does nothing if it did not.
    """
    url = check_url(url)
    with _fetcher(settings, fetcher) as f:
        result = f.fetch(url, accept=("html", "feed"))
    if result.kind == "feed" or _looks_like_feed_text(result.body):
        raise FetchError(f"{url} is a feed, not an article page; follow it with `newsbot feeds add {url}`")
    article = _article_from_page(result, key="")
    if article is None:
        raise FetchError(f"no article text found at {url}; give the address of the article page itself")
    return index.add_articles([article])


def discover_feeds(html: str, base_url: str) -> list[str]:
    """Feed URLs a page advertises with <link rel="alternate" type="application/rss+xml|atom+xml">."""
    try:
        doc = lxml.html.document_fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return []
    found = []
    for link in doc.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").lower()
        href = (link.get("href") or "").strip()
        if "alternate" in rel and kind in ("application/rss+xml", "application/atom+xml", "application/rdf+xml") and href:
            found.append(urljoin(base_url, href))
    return found


def refresh_interval(text: str) -> float:
    """Seconds in an interval like "15m", "2h", "90s" or "1d" (for NEWSBOT_REFRESH_EVERY)."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", text or "", re.I)
    if not m or float(m.group(1)) <= 0:
        raise ConfigError(f"refresh interval {text!r} is not valid; use a number with s, m, h or d, like 15m")
    return float(m.group(1)) * {"": 60, "s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2).lower()]


# -- refresh internals -------------------------------------------------------------------------


@contextlib.contextmanager
def _fetcher(settings: Settings, fetcher: Fetcher | None) -> Iterator[Fetcher]:
    """The caller's fetcher (left open), or a new one closed on exit."""
    if fetcher is not None:
        yield fetcher
        return
    with Fetcher(settings) as f:
        yield f


_LOCKS_GUARD = threading.Lock()
_LOCKS: dict[Path, threading.Lock] = {}


@contextlib.contextmanager
def _refresh_lock(settings: Settings) -> Iterator[None]:
    """One refresh per data folder at a time, across threads and processes."""
    path = Path(settings.data_dir).resolve() / "feeds.lock"
    with _LOCKS_GUARD:
        lock = _LOCKS.setdefault(path, threading.Lock())
    # flock is per open file, so two threads of one process would not exclude each other: hence both.
    if not lock.acquire(blocking=False):
        raise FetchError("a feed refresh is already running; wait for it to finish")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a+") as handle:
            try:
                import fcntl  # POSIX only; elsewhere the in-process lock has to do
            except ImportError:
                yield
                return
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                raise FetchError("a feed refresh is already running in another process; wait for it to finish") from None
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        lock.release()


def _fetch_feeds(conn, fetcher: Fetcher, targets: list[Feed], state: dict, report: RefreshReport, full: bool) -> None:
    """Fetch and parse the feeds in parallel; record each one's entries as it comes in."""

    def fetch(feed: Feed):
        etag, modified = state.get(feed.url, ("", ""))
        try:
            result = fetcher.fetch(feed.url, etag=etag, last_modified=modified, accept=("feed", "html"))
            if result.not_modified:
                return result, None
            if result.kind == "html" and not _looks_like_feed_text(result.body):
                raise FetchError(f"{feed.url} is a web page, not a feed; remove it and add the feed's own address")
            return result, _parse_feed(result)
        except FetchError as exc:
            return None, exc

    with ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="feed") as pool:
        for feed, (result, parsed) in zip(targets, pool.map(fetch, targets)):
            report.feeds += 1
            with conn:
                if result is None:
                    report.feeds_failed.append(Skipped(feed.url, str(parsed)))
                    conn.execute(
                        "UPDATE feeds SET last_checked = ?, last_error = ? WHERE url = ?", (_now(), str(parsed), feed.url)
                    )
                elif parsed is None:
                    report.feeds_unchanged += 1
                    conn.execute(
                        "UPDATE feeds SET last_checked = ?, last_ok = ?, last_error = '' WHERE url = ?",
                        (_now(), _now(), feed.url),
                    )
                else:
                    changed = _record_feed(conn, feed.url, result, parsed, report, full=full)
                    if not changed:
                        report.feeds_unchanged += 1


def _parse_feed(result: FetchResult) -> feedparser.FeedParserDict:
    """Parse a fetched feed; malformed XML is accepted when entries could still be read."""
    headers = {"content-location": result.final_url}
    if result.content_type:
        headers["content-type"] = result.content_type + (f"; charset={result.charset}" if result.charset else "")
    # Always bytes: given a str that looks like a URL, feedparser would fetch it itself.
    parsed = feedparser.parse(result.body, response_headers=headers)
    if parsed.bozo and not parsed.entries and not parsed.feed.get("title"):
        raise FetchError(f"{result.url} is not a valid RSS or Atom feed ({_bozo_reason(parsed)}); check the address")
    if not parsed.get("version") and not parsed.entries:
        raise FetchError(f"{result.url} is not an RSS or Atom feed; check the address")
    return parsed


# feedparser flags these too, but the feed was read correctly: no need to worry the user.
_HARMLESS_BOZO = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)


def _bozo_reason(parsed) -> str:
    exc = parsed.get("bozo_exception")
    text = str(exc).strip().splitlines()[0] if exc and str(exc).strip() else type(exc).__name__
    return text[:160]


def _record_feed(conn, url: str, result: FetchResult, parsed, report: RefreshReport, full: bool = False) -> bool:
    """Store the feed's validators and title, and mark new or changed entries pending (one transaction).

    Returns True if any entry was new or changed.
    """
    title = _clean(parsed.feed.get("title", "")) or urlsplit(url).hostname or url
    if parsed.bozo and not isinstance(parsed.get("bozo_exception"), _HARMLESS_BOZO):
        report.warnings.append(f"{url} is malformed ({_bozo_reason(parsed)}); read {len(parsed.entries)} entries anyway")
    now = _now()
    conn.execute(
        """UPDATE feeds SET title = ?, etag = ?, last_modified = ?, last_checked = ?, last_ok = ?, last_error = ''
           WHERE url = ?""",
        (title, result.etag, result.last_modified, now, now, url),
    )
    known = {
        r["entry_id"]: (r["fingerprint"], r["state"])
        for r in conn.execute("SELECT entry_id, fingerprint, state FROM entries WHERE feed_url = ?", (url,))
    }
    changed = False
    seen: set[str] = set()
    for entry in parsed.entries:
        data = _entry_data(entry, result.final_url)
        entry_id = _entry_id(entry, data)
        if entry_id in seen:  # feeds do repeat entries; the first one wins
            continue
        seen.add(entry_id)
        fingerprint = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:20]
        old = known.get(entry_id)
        if old is None:
            report.new_entries += 1
            conn.execute(
                """INSERT INTO entries (feed_url, entry_id, fingerprint, data, state, seen_at)
                   VALUES (?, ?, ?, ?, 'pending', ?)""",
                (url, entry_id, fingerprint, json.dumps(data), now),
            )
            changed = True
        elif old[0] != fingerprint or full:
            if old[0] != fingerprint:
                report.updated_entries += 1
            conn.execute(
                """UPDATE entries SET fingerprint = ?, data = ?, state = 'pending', attempts = 0, error = ''
                   WHERE feed_url = ? AND entry_id = ?""",
                (fingerprint, json.dumps(data), url, entry_id),
            )
            changed = True
    return changed


def _entry_data(entry, base_url: str) -> dict:
    """What we keep of a feed entry: plain strings only, dates in UTC ISO 8601."""
    link = (entry.get("link") or "").strip()
    if link:
        link = urljoin(base_url, link)
        if urlsplit(link).scheme not in ("http", "https"):
            link = ""
    html = ""
    for content in entry.get("content") or []:
        if content.get("value"):
            html = content["value"]
            break
    html = html or entry.get("summary", "") or entry.get("description", "")
    return {
        "link": link,
        "title": _clean(entry.get("title", "")),
        "author": _clean(entry.get("author", "")),
        "published_at": _entry_date(entry),
        "text": html_to_text(html),
    }


def _entry_id(entry, data: dict) -> str:
    ident = (entry.get("id") or entry.get("guid") or data["link"]).strip()
    if ident:
        return ident[:500]
    # No id and no link: the title and text are all that identify the entry.
    return "sha:" + hashlib.sha256(f"{data['title']}\n{data['text']}".encode()).hexdigest()[:20]


def _entry_date(entry) -> str:
    for name in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = entry.get(name)
        if parsed:
            try:  # feedparser gives UTC struct_time; a bad one (year 0) raises
                return datetime.fromtimestamp(calendar.timegm(parsed), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            except (OverflowError, ValueError, OSError):
                continue
    for name in ("published", "updated", "created"):
        if entry.get(name):
            return parse_date(entry[name]) or ""
    return ""


_BLOCKS = ("p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr", "pre", "section", "article")


def html_to_text(html: str) -> str:
    """Plain text of an HTML fragment (a feed entry's content), one paragraph per block element."""
    if not html or not html.strip():
        return ""
    if "<" not in html:
        return _clean_paragraphs(html)
    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (ValueError, lxml.etree.ParserError):
        return _clean_paragraphs(re.sub(r"<[^>]+>", " ", html))
    for bad in root.xpath(".//script|.//style"):
        bad.drop_tree()
    for el in root.iter(*_BLOCKS):
        el.tail = "\n\n" + (el.tail or "")
    return _clean_paragraphs(root.text_content())


def _clean_paragraphs(text: str) -> str:
    paras = (re.sub(r"\s+", " ", p).strip() for p in re.split(r"\n\s*\n", text))
    return "\n\n".join(p for p in paras if p)


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", html_to_text(text) if "<" in (text or "") else (text or "")).strip()


def _looks_like_feed_text(body: bytes) -> bool:
    head = body[:2048].lower()
    return b"<rss" in head or b"<rdf:rdf" in head or (b"<feed" in head and b"<html" not in head)


def _process_pending(
    conn, index: NewsIndex, fetcher: Fetcher, feed_urls: list[str], report: RefreshReport, full: bool, progress, batch: int
) -> None:
    """Fetch the pages of pending entries and store them, batch by batch, committing after each."""
    if not feed_urls:
        return
    marks = ",".join("?" * len(feed_urls))
    rows = conn.execute(
        f"""SELECT e.*, f.title AS feed_title FROM entries e JOIN feeds f ON f.url = e.feed_url
            WHERE e.feed_url IN ({marks}) AND (e.state = 'pending' OR (e.state = 'failed' AND e.attempts < ?))
            ORDER BY e.seen_at, e.rowid""",
        (*feed_urls, MAX_ATTEMPTS),
    ).fetchall()
    entries = []
    for r in rows:
        data = json.loads(r["data"])
        entries.append(
            _Entry(
                feed_url=r["feed_url"],
                entry_id=r["entry_id"],
                link=data.get("link", ""),
                title=data.get("title", ""),
                author=data.get("author", ""),
                published_at=data.get("published_at", ""),
                text=data.get("text", ""),
                source=r["feed_title"] or urlsplit(r["feed_url"]).hostname or "",
                page_etag="" if full else r["page_etag"],
                page_last_modified="" if full else r["page_last_modified"],
                attempts=r["attempts"],
            )
        )
    from retrieval.indexing.store import IngestReport

    done = 0
    with ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="page") as pool:
        for start in range(0, len(entries), max(1, batch)):
            outcomes = list(pool.map(lambda e: _process_entry(fetcher, index, e), entries[start : start + batch]))
            articles = [o.article for o in outcomes if o.article is not None]
            ingest = index.add_articles(articles) if articles else IngestReport()
            report.absorb(ingest)
            failed_keys = {s.key for s in ingest.skipped}
            with conn:  # only now, with the batch in the index, is it done
                for o in outcomes:
                    _apply(conn, o, failed_keys, report)
            done += len(outcomes)
            if progress:
                progress(done, len(entries))


def _process_entry(fetcher: Fetcher, index: NewsIndex, entry: _Entry) -> _Outcome:
    """Turn one entry into an Article: the page's main text, else the feed's own text, else a reason."""
    out = _Outcome(entry, page_etag=entry.page_etag, page_last_modified=entry.page_last_modified)
    key = canonical_url(entry.link) if entry.link else f"{entry.feed_url}#{entry.entry_id}"
    page_error = ""
    transient = False
    if entry.link:
        try:
            result = fetcher.fetch(
                entry.link, etag=entry.page_etag, last_modified=entry.page_last_modified, accept=("html",)
            )
            if result.not_modified and index.find_by_key(key) is None:
                # The page is unchanged but its article is not in the index (wiped?): fetch it whole.
                result = fetcher.fetch(entry.link, accept=("html",))
            if result.not_modified:
                out.not_modified = True
                return out
            out.fetched = True
            out.page_etag, out.page_last_modified = result.etag, result.last_modified
            article = _article_from_page(result, key=key)
            if article is not None:
                out.article = _with_entry_metadata(article, entry)
                return out
            page_error = f"no article text found at {entry.link}"
        except TransientFetchError as exc:
            page_error, transient = str(exc), True
        except FetchError as exc:
            page_error = str(exc)
    if entry.text:
        out.article = Article(
            title=entry.title or _first_words(entry.text),
            text=entry.text,
            source=entry.source,
            url=entry.link,
            published_at=entry.published_at,
            author=entry.author,
            key=key,
            external_id=entry.entry_id,
            title_is_derived=not entry.title,
        )
        out.from_feed_text = bool(entry.link)
    if transient:
        out.state = "failed"  # stored from the feed's text if it had any; the page is tried again next time
    elif out.article is None:
        out.state = "skipped"
    out.error = page_error or ("" if out.article else "the entry has no link and no text")
    return out


def _article_from_page(result: FetchResult, key: str) -> Article | None:
    """The page's main text as an Article keyed by its canonical URL, or None if it has no article text."""
    try:
        article = article_from_html(result.text(), url=result.final_url, key=key or canonical_url(result.final_url))
    except NewsbotError:
        return None
    if article is None or not article.text.strip():
        return None
    # The page's own <link rel="canonical"> (which trafilatura reports as its url) names the story
    # better than the address it was reached by; either way without tracking parameters.
    url = canonical_url(article.url or result.final_url)
    article = replace(article, url=url, key=key or url)
    if not article.source:
        article = replace(article, source=urlsplit(result.final_url).hostname or "")
    return article


def _with_entry_metadata(article: Article, entry: _Entry) -> Article:
    """The feed's editorial metadata (title, source, date, author) beats what extraction guessed."""
    return replace(
        article,
        title=entry.title or article.title,
        title_is_derived=False if entry.title else article.title_is_derived,
        source=entry.source or article.source,
        published_at=entry.published_at or article.published_at,
        author=article.author or entry.author,
        url=article.url or entry.link,
        external_id=article.external_id or entry.entry_id,
    )


def _apply(conn, o: _Outcome, failed_keys: set[str], report: RefreshReport) -> None:
    e = o.entry
    if o.fetched:
        report.pages_fetched += 1
    if o.not_modified:
        report.pages_unchanged += 1
    if o.from_feed_text:
        report.from_feed_text += 1
    state, error = o.state, o.error
    article_id = ""
    if o.article is not None:
        if o.article.key in failed_keys:
            state, error = "skipped", next(s.reason for s in report.skipped if s.key == o.article.key)
        else:
            article_id = o.article.id
    if state == "skipped" and o.article is None:
        report.skipped.append(Skipped(e.link or f"{e.feed_url}#{e.entry_id}", error))
    if state == "failed":
        if e.attempts + 1 >= MAX_ATTEMPTS:
            state = "skipped" if o.article is None else "done"
            if o.article is None:
                report.skipped.append(Skipped(e.link, f"{error} (gave up after {MAX_ATTEMPTS} refreshes)"))
        else:
            report.retry_later += 1
    if state in ("done", "skipped"):
        # The feed's text is only needed while the entry may still be stored from it: keep the file small.
        conn.execute(
            "UPDATE entries SET data = json_set(data, '$.text', '') WHERE feed_url = ? AND entry_id = ?",
            (e.feed_url, e.entry_id),
        )
    conn.execute(
        """UPDATE entries SET state = ?, attempts = attempts + ?, error = ?, page_etag = ?, page_last_modified = ?,
               article_key = CASE WHEN ? != '' THEN ? ELSE article_key END,
               article_id = CASE WHEN ? != '' THEN ? ELSE article_id END, done_at = ?
           WHERE feed_url = ? AND entry_id = ?""",
        (
            state,
            1 if o.state == "failed" else 0,
            error,
            o.page_etag,
            o.page_last_modified,
            article_id,
            o.article.key if o.article else "",
            article_id,
            article_id,
            _now(),
            e.feed_url,
            e.entry_id,
        ),
    )


def _first_words(text: str, n: int = 12) -> str:
    words = text.split()
    return " ".join(words[:n]) + (" …" if len(words) > n else "")
