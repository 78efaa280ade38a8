"""The story LSH on disk returns exactly the candidates datasketch's in-memory LSH returns."""

from __future__ import annotations

import sqlite3

from datasketch import MinHashLSH

from retrieval.indexing.story_table import StoryTable
from retrieval.stories import LSH_THRESHOLD, NUM_PERM, signature

WORDS = "harbour budget election floods football railway museum vaccine minister council river court".split()


def text(i: int) -> str:
    """Texts that overlap in varying amounts: shared runs of words with a few changed."""
    base = [WORDS[(i * 7 + k * (1 + i % 3)) % len(WORDS)] for k in range(60)]
    return " ".join(w if (k + i) % 11 else f"n{i}" for k, w in enumerate(base))


def test_candidates_are_datasketch_lsh_candidates():
    conn = sqlite3.connect(":memory:", isolation_level=None)
    table = StoryTable(lambda: conn, LSH_THRESHOLD, NUM_PERM)
    lsh = MinHashLSH(threshold=LSH_THRESHOLD, num_perm=NUM_PERM)
    sigs = {f"a{i}": signature(text(i)) for i in range(60)}
    for aid, (m, n) in sigs.items():
        lsh.insert(aid, m)
        table.add([(aid, "s" + aid, m.hashvalues, n)])
    for i in range(0, 60, 7):  # some forgotten, as a delete does
        lsh.remove(f"a{i}")
        table.remove([f"a{i}"])
    assert conn.execute("SELECT COUNT(*) FROM story_bands").fetchone()[0] == 51 * (60 - 9)
    found_any = 0
    for i in range(80):
        m, _ = signature(text(i))
        got = table.candidates(m.hashvalues)
        assert set(got) == set(lsh.query(m)), i
        found_any += len(got) > 1
        for aid, (story, values, n) in got.items():
            assert story == "s" + aid and list(values) == list(sigs[aid][0].hashvalues) and n == sigs[aid][1]
    assert found_any  # the texts do overlap: the comparison is not vacuous
