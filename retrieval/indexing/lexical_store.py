"""The lexical index on disk: SQLite FTS5 over every stored sentence (its article's title + its text).

Written in the same write path as Chroma (`store.NewsIndex`, under the index lock), one SQLite
transaction per write batch, so it is incremental: adding or deleting an article touches only that
article's rows, a restart reopens the file as it is, and every process that opens the same file
sees the others' committed writes at its next question (WAL: readers never wait for a writer).

Where it lives: `<data dir>/lexical/<collection>.sqlite3` in local mode; with a Chroma server,
`<data dir>/lexical/<host>_<port>/<collection>.sqlite3`, so processes that share one Chroma server
and one data dir (one machine) share one lexical file. Chroma stays the source of truth: the file
records which Chroma write version it reflects (`synced`); a process that finds Chroma at another
version (an index built before this file existed, a writer with another data dir, a crash between
the two stores) reconciles it once: articles Chroma has complete are added, articles Chroma no
longer has are dropped, changed keys are copied. That is also the one-time build of an old index.
A write moves `synced` itself when the file was in step as it started (`deltas.py`): the file
then already holds that write's changes, and nothing is read back.

Rows: `rowid = article number << ROW_SHIFT | sentence index`, article numbers never reused, so an
article's sentences are one contiguous rowid range and a row's content never changes. Terms are
`retrieval.text.tokenize` (the question's tokeniser) of title + sentence, stored with the row;
FTS5 sees them through an encoding that maps each term to exactly one FTS token.
"""

from __future__ import annotations

import difflib
import json
import logging
import shutil
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path

from retrieval.errors import ConfigError
from retrieval.indexing.keys import keys_of
from retrieval.indexing.sentences import stored_sentences
from retrieval.settings import Settings
from retrieval.text import LEXICAL_FORMAT, tokenize
from retrieval.types import ArticleInfo, Sentence

log = logging.getLogger(__name__)

ROW_SHIFT = 20  # up to 1,048,576 sentences per article
SCHEMA = f"1-{LEXICAL_FORMAT}"  # a file of another schema or tokeniser is rebuilt from Chroma
FETCH_ARTICLES = 100  # articles whose sentences are read from Chroma per call while reconciling
FETCH_RECORDS = 500  # article records read per call while reconciling
_SQL_VARS = 900

