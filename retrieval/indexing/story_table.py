"""The story LSH on disk: each stored article's MinHash band keys, in the lexical SQLite file.

`retrieval.stories` finds an article's copies with MinHash LSH (the candidates are the stored
articles that share at least one band key with it, then checked by estimated containment). Built in
memory, that LSH had to be read from every stored article's record by each process's first write
(~8-13 s at 20,000 articles for a one-off `newsbot ingest`). Here it is a table instead: a write
looks up the new article's band keys and reads the signatures of those candidates only, and adds
or removes its own articles' rows.

The bands are exactly datasketch's (`MinHashLSH(threshold, num_perm)`: its `b` bands of `r` hash
values each), so the candidates are the ones the in-memory LSH returned, and so are the stories.

Tables (in `<data dir>/lexical/<collection>.sqlite3`, beside the FTS5 index, same WAL file):
- `story_members`: article number -> article id, story id, signature (128 x 32 bits), shingle count;
- `story_bands`: (band, key, article number), the key being the band's hash values as one integer
  (~1.5 KB per article for both tables, ~30 MB at 20,000 articles).
Two markers in the file's `meta` table say whether the tables match Chroma (`retrieval.stories`):
`stories_synced`, the Chroma version they reflect, and `stories_writing`, the token of a write
that has changed them and not yet finished (left behind by a write that died).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache

import numpy as np

from retrieval.indexing.lexical_store import _write

_SQL_VARS = 900

_DDL = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS story_members (no INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL,"
    " story TEXT NOT NULL, minhash BLOB NOT NULL, shingles INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS story_bands ("
    " band INTEGER NOT NULL, key INTEGER NOT NULL, no INTEGER NOT NULL, PRIMARY KEY (band, key, no)) WITHOUT ROWID",
)


@lru_cache(maxsize=4)
def band_shape(threshold: float, num_perm: int) -> tuple[int, int]:
    """datasketch's bands for this threshold: (b bands, r hash values each, taken in order)."""
    from datasketch import MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    assert list(lsh.hashranges) == [(i * lsh.r, (i + 1) * lsh.r) for i in range(lsh.b)]
    if lsh.r > 2:
        raise ValueError(f"a band of {lsh.r} hash values does not fit one 64-bit key; lower NUM_PERM or raise "
                         "the threshold")
    return lsh.b, lsh.r


def band_keys(hashvalues: np.ndarray, b: int, r: int) -> list[int]:
    """Each band's key: its r (<= 2) hash values (32 bits each) as one signed 64-bit integer, so
    equal keys in a band <=> equal hash values, as in datasketch's LSH."""
    v = np.asarray(hashvalues, dtype=np.uint64)[: b * r].reshape(b, r)
    keys = v[:, 0] << np.uint64(32) | v[:, 1] if r == 2 else v[:, 0]
    return keys.view(np.int64).tolist()


