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
signature (`minhash`, `shingles`) the LSH is rebuilt from: both are written with the article's
record under the index's pending/complete protocol, so a crash can never leave a story id that
points at a missing article, nor a signature without its article. The in-memory LSH is built from
those records on a process's first write that assigns a story and then kept in step from each
write's own changes; when another process wrote in between (Chroma's version moved), only the
articles it added are read (`_catch_up`: the ids first, then the records the LSH lacks).

Indexes built before stories existed get their ids on a process's first write (`backfill`, once).
"""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # datasketch (with scipy) takes ~0.6 s to import: only writes and benchmarks need it
    from datasketch import LeanMinHash

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
    """The LSH over stored articles and their story ids; one per index, used under its write lock."""

    def __init__(self, articles_collection, similarity: float = 0.9, window_hours: float = 72.0) -> None:
        self.articles = articles_collection
        self.similarity = similarity
        self.window_s = int(window_hours * 3600)
        self._lsh_index = None  # built on first use
        self._synced = False  # in step during the current write
        self._in_step: str | None = None  # the Chroma version the LSH reflects; None: not built yet
        self._start = ""  # the Chroma version the current write started from
        self._checked = False  # the backfill check ran in this process
        self._tentative: set[str] = set()  # assigned in the current write, not yet committed
        self._members: dict[str, tuple[str, LeanMinHash, int]] = {}  # article id -> (story, signature, shingles)

    @property
    def _lsh(self):
        if self._lsh_index is None:
            from datasketch import MinHashLSH

            self._lsh_index = MinHashLSH(threshold=LSH_THRESHOLD, num_perm=NUM_PERM)
        return self._lsh_index

    # -- keeping the LSH in step with the stored records ------------------------------------

    def sync(self, records: dict[str, dict]) -> None:
        """Index every complete record's signature not yet in the LSH; drop articles no longer stored."""
        for aid in [a for a in self._members if a not in records]:
            self.forget(aid)
        self._add_records(records)

    def _add_records(self, records: dict[str, dict]) -> None:
        for aid, meta in records.items():
            meta = meta or {}
            if aid in self._members or meta.get("status") != "complete" or not meta.get("story_id"):
                continue
            m = decode_signature(str(meta.get("minhash", "")))
            if m is not None:
                self._insert(aid, str(meta["story_id"]), m, int(meta.get("shingles", 0)))

    def begin(self, version: str) -> None:
        """At the start of every write, at Chroma `version`. A write that failed part-way (its
        assignments never committed) leaves members whose records may be missing: they are
        dropped, and the LSH is caught up with Chroma before its next use."""
        if self._tentative:
            for aid in self._tentative:
                self.forget(aid)
            self._tentative.clear()
            if self._in_step is not None:
                self._in_step = ""  # matches no version: caught up at the next assignment
        self._start, self._synced = version, False

    def backfill_once(self) -> int:
        """On a process's first write only: `backfill` the complete articles without a story (found
        by ids: those without a `shingles` number); returns how many got a story id now."""
        if self._checked:
            return 0
        complete = self.articles.get(where={"status": "complete"}, include=[])["ids"]
        storied = self.articles.get(where={"$and": [{"status": "complete"}, {"shingles": {"$gte": 0}}]}, include=[])
        todo = sorted(set(complete) - set(storied["ids"]))
        records: dict[str, dict] = {}
        for b in range(0, len(todo), BACKFILL_PAGE):
            res = self.articles.get(ids=todo[b : b + BACKFILL_PAGE], include=["metadatas"])
            records.update(zip(res["ids"], res["metadatas"]))
        done = self.backfill(records)
        self._checked = True
        return done

    def committed(self, before: str, found: str, new: str) -> None:
        """After a write's version bump (`found`: Chroma's version just before it, `new`: after it).

        The LSH reflects `new` if it reflected `before` (this write's own changes were applied
        as it went) and nobody else wrote in between; otherwise it is caught up at its next use.
        """
        self._tentative.clear()
        if self._in_step is not None:
            self._in_step = new if self._in_step == before == found else ""

    def _ensure_synced(self) -> None:
        """Before the write's first assignment: build the LSH (once per process), or catch up with
        what other processes wrote since it was last in step (their articles only)."""
        if self._synced:
            return
        if self._in_step is None:
            res = self.articles.get(where={"status": "complete"}, include=["metadatas"])
            self.sync(dict(zip(res["ids"], res["metadatas"])))
        elif self._in_step != self._start:
            self._catch_up()
        self._in_step, self._synced = self._start, True

    def _catch_up(self) -> None:
        """Drop members Chroma no longer has; read the records of stored articles the LSH lacks."""
        stored = set(self.articles.get(include=[])["ids"])  # ids only: cheap at any size
        for aid in [a for a in self._members if a not in stored]:
            self.forget(aid)
        new = sorted(stored - self._members.keys())
        for b in range(0, len(new), BACKFILL_PAGE):
            res = self.articles.get(ids=new[b : b + BACKFILL_PAGE], include=["metadatas"])
            self._add_records(dict(zip(res["ids"], res["metadatas"])))

    def forget(self, article_id: str) -> None:
        if self._members.pop(article_id, None) is not None:
            self._lsh.remove(article_id)

    def _insert(self, aid: str, story: str, m: LeanMinHash, n: int) -> None:
        if aid in self._members:
            self.forget(aid)
        self._members[aid] = (story, m, n)
        self._lsh.insert(aid, m)

    def story_of(self, article_id: str) -> str:
        member = self._members.get(article_id)
        return member[0] if member else ""

    # -- assigning ------------------------------------------------------------------------

    def assign(self, items: Sequence[StoryInput]) -> list[StoryAssignment]:
        """A story for each new article, in order (later ones may join earlier ones' stories).

        Each is added to the LSH at once; if the write that follows fails (it never reaches
        `committed`), the next write's `begin` drops it again and catches up with Chroma.
        """
        self._ensure_synced()
        out: list[StoryAssignment] = []
        batch: list[tuple[StoryInput, str]] = []
        for item in items:
            m, n = signature(item.text)
            story, matched, how = self._copy_of(item.article_id, m, n)
            if not story:
                story, matched = self._same_event(item, batch)
                how = "event" if story else ""
            story = story or new_story_id(item.article_id)
            self._insert(item.article_id, story, m, n)
            self._tentative.add(item.article_id)
            batch.append((item, story))
            out.append(StoryAssignment(story, encode_signature(m), n, matched, how))
        return out

    def _copy_of(self, aid: str, m: LeanMinHash, n: int) -> tuple[str, str, str]:
        best, best_c = "", 0.0
        for other in self._lsh.query(m):
            if other == aid or other not in self._members:
                continue
            _, om, on = self._members[other]
            c = containment(m, n, om, on)
            if c >= COPY_CONTAINMENT and (c, other) > (best_c, best):
                best, best_c = other, c
        return (self._members[best][0], best, "copy") if best else ("", "", "")

    def _same_event(self, item: StoryInput, batch: Sequence[tuple[StoryInput, str]]) -> tuple[str, str]:
        """The story of the closest stored (or same-batch) article in the window, if close enough."""
        best: tuple[float, str, str] = (self.similarity, "", "")  # (cosine, story, article)
        for other, story in batch:
            if self._in_window(item.ts, other.ts):
                cos = float(np.dot(item.vector, other.vector))
                if cos >= best[0] and (cos, other.article_id) > best[::2]:
                    best = (cos, story, other.article_id)
        for aid, cos in self._neighbours(item):
            story = self.story_of(aid)
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
            n = min(NEIGHBOURS, self.articles.count())
            if n == 0:
                return []
            res = self.articles.query(
                query_embeddings=[np.asarray(item.vector, dtype=np.float32)],
                n_results=n,
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
