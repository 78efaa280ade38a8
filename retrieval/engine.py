"""The one object front ends talk to: index, model, answer chain and followed feeds, opened once per process.

Front ends (`bot/`) reach `retrieval/` only through `Engine` (and the records in `types`, the
errors, settings and text vocabulary); a test enforces it. Heavy modules (chromadb, onnxruntime,
feedparser) are imported on first use, so `Engine(settings).check_question(...)` and the feed
list commands start fast.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from retrieval.answering.question import check_history, check_question
from retrieval.errors import FetchError
from retrieval.package_data import data_folder
from retrieval.settings import Settings
from retrieval.types import Answer, ArticleInfo, Feed, Hit, IngestReport, RefreshReport, Skipped

if TYPE_CHECKING:
    from retrieval.answering.chain import AnswerPipeline
    from retrieval.answering.search import Searcher, SearchFilters
    from retrieval.indexing.store import NewsIndex

SEEDS_DIR = data_folder("seeds")  # the built-in default corpus (package data)

History = Sequence[tuple[str, str]]


class Engine:
    """Open once, share everywhere (threads included): ask, search, ingest, delete, stats, feeds.

    `Engine.open(settings)` opens the index now (so a bad index fails at start-up);
    `Engine(settings)` opens it on first use.
    """

    def __init__(self, settings: Settings, index: NewsIndex | None = None) -> None:
        self.settings = settings
        self._index = index
        self._lock = threading.Lock()
        self._pipeline: AnswerPipeline | None = None
        self._searcher: Searcher | None = None

    @classmethod
    def open(cls, settings: Settings) -> Engine:
        engine = cls(settings)
        engine.index  # noqa: B018  (open it now: errors belong to start-up)
        return engine

    # The index, search and answer layers are built on first use: `feeds list` never loads
    # chromadb, `ingest` and `stats` never load the answer chain.
    @property
    def index(self) -> NewsIndex:
        with self._lock:
            if self._index is None:
                from retrieval.indexing.store import NewsIndex

                self._index = NewsIndex.open(self.settings)
            return self._index

    @property
    def searcher(self) -> Searcher:
        index = self.index
        with self._lock:
            if self._searcher is None:
                from retrieval.answering.search import Searcher

                self._searcher = Searcher(index, self.settings)
            return self._searcher

    @property
    def pipeline(self) -> AnswerPipeline:
        index, searcher = self.index, self.searcher  # each takes the lock: not while holding it
        with self._lock:
            if self._pipeline is None:
                from retrieval.answering.chain import AnswerPipeline

                self._pipeline = AnswerPipeline(index, self.settings, searcher=searcher)
            return self._pipeline

    # -- questions ------------------------------------------------------------------------------

    def check_question(self, question: str | bytes) -> str:
        """The question, whitespace-normalised; QuestionError (one line) if it cannot be asked as given."""
        return check_question(question, self.settings)

    def check_history(self, history: Iterable | None) -> list[tuple[str, str]]:
        """History as (question, answer) string pairs; QuestionError if it has another shape."""
        return check_history(history)

    def ask(self, question: str, history: History = ()) -> Answer:
        """Answer with citations, or abstain with the fixed phrase when the articles don't say."""
        return self.pipeline.ask(question, history)

    def stream(self, question: str, history: History = ()) -> Iterator[str | Answer]:
        """Text pieces as the backend produces them, then the final `Answer`."""
        return self.pipeline.stream(question, history)

    def search(self, question: str, k: int = 8, filters: SearchFilters | None = None, mode: str = "hybrid") -> list[Hit]:
        return self.searcher.search(question, k=k, filters=filters, mode=mode)

    # -- the index ------------------------------------------------------------------------------

    def stats(self) -> dict:
        return self.index.stats()

    def article_count(self) -> int:
        """How many articles the index holds (a cheap count, unlike `stats()` which lists them all)."""
        return self.index.article_count()

    def articles(self) -> list[ArticleInfo]:
        return self.index.list_articles()

    def delete(self, article_id: str) -> bool:
        """Remove an article with its sentences; False if there is none with that id."""
        return self.index.delete_article(article_id)

    def ingest_paths(
        self, paths: Iterable[str | Path], prune: bool = False, progress: bool | None = False
    ) -> IngestReport:
        from retrieval.sources.ingest import ingest_paths

        return ingest_paths(self.index, paths, self.settings, prune=prune, progress=progress)

    def ingest_url(self, url: str) -> IngestReport:
        """Fetch one article page; a failure is reported as a skipped item, never raised."""
        from retrieval.sources.ingest import ingest_url
        from retrieval.sources.netguard import redact

        try:
            return ingest_url(self.index, url, self.settings)
        except FetchError as exc:
            return IngestReport(skipped=[Skipped(redact(url), str(exc))])

    def ensure_seeded(self) -> IngestReport | None:
        """Ingest the built-in seed corpus into an empty index, so a first question just works."""
        if self.article_count() > 0 or not SEEDS_DIR.is_dir():
            return None
        return self.ingest_paths([SEEDS_DIR])

    # -- followed feeds -------------------------------------------------------------------------

    def feeds(self) -> list[Feed]:
        """The followed feeds, oldest first, with entry counts and the last fetch's outcome."""
        from retrieval.sources.feed_store import list_feeds

        return list_feeds(self.settings)

    def find_feed(self, url: str) -> Feed | None:
        from retrieval.sources.feed_store import find_feed

        return find_feed(self.settings, url)

    def follow_feed(self, url: str, *, check: bool = True) -> tuple[Feed, bool]:
        """(the feed, True) after following `url` (fetched once with `check`), or (it, False) if already followed."""
        from retrieval.sources.feeds import add_feed
        from retrieval.sources.web import check_url

        check_url(url)  # a plain "not an http(s) URL" before any lookup
        before = self.find_feed(url)
        return (before, False) if before else (add_feed(self.settings, url, check=check), True)

    def unfollow_feed(self, url: str) -> bool:
        """Stop following a feed; False if it was not followed. Its stored articles stay."""
        from retrieval.sources.feed_store import remove_feed

        return remove_feed(self.settings, url)

    def refresh_feeds(
        self,
        urls: Sequence[str] | None = None,
        *,
        full: bool = False,
        progress: Callable[[int, int], None] | None = None,
    ) -> RefreshReport:
        """Fetch every followed feed (or just `urls`) once and store new and updated articles."""
        from retrieval.sources.feeds import refresh_feeds

        return refresh_feeds(self.index, self.settings, feeds=list(urls) if urls else None, full=full, progress=progress)

    def last_refresh(self) -> RefreshReport | None:
        from retrieval.sources.feed_store import last_refresh

        return last_refresh(self.settings)
