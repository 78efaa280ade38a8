"""The Chroma index: idempotent, incremental, duplicate-free, crash-safe, and honest about its model."""

from __future__ import annotations

import pytest

from retrieval.errors import EmbeddingMismatchError, IndexUnavailableError
from retrieval.indexing.store import NewsIndex
from retrieval.types import Article

TEXT_A = (
    "The council approved the new budget on Monday. It raises spending on schools by 4%.\n"
    "Opposition members said the plan was rushed. A final vote is due in March."
)
TEXT_B = "Heavy rain flooded the valley overnight. Rescue teams evacuated 300 residents.\nRoads remain closed."


def art(text: str, key: str, title: str = "Budget approved", **kw) -> Article:
    return Article(title=title, text=text, key=key, source="test", **kw)


@pytest.fixture
def index(settings, embeddings) -> NewsIndex:
    return NewsIndex.open(settings, embeddings)


def consistent(index: NewsIndex) -> None:
    """Every sentence and chunk belongs to a complete article, and every article has all of its sentences."""
    infos = {a.id: a for a in index.list_articles()}
    assert index.articles.count() == len(infos), "an article record is left pending"
    sent = index.sentences.get(include=["metadatas"])["metadatas"]
    assert {m["article_id"] for m in sent} <= set(infos)
    assert len(sent) == sum(a.n_sentences for a in infos.values())
    chunks = index.chunks.get(include=["metadatas"])["metadatas"]
    assert {m["article_id"] for m in chunks} <= set(infos)


def test_reingest_unchanged_writes_nothing(index):
    first = index.add_articles([art(TEXT_A, "/n/a.txt"), art(TEXT_B, "/n/b.txt", title="Floods")])
    assert (first.added, first.sentences) == (2, 7)
    version = index.version()
    again = index.add_articles([art(TEXT_A, "/n/a.txt"), art(TEXT_B, "/n/b.txt", title="Floods")])
    assert (again.added, again.unchanged, again.sentences) == (0, 2, 0)
    assert index.version() == version
    consistent(index)


def test_changed_article_replaces_old_sentences(index):
    index.add_articles([art(TEXT_A, "/n/a.txt")])
    old_id = art(TEXT_A, "/n/a.txt").id
    report = index.add_articles([art(TEXT_A + " It passed 30 to 12.", "/n/a.txt")])
    assert (report.replaced, report.added) == (1, 0)
    assert index.get_article(old_id) is None
    assert not index.sentences.get(where={"article_id": old_id})["ids"]
    assert index.stats()["articles"] == 1
    consistent(index)


def test_same_text_under_two_names_is_stored_once(index):
    report = index.add_articles([art(TEXT_A, "/n/a.txt"), art(TEXT_A, "/n/copy.txt")])
    assert (report.added, report.duplicates) == (1, 1)
    assert index.stats()["sentences"] == 4
    # pruning one name keeps the article; pruning both removes it
    assert index.prune({"/n/a.txt"}, "/n") == []
    assert index.stats()["articles"] == 1
    assert index.prune(set(), "/n") == [art(TEXT_A, "").id]
    assert index.stats()["sentences"] == 0
    consistent(index)


def test_delete_removes_everything_of_an_article(index):
    index.add_articles([art(TEXT_A, "/n/a.txt"), art(TEXT_B, "/n/b.txt", title="Floods")])
    aid = art(TEXT_A, "").id
    assert index.delete_article(aid) is True
    assert index.delete_article(aid) is False
    assert not index.chunks.get(where={"article_id": aid})["ids"]
    assert index.stats()["articles"] == 1
    consistent(index)


def test_sentences_keep_exact_offsets_and_metadata(index):
    a = art(TEXT_B, "/n/b.txt", title="Floods", url="https://example.org/floods", published_at="2024-12-27T10:00:00Z")
    index.add_articles([a])
    sentences = index.get_sentences(a.id)
    assert [s.index for s in sentences] == [0, 1, 2]
    assert all(a.text[s.start : s.end] == s.text for s in sentences)
    info = index.get_article(a.id)
    assert (info.url, info.published_at, info.n_sentences) == ("https://example.org/floods", "2024-12-27T10:00:00Z", 3)
    hits = index.query_sentences(index.embeddings.embed_query("How many residents were evacuated?"), 1)
    assert hits[0][0].text == "Rescue teams evacuated 300 residents."
    (sid, sim), = index.nearest_sentence_ids(index.embeddings.embed_query("How many residents were evacuated?"), 1)
    assert (sid, sim) == (hits[0][0].id, pytest.approx(hits[0][1]))
    # Sentence records hold no copy of their text either: it is cut from the article's.
    assert index.sentences.get(ids=[sid], include=["documents"])["documents"] == [None]
    index.sentences.update(ids=[sid], documents=["an old index's copy"])
    assert index.get_sentences(a.id, 1, 1)[0].text == "an old index's copy"
    (chunk, score), = index.query_chunks(index.embeddings.embed_query("flooded valley evacuation"), 5)
    assert (chunk.first, chunk.last) == (0, 2) and chunk.text == a.text[chunk.start : chunk.end] and score > 0.3
    # The chunk record holds no copy of the text (Chroma would index it for full-text search): it is
    # cut from the article's on reading.
    assert index.chunks.get(ids=[chunk.id], include=["documents"])["documents"] == [None]
    index.chunks.update(ids=[chunk.id], documents=["as an index from before stored it"])  # such an index reads as it is
    assert index.query_chunks(index.embeddings.embed_query("flooded valley evacuation"), 5)[0][0].text == (
        "as an index from before stored it"
    )


