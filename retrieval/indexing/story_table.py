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
- `story_members`: article id -> story id, signature (as stored in Chroma), shingle count;
- `story_bands`: (band, key, article id), the band key being the band's hash values as bytes.
Two markers in the file's `meta` table say whether the tables match Chroma (`retrieval.stories`):
`stories_synced`, the Chroma version they reflect, and `stories_writing`, the token of a write
that has changed them and not yet finished (left behind by a write that died).
"""

from __future__ import annotations

import base64
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache

import numpy as np

from retrieval.indexing.lexical_store import _write

_SQL_VARS = 900

_DDL = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS story_members ("
    " id TEXT PRIMARY KEY, story TEXT NOT NULL, minhash TEXT NOT NULL, shingles INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS story_bands ("
    " band INTEGER NOT NULL, key BLOB NOT NULL, id TEXT NOT NULL, PRIMARY KEY (band, key, id)) WITHOUT ROWID",
)


@lru_cache(maxsize=4)
def band_ranges(threshold: float, num_perm: int) -> tuple[tuple[int, int], ...]:
    """datasketch's bands for this threshold: (start, end) of each band's hash values."""
    from datasketch import MinHashLSH

    return tuple(MinHashLSH(threshold=threshold, num_perm=num_perm).hashranges)


def band_keys(hashvalues: np.ndarray, ranges: Sequence[tuple[int, int]]) -> list[tuple[int, bytes]]:
    """(band, key) of a signature: equal keys in one band <=> equal hash values (they fit in 32 bits)."""
    values = np.asarray(hashvalues, dtype=">u8")
    return [(b, values[s:e].tobytes()) for b, (s, e) in enumerate(ranges)]


class StoryTable:
    """Band keys and signatures of the stored articles that have a story (one SQLite connection per thread)."""

    def __init__(self, connect: Callable[[], sqlite3.Connection], threshold: float, num_perm: int) -> None:
        self._connect = connect
        self.threshold, self.num_perm = threshold, num_perm
        conn = connect()
        with _write(conn):
            for statement in _DDL:
                conn.execute(statement)

    @property
    def ranges(self) -> tuple[tuple[int, int], ...]:
        return band_ranges(self.threshold, self.num_perm)

    # -- markers ------------------------------------------------------------------------------

    def markers(self) -> tuple[str, str]:
        """(the Chroma version the tables reflect, the token of a write changing them or "")."""
        got = dict(self._connect().execute("SELECT key, value FROM meta WHERE key IN ('stories_synced', 'stories_writing')"))
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

    def candidates(self, hashvalues: np.ndarray) -> set[str]:
        """The members sharing at least one band key with this signature (the LSH query)."""
        conn = self._connect()
        out: set[str] = set()
        for band, key in band_keys(hashvalues, self.ranges):
            out.update(r[0] for r in conn.execute("SELECT id FROM story_bands WHERE band = ? AND key = ?", (band, key)))
        return out

    def members(self, ids: Iterable[str]) -> dict[str, tuple[str, str, int]]:
        """article id -> (story id, encoded signature, shingles) of these ids that are members."""
        ids, conn, out = list(ids), self._connect(), {}
        for b in range(0, len(ids), _SQL_VARS):
            part = ids[b : b + _SQL_VARS]
            sql = f"SELECT id, story, minhash, shingles FROM story_members WHERE id IN ({','.join('?' * len(part))})"
            out.update((a, (s, m, int(n))) for a, s, m, n in conn.execute(sql, part))
        return out

    # -- writing ------------------------------------------------------------------------------

    def add(self, rows: Sequence[tuple[str, str, str, int, np.ndarray]]) -> None:
        """(article id, story, encoded signature, shingles, hash values) each; an id present is replaced."""
        if not rows:
            return
        conn = self._connect()
        with _write(conn):
            self._remove(conn, [r[0] for r in rows])
            conn.executemany("INSERT INTO story_members VALUES (?, ?, ?, ?)", [r[:4] for r in rows])
            conn.executemany(
                "INSERT OR IGNORE INTO story_bands VALUES (?, ?, ?)",
                [(band, key, aid) for aid, _, _, _, values in rows for band, key in band_keys(values, self.ranges)],
            )

    def remove(self, ids: Iterable[str]) -> None:
        ids = list(ids)
        if ids:
            conn = self._connect()
            with _write(conn):
                self._remove(conn, ids)

    def _remove(self, conn: sqlite3.Connection, ids: list[str]) -> None:
        for aid, (_, minhash, _) in self.members(ids).items():
            values = np.frombuffer(base64.b64decode(minhash.encode("ascii")), dtype="<u4")  # as added: valid
            conn.executemany(
                "DELETE FROM story_bands WHERE band = ? AND key = ? AND id = ?",
                [(band, key, aid) for band, key in band_keys(values, self.ranges)],
            )
            conn.execute("DELETE FROM story_members WHERE id = ?", (aid,))
