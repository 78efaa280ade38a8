"""`newsbot ingest / stats / delete` as a user runs them, including a SIGKILL half way."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time

from retrieval.indexing.store import WRITE_BATCH_ARTICLES
from tests.helpers import DATASETS, REPO, SEEDS, run_newsbot

BBC = DATASETS / "bbc_news_2225"


def stats(data_dir) -> dict:
    out = run_newsbot("stats", "--json", data_dir=data_dir)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_ingest_seeds_then_stats_and_rerun(tmp_path):
    data = tmp_path / "data"
    first = run_newsbot("ingest", str(SEEDS), data_dir=data)
    assert first.returncode == 0, first.stderr
    assert "1 added" in first.stdout
    figures = stats(data)
    assert figures["articles"] == 1 and figures["sentences"] >= 14 and figures["chunks"] >= 3
    assert all(isinstance(figures[k], int) for k in ("articles", "sentences", "chunks"))
    again = run_newsbot("ingest", str(SEEDS), data_dir=data)
    assert "0 added" in again.stdout and "1 unchanged" in again.stdout
    human = run_newsbot("stats", data_dir=data)
    assert "articles" in human.stdout and "size on disk" in human.stdout


def test_bad_inputs_are_skipped_with_reasons_and_the_rest_ingested(tmp_path):
    corpus = tmp_path / "in"
    corpus.mkdir()
    shutil.copy(SEEDS / os.listdir(SEEDS)[0], corpus / "good.txt")
    (corpus / "empty.txt").write_text("")
    (corpus / "binary.txt").write_bytes(bytes(range(256)) * 8)
    (corpus / "notes.xyz").write_text("what is this")
    (corpus / "broken.jsonl").write_text('{"title": "T", "text": "Valid record here. It has text."}\n{not json\n')
    data = tmp_path / "data"
    out = run_newsbot("ingest", str(corpus), str(tmp_path / "missing"), data_dir=data)
    assert out.returncode == 0, out.stderr
    assert "2 added" in out.stdout
    err = out.stderr
    for name in ("empty.txt", "binary.txt", "notes.xyz", "broken.jsonl:2", "missing"):
        assert name in err, f"{name} not reported in:\n{err}"
    assert "Traceback" not in err
    # nothing ingestible at all: non-zero exit, and what was stored stays
    only_bad = run_newsbot("ingest", str(corpus / "empty.txt"), data_dir=data)
    assert only_bad.returncode != 0 and "nothing could be ingested" in only_bad.stderr
    assert stats(data)["articles"] == 2


def test_delete_and_prune(tmp_path):
    corpus = tmp_path / "in"
    corpus.mkdir()
    for name in ("001.txt", "002.txt", "003.txt"):
        shutil.copy(BBC / "business" / name, corpus / name)
    data = tmp_path / "data"
    assert run_newsbot("ingest", str(corpus), data_dir=data).returncode == 0
    assert stats(data)["articles"] == 3
    (corpus / "003.txt").unlink()
    pruned = run_newsbot("ingest", "--prune", str(corpus), data_dir=data)
    assert "1 deleted" in pruned.stdout, pruned.stdout
    from retrieval.indexing.store import NewsIndex
    from retrieval.settings import Settings

    ids = [a.id for a in NewsIndex.open(Settings(data_dir=data, threads=1)).list_articles()]
    deleted = run_newsbot("delete", ids[0], data_dir=data)
    assert deleted.returncode == 0 and f"deleted {ids[0]}" in deleted.stdout
    assert stats(data)["articles"] == 1
    unknown = run_newsbot("delete", "a0000000000000000", data_dir=data)
    assert unknown.returncode == 1 and "no article with id" in unknown.stderr


def test_sigkill_half_way_then_rerun_leaves_a_complete_index(tmp_path):
    corpus = tmp_path / "in"
    corpus.mkdir()
    files = sorted((BBC / "politics").glob("*.txt"))[: WRITE_BATCH_ARTICLES + 40]
    for f in files:
        shutil.copy(f, corpus / f.name)
    data = tmp_path / "data"
    env = {**os.environ, "NEWSBOT_DATA_DIR": str(data), "NEWSBOT_THREADS": "1", "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "ingest", "--progress", str(corpus)],
        cwd=REPO, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
    )
    # tqdm redraws "N/total" on stderr as articles are stored; kill once the first write batch is
    # stored, while the next one is being embedded
    seen, buf = 0, b""
    deadline = time.monotonic() + 240
    while seen < WRITE_BATCH_ARTICLES and time.monotonic() < deadline and proc.poll() is None:
        buf += os.read(proc.stderr.fileno(), 256)
        for part in buf.replace(b"\r", b"\n").split(b"\n"):
            head = part.split(f"/{len(files)}".encode())[0].split(b"|")[-1].strip()
            if head.isdigit():
                seen = max(seen, int(head))
    assert proc.poll() is None, "ingest finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    again = run_newsbot("ingest", str(corpus), data_dir=data)
    assert again.returncode == 0, again.stderr
    from retrieval.indexing.store import NewsIndex
    from retrieval.settings import Settings

    index = NewsIndex.open(Settings(data_dir=data, threads=1))
    infos = index.list_articles()
    unique_texts = {f.read_bytes() for f in corpus.iterdir()}
    assert len(infos) == len(unique_texts)
    assert index.articles.count() == len(infos)  # nothing pending
    metas = index.sentences.get(include=["metadatas"])["metadatas"]
    assert len(metas) == sum(a.n_sentences for a in infos)  # no duplicates, no partial articles
    assert {m["article_id"] for m in metas} == {a.id for a in infos}
    assert all(a.story_id for a in infos)  # stories are written with their articles: none lost, none half-made
    assert set(index.articles.get(include=[])["ids"]) == {a.id for a in infos}
