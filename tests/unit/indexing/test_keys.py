"""Article keys live in a key table (one Chroma record per key); older indexes are migrated on open.

`tests/data/indexes/index_v1.tar.gz` is an index built by newsbot before the key table (main at
e4dcfdd: the seed article from a file, one text under three keys, one under one key), keys stored as
a JSON list in each article's metadata.
"""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest

from retrieval.indexing.keys import KeyTable, key_id
from retrieval.indexing.store import NewsIndex
from retrieval.types import Article

OLD_INDEX = Path(__file__).resolve().parents[2] / "data" / "indexes" / "index_v1.tar.gz"
FERRY = "The harbour council approved the new ferry timetable on Monday."
FERRY_KEYS = ["https://ex.org/ferry", "https://ex.org/mirror/ferry", "/news/ferry.txt"]


@pytest.fixture
def old_index(settings):
    settings.data_dir.mkdir(parents=True)
    with tarfile.open(OLD_INDEX) as tar:
        tar.extractall(settings.data_dir, filter="data")
    return settings


def stored_metadata(index: NewsIndex) -> list[dict]:
    return index.articles.get(include=["metadatas"])["metadatas"]


def test_an_index_built_before_the_key_table_is_migrated_on_open(old_index, embeddings, monkeypatch):
    index = NewsIndex.open(old_index, embeddings=embeddings)
    assert index.keys.migrated and index.keys.collection.count() == 5  # 3 + 1 + the seed file
    assert not any("keys" in m for m in stored_metadata(index))  # the lists are gone from the metadata
    ferry = index.find_by_key("https://ex.org/mirror/ferry")
    assert ferry.title == "Ferry" and {index.find_by_key(k).id for k in FERRY_KEYS} == {ferry.id}
    assert index.keys.keys_of(ferry.id) == FERRY_KEYS  # in the order they were stored
    seed = next(a for a in index.list_articles() if a.title not in ("Ferry", "Roof"))
    assert seed.key.endswith("000_51027276e70fa455.txt") and index.find_by_key(seed.key).id == seed.id

    # Writing works as before: a new text under one key replaces only that key's link.
    index.add_articles([Article(title="Ferry", text=FERRY + " It starts in May.", key="https://ex.org/ferry")])
    assert index.find_by_key("https://ex.org/ferry").id != ferry.id
    assert index.find_by_key("/news/ferry.txt").id == ferry.id
    assert index.add_articles([Article(title="Ferry", text=FERRY, key="/news/ferry.txt")]).unchanged == 1

    # Once is enough: opening again does not migrate again.
    monkeypatch.setattr(KeyTable, "migrate", lambda *a: pytest.fail("migrated twice"))
    again = NewsIndex.open(old_index, embeddings=embeddings)
    assert again.find_by_key("https://ex.org/mirror/ferry").id == ferry.id


@pytest.mark.parametrize("crash_at", ["update", "modify"])
def test_an_interrupted_migration_is_finished_by_the_next_open(old_index, embeddings, monkeypatch, crash_at):
    """Killed after the keys were copied but before the lists were dropped, or before the table was marked."""
    import chromadb.api.models.Collection as collection_module

    real = getattr(collection_module.Collection, crash_at)

    def crash(self, *args, **kwargs):
        if self.name.endswith("_articles" if crash_at == "update" else "_keys"):
            raise KeyboardInterrupt  # what a kill looks like to the code in between
        return real(self, *args, **kwargs)

    monkeypatch.setattr(collection_module.Collection, crash_at, crash)
    with pytest.raises(KeyboardInterrupt):
        NewsIndex.open(old_index, embeddings=embeddings)
    monkeypatch.undo()

    index = NewsIndex.open(old_index, embeddings=embeddings)
    assert index.keys.migrated and index.keys.collection.count() == 5
    ferry = index.find_by_key("https://ex.org/ferry")
    assert index.keys.keys_of(ferry.id) == FERRY_KEYS and not any("keys" in m for m in stored_metadata(index))


def test_each_key_is_one_record_and_duplicates_touch_no_article(settings, embeddings):
    index = NewsIndex.open(settings, embeddings=embeddings)
    index.add_articles([Article(title="Ferry", text=FERRY, key="feed#0")])
    before = stored_metadata(index)
    report = index.add_articles([Article(title="Ferry", text=FERRY, key=f"feed#{i}") for i in range(1, 301)])
    assert report.duplicates == 300 and index.keys.collection.count() == 301
    assert stored_metadata(index) == before  # the article's record was not rewritten
    got = index.keys.collection.get(ids=[key_id("feed#42")], include=["metadatas"])["metadatas"]
    assert got == [{"key": "feed#42", "article_id": index.find_by_key("feed#0").id}]


def test_deleting_and_pruning_remove_the_keys(settings, embeddings, tmp_path):
    index = NewsIndex.open(settings, embeddings=embeddings)
    folder = str(tmp_path / "news")
    index.add_articles([
        Article(title="Ferry", text=FERRY, key=f"{folder}/a.txt"),
        Article(title="Ferry", text=FERRY, key=f"{folder}/b.txt"),
        Article(title="Roof", text="Builders replaced the school roof after the storm.", key=f"{folder}/c.txt"),
    ])
    ferry, roof = index.find_by_key(f"{folder}/a.txt"), index.find_by_key(f"{folder}/c.txt")
    assert index.prune({f"{folder}/b.txt", f"{folder}/c.txt"}, folder) == []  # b still names the ferry
    assert index.find_by_key(f"{folder}/a.txt") is None and index.find_by_key(f"{folder}/b.txt").id == ferry.id
    assert index.prune({f"{folder}/c.txt"}, folder) == [ferry.id] and index.get_article(ferry.id) is None
    assert index.delete_article(roof.id)
    assert index.keys.collection.count() == 0


def test_the_key_table_is_shared_by_every_process_on_a_chroma_server(chroma_server, settings, embeddings):
    host, port = chroma_server
    shared = settings.with_(chroma_host=host, chroma_port=port, collection="keys_shared")
    writer = NewsIndex.open(shared, embeddings=embeddings)
    reader = NewsIndex.open(shared.with_(data_dir=settings.data_dir / "elsewhere"), embeddings=embeddings)
    writer.add_articles([Article(title="Ferry", text=FERRY, key="https://ex.org/ferry")])
    assert reader.find_by_key("https://ex.org/ferry").title == "Ferry"
    # A copy stored by the second process is recognised as one: the key table is the same.
    report = reader.add_articles([Article(title="Ferry", text=FERRY, key="https://ex.org/mirror/ferry")])
    assert report.duplicates == 1 and writer.keys.keys_of(writer.find_by_key("https://ex.org/ferry").id) == [
        "https://ex.org/ferry",
        "https://ex.org/mirror/ferry",
    ]
