"""The followed feeds and what was fetched from them: `<data_dir>/feeds.sqlite3` (SQLite, WAL).

- `feeds`: one row per followed feed, with its ETag / Last-Modified for conditional requests;
- `entries`: one row per feed entry ever seen, in state pending -> done | failed | skipped, with
  the page's own validators and a hash of its body, so an unchanged page is a 304 (or, from a
  server that ignores conditional requests, the same bytes) and costs no embedding. Pages of
  recent entries are re-checked on every refresh (`recheck_entries`): publishers correct articles
  without touching the feed;
- `refreshes`: one JSON report per refresh, for `/stats`.

No network and no index here: `retrieval.sources.feeds` fetches, parses and stores articles, and
records each step through these functions.
"""

from __future__ import annotations

import contextlib
import email.utils
import hashlib
import json
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from retrieval.errors import ConfigError
from retrieval.settings import Settings
from retrieval.sources.web import canonical_url
from retrieval.types import Article, Feed, RefreshReport, Skipped

DB_NAME = "feeds.sqlite3"
MAX_ATTEMPTS = 3  # a page that keeps timing out is given up after this many refreshes

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
    page_hash TEXT NOT NULL DEFAULT '',  -- sha256 of the page body last read
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


@dataclass(frozen=True)
class PendingEntry:
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
    article_id: str = ""  # the article stored for this entry before, "" if none yet
    page_hash: str = ""
    recheck: bool = False  # a done entry whose page is asked again: on failure the stored article stays


@dataclass
class EntryOutcome:
    """What processing one entry produced, applied to SQLite by the refreshing thread."""

    entry: PendingEntry
    article: Article | None = None
    state: str = "done"
    error: str = ""
    page_etag: str = ""
    page_last_modified: str = ""
    page_hash: str = ""
    fetched: bool = False
    not_modified: bool = False
    from_feed_text: bool = False


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@contextlib.contextmanager
def connect(settings: Settings) -> Iterator[sqlite3.Connection]:
    """A connection to `<data_dir>/feeds.sqlite3`, created on first use; closed on exit."""
    path = Path(settings.data_dir) / DB_NAME
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        conn = sqlite3.connect(path, timeout=30)
    except (OSError, sqlite3.Error) as exc:
        raise ConfigError(f"cannot open {path} ({exc}); check NEWSBOT_DATA_DIR points at a writable folder") from None
    try:
        conn.row_factory = sqlite3.Row
        # WAL: the Discord bot can list feeds while a refresh in another thread or process writes.
        conn.execute("PRAGMA journal_mode=WAL")
        conn.executescript(_SCHEMA)
        _upgrade(conn)
        yield conn
    except sqlite3.DatabaseError as exc:
        raise ConfigError(f"the feed list {path} is damaged ({exc}); move it away and add the feeds again") from None
    finally:
        conn.close()


def _upgrade(conn: sqlite3.Connection) -> None:
    """Add the columns later versions need to a feed store made by an older one (idempotent)."""
    columns = {r["name"] for r in conn.execute("PRAGMA table_info(entries)")}
    if "page_hash" not in columns:
        with conn:
            conn.execute("ALTER TABLE entries ADD COLUMN page_hash TEXT NOT NULL DEFAULT ''")


def feeds_in(conn: sqlite3.Connection, urls: list[str] | None = None) -> list[Feed]:
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


def list_feeds(settings: Settings) -> list[Feed]:
    """The followed feeds, oldest first, with entry counts and the last fetch's outcome."""
    with connect(settings) as conn:
        return feeds_in(conn)


def find_feed(settings: Settings, url: str) -> Feed | None:
    """The followed feed with this URL (in any spelling `canonical_url` equates), or None."""
    with connect(settings) as conn:
        found = feeds_in(conn, [url])
    return found[0] if found else None


def remove_feed(settings: Settings, url: str) -> bool:
    """Stop following a feed; False if it was not followed. Articles already stored stay in the index."""
    url = canonical_url(url.strip())
    with connect(settings) as conn, conn:
        conn.execute("DELETE FROM entries WHERE feed_url = ?", (url,))
        return conn.execute("DELETE FROM feeds WHERE url = ?", (url,)).rowcount > 0


