"""Turn files and folders into index records: load, split, embed, store, report."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from tqdm import tqdm

from retrieval.indexing.store import IngestReport, NewsIndex
from retrieval.settings import Settings
from retrieval.sources.files import iter_articles
from retrieval.types import Article, Skipped


def _count_files(paths: Iterable[Path]) -> int | None:
    total = 0
    for p in paths:
        if p.is_dir():
            total += sum(1 for f in p.rglob("*") if f.is_file() and not any(part.startswith(".") for part in f.parts))
        elif p.exists():
            total += 1
    return total or None


def ingest_paths(
    index: NewsIndex,
    paths: Iterable[str | Path],
    settings: Settings,
    prune: bool = False,
    progress: bool | None = None,
) -> IngestReport:
    """Ingest files and folders (recursively); bad files are skipped with a reason, never fatal.

    With `prune`, articles whose file under one of the given folders is gone are deleted.
    `progress=None` shows a bar only on a terminal.
    """
    paths = [Path(p) for p in paths]
    show = sys.stderr.isatty() if progress is None else progress
    skipped: list[Skipped] = []
    seen_keys: set[str] = set()
    bar = tqdm(total=_count_files(paths) if show else None, unit="article", disable=not show, dynamic_ncols=True)
    started = time.perf_counter()
    sentences = 0

    def articles():
        for item in iter_articles(paths, max_bytes=int(settings.max_file_mb * 1024 * 1024)):
            if isinstance(item, Skipped):
                skipped.append(item)
                bar.update(1)
                continue
            item = _absolute_key(item)
            seen_keys.add(item.key)
            yield item

    def on_article(article: Article, n_sentences: int) -> None:
        nonlocal sentences
        sentences += n_sentences
        bar.update(1)
        elapsed = max(time.perf_counter() - started, 1e-6)
        bar.set_postfix_str(f"{sentences / elapsed:,.0f} sentences/s", refresh=False)

    try:
        report = index.add_articles(articles(), progress=on_article)
    finally:
        bar.close()
    report.skipped = skipped + report.skipped
    if prune:
        for folder in (p for p in paths if p.is_dir()):
            report.deleted += len(index.prune(seen_keys, str(folder.resolve())))
    return report



def _absolute_key(article: Article) -> Article:
    """One key per file however it was named (`seeds/x.txt`, `./seeds/x.txt`), so prune and replace match."""
    path, sep, rest = article.key.partition("#")
    if not path or "://" in path:
        return article
    return replace(article, key=str(Path(path).resolve()) + sep + rest)