_DDL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles (
    no INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, title TEXT, source TEXT, url TEXT,
    published_at TEXT, author TEXT, keys TEXT, n_sentences INTEGER, ts INTEGER, title_terms TEXT,
    gen INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS articles_gen ON articles(gen);
CREATE TABLE IF NOT EXISTS deleted (no INTEGER PRIMARY KEY, gen INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS deleted_gen ON deleted(gen);
CREATE TABLE IF NOT EXISTS sentences (
    rowid INTEGER PRIMARY KEY, start INTEGER, "end" INTEGER, text TEXT, terms TEXT);
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING FTS(terms, content='', tokenize='ascii');
CREATE VIRTUAL TABLE IF NOT EXISTS fts_vocab USING FTSvocab(fts, row);
"""
# A name a reader misspells is still looked up (`spelled_like`): terms this alike (difflib's ratio), this long.
SPELLING_CUTOFF = 0.85
SPELLING_MIN_CHARS = 6
FTS_MODULE = "fts5"  # SQLite's full-text module (part of every python.org, pyenv and distro build seen)


def fts_term(term: str) -> str:
    """One FTS5 token per term: punctuation inside a term ("u.", "o'neil") would split it or be syntax."""
    if term.isalnum():
        return term
    return "x" + term.encode().hex() + "x"


def fts_query(terms: Iterable[str]) -> str:
    """An FTS5 MATCH expression: any of the terms, each quoted (no FTS5 syntax from the question)."""
    return " OR ".join(f'"{fts_term(t)}"' for t in dict.fromkeys(terms) if t)


def timestamp(iso: str) -> int:
    if not iso:
        return -1
    try:
        return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp())
    except ValueError:
        return -1


def info_from_meta(aid: str, m: dict, keys: list[str] | None = None) -> ArticleInfo:
    """An article's stored Chroma metadata (and its keys, from the key table) as the ArticleInfo every reader uses."""
    keys = keys_of(m) if keys is None else keys
    return ArticleInfo(
        id=aid,
        title=m.get("title", ""),
        source=m.get("source", ""),
        url=m.get("url", ""),
        published_at=m.get("published_at", ""),
        author=m.get("author", ""),
        key=json.dumps(keys) if len(keys) > 1 else (keys[0] if keys else ""),
        n_sentences=int(m.get("n_sentences", 0)),
        story_id=m.get("story_id", ""),
        updated_at=m.get("updated_at", ""),
    )


def fts_available() -> bool:
    try:
        sqlite3.connect(":memory:").execute(f"CREATE VIRTUAL TABLE t USING {FTS_MODULE}(x)")
        return True
    except sqlite3.OperationalError:
        return False


def lexical_path(settings: Settings) -> Path:
    root = Path(settings.data_dir) / "lexical"
    if settings.chroma_host:
        root = root / f"{settings.chroma_host}_{settings.chroma_port}".replace("/", "_").replace(":", "_")
    return root / f"{settings.collection}.sqlite3"


class LexicalStore:
    """The FTS5 file: writes (one transaction each) and the reads `answering.lexical` builds on."""

    def __init__(self, path: Path | None, busy_timeout: float = 60.0) -> None:
        self.path = path  # None: in memory (a data dir that can't be written still answers)
        self.busy_timeout = busy_timeout
        self._local = threading.local()
        self._memory = f"file:newsbot-lexical-{uuid.uuid4().hex}?mode=memory&cache=shared"
        self._anchor = None if path else sqlite3.connect(self._memory, uri=True, check_same_thread=False)
        self.row_cache: dict[int, tuple[int, int, str, tuple[str, ...]]] = {}  # rows are immutable
        self.loaded_articles: set[int] = set()  # articles whose rows are all in row_cache
        self._init()

    @classmethod
    def open(cls, settings: Settings) -> LexicalStore:
        path = lexical_path(settings)
        if not fts_available():
            raise ConfigError(
                f"this Python's sqlite3 module (SQLite {sqlite3.sqlite_version}) has no {FTS_MODULE} full-text module, "
                "which the lexical index needs; use a Python built with SQLite FTS5 (python.org, pyenv and "
                "Linux distribution builds have it)"
            )
        old_cache = Path(settings.data_dir) / "lexical" / settings.collection  # bm25s caches of earlier versions
        if old_cache.is_dir() and any(old_cache.glob("*/meta.json")):
            shutil.rmtree(old_cache, ignore_errors=True)
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            try:
                return cls(path, max(settings.lock_timeout, 5.0))
            except sqlite3.DatabaseError as exc:
                if isinstance(exc, sqlite3.OperationalError):
                    raise
                # Not a database any more (a disk fault, a stray write): set it aside, rebuild from Chroma.
                aside = path.with_name(f"{path.name}.damaged-{int(time.time())}")
                log.warning("the lexical index %s is damaged (%s); moved to %s and rebuilt", path, exc, aside.name)
                path.rename(aside)
                for extra in ("-wal", "-shm"):
                    path.with_name(path.name + extra).unlink(missing_ok=True)
                return cls(path, max(settings.lock_timeout, 5.0))
        except (OSError, sqlite3.Error) as exc:
            log.warning("the lexical index can't be kept at %s (%s); keeping it in memory", path, exc)
            return cls(None)

    def db(self) -> sqlite3.Connection:
        """This thread's connection (sqlite3 connections are not shared between threads)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            if self.path is None:
                conn = sqlite3.connect(self._memory, uri=True, timeout=self.busy_timeout, isolation_level=None)
            else:
                conn = sqlite3.connect(str(self.path), timeout=self.busy_timeout, isolation_level=None)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")  # consistent after a crash; Chroma heals the rest
            self._local.conn = conn
        return conn

    def _init(self) -> None:
        conn = self.db()
        with _write(conn):
            for statement in _DDL.replace("USING FTS", f"USING {FTS_MODULE}").strip().split(";\n"):
                conn.execute(statement)  # idempotent (IF NOT EXISTS); executescript would commit
            if "updated_at" not in {row[1] for row in conn.execute("PRAGMA table_info(articles)")}:
                conn.execute("ALTER TABLE articles ADD COLUMN updated_at TEXT")  # a file from before corrections
            schema = self._meta(conn, "schema")
            if schema not in (None, SCHEMA):
                log.warning("rebuilding the lexical index %s (made by another version)", self.path)
                for table in ("articles", "deleted", "sentences"):
                    conn.execute(f"DELETE FROM {table}")
                conn.execute("INSERT INTO fts(fts) VALUES('delete-all')")
                conn.execute("DELETE FROM meta")
            if schema != SCHEMA:
                conn.executemany(
                    "INSERT OR REPLACE INTO meta VALUES (?, ?)",
                    [("schema", SCHEMA), ("gen", "0"), ("rows", "0"), ("tokens", "0"), ("synced", "")],
                )

    # -- reading -----------------------------------------------------------------------------

    @staticmethod
    def _meta(conn: sqlite3.Connection, key: str) -> str | None:
        row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def generation(self) -> int:
        """Changes on every committed write to this file (by any process)."""
        return int(self._meta(self.db(), "gen") or 0)

    def synced(self) -> str:
        """The Chroma version this file reflects ("" = never reconciled)."""
        return self._meta(self.db(), "synced") or ""

    def counts(self) -> tuple[int, int]:
        """(rows, tokens) over the whole index, for BM25's N and average length."""
        conn = self.db()
        return int(self._meta(conn, "rows") or 0), int(self._meta(conn, "tokens") or 0)

    def size(self) -> int:
        """Bytes on disk (the file with its WAL)."""
        if self.path is None:
            return 0
        return sum(p.stat().st_size for p in self.path.parent.glob(self.path.name + "*") if p.is_file()
                   and ".damaged-" not in p.name)

    def doc_freq(self, terms: Sequence[str]) -> dict[str, int]:
        """How many rows hold each term."""
        out = {}
        conn = self.db()
        for t in dict.fromkeys(terms):
            row = conn.execute("SELECT doc FROM fts_vocab WHERE term = ?", (fts_term(t),)).fetchone()
            out[t] = int(row[0]) if row else 0
        return out

    def spelled_like(self, term: str, cutoff: float = SPELLING_CUTOFF) -> list[str]:
        """Indexed terms spelled almost like `term` ("nistlerooy" -> "nistelrooy", "beibniz" -> "leibniz"): of
        about its length, starting with its letter or ending in its last two, at least `cutoff` alike."""
        if len(term) < SPELLING_MIN_CHARS or not term.isalnum():
            return []
        rows = self.db().execute(
            "SELECT term FROM fts_vocab WHERE length(term) BETWEEN ? AND ? AND (substr(term, 1, 1) = ? OR substr(term, -2) = ?)",
            (len(term) - 2, len(term) + 2, term[0], term[-2:]),
        )
        return difflib.get_close_matches(term, [r[0] for r in rows], n=3, cutoff=cutoff)

    def articles_since(self, gen: int) -> tuple[list[tuple], list[int]]:
        """Articles added or changed after generation `gen`, and the numbers of those deleted."""
        conn = self.db()
        changed = conn.execute(
            "SELECT no, id, title, source, url, published_at, author, keys, n_sentences, ts, title_terms, updated_at "
            "FROM articles WHERE gen > ?",
            (gen,),
        ).fetchall()
        gone = [r[0] for r in conn.execute("SELECT no FROM deleted WHERE gen > ?", (gen,))]
        return changed, gone

    def top(self, terms: Sequence[str], n: int, article_sql: str = "", params: Sequence = ()) -> list[int]:
        """The n rows FTS5's bm25() ranks best for any of `terms`, optionally within some articles."""
        query = fts_query(terms)
        if not query or n <= 0:
            return []
        where = f" AND (rowid >> {ROW_SHIFT}) IN (SELECT no FROM articles WHERE {article_sql})" if article_sql else ""
        sql = f"SELECT rowid FROM fts WHERE fts MATCH ?{where} ORDER BY rank LIMIT ?"
        return [r[0] for r in self.db().execute(sql, (query, *params, n))]

    def rows(self, rowids: Iterable[int]) -> dict[int, tuple[int, int, str, tuple[str, ...]]]:
        """(start, end, text, terms) of these rows, from the cache or one query per 900 rows."""
        cache = self.row_cache
        want = list({r for r in map(int, rowids) if r not in cache})
        conn = self.db()
        for b in range(0, len(want), _SQL_VARS):
            part = want[b : b + _SQL_VARS]
            sql = f'SELECT rowid, start, "end", text, terms FROM sentences WHERE rowid IN ({",".join("?" * len(part))})'
            for rid, start, end, text, terms in conn.execute(sql, part):
                cache[rid] = (start, end, text, tuple(terms.split()))
        if len(cache) > 300_000:  # a long-running bot: keep memory bounded
            cache.clear()
            self.loaded_articles.clear()
        return cache

    def article_rows(self, articles: Iterable[int]) -> None:
        """Cache every row of these articles: one range read per article not read before."""
        cache, conn = self.row_cache, self.db()
        for no in articles:
            if no in self.loaded_articles:
                continue
            lo = int(no) << ROW_SHIFT
            sql = 'SELECT rowid, start, "end", text, terms FROM sentences WHERE rowid BETWEEN ? AND ?'
            for rid, start, end, text, terms in conn.execute(sql, (lo, lo + (1 << ROW_SHIFT) - 1)):
                cache[rid] = (start, end, text, tuple(terms.split()))
            self.loaded_articles.add(no)

    # -- writing -----------------------------------------------------------------------------

    def add(self, items: Sequence[tuple[ArticleInfo, Sequence[Sentence]]]) -> None:
        """Add articles with their sentences in one transaction (an id already present is skipped)."""
        if not items:
            return
        conn = self.db()
        with _write(conn):
            gen = self._next_gen(conn)
            rows = tokens = 0
            for info, sentences in items:
                if conn.execute("SELECT 1 FROM articles WHERE id = ?", (info.id,)).fetchone():
                    continue
                title_terms = tokenize(info.title)
                cur = conn.execute(
                    "INSERT INTO articles (id, title, source, url, published_at, author, keys, n_sentences, ts,"
                    " title_terms, gen, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                    (info.id, info.title, info.source, info.url, info.published_at, info.author,
                     json.dumps(keys_of(info)), len(sentences), timestamp(info.published_at),
                     " ".join(title_terms), gen, info.updated_at),
                )
                base = int(cur.lastrowid) << ROW_SHIFT
                srows, frows = [], []
                for s in sentences[: 1 << ROW_SHIFT]:
                    terms = title_terms + tokenize(s.text)
                    srows.append((base + s.index, s.start, s.end, s.text, " ".join(terms)))
                    frows.append((base + s.index, " ".join(fts_term(t) for t in terms)))
                    tokens += max(1, len(terms))
                conn.executemany('INSERT INTO sentences (rowid, start, "end", text, terms) VALUES (?,?,?,?,?)', srows)
                conn.executemany("INSERT INTO fts (rowid, terms) VALUES (?, ?)", frows)
                rows += len(srows)
            self._count(conn, rows, tokens)

    def delete(self, article_ids: Iterable[str]) -> None:
        """Remove articles and their rows in one transaction (unknown ids are ignored)."""
        ids = list(article_ids)
        if not ids:
            return
        conn = self.db()
        with _write(conn):
            gen = self._next_gen(conn)
            rows = tokens = 0
            for aid in ids:
                found = conn.execute("SELECT no FROM articles WHERE id = ?", (aid,)).fetchone()
                if not found:
                    continue
                lo = found[0] << ROW_SHIFT
                old = conn.execute(
                    "SELECT rowid, terms FROM sentences WHERE rowid BETWEEN ? AND ?", (lo, lo + (1 << ROW_SHIFT) - 1)
                ).fetchall()
                # A contentless FTS5 table forgets a row when given the exact terms it indexed.
                conn.executemany(
                    "INSERT INTO fts (fts, rowid, terms) VALUES ('delete', ?, ?)",
                    [(rid, " ".join(fts_term(t) for t in terms.split())) for rid, terms in old],
                )
                conn.execute("DELETE FROM sentences WHERE rowid BETWEEN ? AND ?", (lo, lo + (1 << ROW_SHIFT) - 1))
                conn.execute("DELETE FROM articles WHERE no = ?", (found[0],))
                conn.execute("INSERT OR REPLACE INTO deleted VALUES (?, ?)", (found[0], gen))
                rows -= len(old)
                tokens -= sum(max(1, len(terms.split())) for _, terms in old)
            self._count(conn, rows, tokens)

    def sync(self, articles, sentences, version: str, keys: dict[str, list[str]] | None = None) -> None:
        """Make the file match Chroma's `articles`/`sentences` collections, then record `version`.

        Reads Chroma's article ids (no metadata), then the records and sentences of the complete
        articles the file lacks only; drops articles Chroma no longer has; copies `keys` (the key
        table, article id -> keys) where they differ. Called when the file is not known to be in
        step: another process wrote, a write failed part-way, an index older than the file.
        """
        stored = articles.get(include=[])["ids"]
        conn = self.db()
        have = {aid: keys for aid, keys in conn.execute("SELECT id, keys FROM articles")}
        in_chroma = set(stored)
        extra = [a for a in have if a not in in_chroma]
        if extra:
            self.delete(extra)
        records: dict[str, dict] = {}
        absent = [a for a in stored if a not in have]
        for b in range(0, len(absent), FETCH_RECORDS):
            res = articles.get(ids=absent[b : b + FETCH_RECORDS], include=["metadatas"])
            records.update((a, m) for a, m in zip(res["ids"], res["metadatas"]) if (m or {}).get("status") == "complete")
        missing = [a for a in absent if a in records]
        if missing:
            log.info("adding %d articles to the lexical index %s", len(missing), self.path or "(memory)")
            for b in range(0, len(missing), FETCH_ARTICLES):
                part = missing[b : b + FETCH_ARTICLES]
                got = sentences.get(where={"article_id": {"$in": part}}, include=["documents", "metadatas"])
                by_article: dict[str, list[Sentence]] = {a: [] for a in part}
                for s in stored_sentences(articles, got["documents"], got["metadatas"]):
                    by_article[s.article_id].append(s)
                self.add([
                    (info_from_meta(a, records[a], None if keys is None else keys.get(a, [])), sorted(s, key=lambda x: x.index))
                    for a, s in by_article.items() if s
                ])
        kept = {a: keys.get(a, []) for a in have if a not in extra} if keys is not None else {}
        self.advance(version, kept)

    def writing(self) -> str:
        """The token of a write under way, or left by one that died ("" = none)."""
        return self._meta(self.db(), "writing") or ""

    def start_write(self, token: str) -> None:
        """Before a write's first change: while this token stays, the file is not known to be in step
        (readers ignore it and keep reading; the next writer that finds another's token reconciles)."""
        with _write(self.db()) as conn:
            conn.execute("INSERT OR REPLACE INTO meta VALUES ('writing', ?)", (token,))

    def advance(self, version: str, keys: dict[str, list[str]]) -> None:
        """Copy these articles' keys where they changed and record `version` (no write under way), at once."""
        conn = self.db()
        with _write(conn):
            changed, ids = [], list(keys)
            for b in range(0, len(ids), _SQL_VARS):
                part = ids[b : b + _SQL_VARS]
                sql = f"SELECT id, keys FROM articles WHERE id IN ({','.join('?' * len(part))})"
                changed += [(json.dumps(keys[a]), a) for a, old in conn.execute(sql, part) if json.dumps(keys[a]) != old]
            if changed:
                gen = self._next_gen(conn)
                conn.executemany(f"UPDATE articles SET keys = ?, gen = {gen} WHERE id = ?", changed)
            conn.execute("INSERT OR REPLACE INTO meta VALUES ('synced', ?)", (version,))
            conn.execute("INSERT OR REPLACE INTO meta VALUES ('writing', '')")

    def _next_gen(self, conn: sqlite3.Connection) -> int:
        gen = int(self._meta(conn, "gen") or 0) + 1
        conn.execute("INSERT OR REPLACE INTO meta VALUES ('gen', ?)", (str(gen),))
        return gen

    def _count(self, conn: sqlite3.Connection, rows: int, tokens: int) -> None:
        conn.execute("UPDATE meta SET value = CAST(value AS INTEGER) + ? WHERE key = 'rows'", (rows,))
        conn.execute("UPDATE meta SET value = CAST(value AS INTEGER) + ? WHERE key = 'tokens'", (tokens,))


class _write:
    """One IMMEDIATE transaction: committed whole or rolled back whole (a crash leaves the last commit)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.outer = conn.in_transaction

    def __enter__(self):
        if not self.outer:
            for attempt in range(50):
                try:
                    self.conn.execute("BEGIN IMMEDIATE")
                    break
                except sqlite3.OperationalError as exc:  # "database is locked" after busy_timeout on some builds
                    if "locked" not in str(exc) or attempt == 49:
                        raise
                    time.sleep(0.1)
        return self.conn

    def __exit__(self, exc_type, exc, tb):
        if self.outer:
            return False
        self.conn.execute("COMMIT" if exc_type is None else "ROLLBACK")
        return False
