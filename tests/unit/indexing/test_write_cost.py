"""A write reads what it changes, not the corpus: no listing of every article record or key, in the
same process or after another process wrote; and what a dead write leaves is still reconciled."""

from __future__ import annotations

import pytest
from chromadb.api.models.Collection import Collection

from retrieval.answering.search import Searcher
from retrieval.indexing.keys import KeyTable
from retrieval.indexing.lexical_store import LexicalStore
from retrieval.indexing.store import NewsIndex
from retrieval.stories import StoryBook
from retrieval.types import Article
from tests.unit.test_stories import UPDATE, WIRE, art

TOPICS = ["harbour", "budget", "election", "floods", "football", "railway", "museum", "vaccine"]


def corpus(n: int) -> list[Article]:
    return [
        Article(title=f"Report {i} on the {TOPICS[i % len(TOPICS)]}", key=f"/n/{i}.txt", source="wire",
                text=f"Report number {i} says the {TOPICS[i % len(TOPICS)]} story moved on day {i}. "
                     f"Officials gave {i * 7} reasons and {i * 3} figures about the {TOPICS[(i + 3) % len(TOPICS)]}.")
        for i in range(n)
    ]


@pytest.fixture
def reads(monkeypatch):
    """Every Chroma `get` made: (collection name, arguments)."""
    calls: list[tuple[str, dict]] = []
    real = Collection.get

    def get(self, *args, **kwargs):
        calls.append((self.name, kwargs))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Collection, "get", get)
    return calls


def whole_listings(calls: list[tuple[str, dict]]) -> list[tuple[str, dict]]:
    """Reads of article or key records not by id nor by article: every record, or every complete one (O(corpus))."""
    targeted = ({"status": "pending"},)  # what a killed writer left: a handful
    return [
        (name, kw) for name, kw in calls
        if name.endswith(("_articles", "_keys")) and not kw.get("ids") and kw.get("include") != []
        and kw.get("where") not in targeted and "article_id" not in (kw.get("where") or {})
    ]


def no_full_sync(*args, **kwargs):
    raise AssertionError("a full reconcile ran")


def test_adding_one_article_reads_no_listing_of_the_corpus(settings, embeddings, reads, monkeypatch):
    index = NewsIndex.open(settings, embeddings)
    index.add_articles(corpus(40) + [art(WIRE, "/n/wire.txt")])  # a process's first write may read everything once
    searcher = Searcher(index, settings)
    searcher.search("harbour")
    reads.clear()
    monkeypatch.setattr(LexicalStore, "sync", no_full_sync)
    monkeypatch.setattr(KeyTable, "all_keys", no_full_sync)

    report = index.add_articles([art(UPDATE, "/n/update.txt", title="Update", source="Outlet")])
    assert report.added == 1
    assert whole_listings(reads) == []
    big = [(name, kw) for name, kw in reads if len(kw.get("ids") or []) > 2]
    assert big == []  # nothing read by id beyond the new article, its key and its neighbours
    # ... and everything derived from the corpus is still right: the copy joined its story, and is found
    assert index.find_by_key("/n/update.txt").story_id == index.find_by_key("/n/wire.txt").story_id
    assert [h.article.title for h in searcher.search("Tocuyito prison relatives", mode="bm25")][:1] == ["Update"]
    assert len(searcher.lexical().articles) == 42

    # a process whose write stores nothing new reads no records (nor builds the LSH)
    assert NewsIndex.open(settings, embeddings).add_articles(corpus(3)).unchanged == 3
    assert whole_listings(reads) == []

    # a duplicate under a new name and a delete: no listing either, and the keys are copied
    copy = art(UPDATE, "/n/copy.txt", title="Update", source="Outlet")
    assert index.add_articles([copy]).duplicates == 1
    assert index.delete_article(index.find_by_key("/n/wire.txt").id)
    assert whole_listings(reads) == []
    hit = searcher.search("Tocuyito prison relatives", mode="bm25")[0]
    assert set(hit.article.key.strip('[]"').split('", "')) == {"/n/update.txt", "/n/copy.txt"}


