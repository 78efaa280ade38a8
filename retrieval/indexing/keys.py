"""Which keys (file paths, URLs) name each stored article, kept in memory during one write.

An article's keys are stored as a JSON list in its metadata. Rewriting the whole list for every
duplicate made n copies of one text cost O(n²) (2,000 identical feed entries: 179 s); `KeyBook`
parses each list once per write, checks membership in a set and saves each changed list once.
"""

from __future__ import annotations

import json

CHROMA_MAX_BATCH = 4000  # below chromadb's max_batch_size on every backend seen


def keys_of(meta) -> list[str]:
    raw = meta.get("keys") if isinstance(meta, dict) else meta.key
    if not raw:
        return []
    try:
        return list(json.loads(raw))
    except (TypeError, ValueError):
        return [raw]


class KeyBook:
    """The keys of stored articles, changed in memory and written once per article per call.

    Rewriting an article's whole key list for every duplicate made n copies of one text cost
    O(n²) (2,000 identical feed entries: 179 s); here each list is parsed once, kept with a set
    for membership, and saved once by `flush`.
    """

    def __init__(self, records: dict) -> None:
        self.records = records
        self._lists: dict[str, list[str]] = {}
        self._sets: dict[str, set[str]] = {}
        self.dirty: set[str] = set()

    def _load(self, aid: str) -> list[str]:
        if aid not in self._lists:
            self._lists[aid] = keys_of(self.records[aid])
            self._sets[aid] = set(self._lists[aid])
        return self._lists[aid]

    def add(self, aid: str, key: str) -> None:
        keys = self._load(aid)
        if key not in self._sets[aid]:
            keys.append(key)
            self._sets[aid].add(key)
            self.dirty.add(aid)

    def remove(self, aid: str, key: str) -> int:
        """Drop `key` from the article's keys; how many are left."""
        keys = self._load(aid)
        if key in self._sets[aid]:
            self._sets[aid].discard(key)
            self._lists[aid] = keys = [k for k in keys if k != key]
            self.dirty.add(aid)
        return len(keys)

    def forget(self, aid: str) -> None:
        self._lists.pop(aid, None)
        self._sets.pop(aid, None)
        self.dirty.discard(aid)

    def flush(self, collection) -> None:
        ids = [aid for aid in sorted(self.dirty) if aid in self.records]
        for aid in ids:
            self.records[aid] = {**self.records[aid], "keys": json.dumps(self._lists[aid])}
        for b in range(0, len(ids), CHROMA_MAX_BATCH):
            chunk = ids[b : b + CHROMA_MAX_BATCH]
            collection.update(ids=chunk, metadatas=[self.records[aid] for aid in chunk])
        self.dirty.clear()
