"""Followed feeds (RSS 2.0, RSS 1.0, Atom), turned into indexed articles: parse and refresh.

Feeds are parsed with feedparser; pages are fetched with `retrieval.sources.web.Fetcher` and their main
text extracted by `retrieval.sources.files.article_from_html` (trafilatura). The followed feeds and what
was fetched from them live in `<data_dir>/feeds.sqlite3` (`retrieval.sources.feed_store`).

A refresh first records every new or changed entry as `pending` (in the same transaction that stores
the feed's new validators), then works through all pending entries in small batches, marking each
batch done only after the index has stored it. Killed at any point, the next refresh finds the
entries still pending and finishes them; re-adding a batch is free because the index is idempotent.

Publishers correct articles without touching the feed entry, so the pages of entries published in
the last `settings.recheck_hours` are asked again on every refresh, conditionally (one 304 when
unchanged; the same bytes from a server that ignores conditional requests are recognised by their
hash). A changed text replaces the article under the same key, stamped with `updated_at`.
"""

from __future__ import annotations

import calendar
import contextlib
import hashlib
import re
import sqlite3
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

import feedparser
import lxml.etree
import lxml.html

from retrieval.errors import FetchError, NewsbotError
from retrieval.settings import Settings
from retrieval.sources import feed_store
from retrieval.sources.deadline import Budgets, Deadline, within
from retrieval.sources.files import parse_date
from retrieval.sources.ingest import article_from_page
from retrieval.sources.web import (
    Fetcher,
    FetchResult,
    TransientFetchError,
    canonical_url,
    check_url,
    looks_like_feed_text,
    open_fetcher,
)
from retrieval.types import Article, Feed, IngestReport, RefreshReport, Skipped

if TYPE_CHECKING:  # chromadb is slow to import; `feeds list/add/remove` never need it
    from retrieval.indexing.store import NewsIndex

WORKERS = 4  # pages fetched at once (the Fetcher also caps requests per host)
BATCH = 16  # entries stored in the index per step: the unit of progress an interrupted refresh keeps

# -- public API --------------------------------------------------------------------------------


def add_feed(settings: Settings, url: str, *, check: bool = True, fetcher: Fetcher | None = None) -> Feed:
    """Follow a feed; with `check`, fetch it first so a wrong URL fails now, not at the next refresh.

    Given a web page instead of a feed, the page's advertised feed (<link rel="alternate">) is
    followed. The entries read while checking are stored as pending, so the next refresh ingests
    them without fetching the feed again. Adding a feed twice is harmless.
    """
    url = canonical_url(check_url(url))
    existing = feed_store.find_feed(settings, url)
    if existing:
        return existing
    parsed = None
    result = None
    if check:
        with open_fetcher(settings, fetcher) as f:
            result = f.fetch(url, accept=("feed", "html"))
            if result.kind == "html" and not looks_like_feed_text(result.body):
                found = discover_feeds(result.text(), result.final_url)
                if not found:
                    raise FetchError(
                        f"{url} is a web page, not a feed, and advertises no feed; give the address of its RSS or Atom feed"
                    )
                url = canonical_url(found[0])
                existing = feed_store.find_feed(settings, url)
                if existing:
                    return existing
                result = f.fetch(url, accept=("feed", "html"))
            parsed = _parse_feed(result)
    with feed_store.connect(settings) as conn, conn:
        feed_store.follow(conn, url)
        if parsed is not None and result is not None:
            _record_feed(conn, url, result, parsed, RefreshReport())
    feed = feed_store.find_feed(settings, url)
    assert feed is not None
    return feed


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
        followed = {f.url for f in feed_store.list_feeds(settings)}
        missing = [u for u in feeds if canonical_url(u) not in followed]
        if missing:
            raise FetchError(f"not following {', '.join(missing)}; add it first with `newsbot feeds add URL`")
    report = RefreshReport(started_at=feed_store.now())
    # One slow host must not stall the others: every feed has a budget for its fetch and its
    # pages, and the whole refresh one for all of them; what is left over stays pending.
    limits = Budgets(Deadline(settings.refresh_timeout), settings.feed_timeout)
    with _refresh_lock(settings), open_fetcher(settings, fetcher) as f:
        try:
            with feed_store.connect(settings) as conn:
                targets = feed_store.feeds_in(conn, feeds)
                state = feed_store.feed_validators(conn, full)
                _fetch_feeds(conn, f, targets, state, report, full, limits)
                urls = [t.url for t in targets]
                # Chosen before the pending ones are stored, so a page fetched now is not asked again at once.
                rechecks = [] if full else feed_store.recheck_entries(conn, urls, settings.recheck_hours)
                _process_pending(conn, index, f, urls, report, full, progress, batch, limits, rechecks)
        except (KeyboardInterrupt, SystemExit):
            report.interrupted = True
            raise
        finally:
            report.finished_at = feed_store.now()
            with contextlib.suppress(NewsbotError, sqlite3.Error):
                feed_store.save_refresh(settings, report)
    return report


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


