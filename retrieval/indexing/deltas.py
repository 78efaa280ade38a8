"""A write keeps what is derived from Chroma in step from its own changes, not by re-reading the corpus.

Two things are derived from the Chroma collections: the story LSH (`retrieval.stories`, its table
`story_table.py`) and the lexical file (`lexical_store.py`); both live in the lexical SQLite file,
shared by the processes of one data dir. A write changes both as it goes (its new articles are
added to each, its deleted ones removed from each), so at its end only markers move: the file's
`synced` (the Chroma version it reflects) and the story table's (`stories_synced`). The
corpus is read again only when the markers say that something happened which this write did not
do itself:

- another process wrote: Chroma's version at the end of the write is not the one it started from,
  or the file did not reflect that version when the write started;
- a write failed or was killed part-way: before its first change, a write records a token of its
  own in the file (`writing`), which only its own end clears, so a crash leaves the token behind
  and the next writer reconciles (readers keep reading the file meanwhile, as they do while a
  write is under way; the same in-between state as before this module, healed by the next write).

Reconciling is itself incremental: Chroma's article ids (no metadata) against the file's, then the
records and sentences of the missing articles only (`LexicalStore.sync`); the story table does
the same with its own token and marker (`StoryBook._catch_up`). Key changes (a duplicate under a
new name, a key moved or pruned) are copied for the articles they touched only.
"""

from __future__ import annotations

import uuid


class WriteDeltas:
    """One writer's view of a write in progress: the version it started from and what it touched."""

    def __init__(self, index) -> None:  # a store.NewsIndex (not imported: store imports this module)
        self.index = index
        self._before = ""  # Chroma's version when the current write started
        self._token: str | None = None  # recorded in the file while this write changes the index
        self._file_in_step = False  # the file reflected `_before` when this write started changing
        self._keys_changed: set[str] = set()  # articles whose keys this write changed

    def begin(self) -> None:
        """At the start of every write, under the index's write lock."""
        self._before = self.index.version()
        self._token, self._file_in_step = None, False
        self._keys_changed.clear()
        self.index.stories.begin(self._before)

    def changing(self) -> None:
        """Before the write's first change to Chroma or the lexical file (cheap after the first)."""
        if self._token is None:
            lexical = self.index.lexical
            self._file_in_step = lexical.synced() == self._before and not lexical.writing()
            self._token = uuid.uuid4().hex[:12]
            lexical.start_write(self._token)

    def keys_changed(self, article_id: str) -> None:
        """A stored article gained or lost a key in this write (its copy in the file is updated at the end)."""
        self._keys_changed.add(article_id)

    def finish(self, reconcile: bool = False) -> None:
        """After a write that changed something: a new version; the file and the LSH move to it
        (`reconcile`: check the file against Chroma even if its marker says it is in step)."""
        index = self.index
        meta = dict(index.client.get_collection(index.sentences.name).metadata or {})
        found = str(meta.get("version", "v0"))
        new = meta["version"] = uuid.uuid4().hex[:12]
        meta.pop("hnsw:space", None)
        lexical = index.lexical
        if self._token:  # the file was in step when this write began changing, and no other write has begun since
            in_step = self._file_in_step and lexical.writing() == self._token and lexical.synced() == self._before
        else:
            in_step = lexical.synced() == self._before and not lexical.writing()
        if in_step and found == self._before and not reconcile:
            lexical.advance(new, index.keys.keys_of_many(self._keys_changed))
        else:  # another process wrote, a write died, or the file was behind: add what it lacks, drop what Chroma lost
            lexical.sync(index.articles, index.sentences, new, index.keys.all_keys())
        index.sentences.modify(metadata=meta)
        index.stories.committed(self._before, found, new)
        self._token = None
        self._keys_changed.clear()
