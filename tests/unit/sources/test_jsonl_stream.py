"""A large JSONL file is read one line at a time: memory holds a record, not the file (issue 11, finding 7)."""

from __future__ import annotations

import json
import tracemalloc

from retrieval.sources.files import _json_articles, decode_text, iter_articles, load_file
from retrieval.types import Article, Skipped


def write_jsonl(path, n: int, long_line_at: int | None = None, long_bytes: int = 0) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for i in range(1, n + 1):
            text = "x" * long_bytes if i == long_line_at else f"Story number {i} says the ferry ran {i % 7} times on Monday."
            f.write(json.dumps({"id": f"r{i}", "title": f"Story {i}", "text": text}) + "\n")


def test_a_jsonl_file_over_the_size_cap_is_streamed_and_only_an_over_long_line_is_skipped(tmp_path):
    f = tmp_path / "big.jsonl"
    write_jsonl(f, 30_000, long_line_at=7, long_bytes=1_200_000)  # ~3.7 MB, one line of 1.2 MB
    items = list(iter_articles([f], max_bytes=1024 * 1024))
    articles = [i for i in items if isinstance(i, Article)]
    skipped = [i for i in items if isinstance(i, Skipped)]
    assert len(articles) == 29_999 and articles[0].key == f"{f}#r1" and articles[-1].title == "Story 30000"
    assert [(s.key, s.reason.split(";")[0]) for s in skipped] == [(f"{f}:7", "line 7: larger than 1 MB")]
    assert articles[6].title == "Story 8"  # the line after the long one is read whole


def test_streamed_and_whole_reads_give_the_same_articles(tmp_path):
    f = tmp_path / "mixed.jsonl"
    lines = [json.dumps({"title": f"T{i}", "text": f"Café number {i} opened on Monday."}) for i in range(3000)]
    lines[5] = "{not json"
    lines[9] = ""
    f.write_bytes(b"\xef\xbb\xbf" + "\n".join(lines).encode("utf-8") + b"\n")
    assert f.stat().st_size > 65536  # streamed
    streamed = list(load_file(f, max_bytes=10 * 1024 * 1024, source="s"))
    whole = list(_json_articles(f, decode_text(f.read_bytes()), "s", lines=True))  # the reading of a small file
    assert streamed == whole and len(streamed) == 2999
    assert streamed[5].reason.startswith("line 6: malformed JSON") and streamed[0].title == "T0"


def test_reading_a_large_jsonl_keeps_memory_flat(tmp_path):
    f = tmp_path / "long.jsonl"
    write_jsonl(f, 60_000)  # ~6 MB
    tracemalloc.start()
    try:
        count = sum(1 for item in iter_articles([f], max_bytes=100 * 1024 * 1024) if isinstance(item, Article))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 60_000
    assert peak < f.stat().st_size / 10, f"peak {peak / 1e6:.1f} MB reading a {f.stat().st_size / 1e6:.1f} MB file"


def test_a_binary_file_named_jsonl_is_still_refused_whole(tmp_path):
    f = tmp_path / "noise.jsonl"
    f.write_bytes((bytes(range(0, 32)) * 100 + b"\n") * 100)  # 320 KB of control bytes, with newlines
    items = list(load_file(f, max_bytes=10 * 1024 * 1024))
    assert len(items) == 1 and isinstance(items[0], Skipped) and "binary file" in items[0].reason