# -- refresh internals -------------------------------------------------------------------------


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


def _fetch_feeds(
    conn, fetcher: Fetcher, targets: list[Feed], state: dict, report: RefreshReport, full: bool, limits: Budgets
) -> None:
    """Fetch and parse the feeds in parallel; record each one's entries as it comes in."""

    def fetch(feed: Feed):
        etag, modified = state.get(feed.url, ("", ""))
        try:
            with within(limits.for_feed(feed.url, "feed")):
                result = fetcher.fetch(feed.url, etag=etag, last_modified=modified, accept=("feed", "html"))
            if result.not_modified:
                return result, None
            if result.kind == "html" and not looks_like_feed_text(result.body):
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
                    feed_store.record_failure(conn, feed.url, str(parsed))
                elif parsed is None:
                    report.feeds_unchanged += 1
                    feed_store.record_unchanged(conn, feed.url)
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
    """Read the parsed feed's title and entries and record them (one transaction); True if any entry changed."""
    title = _clean(parsed.feed.get("title", "")) or urlsplit(url).hostname or url
    if parsed.bozo and not isinstance(parsed.get("bozo_exception"), _HARMLESS_BOZO):
        report.warnings.append(f"{url} is malformed ({_bozo_reason(parsed)}); read {len(parsed.entries)} entries anyway")
    entries: dict[str, dict] = {}
    for entry in parsed.entries:
        data = _entry_data(entry, result.final_url)
        entries.setdefault(_entry_id(entry, data), data)  # feeds do repeat entries; the first one wins
    return feed_store.record_entries(
        conn, url, title, result.etag, result.last_modified, list(entries.items()), report, full=full
    )


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
    """The entry's date in UTC, or "" when it has none that can be true (before 1900 or days ahead)."""
    for name in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = entry.get(name)
        if parsed:
            try:  # feedparser gives UTC struct_time; a bad one (year 0) raises
                when = datetime.fromtimestamp(calendar.timegm(parsed), UTC)
            except (OverflowError, ValueError, OSError):
                continue
            return when.strftime("%Y-%m-%dT%H:%M:%SZ") if _plausible(when) else ""
    for name in ("published", "updated", "created"):
        if entry.get(name):
            iso = parse_date(entry[name]) or ""
            if iso and not _plausible(datetime.fromisoformat(iso.replace("Z", "+00:00"))):
                return ""
            return iso
    return ""


def _plausible(when: datetime) -> bool:
    # A feed dated 9999 would otherwise be "the latest news" forever.
    return 1900 <= when.year and when <= datetime.now(UTC) + timedelta(days=2)


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


