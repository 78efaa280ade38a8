"""Ingest throughput: the BBC set into a fresh index, against embedding the same texts alone.

    python benchmarks/ingest.py [--corpus ../shared/datasets/bbc_news_2225] [--threads 0]

Prints articles/s, sentences/s, index size, peak RSS, the unchanged re-run's share of the first
run's time, and last `ingest/embed ratio: X.XX` (total ingest time / embedding time of the same
texts in the same process; embedding is the floor on a CPU-only machine).
"""

from __future__ import annotations

import argparse
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from retrieval.indexing.embeddings import MiniLMEmbeddings  # noqa: E402
from retrieval.indexing.prepare import embed_text  # noqa: E402
from retrieval.indexing.sentences import split_sentences  # noqa: E402
from retrieval.indexing.store import NewsIndex  # noqa: E402
from retrieval.settings import Settings  # noqa: E402
from retrieval.sources.files import iter_articles  # noqa: E402
from retrieval.sources.ingest import ingest_paths  # noqa: E402
from retrieval.types import Article  # noqa: E402

DEFAULT_CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "datasets" / "bbc_news_2225"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--threads", type=int, default=0)
    args = ap.parse_args()
    print(f"$ python benchmarks/ingest.py --corpus {args.corpus} --threads {args.threads}")
    print(f"machine: {platform.processor() or platform.machine()}, {__import__('os').cpu_count()} cores, Python {platform.python_version()}")

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), threads=args.threads)
        model = MiniLMEmbeddings(threads=args.threads)
        index = NewsIndex.open(settings, model)
        model.encode(["warm up the model"])

        t0 = time.perf_counter()
        report = ingest_paths(index, [args.corpus], settings, progress=False)
        t_ingest = time.perf_counter() - t0

        t0 = time.perf_counter()
        again = ingest_paths(index, [args.corpus], settings, progress=False)
        t_again = time.perf_counter() - t0

        # The floor: embedding exactly the texts the index embedded, nothing else.
        texts: list[str] = []
        seen: set[str] = set()
        for item in iter_articles([args.corpus], max_bytes=int(settings.max_file_mb * 2**20)):
            if isinstance(item, Article) and item.id not in seen:
                seen.add(item.id)
                texts += [embed_text(item, s) for s in split_sentences(item.id, item.text)]
        t0 = time.perf_counter()
        model.encode(texts)
        t_embed = time.perf_counter() - t0

        size = sum(p.stat().st_size for p in settings.index_dir.rglob("*") if p.is_file())
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(report.summary())
        print(f"re-run: {again.summary()}")
        print(f"ingest time: {t_ingest:.1f} s; embedding alone: {t_embed:.1f} s ({len(texts):,} texts)")
        print(f"articles/s: {report.added / t_ingest:.1f}")
        print(f"sentences/s: {report.sentences / t_ingest:.1f}")
        print(f"index size on disk: {size / 1e6:.1f} MB")
        print(f"peak RSS: {rss_mb:.0f} MB")
        print(f"unchanged re-run: {t_again:.1f} s = {100 * t_again / t_ingest:.1f}% of the first run")
        print(f"ingest/embed ratio: {t_ingest / t_embed:.2f}")


if __name__ == "__main__":
    main()
