"""Memory of ingesting one long JSONL file: does the process grow with the number of lines?

    python benchmarks/ingest_memory.py [--lines 1000000] [--dim 16] [--code PATH_TO_A_NEWSBOT_CHECKOUT]

Writes `/tmp/newsbot-mem-<lines>.jsonl` (unique two-sentence articles, made once), ingests it into
a fresh index in /tmp through `ingest_paths` (the path `newsbot ingest` takes) and prints the
process's RSS every 10% of the lines, then the growth per article over the last 80%.

The embedder is a STAND-IN, not MiniLM: a hash of each text turned into a `--dim`-dimensional
unit vector (NewsIndex accepts any encoder). It costs nothing, so the run measures newsbot's and
Chroma's own memory and not the model's, and a small dimension keeps Chroma's in-memory vector
index (HNSW, which grows with every stored vector by design: `dim * 4` bytes plus links per
vector, for the article, its sentences and chunks) from hiding the growth under test.
`--code` runs another checkout's `retrieval` package (e.g. /work/main, before this change).
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import sys
import tempfile
import threading
import time
import tracemalloc
import zlib
from pathlib import Path

import numpy as np

parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
parser.add_argument("--lines", type=int, default=1_000_000)
parser.add_argument("--dim", type=int, default=16, help="dimension of the stand-in vectors")
parser.add_argument("--read-only", action="store_true", help="only read the file's articles (no index): the reading side")
parser.add_argument("--tracemalloc", action="store_true", help="also trace Python allocations (slower)")
parser.add_argument("--code", type=Path, default=Path(__file__).resolve().parent.parent, help="newsbot checkout to run")
args = parser.parse_args()
sys.path.insert(0, str(args.code.resolve()))

import retrieval.sources.ingest as ingest_module  # noqa: E402
from retrieval.indexing.embeddings import EncoderEmbeddings  # noqa: E402
from retrieval.indexing.store import NewsIndex  # noqa: E402
from retrieval.settings import Settings  # noqa: E402

WORDS = "harbour council ferry storm school roof budget election minister river bridge market strike union".split()


class StandInEmbeddings(EncoderEmbeddings):
    """NOT a language model: deterministic unit vectors from a CRC of each text, for memory runs only."""

    def __init__(self, dim: int) -> None:
        self.dim = dim

    def encode(self, texts: list[str]) -> np.ndarray:
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            out[i] = np.random.default_rng(zlib.crc32(t.encode())).standard_normal(self.dim)
        out /= np.linalg.norm(out, axis=1, keepdims=True)
        return out


def make_jsonl(n: int) -> Path:
    path = Path(tempfile.gettempdir()) / f"newsbot-mem-{n}.jsonl"
    if path.exists() and path.stat().st_size > 0:
        return path
    rng = np.random.default_rng(7)
    with open(path, "w", encoding="utf-8") as f:
        for i in range(n):
            a, b, c = (WORDS[j] for j in rng.integers(0, len(WORDS), 3))
            f.write(json.dumps({
                "id": f"r{i}",
                "title": f"The {a} {b} story number {i}",
                "text": f"The {a} {b} said on Monday that {i} people came to the {c}. Officials expect {i % 97} more next week.",
                "source": "Bench Wire",
                "published_at": f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}T08:00:00Z",
            }) + "\n")
    return path


def py_mb() -> float:
    """Memory held by Python objects (tracemalloc), NaN when not traced."""
    return tracemalloc.get_traced_memory()[0] / 1e6 if tracemalloc.is_tracing() else float("nan")


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def read_only(src: Path) -> None:
    """Read every article of the file as `ingest` does, storing nothing: RSS shows what reading holds."""
    from retrieval.sources.files import iter_articles

    baseline, peak, n, start = rss_mb(), 0.0, 0, time.perf_counter()
    for _ in iter_articles([src], max_bytes=100_000 * 1024 * 1024):
        n += 1
        if n % 10_000 == 0:
            peak = max(peak, rss_mb())
    print(f"$ python benchmarks/ingest_memory.py --lines {args.lines} --read-only --code {args.code}")
    print(f"read {n:,} articles from {src} ({src.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - start:.0f} s; "
          f"RSS before {baseline:.0f} MB, largest while reading {peak:.0f} MB (+{peak - baseline:.0f} MB)")


def main() -> None:
    src = make_jsonl(args.lines)
    if args.read_only:
        read_only(src)
        return
    data = Path(tempfile.mkdtemp(prefix="newsbot-mem-"))
    settings = Settings(data_dir=data, threads=1, max_file_mb=100_000, embeddings="stand-in")
    index = NewsIndex.open(settings, embeddings=StandInEmbeddings(args.dim))

    read = 0
    real_iter = ingest_module.iter_articles

    def counting(*a, **kw):
        nonlocal read
        for item in real_iter(*a, **kw):
            read += 1
            yield item

    ingest_module.iter_articles = counting
    samples: list[tuple[int, float, float]] = []
    start = time.perf_counter()
    done = threading.Event()
    marks = iter(range(0, args.lines + 1, max(1, args.lines // 10)))
    next_mark = next(marks)

    def sample() -> None:
        nonlocal next_mark
        while not done.wait(0.2):
            if read >= next_mark:
                samples.append((read, rss_mb(), time.perf_counter() - start, py_mb()))
                next_mark = next(marks, 10**18)

    if args.tracemalloc:
        tracemalloc.start()
    baseline = rss_mb()
    watcher = threading.Thread(target=sample, daemon=True)
    watcher.start()
    report = ingest_module.ingest_paths(index, [src], settings, progress=False)
    done.set()
    watcher.join()
    samples.append((read, rss_mb(), time.perf_counter() - start, py_mb()))

    print(f"$ python benchmarks/ingest_memory.py --lines {args.lines} --dim {args.dim} --code {args.code}")
    print(f"machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}; "
          f"embedder: STAND-IN hash vectors, dim {args.dim} (not MiniLM)")
    print(f"input: {src} ({src.stat().st_size / 1e6:.0f} MB, {args.lines:,} lines); {report.summary()}")
    print(f"RSS before ingest: {baseline:.0f} MB")
    print(f"{'lines read':>12} {'RSS MB':>8} {'elapsed s':>10} {'Python heap MB':>15}")
    for n, mb, t, py in samples:
        print(f"{n:>12,} {mb:>8.0f} {t:>10.0f} {py:>15.1f}")
    lo = next((s for s in samples if s[0] >= args.lines * 0.2), samples[0])
    hi = samples[-1]
    per = (hi[1] - lo[1]) * 1024 / max(1, hi[0] - lo[0])
    line = f"growth over lines {lo[0]:,}..{hi[0]:,}: RSS {per:.2f} KB per article"
    if args.tracemalloc:
        line += f", Python heap {(hi[3] - lo[3]) * 1e6 / 1024 / max(1, hi[0] - lo[0]):.3f} KB per article"
    print(line + f"; largest RSS sampled {max(s[1] for s in samples):.0f} MB")
    shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
