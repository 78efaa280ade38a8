"""Stories: articles that report the same event, grouped as they arrive.

Two articles are in one story when
- one is a copy of the other (wire copy republished, an updated version): they share at least
  COPY_CONTAINMENT of the smaller one's 8-word shingles, found with MinHash LSH (`datasketch`);
- or they report one event: the cosine of their article vectors (the normalised mean of their
  sentence vectors, already stored by the index) is at least `NEWSBOT_STORY_SIMILARITY` and they
  were published within `NEWSBOT_STORY_WINDOW_HOURS` of each other (two undated articles count as
  one window: an undated corpus is one moment as far as this goes).

Incremental: a new article joins the story of its best match (a copy first, else the closest
same-event report) or starts one; nothing else is re-clustered, and a story id never changes.
A story is nothing but the `story_id` its articles carry in their metadata, next to the MinHash
signature (`minhash`, `shingles`): both are written with the article's record under the index's
pending/complete protocol, so a crash can never leave a story id that points at a missing article,
nor a signature without its article. The LSH is kept on disk (`indexing/story_table.py`: each
member's band keys and signature, in the lexical SQLite file): a new article's candidates are the
members sharing one of its band keys (datasketch's bands, so the same candidates as its in-memory
LSH), and a write adds and removes its own articles' rows. Markers in that file say whether the
table matches Chroma: a write that finds another process wrote since (Chroma's version moved) or
that a write died part-way (its token left behind) catches up by ids first, then reads the
records the table lacks only (`_catch_up`; for an index older than the table, once, all of them).

Indexes built before stories existed get their ids on a process's first write (`backfill`, once).
"""

from __future__ import annotations

import base64
import logging
import re
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # datasketch (with scipy) takes ~0.6 s to import: only writes and benchmarks need it
    from datasketch import LeanMinHash

    from retrieval.indexing.story_table import StoryTable

log = logging.getLogger(__name__)

SHINGLE_WORDS = 8
NUM_PERM = 128
SEED = 1
SCHEME = "affine32"  # datasketch >= 2.0's default; named so stored signatures stay comparable
# LSH finds candidate pairs from about this Jaccard similarity; each is then checked by its
# estimated containment. Copies whose texts differ in length (an update that adds paragraphs)
# have a low Jaccard but a high containment, hence the low LSH threshold.
LSH_THRESHOLD = 0.15
COPY_CONTAINMENT = 0.45  # estimated share of the smaller article's shingles found in the other
# Nearest stored articles checked for a same-event report. Chroma is asked without a `where` on the
# window (30x slower with one: 140 ms against 5 ms on the BBC index) and the window applied here.
NEIGHBOURS = 24
BACKFILL_PAGE = 500

_WORD = re.compile(r"\w+")


def shingles(text: str, k: int = SHINGLE_WORDS) -> set[bytes]:
    """The article's k-word shingles (lower-cased words), as bytes for hashing."""
    words = _WORD.findall(text.casefold())
    if not words:
        return set()
    return {" ".join(words[i : i + k]).encode("utf-8") for i in range(max(1, len(words) - k + 1))}


def signature(text: str) -> tuple[LeanMinHash, int]:
    """MinHash signature of a text's shingles, and how many shingles it has."""
    from datasketch import LeanMinHash, MinHash

    items = shingles(text)
    m = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME)
    if items:
        m.update_batch(list(items))
    return LeanMinHash(m), len(items)


def encode_signature(m: LeanMinHash) -> str:
    """The signature as a short string for Chroma metadata (hash values fit in 32 bits)."""
    return base64.b64encode(np.asarray(m.hashvalues, dtype="<u4").tobytes()).decode("ascii")


def decode_signature(text: str) -> LeanMinHash | None:
    from datasketch import LeanMinHash

    try:
        values = np.frombuffer(base64.b64decode(text.encode("ascii"), validate=True), dtype="<u4")
    except (ValueError, TypeError):
        return None
    if len(values) != NUM_PERM:
        return None
    return LeanMinHash(seed=SEED, hashvalues=values, scheme=SCHEME)


def containment(m1: LeanMinHash, n1: int, m2: LeanMinHash, n2: int) -> float:
    """Estimated share of the smaller shingle set found in the other (from the Jaccard estimate)."""
    if n1 == 0 or n2 == 0:
        return 0.0
    j = m1.jaccard(m2)
    shared = j * (n1 + n2) / (1.0 + j)
    return min(1.0, shared / min(n1, n2))


def new_story_id(article_id: str) -> str:
    """A story is named after the article that started it (a label: it outlives that article)."""
    return "s" + article_id.lstrip("a")


@dataclass(frozen=True)
class StoryInput:
    """What assigning a story needs from a new article."""

    article_id: str
    text: str
    vector: np.ndarray  # normalised article vector
    ts: int  # publication time (epoch s), -1 when unknown

    @classmethod
    def of(cls, article, vector: np.ndarray, ts: int) -> StoryInput:
        return cls(article.id, article.text, vector, ts)