class StoryTable:
    """Band keys and signatures of the stored articles that have a story (one SQLite connection per thread).

    The caller holds the index's write lock; `transaction()` groups a write's changes in one commit.
    """

    def __init__(self, connect: Callable[[], sqlite3.Connection], threshold: float, num_perm: int) -> None:
        self._connect = connect
        self.threshold, self.num_perm = threshold, num_perm
        conn = connect()
        if {r[0] for r in conn.execute("SELECT name FROM sqlite_master")} >= {"meta", "story_members", "story_bands"}:
            return  # nothing to create: no write (a full disk still opens the index to read)
        with _write(conn):
            for statement in _DDL:
                conn.execute(statement)

    @property
    def shape(self) -> tuple[int, int]:
        return band_shape(self.threshold, self.num_perm)

    def transaction(self) -> _write:
        return _write(self._connect())

    # -- markers ------------------------------------------------------------------------------

    def markers(self) -> tuple[str, str]:
        """(the Chroma version the tables reflect, the token of a write changing them or "")."""
        sql = "SELECT key, value FROM meta WHERE key IN ('stories_synced', 'stories_writing')"
        got = dict(self._connect().execute(sql))
        return got.get("stories_synced", ""), got.get("stories_writing", "")

    def start_write(self, token: str) -> None:
        with _write(self._connect()) as conn:
            conn.execute("INSERT OR REPLACE INTO meta VALUES ('stories_writing', ?)", (token,))

    def settle(self, version: str) -> None:
        """The tables reflect Chroma `version`, no write under way."""
        with _write(self._connect()) as conn:
            conn.execute("INSERT OR REPLACE INTO meta VALUES ('stories_synced', ?)", (version,))
            conn.execute("INSERT OR REPLACE INTO meta VALUES ('stories_writing', '')")

    # -- reading ------------------------------------------------------------------------------

    def ids(self) -> set[str]:
        return {r[0] for r in self._connect().execute("SELECT id FROM story_members")}

    def candidates(self, hashvalues: np.ndarray) -> dict[str, tuple[str, np.ndarray, int]]:
        """The members sharing at least one band key with this signature (the LSH query), as `members`."""
        conn, nos = self._connect(), set()
        for band, key in enumerate(band_keys(hashvalues, *self.shape)):
            nos.update(r[0] for r in conn.execute("SELECT no FROM story_bands WHERE band = ? AND key = ?", (band, key)))
        return self._select("no", sorted(nos))

    def members(self, ids: Iterable[str]) -> dict[str, tuple[str, np.ndarray, int]]:
        """article id -> (story id, signature hash values, shingles) of these ids that are members."""
        return self._select("id", list(ids))

    def _select(self, column: str, values: list) -> dict[str, tuple[str, np.ndarray, int]]:
        conn, out = self._connect(), {}
        for b in range(0, len(values), _SQL_VARS):
            part = values[b : b + _SQL_VARS]
            marks = ",".join("?" * len(part))
            sql = f"SELECT id, story, minhash, shingles FROM story_members WHERE {column} IN ({marks})"
            out.update((a, (s, np.frombuffer(m, dtype="<u4"), int(n))) for a, s, m, n in conn.execute(sql, part))
        return out

    # -- writing ------------------------------------------------------------------------------

    def add(self, rows: Sequence[tuple[str, str, np.ndarray, int]]) -> None:
        """(article id, story, signature hash values, shingles) each; an id present is replaced."""
        if not rows:
            return
        conn = self._connect()
        with _write(conn):
            self._remove(conn, [r[0] for r in rows])
            b, r = self.shape
            for aid, story, values, n in rows:
                blob = np.asarray(values, dtype="<u4").tobytes()
                no = conn.execute("INSERT INTO story_members (id, story, minhash, shingles) VALUES (?, ?, ?, ?)",
                                  (aid, story, blob, int(n))).lastrowid
                conn.executemany("INSERT OR IGNORE INTO story_bands VALUES (?, ?, ?)",
                                 [(band, key, no) for band, key in enumerate(band_keys(values, b, r))])

    def remove(self, ids: Iterable[str]) -> None:
        ids = list(ids)
        if ids:
            conn = self._connect()
            with _write(conn):
                self._remove(conn, ids)

    def _remove(self, conn: sqlite3.Connection, ids: list[str]) -> None:
        b, r = self.shape
        for b0 in range(0, len(ids), _SQL_VARS):
            part = ids[b0 : b0 + _SQL_VARS]
            sql = f"SELECT no, minhash FROM story_members WHERE id IN ({','.join('?' * len(part))})"
            for no, blob in conn.execute(sql, part).fetchall():
                keys = band_keys(np.frombuffer(blob, dtype="<u4"), b, r)
                conn.executemany("DELETE FROM story_bands WHERE band = ? AND key = ? AND no = ?",
                                 [(band, key, no) for band, key in enumerate(keys)])
                conn.execute("DELETE FROM story_members WHERE no = ?", (no,))