def test_after_another_process_wrote_only_its_articles_are_read(settings, embeddings, reads):
    mine = NewsIndex.open(settings, embeddings)
    mine.add_articles(corpus(30))
    mine.add_articles([corpus(31)[-1]])  # this process's LSH is built and in step
    other = NewsIndex.open(settings, embeddings)  # another process over the same data dir
    other.add_articles([art(WIRE, "/n/wire.txt")])
    reads.clear()

    mine.add_articles([art(UPDATE, "/n/update.txt", title="Update", source="Outlet")])
    assert whole_listings(reads) == []
    by_id = [kw["ids"] for name, kw in reads if name.endswith("_articles") and kw.get("ids") and kw.get("include")]
    assert all(len(ids) <= 2 for ids in by_id)  # the other process's article (and our own), not the corpus
    # the LSH caught up with the other process's write: the update joined the wire copy's story
    assert mine.find_by_key("/n/update.txt").story_id == mine.find_by_key("/n/wire.txt").story_id
    assert Searcher(mine, settings).search("Tocuyito prison", mode="bm25")


def test_a_delete_killed_between_chroma_and_the_lexical_file_is_reconciled(settings, embeddings, monkeypatch):
    index = NewsIndex.open(settings, embeddings)
    index.add_articles(corpus(5) + [art(WIRE, "/n/wire.txt")])
    searcher = Searcher(index, settings)
    assert searcher.search("Instagram penitentiary", mode="bm25")
    wire = index.find_by_key("/n/wire.txt").id

    def die(self, ids):
        raise KeyboardInterrupt  # Chroma has dropped the article; the lexical file has not

    monkeypatch.setattr(LexicalStore, "delete", die)
    with pytest.raises(KeyboardInterrupt):
        index.delete_article(wire)
    monkeypatch.undo()
    assert index.lexical.writing()  # the dead write's token stays in the file
    again = NewsIndex.open(settings, embeddings)  # the next writer (another process) reconciles
    again.add_articles([art(UPDATE, "/n/update.txt")])
    assert wire not in Searcher(again, settings).lexical().article_pos
    assert all(h.article.id != wire for h in searcher.search("Instagram penitentiary", mode="bm25"))
    assert not again.lexical.writing() and again.lexical.synced() == again.version()


def test_a_fresh_process_first_write_reads_no_corpus_nor_builds_the_story_lsh(settings, embeddings, reads, monkeypatch):
    """A one-off `newsbot ingest` (cron): the story LSH is on disk, looked up by the new article's band keys."""
    first = NewsIndex.open(settings, embeddings)
    first.add_articles(corpus(40) + [art(WIRE, "/n/wire.txt")])
    reads.clear()
    monkeypatch.setattr(StoryBook, "_catch_up", no_full_sync)  # the table is in step: nothing to rebuild
    monkeypatch.setattr(LexicalStore, "sync", no_full_sync)
    monkeypatch.setattr(KeyTable, "all_keys", no_full_sync)

    fresh = NewsIndex.open(settings, embeddings)  # another process, started for one write
    assert fresh.add_articles([art(UPDATE, "/n/update.txt", title="Update", source="Outlet")]).added == 1
    assert whole_listings(reads) == []
    assert [(name, kw) for name, kw in reads if len(kw.get("ids") or []) > 2] == []
    assert [kw for _, kw in reads if "complete" in str(kw.get("where"))] == []  # nor the backfill check's id listings
    monkeypatch.undo()
    # the copy still found the wire story (through the stored band keys), the table is in step
    assert fresh.find_by_key("/n/update.txt").story_id == fresh.find_by_key("/n/wire.txt").story_id
    assert fresh.stories.table.ids() == {a.id for a in fresh.list_articles()}
    assert fresh.stories.table.markers() == (fresh.version(), "")


def test_an_index_without_the_story_table_builds_it_once(settings, embeddings, reads):
    index = NewsIndex.open(settings, embeddings)
    index.add_articles(corpus(10) + [art(WIRE, "/n/wire.txt")])
    with index.lexical.db() as conn:  # as left by a version before the table: no rows, no markers
        conn.execute("DELETE FROM story_members")
        conn.execute("DELETE FROM story_bands")
        conn.execute("DELETE FROM meta WHERE key LIKE 'stories_%'")
    old = NewsIndex.open(settings, embeddings)
    old.add_articles([art(UPDATE, "/n/update.txt", title="Update", source="Outlet")])
    assert old.find_by_key("/n/update.txt").story_id == old.find_by_key("/n/wire.txt").story_id
    assert old.stories.table.ids() == {a.id for a in old.list_articles()}
    reads.clear()
    again = NewsIndex.open(settings, embeddings)  # built once: the next process reads no records
    again.add_articles([corpus(12)[-1]])
    assert whole_listings(reads) == []
