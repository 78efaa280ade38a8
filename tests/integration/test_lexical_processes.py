"""Processes sharing one index see each other's lexical writes at their next question, without a
restart or a rebuild: locally (one data dir) and through a real `chroma run` server."""

from __future__ import annotations

import pytest

from retrieval.answering.search import Searcher
from retrieval.indexing.lexical_store import LexicalStore
from retrieval.indexing.store import NewsIndex
from retrieval.settings import Settings
from retrieval.types import Article
from tests.helpers import run_newsbot

FIRST = Article(title="Harbour festival", text="Fireworks lit up the harbour on Saturday.", source="Metro", key="f")
ZORBLAX = "Zorblax found\n\nScientists found a zorblax in the lake near the observatory.\n"


def forbid(*args, **kwargs):
    raise AssertionError("the lexical index was re-read from Chroma")


def _zorblax_folder(tmp_path):
    folder = tmp_path / "incoming"
    folder.mkdir()
    (folder / "zorblax.txt").write_text(ZORBLAX, encoding="utf-8")
    return folder


def test_a_second_local_process_writes_and_this_one_sees_it(tmp_path, embeddings, monkeypatch):
    settings = Settings(data_dir=tmp_path / "data", threads=1)
    index = NewsIndex.open(settings, embeddings=embeddings)
    index.add_articles([FIRST])
    searcher = Searcher(index, settings)
    assert searcher.search("zorblax", mode="bm25") == []
    monkeypatch.setattr(LexicalStore, "sync", forbid)  # the file itself carries the other process's write

    done = run_newsbot("ingest", str(_zorblax_folder(tmp_path)), data_dir=settings.data_dir)
    assert done.returncode == 0, done.stderr
    hits = searcher.search("zorblax observatory")
    assert hits and hits[0].article.title == "Zorblax found"

    article_id = hits[0].article.id
    assert run_newsbot("delete", article_id, data_dir=settings.data_dir).returncode == 0
    assert searcher.search("zorblax", mode="bm25") == []


@pytest.mark.parametrize("same_data_dir", [True, False])
def test_processes_sharing_a_chroma_server_see_each_others_writes(chroma_server, tmp_path, embeddings, same_data_dir):
    host, port = chroma_server
    collection = f"lex{int(same_data_dir)}"
    settings = Settings(data_dir=tmp_path / "here", chroma_host=host, chroma_port=port, collection=collection, threads=1)
    index = NewsIndex.open(settings, embeddings=embeddings)
    index.add_articles([FIRST])
    searcher = Searcher(index, settings)
    assert searcher.search("zorblax", mode="bm25") == []

    # The other process: the same data dir (one lexical file, shared), or its own (reconciled via Chroma).
    other = settings.data_dir if same_data_dir else tmp_path / "elsewhere"
    env = {"CHROMA_HOST": host, "CHROMA_PORT": str(port), "NEWSBOT_COLLECTION": collection}
    done = run_newsbot("ingest", str(_zorblax_folder(tmp_path)), data_dir=other, env=env)
    assert done.returncode == 0, done.stderr
    hits = searcher.search("zorblax observatory")
    assert hits and hits[0].article.title == "Zorblax found"
    asked = run_newsbot("ask", "--json", "What lit up the harbour?", data_dir=other, env=env)
    assert asked.returncode == 0 and "Fireworks lit up the harbour" in asked.stdout  # and it sees ours

    assert run_newsbot("delete", hits[0].article.id, data_dir=other, env=env).returncode == 0
    assert searcher.search("zorblax", mode="bm25") == []
