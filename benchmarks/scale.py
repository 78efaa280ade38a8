"""Growth: storage and search from 2,000 to 200,000 articles, with a stand-in embedder.

    python benchmarks/scale.py                                   # 2000,20000,100000,200000
    python benchmarks/scale.py --sizes 2000,20000 --questions 40 --data-dir /tmp/nb-scale

Corpora are made by recombining the BBC set's sentences: article k takes the sentences of one BBC
article with about a third replaced by sentences of two others, under a new title (the BBC headline
and "report k"), a date (2010 onwards, 37 minutes apart) and one of five sources. Same k, same
article, on every run.

STAND-IN EMBEDDER: vectors are signed feature hashes of the words (384 dimensions, like MiniLM),
deterministic and nearly free, so the figures measure storage and search, not the model (what
the model costs per sentence is in `benchmarks/ingest.py`). Answers are not graded here.

Per size, in fresh processes: an ingest process writes the corpus (articles/s with the embedder's
own time taken out); then a bot process opens the index, answers `--questions` questions through
the full extractive `ask` path (p50/p95), stores 1 new article and times the next question, then
100 more and times the next, then 1 more; each of the three writes is timed too (the first write
of a process reads no other article: the story LSH is on disk); its peak RSS and the data dir's
size on disk are reported. The last
two lines are for scripts:
    first question after adding 1 article: X.XX s        (at the largest size run)
    p50 growth <largest>/<smallest>: X.XX
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import numpy as np

from retrieval.indexing import embeddings as embedding_backends
from retrieval.settings import Settings
from retrieval.types import Article

DATASETS = REPO.parent / "shared" / "datasets"
STANDIN = "standin:feature-hash-384"  # recorded in the index as its embedding model: it is no model
SOURCES = ("Wire North", "Wire South", "Wire East", "Wire West", "Wire Central")
DEFAULT_SIZES = (2000, 20000, 100000, 200000)


class StandInEmbeddings(embedding_backends.EncoderEmbeddings):
    """Signed feature hashing of lower-cased words into 384 dimensions, L2-normalised. Not a model."""

    name = STANDIN
    dims = 384

    def __init__(self) -> None:
        self.seconds = 0.0  # time spent here, taken out of the ingest rate

    def encode(self, texts: list[str]) -> np.ndarray:
        t = time.perf_counter()
        out = np.zeros((len(texts), self.dims), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in text.lower().split():
                h = zlib.crc32(word.strip(".,;:!?\"'()").encode())
                out[i, h % self.dims] += 1.0 if h & 0x80000000 else -1.0
        out /= np.clip(np.linalg.norm(out, axis=1, keepdims=True), 1e-12, None)
        self.seconds += time.perf_counter() - t
        return out


def _use_standin() -> StandInEmbeddings:
    """Make newsbot (and chromadb reopening a collection) build the stand-in for STANDIN."""
    model = StandInEmbeddings()
    real = embedding_backends._build
    embedding_backends._build = lambda spec, settings: model if spec == STANDIN else real(spec, settings)
    return model


# -- the corpus ------------------------------------------------------------------------------


def sentence_pool(corpus: Path) -> list[tuple[str, list[str]]]:
    from retrieval.evaluation.datasets import load_text_folder
    from retrieval.indexing.sentences import split_sentences

    pool = []
    for a in load_text_folder(corpus):
        sentences = [s.text for s in split_sentences(a.id, a.text)]
        if len(sentences) >= 3:
            pool.append((a.title, sentences))
    return pool


def make_article(pool: list[tuple[str, list[str]]], k: int) -> Article:
    """Article k: one BBC article's sentences, about a third swapped for two others', a new title and date."""
    rng = random.Random(k * 7919 + 17)
    title, base = pool[rng.randrange(len(pool))]
    others = [pool[rng.randrange(len(pool))][1] for _ in range(2)]
    sentences = [rng.choice(rng.choice(others)) if rng.random() < 0.33 else s for s in base]
    published = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(1262304000 + k * 37 * 60))
    return Article(title=f"{title}, report {k}", text="\n".join(sentences), source=SOURCES[k % len(SOURCES)],
                   published_at=published, key=f"scale/{k}")


def questions(pool, n_articles: int, n: int) -> list[str]:
    rng = random.Random(n_articles)
    out = [f"What happened: {pool[rng.randrange(len(pool))][0]}?" for _ in range(n - n // 2)]
    dev = DATASETS / "bbc_news_questions_dev" / "questions.jsonl"
    if dev.is_file():
        asked = [json.loads(line)["question"] for line in dev.open(encoding="utf-8") if line.strip()]
        out += rng.sample(asked, min(n // 2, len(asked)))
    return out


# -- the two processes -----------------------------------------------------------------------


def _settings(data_dir: Path) -> Settings:
    return Settings(data_dir=data_dir, embeddings=STANDIN, threads=1)


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_ingest(args) -> dict:
    from retrieval.indexing.store import NewsIndex

    model = _use_standin()
    pool = sentence_pool(args.corpus)
    index = NewsIndex.open(_settings(args.data_dir), embeddings=model)
    t = time.perf_counter()
    report = index.add_articles(make_article(pool, k) for k in range(args.size))
    total = time.perf_counter() - t
    storage = total - model.seconds
    return {"articles": report.added, "sentences": report.sentences, "ingest_s": total, "embed_s": model.seconds,
            "articles_per_s": report.added / storage if storage > 0 else 0.0, "ingest_rss_mb": _peak_rss_mb()}


def run_bot(args) -> dict:
    from retrieval.answering.chain import AnswerPipeline
    from retrieval.answering.search import Searcher
    from retrieval.indexing.store import NewsIndex

    model = _use_standin()
    pool = sentence_pool(args.corpus)
    settings = _settings(args.data_dir)
    t = time.perf_counter()
    index = NewsIndex.open(settings, embeddings=model)
    searcher = Searcher(index, settings)
    pipeline = AnswerPipeline(index, settings, searcher=searcher)
    pipeline.ask("What did the minister say about the budget?")
    first = time.perf_counter() - t
    times = []
    for q in questions(pool, args.size, args.questions):
        t0 = time.perf_counter()
        pipeline.ask(q)
        times.append(time.perf_counter() - t0)
    after, write = {}, {}
    n = args.size
    for label, ks in (("1", [n]), ("100", range(n + 1, n + 101)), ("1 more", [n + 101])):
        added = [make_article(pool, k) for k in ks]
        t0 = time.perf_counter()
        index.add_articles(added)  # the process's first write also builds the story LSH, once
        write[label] = time.perf_counter() - t0
        t0 = time.perf_counter()
        pipeline.ask(f"What happened: {added[-1].title}?")
        after[label] = time.perf_counter() - t0
    return {"open_and_first_s": first, "p50_ms": 1000 * _pct(times, 50), "p95_ms": 1000 * _pct(times, 95),
            "after_1_s": after["1"], "after_100_s": after["100"], "bot_rss_mb": _peak_rss_mb(),
            "writes_s": [write["1"], write["100"], write["1 more"]]}


def _pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))] if s else 0.0


def _disk_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


def _child(role: str, size: int, data_dir: Path, args) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--role", role, "--sizes", str(size), "--data-dir",
           str(data_dir), "--corpus", str(args.corpus), "--questions", str(args.questions)]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    if done.returncode != 0:
        sys.exit(f"error: the {role} process for {size} articles failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)), help="articles per corpus, comma-separated")
    ap.add_argument("--questions", type=int, default=40, help="questions timed per size")
    ap.add_argument("--corpus", type=Path, default=DATASETS / "bbc_news_2225", help="the BBC folder recombined")
    ap.add_argument("--data-dir", type=Path, default=None, help="where the indexes are built (default: a temp dir)")
    ap.add_argument("--keep", action="store_true", help="keep the indexes after the run")
    ap.add_argument("--role", choices=("ingest", "bot"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    try:
        sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    except ValueError:
        sys.exit(f"error: --sizes takes whole numbers separated by commas, not {args.sizes!r}")
    if not sizes or min(sizes) < 1:
        sys.exit("error: --sizes needs at least one size of 1 article or more")
    if not args.corpus.is_dir():
        sys.exit(f"error: {args.corpus} is not a folder; pass --corpus ../shared/datasets/bbc_news_2225")
    if args.role:
        args.size = sizes[0]
        print(json.dumps(run_ingest(args) if args.role == "ingest" else run_bot(args)))
        return

    print(f"$ python benchmarks/scale.py --sizes {','.join(map(str, sizes))} --questions {args.questions}")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"embedder: STAND-IN ({STANDIN}, feature hashing): storage and search are measured, not the model")
    root = args.data_dir or Path(tempfile.mkdtemp(prefix="newsbot-scale-"))
    print("| articles | sentences | ingest articles/s (no embedding) | ingest peak RSS MB | open + first question s "
          "| ask p50 ms | ask p95 ms | first question after +1 article s | after +100 s "
          "| write +1 / +100 / +1 more s | bot peak RSS MB | disk MB |")
    print("|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    results = {}
    for size in sizes:
        data_dir = root / f"scale-{size}"
        shutil.rmtree(data_dir, ignore_errors=True)
        ing = _child("ingest", size, data_dir, args)
        bot = _child("bot", size, data_dir, args)
        results[size] = bot
        print(f"| {size:,} | {ing['sentences']:,} | {ing['articles_per_s']:.0f} | {ing['ingest_rss_mb']:.0f} "
              f"| {bot['open_and_first_s']:.2f} | {bot['p50_ms']:.0f} | {bot['p95_ms']:.0f} | {bot['after_1_s']:.2f} "
              f"| {bot['after_100_s']:.2f} | {' / '.join(f'{w:.2f}' for w in bot['writes_s'])} "
              f"| {bot['bot_rss_mb']:.0f} | {_disk_mb(data_dir):.0f} |", flush=True)
        if not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)
    if not args.keep and args.data_dir is None:
        shutil.rmtree(root, ignore_errors=True)
    small, large = sizes[0], sizes[-1]
    growth = results[large]["p50_ms"] / results[small]["p50_ms"] if results[small]["p50_ms"] > 0 else float("nan")
    print(f"(p50 at {large:,} = {results[large]['p50_ms']:.0f} ms, at {small:,} = {results[small]['p50_ms']:.0f} ms; "
          f"median over sizes {statistics.median(r['p50_ms'] for r in results.values()):.0f} ms)")
    print(f"first question after adding 1 article: {results[large]['after_1_s']:.2f} s")
    print(f"p50 growth {large}/{small}: {growth:.2f}")


if __name__ == "__main__":
    main()
