"""Finding 4 of issue 11: odd files are skipped, storage failures are one line, a full disk heals.

The disk-full test mounts a small tmpfs where the machine allows it (root in a container that
permits mounts); the same path is also tested everywhere by injecting the storage error.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from retrieval.errors import IndexWriteError
from retrieval.indexing.store import NewsIndex
from retrieval.types import Article
from tests.helpers import DATASETS, SEED_QUESTION, SEEDS, run_newsbot

GOOD = "Harbour ferry returns\n\nThe ferry to the outer islands runs again from Monday, the port authority said.\n"


def _no_traceback(out) -> None:
    assert "Traceback" not in out.stderr and "Error deserializing" not in out.stderr, out.stderr


def test_deeply_nested_json_and_yaml_are_skipped_and_the_rest_stored(tmp_path):
    corpus = tmp_path / "in"
    corpus.mkdir()
    (corpus / "good.txt").write_text(GOOD)
    (corpus / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (corpus / "deep.jsonl").write_text(
        json.dumps({"title": "Library hours", "text": "The library opens late on Thursdays from next week."})
        + "\n" + "[" * 100_000 + "]" * 100_000 + "\n"
    )
    (corpus / "deep.md").write_text("---\nx: " + "[" * 50_000 + "]" * 50_000 + "\n---\n# Title\n\nSome text here. More text.\n")
    data = tmp_path / "data"
    out = run_newsbot("ingest", str(corpus), data_dir=data)
    _no_traceback(out)
    assert out.returncode == 0, out.stderr
    assert "2 added" in out.stdout  # good.txt and the good line of deep.jsonl
    for name in ("deep.json", "deep.jsonl:2", "deep.md"):
        assert f"{name}: " in out.stderr and "nested too deeply" in out.stderr.split(f"{name}: ")[1].split("\n")[0]


def test_bytes_that_are_not_text_are_skipped_quickly(tmp_path):
    noise = bytes(range(0xA0, 0x100)) * 20_000  # 1.9 MB of high bytes: no encoding makes prose of it
    (tmp_path / "noise.txt").write_bytes(noise)
    (tmp_path / "c1.txt").write_bytes(("Normal words \u0085\u0090\u009b" * 200).encode())
    out = run_newsbot("ingest", str(tmp_path / "noise.txt"), str(tmp_path / "c1.txt"), data_dir=tmp_path / "data")
    assert out.returncode == 1 and out.stderr.count("binary file") == 2, out.stderr


def test_a_storage_error_is_one_line_and_the_next_write_works(settings, embeddings, monkeypatch):
    index = NewsIndex.open(settings, embeddings=embeddings)
    index.add_articles([Article(title="Ferry", text=GOOD)])
    real = index.sentences.upsert

    def disk_full(*args, **kwargs):
        from chromadb.errors import InternalError

        raise InternalError("Error in compaction: Failed to apply logs: No space left on device (os error 28)")

    monkeypatch.setattr(index.sentences, "upsert", disk_full)
    article = Article(title="Library", text="The library opens late on Thursdays. It closes at ten.")
    with pytest.raises(IndexWriteError, match=r"the disk is full\); free some space and run the command again") as err:
        index.add_articles([article])
    assert "\n" not in str(err.value)
    monkeypatch.setattr(index.sentences, "upsert", real)
    report = index.add_articles([article])  # the half-written article is cleaned up and written again
    assert report.added == 1
    assert sorted(a.title for a in index.list_articles()) == ["Ferry", "Library"]
    assert index.sentences.count() == len(index.sentences.get(include=["embeddings"])["ids"])


def test_a_write_stops_before_the_disk_fills(settings, embeddings, monkeypatch):
    index = NewsIndex.open(settings, embeddings=embeddings)
    usage = shutil.disk_usage(settings.index_dir)
    monkeypatch.setattr("retrieval.indexing.disk.shutil.disk_usage", lambda p: usage._replace(free=10 * 1024 * 1024))
    with pytest.raises(IndexWriteError, match=r"only 10 MB free .*NEWSBOT_MIN_FREE_MB=50 .*everything stored so far is kept"):
        index.add_articles([Article(title="Ferry", text=GOOD)])
    monkeypatch.undo()
    assert index.add_articles([Article(title="Ferry", text=GOOD)]).added == 1


def test_damaged_segments_left_by_a_full_disk_are_repaired(tmp_path):
    data = tmp_path / "data"
    assert run_newsbot("ingest", str(SEEDS), data_dir=data).returncode == 0
    segments = [p for p in (data / "chroma").iterdir() if p.is_dir()]
    assert segments
    for seg in segments:  # what a full disk left behind: Chroma's metadata file truncated to 0 bytes
        (seg / "index_metadata.pickle").write_bytes(b"")
    stats = run_newsbot("stats", "--json", data_dir=data)
    _no_traceback(stats)
    assert stats.returncode == 0 and json.loads(stats.stdout)["articles"] == 1
    asked = run_newsbot("ask", SEED_QUESTION, data_dir=data)
    assert asked.returncode == 0 and "88" in asked.stdout
    extra = tmp_path / "extra.txt"
    extra.write_text(GOOD)
    again = run_newsbot("ingest", str(extra), data_dir=data)
    assert again.returncode == 0 and "1 added" in again.stdout
    assert list((data / "damaged").iterdir()), "the damaged files are kept, not deleted"


def _mount_tmpfs(path: Path, size_mb: int) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs", str(path)], capture_output=True)
    return done.returncode == 0


@pytest.mark.slow
def test_a_full_disk_stops_ingest_cleanly_and_the_next_run_works(tmp_path):
    if shutil.which("mount") is None:
        pytest.skip("no mount command")
    disk = Path("/tmp") / f"newsbot-tmpfs-{uuid.uuid4().hex[:8]}"
    if not _mount_tmpfs(disk, 16):
        pytest.skip("this machine does not allow mounting a tmpfs; the injected-error tests cover the path")
    try:
        corpus = tmp_path / "bbc"
        corpus.mkdir()
        for f in sorted((DATASETS / "bbc_news_2225" / "business").glob("*.txt"))[:300]:
            shutil.copy(f, corpus / f.name)
        data = disk / "data"
        env = {"NEWSBOT_MIN_FREE_MB": "1"}
        full = run_newsbot("ingest", str(corpus), data_dir=data, env=env, timeout=900)
        _no_traceback(full)
        assert full.returncode == 1
        assert len(full.stderr.strip().splitlines()) == 1 and "free some space" in full.stderr, full.stderr
        stats = run_newsbot("stats", "--json", data_dir=data, env=env)
        _no_traceback(stats)
        assert stats.returncode == 0
        before = json.loads(stats.stdout)["articles"]
        subprocess.run(["mount", "-o", "remount,size=300m", str(disk)], check=True)
        done = run_newsbot("ingest", str(corpus), data_dir=data, env=env, timeout=900)
        _no_traceback(done)
        assert done.returncode == 0, done.stderr
        after = json.loads(run_newsbot("stats", "--json", data_dir=data).stdout)
        assert after["articles"] > before and after["articles"] >= 290
        from retrieval.settings import Settings

        index = NewsIndex.open(Settings(data_dir=data, threads=1))  # every stored vector readable again
        assert len(index.sentences.get(include=["embeddings"])["ids"]) == index.sentences.count() == after["sentences"]
    finally:
        subprocess.run(["umount", str(disk)], capture_output=True)
        shutil.rmtree(disk, ignore_errors=True)