@dataclass(frozen=True)
class StoryAssignment:
    """A new article's story and the signature stored with it."""

    story_id: str
    minhash: str
    shingles: int
    matched: str = ""  # the article it was matched to ("" when it starts a story)
    how: str = ""  # "copy" or "event"

    def metadata(self) -> dict:
        return {"story_id": self.story_id, "minhash": self.minhash, "shingles": self.shingles}


class StoryBook:
    """Assigns stories over the stored articles' LSH (`StoryTable`, on disk); used under the index's write lock."""

    def __init__(
        self, articles_collection, table: StoryTable, similarity: float = 0.9, window_hours: float = 72.0
    ) -> None:
        self.articles = articles_collection
        self.table = table
        self.similarity = similarity
        self.window_s = int(window_hours * 3600)
        self._start = ""  # the Chroma version the current write started from
        self._token: str | None = None  # this write's token in the table's markers, once it changed them
        self._in_step = False  # the table reflected `_start` when this write began changing it (or was caught up)
        self._checked = False  # the backfill check ran in this process

    # -- keeping the table in step with the stored records ------------------------------------

    def begin(self, version: str) -> None:
        """At the start of every write, at Chroma `version` (nothing is read: the table says at first use)."""
        self._start, self._token, self._in_step = version, None, False

    def _changing(self, catch_up: bool = False) -> None:
        """Before the write's first change to the table: note whether it is in step and record this
        write's token (a write that dies leaves it: the next one catches up); `catch_up`: before a
        lookup, make it match Chroma if it did not (other processes' writes, a dead write, an old index)."""
        if self._token is None:
            synced, writing = self.table.markers()
            self._in_step = synced == self._start and not writing
            self._token = uuid.uuid4().hex[:12]
            self.table.start_write(self._token)
        if catch_up and not self._in_step:
            self._catch_up()
            self._in_step = True

    def committed(self, before: str, found: str, new: str) -> None:
        """After a write's version bump (`found`: Chroma's version just before it, `new`: after it).

        The table reflects `new` if it reflected `before` (this write's own changes were applied as
        it went) and nobody else wrote in between; otherwise the next write that uses it catches up.
        """
        synced, writing = self.table.markers()
        if self._token is None:
            in_step = synced == before and not writing
        else:
            in_step = self._in_step and writing == self._token
        if in_step and found == before:
            self.table.settle(new)
        self._token = None

    def backfill_once(self) -> int:
        """On a process's first write only: `backfill` the complete articles without a story (found
        by ids: those without a `shingles` number); returns how many got a story id now.

        Skipped when the story table is in step with Chroma: it gets there only through a write
        that ran this check, and stays there only while every write is one that stores stories."""
        if self._checked:
            return 0
        synced, writing = self.table.markers()
        if synced == self._start and not writing:
            self._checked = True
            return 0
        complete = self.articles.get(where={"status": "complete"}, include=[])["ids"]
        storied = self.articles.get(where={"$and": [{"status": "complete"}, {"shingles": {"$gte": 0}}]}, include=[])
        done = self.backfill(dict(self._records(sorted(set(complete) - set(storied["ids"])))))
        self._checked = True
        return done

    def _catch_up(self) -> None:
        """Drop members Chroma no longer has; add the stored complete articles the table lacks (by ids,
        then their records only: the one-time build of an index older than the table reads them all)."""
        stored = set(self.articles.get(include=[])["ids"])  # ids only: cheap at any size
        have = self.table.ids()
        self.table.remove(sorted(have - stored))
        new = sorted(stored - have)
        if len(new) > BACKFILL_PAGE:
            log.info("indexing the stories of %d articles (once)", len(new))
        rows = []
        for aid, meta in self._records(new):
            if meta.get("status") != "complete" or not meta.get("story_id"):
                continue
            m = decode_signature(str(meta.get("minhash", "")))
            if m is not None:
                rows.append((aid, str(meta["story_id"]), m.hashvalues, int(meta.get("shingles", 0))))
            if len(rows) >= BACKFILL_PAGE:  # written a page at a time, as read
                self.table.add(rows)
                rows = []
        self.table.add(rows)

    def _records(self, ids: Sequence[str]) -> Iterator[tuple[str, dict]]:
        """(id, stored metadata) of these articles, read from Chroma a page at a time."""
        for b in range(0, len(ids), BACKFILL_PAGE):
            res = self.articles.get(ids=list(ids[b : b + BACKFILL_PAGE]), include=["metadatas"])
            yield from zip(res["ids"], (meta or {} for meta in res["metadatas"]))

    def forget(self, article_id: str) -> None:
        self._changing()
        self.table.remove([article_id])

    def story_of(self, article_id: str) -> str:
        member = self.table.members([article_id]).get(article_id)
        return member[0] if member else ""


    # -- assigning ------------------------------------------------------------------------

    def assign(self, items: Sequence[StoryInput]) -> list[StoryAssignment]:
        """A story for each new article, in order (later ones may join earlier ones' stories).

        Each is added to the table at once; if the write that follows fails (it never reaches
        `committed`), its token stays in the table and the next write catches up with Chroma.
        """
        self._changing(catch_up=True)
        out: list[StoryAssignment] = []
        batch: list[tuple[StoryInput, str]] = []
        with self.table.transaction():  # one commit for the batch (its later articles see the earlier ones)
            for item in items:
                m, n = signature(item.text)
                story, matched, how = self._copy_of(item.article_id, m, n)
                if not story:
                    story, matched = self._same_event(item, batch)
                    how = "event" if story else ""
                story = story or new_story_id(item.article_id)
                self.table.add([(item.article_id, story, m.hashvalues, n)])
                batch.append((item, story))
                out.append(StoryAssignment(story, encode_signature(m), n, matched, how))
        return out

    def _copy_of(self, aid: str, m: LeanMinHash, n: int) -> tuple[str, str, str]:
        best, best_c, best_story = "", 0.0, ""
        from datasketch import LeanMinHash

        for other, (story, values, on) in self.table.candidates(m.hashvalues).items():
            if other == aid:
                continue
            om = LeanMinHash(seed=SEED, hashvalues=values, scheme=SCHEME)
            c = containment(m, n, om, on)
            if c >= COPY_CONTAINMENT and (c, other) > (best_c, best):
                best, best_c, best_story = other, c, story
        return (best_story, best, "copy") if best else ("", "", "")

    def _same_event(self, item: StoryInput, batch: Sequence[tuple[StoryInput, str]]) -> tuple[str, str]:
        """The story of the closest stored (or same-batch) article in the window, if close enough."""
        best: tuple[float, str, str] = (self.similarity, "", "")  # (cosine, story, article)
        for other, story in batch:
            if self._in_window(item.ts, other.ts):
                cos = float(np.dot(item.vector, other.vector))
                if cos >= best[0] and (cos, other.article_id) > best[::2]:
                    best = (cos, story, other.article_id)
        neighbours = self._neighbours(item)
        stories = self.table.members(aid for aid, _ in neighbours)
        for aid, cos in neighbours:
            story = stories[aid][0] if aid in stories else ""
            if story and aid != item.article_id and cos >= best[0]:
                best = (cos, story, aid)
        return best[1], best[2]

    def _in_window(self, a: int, b: int) -> bool:
        if a < 0 or b < 0:
            return a < 0 and b < 0
        return abs(a - b) <= self.window_s

    def _neighbours(self, item: StoryInput) -> list[tuple[str, float]]:
        """The nearest stored articles in the item's window, with their cosine similarity."""
        try:
            res = self.articles.query(  # no count() first: it grows with the corpus; fewer come back if fewer exist
                query_embeddings=[np.asarray(item.vector, dtype=np.float32)],
                n_results=NEIGHBOURS,
                include=["embeddings", "metadatas"],
            )
        except Exception as exc:  # an empty window or a fresh collection: no neighbours, not a failure
            log.debug("no story neighbours for %s: %s", item.article_id, exc)
            return []
        ids = res["ids"][0] if res["ids"] else []
        vecs = res["embeddings"][0] if res.get("embeddings") is not None and len(res["embeddings"]) else []
        metas = res["metadatas"][0] if res.get("metadatas") else [{}] * len(ids)
        out = []
        for aid, vec, meta in zip(ids, vecs, metas):
            if not self._in_window(item.ts, int((meta or {}).get("ts", -1))):
                continue
            v = np.asarray(vec, dtype=np.float32)
            out.append((aid, float(np.dot(item.vector, v / max(float(np.linalg.norm(v)), 1e-12)))))
        return out

    # -- indexes built before stories ---------------------------------------------------------

    def backfill(self, records: dict[str, dict]) -> int:
        """Give every complete article without a story id one (oldest first); returns how many.

        Written page by page: a crash part-way leaves the rest for the next write to finish.
        """
        todo = [aid for aid, m in records.items() if m.get("status") == "complete" and not m.get("story_id")]
        if not todo:
            return 0
        todo.sort(key=lambda a: (int(records[a].get("ts", -1)), a))
        log.info("assigning stories to %d articles stored before stories existed", len(todo))
        for start in range(0, len(todo), BACKFILL_PAGE):
            page = todo[start : start + BACKFILL_PAGE]
            res = self.articles.get(ids=page, include=["documents", "embeddings"])
            got = {i: (d, np.asarray(v, dtype=np.float32)) for i, d, v in zip(res["ids"], res["documents"], res["embeddings"])}
            page = [a for a in page if a in got]
            items = [StoryInput(a, got[a][0] or "", _unit(got[a][1]), int(records[a].get("ts", -1))) for a in page]
            assigned = self.assign(items)
            metas = [{**records[a], **s.metadata()} for a, s in zip(page, assigned)]
            self.articles.update(ids=page, metadatas=metas)
            for a, meta in zip(page, metas):
                records[a] = meta
        return len(todo)


def _unit(v: np.ndarray) -> np.ndarray:
    return v / max(float(np.linalg.norm(v)), 1e-12)


def story_members(story_id: str, articles: Iterable) -> list:
    """The articles (ArticleInfo) of one story, in the order given."""
    return [a for a in articles if getattr(a, "story_id", "") == story_id] if story_id else []
