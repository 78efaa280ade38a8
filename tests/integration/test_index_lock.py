"""Finding 2 of issue 11: one writer at a time on a local index; readers never wait."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from retrieval.errors import IndexBusyError
from retrieval.indexing.lock import IndexWriteLock
from retrieval.indexing.store import NewsIndex
from retrieval.sources.feeds import add_feed, refresh_feeds
from retrieval.types import Article
from tests.helpers import DATASETS, REPO, SEED_QUESTION, SEEDS, run_newsbot

HOLDER = """
import sys
from pathlib import Path
from retrieval.indexing.lock import IndexWriteLock
lock = IndexWriteLock(Path(sys.argv[1]), timeout=30)
lock.acquire()
print("held", flush=True)
sys.stdin.read()
lock.release()
"""


@contextlib.contextmanager
def held_by_another_process(data_dir: Path):
    """Another process holds the index write lock until the block ends."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(data_dir)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=REPO
    )
    try:
        assert proc.stdout.readline().strip() == "held"
        yield
    finally:
        proc.stdin.close()
        proc.wait(30)


def test_lock_is_exclusive_between_processes_and_reentrant_within_one(tmp_path):
    data = tmp_path / "data"
    lock = IndexWriteLock(data, timeout=1)
    assert IndexWriteLock(data) is lock  # one per folder and process: threads share it
    with lock, lock:  # nested writes in one thread never deadlock
        assert lock.held
    with held_by_another_process(data):
        with pytest.raises(IndexBusyError, match=r"another newsbot process is writing .* CHROMA_HOST"):
            lock.acquire(timeout=0.2)
    with lock:
        pass  # free again once the other process is done


def test_threads_of_one_process_take_turns(tmp_path):
    lock = IndexWriteLock(tmp_path / "data", timeout=5)
    inside, overlaps = [], []

    def work():
        for _ in range(50):
            with lock:
                inside.append(1)
                if len(inside) > 1:
                    overlaps.append(1)
                inside.pop()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not overlaps


def test_a_second_writer_waits_then_fails_in_one_line_and_readers_never_block(tmp_path):
    data = tmp_path / "data"
    first = run_newsbot("ingest", str(SEEDS), data_dir=data)
    assert first.returncode == 0, first.stderr
    extra = tmp_path / "extra.txt"
    extra.write_text("Harbour ferry returns\n\nThe ferry to the outer islands runs again from Monday, the port said.\n")
    busy = {"NEWSBOT_LOCK_TIMEOUT": "0.5"}
    with held_by_another_process(data):
        for args in (("ingest", str(extra)), ("delete", "a0000000000000000")):
            out = run_newsbot(*args, data_dir=data, env=busy)
            assert out.returncode == 1, out.stdout
            lines = out.stderr.strip().splitlines()
            assert len(lines) == 1 and "another newsbot process is writing" in lines[0], out.stderr
            assert "NEWSBOT_LOCK_TIMEOUT" in lines[0] and "CHROMA_HOST" in lines[0]
        stats = run_newsbot("stats", "--json", data_dir=data, env=busy)
        assert stats.returncode == 0 and json.loads(stats.stdout)["articles"] == 1
        asked = run_newsbot("ask", SEED_QUESTION, data_dir=data, env=busy)
        assert asked.returncode == 0 and "88" in asked.stdout
    again = run_newsbot("ingest", str(extra), data_dir=data)
    assert again.returncode == 0 and "1 added" in again.stdout


def test_a_feed_refresh_and_an_in_process_write_respect_the_lock(tmp_path, server, settings, embeddings):
    settings = settings.with_(allow_private_urls=True, lock_timeout=0.3, fetch_timeout=2)
    server.file("/rss2.xml", "rss2.xml", "application/rss+xml")
    server.file("/articles/ferry.html?utm_source=rss", "ferry.html")
    server.file("/articles/library.html", "library.html")
    index = NewsIndex.open(settings, embeddings=embeddings)
    add_feed(settings, server.url("/rss2.xml"))
    with held_by_another_process(settings.data_dir):
        with pytest.raises(IndexBusyError):
            index.add_articles([Article(title="T", text="A short article about the harbour. It has two sentences.")])
        with pytest.raises(IndexBusyError):
            refresh_feeds(index, settings)
    assert index.list_articles() == []
    report = refresh_feeds(index, settings)  # the entries left pending are stored now
    assert report.added == 2


@pytest.mark.slow
def test_two_ingests_at_once_leave_a_consistent_index(tmp_path):
    bbc = sorted((DATASETS / "bbc_news_2225").rglob("*.txt"))[:40]
    halves = []
    for i, files in enumerate((bbc[:20], bbc[20:])):
        folder = tmp_path / f"part{i}"
        folder.mkdir()
        for f in files:
            (folder / f"{f.parent.name}-{f.name}").write_bytes(f.read_bytes())
        halves.append(folder)
    data = tmp_path / "data"
    run_newsbot("ingest", str(SEEDS), data_dir=data)  # both writers then open an existing index
    env = {"NEWSBOT_DATA_DIR": str(data), "NEWSBOT_THREADS": "1", "NEWSBOT_LOCK_TIMEOUT": "600"}
    procs = [
        subprocess.Popen([sys.executable, "-m", "bot", "ingest", str(h)], cwd=REPO, env={**__import__("os").environ, **env},
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for h in halves
    ]
    outs = [p.communicate(timeout=900) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    from retrieval.settings import Settings

    index = NewsIndex.open(Settings(data_dir=data, threads=1))
    sentences = index.sentences.get(include=["embeddings", "documents"])  # raised "Error getting embedding" before
    assert len(sentences["ids"]) == index.sentences.count()
    for sid, vector in list(zip(sentences["ids"], sentences["embeddings"]))[::25]:
        nearest = index.sentences.query(query_embeddings=[vector], n_results=3, include=[])
        assert sid in nearest["ids"][0]