def last_refresh(settings: Settings) -> RefreshReport | None:
    """The report of the most recent refresh (for /stats), or None if there was none."""
    with connect(settings) as conn:
        row = conn.execute("SELECT report FROM refreshes ORDER BY id DESC LIMIT 1").fetchone()
    return RefreshReport.from_json(json.loads(row["report"])) if row else None


def feed_validators(conn: sqlite3.Connection, full: bool = False) -> dict[str, tuple[str, str]]:
    """Each followed feed's (ETag, Last-Modified); empty ones with `full`, so every feed is read whole."""
    state = {r["url"]: (r["etag"], r["last_modified"]) for r in conn.execute("SELECT url, etag, last_modified FROM feeds")}
    return {u: ("", "") for u in state} if full else state


def follow(conn: sqlite3.Connection, url: str) -> None:
    conn.execute("INSERT OR IGNORE INTO feeds (url, added_at) VALUES (?, ?)", (url, now()))


def record_failure(conn: sqlite3.Connection, url: str, error: str) -> None:
    conn.execute("UPDATE feeds SET last_checked = ?, last_error = ? WHERE url = ?", (now(), error, url))


def record_unchanged(conn: sqlite3.Connection, url: str) -> None:
    conn.execute("UPDATE feeds SET last_checked = ?, last_ok = ?, last_error = '' WHERE url = ?", (now(), now(), url))