def test_searching_and_writing_never_count_a_collection(index, monkeypatch):
    """Chroma's count() reads a row per record (it grows with the corpus): a query asks for k and
    gets what there is, and the story check of a write does the same."""
    index.add_articles([art(TEXT_A, "/n/a.txt")])

    def no_count(self):
        raise AssertionError("count() on the question or write path")

    monkeypatch.setattr(type(index.sentences), "count", no_count)
    index.add_articles([art(TEXT_B, "/n/b.txt", title="Floods")])  # its story neighbours are queried
    hits = index.query_sentences(index.embeddings.embed_query("How many residents were evacuated?"), 50)
    assert len(hits) == 7 and hits[0][0].text == "Rescue teams evacuated 300 residents."
    assert index.query_sentences(index.embeddings.embed_query("rain"), 5, where={"source": "nowhere"}) == []


def test_interrupted_write_is_undone_on_next_write(index, monkeypatch):
    """A writer that dies after marking articles pending leaves nothing half-visible."""
    index.add_articles([art(TEXT_A, "/n/a.txt")])
    calls = {"n": 0}
    real = NewsIndex._upsert

    def dying_upsert(collection, *args):
        calls["n"] += 1
        if calls["n"] == 2:  # after the article records, before their sentences
            raise KeyboardInterrupt
        return real(collection, *args)

    monkeypatch.setattr(NewsIndex, "_upsert", staticmethod(dying_upsert))
    with pytest.raises(KeyboardInterrupt):
        index.add_articles([art(TEXT_B, "/n/b.txt", title="Floods")])
    monkeypatch.setattr(NewsIndex, "_upsert", staticmethod(real))
    assert index.stats()["articles"] == 1  # the pending one is not listed
    report = index.add_articles([art(TEXT_B, "/n/b.txt", title="Floods")])
    assert report.added == 1
    consistent(index)


def test_index_refuses_another_embedding_model(index, settings, embeddings):
    index.add_articles([art(TEXT_A, "/n/a.txt")])
    with pytest.raises(EmbeddingMismatchError, match="minilm-l6-int8"):
        NewsIndex.open(settings.with_(embeddings="ollama:nomic-embed-text"), embeddings)
    assert NewsIndex.open(settings, embeddings).stats()["articles"] == 1  # still intact


def test_unwritable_index_folder_is_a_clear_error(tmp_path, settings, embeddings):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(IndexUnavailableError, match="not writable.*--data-dir"):
        NewsIndex.open(settings.with_(data_dir=blocker / "data"), embeddings)


def test_opening_never_removes_another_openers_write_probe(settings, embeddings):
    # Two processes opening one folder at once both probe it; one used to delete the other's probe
    # between its write and its unlink, and that process then failed with "not writable".
    settings.index_dir.mkdir(parents=True)
    others = [settings.index_dir / ".write-test", settings.index_dir / ".write-test-other"]
    for probe in others:
        probe.write_text("another process is probing")
    NewsIndex.open(settings, embeddings)
    assert all(p.read_text() == "another process is probing" for p in others)
    assert sorted(settings.index_dir.glob(".write-test*")) == sorted(others)  # its own probe is gone


def test_corrupt_index_is_a_clear_error_and_is_left_alone(settings, embeddings):
    settings.index_dir.mkdir(parents=True)
    db = settings.index_dir / "chroma.sqlite3"
    db.write_bytes(b"this is not a database" * 100)
    with pytest.raises(IndexUnavailableError, match="corrupt"):
        NewsIndex.open(settings, embeddings)
    assert db.read_bytes().startswith(b"this is not a database")


def test_collection_reopens_with_registered_embedding_function(index, settings):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    index.add_articles([art(TEXT_B, "/n/b.txt", title="Floods")])
    client = chromadb.PersistentClient(path=str(settings.index_dir), settings=ChromaSettings(anonymized_telemetry=False))
    coll = client.get_collection(f"{settings.collection}_sentences")  # no embedding function passed
    res = coll.query(query_texts=["evacuated residents"], n_results=1)
    m = res["metadatas"][0][0]  # a sentence is its article's text [start:end]
    article = client.get_collection(f"{settings.collection}_articles").get(ids=[m["article_id"]])["documents"][0]
    assert article[m["start"] : m["end"]] == "Rescue teams evacuated 300 residents."


def test_chroma_server_mode(chroma_server, settings, embeddings):
    host, port = chroma_server
    remote = settings.with_(chroma_host=host, chroma_port=port, collection="servertest")
    index = NewsIndex.open(remote, embeddings)
    index.add_articles([art(TEXT_A, "/n/a.txt")])
    reopened = NewsIndex.open(remote, embeddings)  # a second client sees the same data
    figures = reopened.stats()
    assert (figures["articles"], figures["sentences"], figures["size_bytes"]) == (1, 4, None)
    assert reopened.add_articles([art(TEXT_A, "/n/a.txt")]).unchanged == 1


def test_unreachable_chroma_server_is_a_clear_error(settings, embeddings):
    from tests.helpers import free_port

    with pytest.raises(IndexUnavailableError, match="chroma run"):
        NewsIndex.open(settings.with_(chroma_host="127.0.0.1", chroma_port=free_port()), embeddings)
