"""Which keys (file paths, URLs) name each stored article: a key table, one record per key.

Keys used to be a JSON list in each article's metadata, rewritten whole for every duplicate: n
copies of one text cost O(n²) (2,000 identical feed entries: 179 s) and 1M copies made a 180 MB
metadata row read by every later write. Now each key is one record of the Chroma collection
`<prefix>_keys` (id = hash of the key; metadata = the key and its article id), so adding or moving
a key is one small write and finding a key's article one lookup by id. It lives next to the
articles, so in server mode (CHROMA_HOST) every process sharing the index shares its keys too.

Changes made during a write are kept in memory (`_owner`) and written by `flush`, which the store
calls before it marks new articles complete and after each step of input: memory stays bounded
however long the input is. A key left pointing at an article that no longer exists (a crash
between the two writes) names nothing: callers check that the article exists.

`migrate` moves the lists of an index built before the key table into it, once, on open.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import defaultdict
from collections.abc import Iterable

log = logging.getLogger(__name__)

CHROMA_MAX_BATCH = 4000  # below chromadb's max_batch_size on every backend seen
PAGE = 5000  # records read per call when scanning a whole collection
MIGRATED = "keys_migrated"  # key-table metadata flag: the articles' old key lists have been moved here
_NO_VECTOR = [0.0]  # Chroma stores a vector with every record; keys are only ever looked up by id


def keys_of(meta) -> list[str]:
    """The keys in an article's metadata as written before the key table (a JSON list), for `migrate`,
    or of an ArticleInfo (its `key`: one key, or a JSON list of several)."""
    raw = meta.get("keys") if isinstance(meta, dict) else getattr(meta, "key", meta)
    if not raw:
        return []
    try:
        return [str(k) for k in json.loads(raw)]
    except (TypeError, ValueError):
        return [str(raw)]


def key_id(key: str) -> str:
    return "k" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]


class KeyTable:
    """The key -> article id table in a Chroma collection, with this writer's unsaved changes."""

    def __init__(self, client, name: str) -> None:
        self.collection = client.get_or_create_collection(
            name, embedding_function=None, metadata={"newsbot_schema": 1, "kind": "keys"}
        )
        self._owner: dict[str, str | None] = {}  # unsaved: key -> article id, None = removed

    # -- reading ----------------------------------------------------------------------------

    def owners(self, keys: Iterable[str]) -> dict[str, str]:
        """The article id each key names (unsaved changes included); keys naming none are left out."""
        wanted = set(keys)
        stored: dict[str, str] = {}
        ask = [k for k in wanted if k not in self._owner]
        for b in range(0, len(ask), CHROMA_MAX_BATCH):
            res = self.collection.get(ids=[key_id(k) for k in ask[b : b + CHROMA_MAX_BATCH]], include=["metadatas"])
            for m in res["metadatas"]:
                stored[m["key"]] = m["article_id"]
        for k in wanted & self._owner.keys():
            if self._owner[k]:
                stored[k] = self._owner[k]  # type: ignore[assignment]
        return stored

    def owner(self, key: str) -> str | None:
        return self.owners([key]).get(key)

    def keys_of(self, article_id: str) -> list[str]:
        """Every key naming the article, saved or not, in the order they were stored."""
        return self.keys_of_many([article_id]).get(article_id, [])

    def keys_of_many(self, article_ids: Iterable[str]) -> dict[str, list[str]]:
        """Article id -> every key naming it, saved or not, in the order stored (one read for all)."""
        ids = list(dict.fromkeys(article_ids))
        out: dict[str, list[str]] = {a: [] for a in ids}
        if not ids:
            return out
        where = {"article_id": {"$in": ids}} if len(ids) > 1 else {"article_id": ids[0]}
        for m in self.collection.get(where=where, include=["metadatas"])["metadatas"]:
            if self._owner.get(m["key"], m["article_id"]) == m["article_id"]:
                out[m["article_id"]].append(m["key"])
        for k, a in self._owner.items():
            if a in out and k not in out[a]:
                out[a].append(k)
        return out

    def has_keys(self, article_id: str) -> bool:
        """True if any key still names the article (one bounded read, whatever its number of keys)."""
        if any(a == article_id for a in self._owner.values()):
            return True
        res = self.collection.get(where={"article_id": article_id}, include=["metadatas"], limit=len(self._owner) + 1)
        return any(self._owner.get(m["key"], article_id) == article_id for m in res["metadatas"])

    def all_keys(self) -> dict[str, list[str]]:
        """Article id -> its keys, for listings (read page by page)."""
        out: dict[str, list[str]] = defaultdict(list)
        for key, aid in self._scan():
            out[aid].append(key)
        return dict(out)

    def _scan(self) -> Iterable[tuple[str, str]]:
        offset = 0
        while True:
            res = self.collection.get(include=["metadatas"], limit=PAGE, offset=offset)
            if not res["ids"]:
                return
            for m in res["metadatas"]:
                yield m["key"], m["article_id"]
            offset += len(res["ids"])

    # -- writing ----------------------------------------------------------------------------

    def assign(self, key: str, article_id: str) -> None:
        """`key` now names `article_id` (saved by `flush`)."""
        self._owner[key] = article_id

    def remove(self, key: str) -> None:
        self._owner[key] = None

    def forget_article(self, article_id: str) -> None:
        """Drop every key of a deleted article, saved or not (keys already moved to another stay there)."""
        self.collection.delete(where={"article_id": article_id})
        for k in [k for k, a in self._owner.items() if a == article_id]:
            del self._owner[k]

    def flush(self) -> None:
        """Save the changes: removals first, then assignments (a moved key ends up on its new article)."""
        if not self._owner:
            return
        gone = [key_id(k) for k, a in self._owner.items() if a is None]
        for b in range(0, len(gone), CHROMA_MAX_BATCH):
            self.collection.delete(ids=gone[b : b + CHROMA_MAX_BATCH])
        self._upsert([(k, a) for k, a in self._owner.items() if a is not None])
        self._owner.clear()

    def prune(self, present: set[str], under: str) -> list[str]:
        """Remove the keys below `under` that are not in `present`; the articles they leave with no key."""
        return self.drop(self.stale(present, under))

    def stale(self, present: set[str], under: str) -> dict[str, list[str]]:
        """Article id -> its keys below `under` that are not in `present` (one read of the table)."""
        gone: dict[str, list[str]] = defaultdict(list)
        for key, aid in list(self._scan()):  # read whole before deleting: deletes shift the pages
            if key.startswith(under) and key not in present:
                gone[aid].append(key)
        return dict(gone)

    def drop(self, gone: dict[str, list[str]]) -> list[str]:
        """Remove these keys (article id -> keys, from `stale`); the articles left with no key."""
        for keys in gone.values():
            for key in keys:
                self.remove(key)
        self.flush()
        return [aid for aid in gone if not self.has_keys(aid)]

    def discard_changes(self) -> None:
        self._owner.clear()

    def _upsert(self, pairs: list[tuple[str, str]]) -> None:
        for b in range(0, len(pairs), CHROMA_MAX_BATCH):
            part = pairs[b : b + CHROMA_MAX_BATCH]
            self.collection.upsert(
                ids=[key_id(k) for k, _ in part],
                embeddings=[_NO_VECTOR] * len(part),
                metadatas=[{"key": k, "article_id": a} for k, a in part],
            )

    # -- migration --------------------------------------------------------------------------

    @property
    def migrated(self) -> bool:
        return bool((self.collection.metadata or {}).get(MIGRATED))

    def migrate(self, articles) -> int:
        """Move the key lists of articles written before the key table into it; how many keys moved.

        Crash-safe and idempotent: each page of articles has its keys written (upserts by key id)
        before the list is dropped from their metadata, and the table is marked migrated last;
        interrupted, the next open moves what is left.
        """
        moved = 0
        offset = 0
        while True:
            res = articles.get(include=["metadatas"], limit=PAGE, offset=offset)
            if not res["ids"]:
                break
            offset += len(res["ids"])
            old = [(aid, keys_of(m)) for aid, m in zip(res["ids"], res["metadatas"]) if "keys" in (m or {})]
            if not old:
                continue
            self._upsert([(k, aid) for aid, keys in old for k in keys])
            moved += sum(len(keys) for _, keys in old)
            ids = [aid for aid, _ in old]
            for b in range(0, len(ids), CHROMA_MAX_BATCH):  # None deletes a metadata field in Chroma
                articles.update(ids=ids[b : b + CHROMA_MAX_BATCH], metadatas=[{"keys": None}] * len(ids[b : b + CHROMA_MAX_BATCH]))
        meta = {k: v for k, v in (self.collection.metadata or {}).items() if not k.startswith("hnsw:")}
        self.collection.modify(metadata={**meta, MIGRATED: 1})
        if moved:
            log.info("moved %d article keys into the key table", moved)
        return moved