def _process_pending(
    conn,
    index: NewsIndex,
    fetcher: Fetcher,
    feed_urls: list[str],
    report: RefreshReport,
    full: bool,
    progress,
    batch: int,
    limits: Budgets,
    rechecks: list[feed_store.PendingEntry] | None = None,
) -> None:
    """Fetch the pages of pending entries (then of `rechecks`) and store them, batch by batch, committing after each."""
    entries = feed_store.pending_entries(conn, feed_urls, full) + (rechecks or [])
    done = 0
    with ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="page") as pool:
        for start in range(0, len(entries), max(1, batch)):
            if limits.refresh.expired:
                left = sum(not e.recheck for e in entries[start:])  # re-checks just wait for the next refresh
                report.deferred += left
                report.warnings.append(
                    f"the refresh reached NEWSBOT_REFRESH_TIMEOUT ({limits.refresh.seconds:g}s); "
                    f"{left} entries wait for the next refresh"
                )
                break
            outcomes = list(
                pool.map(lambda e: _process_entry(fetcher, index, e, limits), entries[start : start + batch])
            )
            articles = [o.article for o in outcomes if o.article is not None]
            ingest = index.add_articles(articles) if articles else IngestReport()
            report.absorb(ingest)
            failed_keys = {s.key for s in ingest.skipped}
            with conn:  # only now, with the batch in the index, is it done
                for o in outcomes:
                    feed_store.apply_outcome(conn, o, failed_keys, report)
            done += len(outcomes)
            if progress:
                progress(done, len(entries))


def _process_entry(
    fetcher: Fetcher, index: NewsIndex, entry: feed_store.PendingEntry, limits: Budgets | None = None
) -> feed_store.EntryOutcome:
    """Turn one entry into an Article: the page's main text, else the feed's own text, else a reason."""
    out = feed_store.EntryOutcome(entry, page_etag=entry.page_etag, page_last_modified=entry.page_last_modified)
    budget = limits.for_feed(entry.feed_url) if limits is not None else None
    if budget is not None and budget.expired:
        out.state = "deferred"  # this feed used its time: the entry stays pending for the next refresh
        return out
    with within(budget):
        return _entry_article(fetcher, index, entry, out)


def _entry_article(
    fetcher: Fetcher, index: NewsIndex, entry: feed_store.PendingEntry, out: feed_store.EntryOutcome
) -> feed_store.EntryOutcome:
    key = canonical_url(entry.link) if entry.link else f"{entry.feed_url}#{entry.entry_id}"
    page_error = ""
    transient = False
    if entry.link:
        try:
            result = fetcher.fetch(
                entry.link, etag=entry.page_etag, last_modified=entry.page_last_modified, accept=("html",)
            )
            if result.not_modified and not entry.recheck and index.find_by_key(key) is None:
                # The page is unchanged but its article is not in the index (wiped?): fetch it whole.
                result = fetcher.fetch(entry.link, accept=("html",))
            if result.not_modified:
                out.not_modified = True
                return out
            out.fetched = True
            out.page_etag, out.page_last_modified = result.etag, result.last_modified
            out.page_hash = hashlib.sha256(result.body).hexdigest()
            if entry.recheck and (out.page_hash == entry.page_hash or index.find_by_key(key) is None):
                return out  # the same bytes (the server ignores conditional requests), or the article was deleted
            article = article_from_page(result, key=key)
            if article is not None:
                out.article = _with_entry_metadata(article, entry)
                if entry.article_id and out.article.id != entry.article_id:
                    when = feed_store.updated_at(result.last_modified, out.article.published_at)
                    out.article = replace(out.article, updated_at=when)
                elif entry.recheck:
                    out.article = None  # the page changed around the article, not its text: nothing to store
                return out
            page_error = f"no article text found at {entry.link}"
        except TransientFetchError as exc:
            page_error, transient = str(exc), True
        except FetchError as exc:
            page_error = str(exc)
    if entry.recheck:  # the article stored earlier stays; the page is asked again next refresh
        out.error = page_error
        return out
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


def _with_entry_metadata(article: Article, entry: feed_store.PendingEntry) -> Article:
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


def _first_words(text: str, n: int = 12) -> str:
    words = text.split()
    return " ".join(words[:n]) + (" …" if len(words) > n else "")