def record_entries(
    conn: sqlite3.Connection,
    url: str,
    title: str,
    etag: str,
    last_modified: str,
    entries: Sequence[tuple[str, dict]],
    report: RefreshReport,
    full: bool = False,
) -> bool:
    """Store the feed's validators and title, and mark new or changed entries pending.

    `entries` are (entry id, data) pairs, ids unique. Returns True if any entry was new or changed.
    """
    stamp = now()
    conn.execute(
        """UPDATE feeds SET title = ?, etag = ?, last_modified = ?, last_checked = ?, last_ok = ?, last_error = ''
           WHERE url = ?""",
        (title, etag, last_modified, stamp, stamp, url),
    )
    known = {
        r["entry_id"]: (r["fingerprint"], r["state"])
        for r in conn.execute("SELECT entry_id, fingerprint, state FROM entries WHERE feed_url = ?", (url,))
    }
    changed = False
    for entry_id, data in entries:
        fingerprint = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:20]
        old = known.get(entry_id)
        if old is None:
            report.new_entries += 1
            conn.execute(
                """INSERT INTO entries (feed_url, entry_id, fingerprint, data, state, seen_at)
                   VALUES (?, ?, ?, ?, 'pending', ?)""",
                (url, entry_id, fingerprint, json.dumps(data), stamp),
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


def pending_entries(conn: sqlite3.Connection, feed_urls: Sequence[str], full: bool = False) -> list[PendingEntry]:
    """Entries of these feeds still to fetch (new, or failed fewer than MAX_ATTEMPTS times), oldest first."""
    if not feed_urls:
        return []
    marks = ",".join("?" * len(feed_urls))
    rows = conn.execute(
        f"""SELECT e.*, f.title AS feed_title FROM entries e JOIN feeds f ON f.url = e.feed_url
            WHERE e.feed_url IN ({marks}) AND (e.state = 'pending' OR (e.state = 'failed' AND e.attempts < ?))
            ORDER BY e.seen_at, e.rowid""",
        (*feed_urls, MAX_ATTEMPTS),
    ).fetchall()
    return [_pending(r, full) for r in rows]


def recheck_entries(conn: sqlite3.Connection, feed_urls: Sequence[str], hours: float) -> list[PendingEntry]:
    """Done entries of these feeds published (or, undated, first seen) in the last `hours`, to ask again.

    Only entries stored from their page count: one stored from the feed's text because its page
    failed has nothing to compare with. (A full refresh reads every page anyway.)
    """
    if not feed_urls or hours <= 0:
        return []
    since = (datetime.now(UTC) - timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")
    marks = ",".join("?" * len(feed_urls))
    rows = conn.execute(
        f"""SELECT e.*, f.title AS feed_title FROM entries e JOIN feeds f ON f.url = e.feed_url
            WHERE e.feed_url IN ({marks}) AND e.state = 'done' AND e.article_id != '' AND e.error = ''
              AND json_extract(e.data, '$.link') != ''
              AND COALESCE(NULLIF(json_extract(e.data, '$.published_at'), ''), e.seen_at) >= ?
            ORDER BY e.seen_at, e.rowid""",
        (*feed_urls, since),
    ).fetchall()
    return [replace(_pending(r), recheck=True) for r in rows]


def updated_at(last_modified: str, published_at: str = "") -> str:
    """When a page changed (ISO 8601 UTC): its Last-Modified header if plausible, else now.

    Plausible: not in the future and not before the article's publication (servers send the
    time a file was copied, or nonsense).
    """
    now = datetime.now(UTC)
    when = now
    with contextlib.suppress(TypeError, ValueError, IndexError):
        stated = email.utils.parsedate_to_datetime(last_modified)
        earliest = datetime.fromisoformat(published_at.replace("Z", "+00:00")) if published_at else None
        if stated.tzinfo is not None and 1990 <= stated.year and stated <= now and (not earliest or stated >= earliest):
            when = stated
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _pending(r: sqlite3.Row, full: bool = False) -> PendingEntry:
    data = json.loads(r["data"])
    return PendingEntry(
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
        article_id=r["article_id"],
        page_hash="" if full else r["page_hash"],
    )


def save_refresh(settings: Settings, report: RefreshReport) -> None:
    """Keep the report of a finished (or interrupted) refresh for `last_refresh`."""
    with connect(settings) as conn, conn:
        conn.execute(
            "INSERT INTO refreshes (started_at, finished_at, report) VALUES (?, ?, ?)",
            (report.started_at, report.finished_at, json.dumps(report.to_json())),
        )


def apply_outcome(conn: sqlite3.Connection, o: EntryOutcome, failed_keys: set[str], report: RefreshReport) -> None:
    """Record what processing one entry did: its state, page validators and article, and the report counts."""
    e = o.entry
    if e.recheck:
        _apply_recheck(conn, o, failed_keys, report)
        return
    if o.state == "deferred":  # not reached in time: still pending, nothing to record
        report.deferred += 1
        return
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
               page_hash = CASE WHEN ? != '' THEN ? ELSE page_hash END,
               article_key = CASE WHEN ? != '' THEN ? ELSE article_key END,
               article_id = CASE WHEN ? != '' THEN ? ELSE article_id END, done_at = ?
           WHERE feed_url = ? AND entry_id = ?""",
        (
            state,
            1 if o.state == "failed" else 0,
            error,
            o.page_etag,
            o.page_last_modified,
            o.page_hash,
            o.page_hash,
            article_id,
            o.article.key if o.article else "",
            article_id,
            article_id,
            now(),
            e.feed_url,
            e.entry_id,
        ),
    )


def _apply_recheck(conn: sqlite3.Connection, o: EntryOutcome, failed_keys: set[str], report: RefreshReport) -> None:
    """Record a re-check: new validators and hash, the new article if the text changed; a failure changes nothing."""
    e = o.entry
    if o.state == "deferred":  # out of time: asked again next refresh, while still recent
        return
    report.rechecked += 1
    if o.not_modified:
        report.pages_unchanged += 1
    if o.fetched:
        report.pages_fetched += 1
    if o.error:  # the page could not be read this time: the stored article stays as it is
        report.warnings.append(f"could not re-check {e.link}: {o.error}")
        return
    article_id = e.article_id
    if o.article is not None:
        if o.article.key in failed_keys:  # the new text was refused: keep the old validators, try again next time
            report.warnings.append(f"could not store the updated text of {e.link}")
            return
        article_id = o.article.id
        report.corrected += 1
    conn.execute(
        """UPDATE entries SET page_etag = ?, page_last_modified = ?,
               page_hash = CASE WHEN ? != '' THEN ? ELSE page_hash END, article_id = ?
           WHERE feed_url = ? AND entry_id = ?""",
        (o.page_etag, o.page_last_modified, o.page_hash, o.page_hash, article_id, e.feed_url, e.entry_id),
    )
