"""The one object front ends talk to: index, model and answer chain, opened once per process."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

from retrieval.indexing.store import IngestReport, NewsIndex
from retrieval.settings import Settings
from retrieval.sources.ingest import ingest_paths
from retrieval.types import Answer, Hit, Skipped

SEEDS_DIR = Path(__file__).resolve().parent.parent / "seeds"  # the built-in default corpus


class Engine:
    """Open once, share everywhere (threads included): ask, search, ingest, stats."""

    def __init__(self, settings: Settings, index: NewsIndex) -> None:
        self.settings = settings
        self.index = index
        self._lock = threading.Lock()
        self._pipeline = None
        self._searcher = None

    @classmethod
    def open(cls, settings: Settings) -> Engine:
        return cls(settings, NewsIndex.open(settings))

    # The search and answer layers are built on first use: `ingest` and `stats` never load them.
    @property
    def searcher(self):
        with self._lock:
            if self._searcher is None:
                from retrieval.answering.search import Searcher

                self._searcher = Searcher(self.index, self.settings)
            return self._searcher

    @property
    def pipeline(self):
        searcher = self.searcher
        with self._lock:
            if self._pipeline is None:
                from retrieval.answering.chain import AnswerPipeline

                self._pipeline = AnswerPipeline(self.index, self.settings, searcher=searcher)
            return self._pipeline

    def ask(self, question: str, history: Sequence[tuple[str, str]] = ()) -> Answer:
        """Answer with citations, or abstain with the fixed phrase when the articles don't say."""
        return self.pipeline.ask(question, history)

    def stream(self, question: str, history: Sequence[tuple[str, str]] = ()):
        """Text pieces as the backend produces them, then the final `Answer`."""
        return self.pipeline.stream(question, history)

    def search(self, question: str, k: int = 8, filters=None, mode: str = "hybrid") -> list[Hit]:
        return self.searcher.search(question, k=k, filters=filters, mode=mode)

    def stats(self) -> dict:
        return self.index.stats()

    def ingest_paths(
        self, paths: Iterable[str | Path], prune: bool = False, progress: bool | None = False
    ) -> IngestReport:
        return ingest_paths(self.index, paths, self.settings, prune=prune, progress=progress)

    def ingest_url(self, url: str) -> IngestReport:
        """Fetch one article page; a failure is reported as a skipped item, never raised."""
        from retrieval.errors import FetchError
        from retrieval.sources.feeds import ingest_url

        try:
            return ingest_url(self.index, url, self.settings)
        except FetchError as exc:
            return IngestReport(skipped=[Skipped(url, str(exc))])

    def ensure_seeded(self) -> IngestReport | None:
        """Ingest the built-in seed corpus into an empty index, so a first question just works."""
        if self.index.articles.count() > 0 or not SEEDS_DIR.is_dir():
            return None
        return self.ingest_paths([SEEDS_DIR])
