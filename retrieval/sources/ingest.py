"""Files, folders and single article pages into the index: load, split, embed, store, report.

(Followed feeds are `retrieval.sources.feeds`; they store their pages through `article_from_page`.)
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from tqdm import tqdm

from retrieval.errors import FetchError, NewsbotError
from retrieval.settings import Settings
from retrieval.sources.files import _walk, article_from_html, iter_articles
from retrieval.sources.web import Fetcher, FetchResult, canonical_url, check_url, looks_like_feed_text, open_fetcher
from retrieval.types import Article, IngestReport, Skipped

if TYPE_CHECKING:  # chromadb is slow to import; `feeds list/add/remove` load this module and never need it
    from retrieval.indexing.store import NewsIndex


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
    max_bytes = int(settings.max_file_mb * 1024 * 1024)
    # Articles advance the bar when stored (a write batch at a time), so the rate shown is the
    # average since the start (smoothing=0), not the burst of one batch.
    bar = tqdm(total=(count_inputs(paths, max_bytes) or None) if show else None, unit="article",
               disable=not show, dynamic_ncols=True, smoothing=0)
    started = time.perf_counter()
    sentences = 0
    read = 0

    def articles():
        nonlocal read
        for item in iter_articles(paths, max_bytes=max_bytes):
            read += 1
            if bar.total is not None and read > bar.total:  # a JSON file holding a list of articles
                bar.total = read
            if isinstance(item, Skipped):
                skipped.append(item)
                bar.update(1)
                continue
            item = _absolute_key(item)
            if prune:  # only prune needs every key; a million-line file should not grow memory for nothing
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


def ingest_url(index: NewsIndex, url: str, settings: Settings, *, fetcher: Fetcher | None = None) -> IngestReport:
    """Fetch one article page, extract its main text and store it under its canonical URL.

    Raises FetchError with a one-line reason when the page cannot be fetched or holds no article
    (and says to use `newsbot feeds add` when the URL is a feed). Storing the same URL again
    replaces the old text if it changed and does nothing if it did not.
    """
    url = check_url(url)
    with open_fetcher(settings, fetcher) as f:
        result = f.fetch(url, accept=("html", "feed"))
    if result.kind == "feed" or looks_like_feed_text(result.body):
        raise FetchError(f"{url} is a feed, not an article page; follow it with `newsbot feeds add {url}`")
    article = article_from_page(result, key="")
    if article is None:
        raise FetchError(f"no article text found at {url}; give the address of the article page itself")
    return index.add_articles([article])


def article_from_page(result: FetchResult, key: str) -> Article | None:
    """The page's main text as an Article keyed by its canonical URL, or None if it has no article text."""
    try:
        article = article_from_html(result.text(), url=result.final_url, key=key or canonical_url(result.final_url))
    except NewsbotError:
        return None
    if article is None or not article.text.strip():
        return None
    # The page's own <link rel="canonical"> (which trafilatura reports as its url) names the story
    # better than the address it was reached by; either way without tracking parameters.
    url = canonical_url(article.url or result.final_url)
    article = replace(article, url=url, key=key or url)
    if not article.source:
        article = replace(article, source=urlsplit(result.final_url).hostname or "")
    return article


def count_inputs(paths: Iterable[str | os.PathLike], max_bytes: int) -> int:
    """About how many items `iter_articles` will yield for these paths (a progress bar's total).

    One per file, one per non-blank line of a JSONL file (not parsed: a JSON list counts once).
    The same walk as reading, so only hidden names *inside* a given folder are left out: a path
    given as `../news` or `./seeds` is counted like any other.
    """
    total = 0
    for given in paths:
        path = Path(given)
        files = _walk(path, []) if path.is_dir() else [path] if path.exists() else []
        for file in files:
            total += _jsonl_lines(file, max_bytes) if file.suffix.lower() == ".jsonl" else 1
    return total


def _jsonl_lines(path: Path, max_bytes: int) -> int:
    try:
        if not path.is_file() or path.stat().st_size > max_bytes:
            return 1
        with path.open("rb") as f:
            return max(1, sum(1 for line in f if line.strip()))
    except OSError:
        return 1
