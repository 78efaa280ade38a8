"""The one object front ends talk to: index, model, answer chain and followed feeds, opened once per process.

Front ends (`bot/`) reach `retrieval/` only through `Engine` (and the records in `types`, the
errors, settings and text vocabulary); a test enforces it. Heavy modules (chromadb, onnxruntime,
feedparser) are imported on first use, so `Engine(settings).check_question(...)` and the feed
list commands start fast.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from retrieval.answering.dates import window_from_options
from retrieval.answering.question import check_history, check_question
from retrieval.errors import FetchError
from retrieval.package_data import data_folder
from retrieval.settings import Settings
from retrieval.text import cited
from retrieval.types import (
    Answer,
    AppliedFilters,
    ArticleInfo,
    ArticleView,
    Digest,
    Feed,
    FeedbackStats,
    FeedbackVote,
    Headline,
    Hit,
    IngestReport,
    Listing,
    RefreshReport,
    SearchFilters,
    Skipped,
)

if TYPE_CHECKING:
    from retrieval.answering.chain import AnswerPipeline
    from retrieval.answering.filters import FilterPlan
    from retrieval.answering.search import Searcher
    from retrieval.feedback import FeedbackStore
    from retrieval.indexing.store import NewsIndex

SEEDS_DIR = data_folder("seeds")  # the built-in default corpus (package data)

History = Sequence[tuple[str, str]]
OVERVIEW_STORIES = 3  # stories quoted for "What is the latest news?"; `latest -n` shows more


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
        self._feedback: FeedbackStore | None = None

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
                from retrieval.indexing.opening import open_index  # the model loads while chromadb does

                self._index = open_index(self.settings)
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

    def warm_up(self) -> None:
        """Load what a first question needs before one is asked: the ranker, the model, the vector segments
        (seconds on a large local index: Chroma reads them on the first query) and the lexical view."""
        self.pipeline  # noqa: B018  (no LCEL chain: langchain is left to the backends that use it)
        self.search("news", k=1)

    # -- questions ------------------------------------------------------------------------------

    def check_question(self, question: str | bytes) -> str:
        """The question, whitespace-normalised; QuestionError (one line) if it cannot be asked as given."""
        return check_question(question, self.settings)

    def check_history(self, history: Iterable | None) -> list[tuple[str, str]]:
        """History as (question, answer) string pairs; QuestionError if it has another shape."""
        return check_history(history)

    def ask(
        self,
        question: str,
        history: History = (),
        *,
        source: str | None = None,
        since: str | None = None,
        until: str | None = None,
        window_from: str = "options",
        now: datetime | None = None,
    ) -> Answer:
        """Answer with citations, or abstain with the fixed phrase when the articles don't say.

        `source`, `since` and `until` (values as a user types them: "Reuters", "2d", "2025-03-01")
        restrict retrieval; without `since`/`until`, date words in the question set the window
        (`retrieval/answering/filters.py`). `now` is the clock (default: the real one).
        """
        answer: Answer | None = None
        for item in self.stream(question, history, source=source, since=since, until=until,
                                window_from=window_from, now=now):
            if isinstance(item, Answer):
                answer = item
        assert answer is not None, "stream() always ends with an Answer"
        return answer

    def stream(
        self,
        question: str,
        history: History = (),
        *,
        source: str | None = None,
        since: str | None = None,
        until: str | None = None,
        window_from: str = "options",
        now: datetime | None = None,
    ) -> Iterator[str | Answer]:
        """Text pieces as the backend produces them, then the final `Answer` (filters as in `ask`)."""
        from retrieval.answering.filters import stream_within

        plan = self._plan(question, source, since, until, window_from, now)
        overview = self._overview(plan)
        if overview is not None:
            return iter([overview.answer, overview])
        return self._corroborated(stream_within(self.pipeline, plan, history, backend=self.settings.answerer))

    def _corroborated(self, items: Iterator[str | Answer]) -> Iterator[str | Answer]:
        """The answer's pieces, then who else reported each cited sentence and any "sources differ" sentence."""
        from retrieval.answering.corroborate import corroborate

        for item in items:
            if isinstance(item, Answer):
                extra, item = corroborate(item, self.index)
                if extra:
                    yield extra
            yield item

    # -- time and sources -------------------------------------------------------------------------

    def _plan(self, question, source, since, until, window_from, now) -> FilterPlan:
        from retrieval.answering.filters import Catalog, plan_filters

        question = check_question(question, self.settings)  # a bad question fails before any filter
        return plan_filters(
            question,
            lambda: Catalog.from_lexical(self.searcher.lexical()),
            now=now or datetime.now(UTC),
            source=source,
            since=since,
            until=until,
            origin=window_from,
        )

    def sources(self) -> list[str]:
        """The source names the index holds, sorted (for autocomplete and error messages)."""
        return [s for s in self.searcher.lexical().sources if s]

    def check_source(self, name: str) -> str:
        """The stored spelling of a source; QuestionError (one line, with the closest names) if unknown."""
        from retrieval.answering.filters import resolve_source

        return resolve_source(name, self.sources()) or ""

    def check_window(self, since: str | None, until: str | None, now: datetime | None = None) -> str:
        """Words for a `--since/--until` pair ("since 2025-03-17"); QuestionError (one line) when they are bad."""
        window = window_from_options(since, until, now=now or datetime.now(UTC))
        return window.describe() if window else "any date"

    def find_articles(
        self,
        *,
        source: str | None = None,
        since: str | None = None,
        until: str | None = None,
        query: str | None = None,
        limit: int | None = 50,
        now: datetime | None = None,
    ) -> Listing:
        """Articles by source, date window and words: newest first, or best match first with `query`."""
        from retrieval.articles import listing, undated_note

        _, source_name, _, chosen, undated, applied = self._select(source, since, until, now)
        if query and query.strip():
            words = check_question(query, self.settings)
            allowed = {a.id for a in chosen}
            filters = SearchFilters(source=source_name, since=applied.since, until=applied.until)
            hits = self.search(words, k=max(3 * (limit or 50), 30), filters=filters)
            ranked = list(dict.fromkeys(h.article.id for h in hits if h.article.id in allowed))
            by_id = {a.id: a for a in chosen}
            chosen = [by_id[i] for i in ranked]
        return listing(chosen, applied, limit, undated_note(undated))

    def article(self, article_id: str) -> ArticleView | None:
        """One article with its numbered sentences and where to open it; None if there is no such id."""
        from retrieval.articles import view

        info = self.index.get_article(article_id)
        if info is None:
            return None
        return view(info, self.index.get_sentences(article_id))

    def latest(
        self, *, source: str | None = None, since: str | None = None, n: int = 10, now: datetime | None = None
    ) -> Listing:
        """The n newest stories (copies of one story once), each with its lead sentence cited."""
        from retrieval.articles import published_ts, undated_note

        infos, source_name, window, chosen, undated, applied = self._select(source, since, None, now)
        where = f" from {source_name}" if source_name else ""
        pool = [a for a in infos if not source_name or a.source == source_name]
        dated = [a for a in pool if published_ts(a) >= 0]
        if not dated:
            note = (
                f"No article{where} carries a publication date ({len(pool)} undated), so there is no newest; "
                "`newsbot articles list` lists them all."
            )
            return Listing(total=0, filters=applied, note=note)
        headlines = self._headlines(chosen, n)
        if not headlines:
            newest = max(dated, key=published_ts).published_at[:10]
            note = f"No article{where} is dated {window.describe() if window else ''}; the newest{where} is from {newest}."
            return Listing(total=0, filters=applied, note=note)
        undated_in_pool = len(pool) - len(dated)
        note = undated_note(undated) if window else (
            f"{undated_in_pool} undated article{'s' if undated_in_pool != 1 else ''} not listed" if undated_in_pool else "")
        # total: the dated articles the stories were chosen from
        return Listing(headlines=headlines, total=sum(1 for a in chosen if a.published_at), filters=applied, note=note)

    def _select(self, source: str | None, since: str | None, until: str | None, now: datetime | None):
        """Every article, the resolved source, the window, the articles inside both, how many undated, and
        the filters as applied (for `find_articles` and `latest`)."""
        from retrieval.answering.filters import resolve_source
        from retrieval.articles import select

        infos = self.index.list_articles()
        source_name = resolve_source(source, sorted({a.source for a in infos if a.source}))
        window = window_from_options(since, until, now=now or datetime.now(UTC))
        chosen, undated = select(infos, source=source_name, window=window)
        applied = AppliedFilters(
            source=source_name,
            since=window.since_iso() if window else None,
            until=window.until_iso() if window else None,
            window_from="options" if window else None,
            expression=window.expression if window else "",
            undated_skipped=undated,
        )
        return infos, source_name, window, chosen, undated, applied

    def _headlines(self, articles: Sequence[ArticleInfo], n: int) -> tuple[Headline, ...]:
        from retrieval.answering.citations import make_citation
        from retrieval.headlines import newest_stories

        def lead_of(article_id: str):
            first = self.index.get_sentences(article_id, 0, 0)
            return first[0] if first else None

        return tuple(
            Headline(
                article=s.article,
                lead=make_citation(i, Hit(s.lead, s.article, 0.0)) if s.lead else None,
                copies=s.copies,
            )
            for i, s in enumerate(newest_stories(articles, lead_of, n), 1)
        )

    def _overview(self, plan: FilterPlan) -> Answer | None:
        """For a question about the news in general ("What is the latest news?"): the newest stories' leads, cited.

        None when the question has a topic of its own, or when nothing dated matches (the normal
        answer path then runs, and says what it finds).
        """
        from retrieval.articles import select
        from retrieval.headlines import wants_overview

        if plan.empty or not wants_overview(plan.search_question):
            return None
        # The lexical index keeps every article's metadata in memory: no Chroma listing per question.
        chosen, _ = select(self.searcher.lexical().articles, source=plan.applied.source, window=plan.window)
        chosen = [a for a in chosen if a.published_at]
        leads = [h.lead for h in self._headlines(chosen, OVERVIEW_STORIES) if h.lead is not None]
        if not leads:
            return None
        leads = [dataclasses.replace(c, n=i) for i, c in enumerate(leads, 1)]
        text = " ".join(cited(c.quote, c.n) for c in leads)
        return Answer(
            question=plan.question,
            answer=text,
            abstained=False,
            backend="latest",
            citations=tuple(leads),
            note="; ".join(p for p in ("the newest stories' first sentences, newest first", plan.note) if p),
            standalone_question=plan.search_question,
            filters=plan.applied,
        )

    # -- digests ------------------------------------------------------------------------------

    def digest(self, *, since: str | None = "24h", topic: str | None = None, source: str | None = None,
               n: int = 8, now: datetime | None = None) -> Digest:
        """The top `n` stories of the window (`since="all"`: every article), ranked by sources and recency.

        `topic` keeps stories with an article that matches its words; `source` keeps stories that
        source reported (their other sources still count)."""
        from retrieval.answering.filters import resolve_source
        from retrieval.digest import build_digest, digest_pool

        now = now or datetime.now(UTC)
        every = since is not None and since.strip().lower() in ("all", "any")
        infos, _, window, chosen, undated, applied = self._select(None, None if every else since, None, now)
        source_name = resolve_source(source, sorted({a.source for a in infos if a.source})) if source else None
        applied = dataclasses.replace(applied, source=source_name)
        words = check_question(topic, self.settings) if topic and topic.strip() else ""
        hits = self.search(words, k=max(60, 10 * n), filters=SearchFilters(since=applied.since, until=applied.until)) if words else []
        pool, note = digest_pool(chosen, infos, window, undated, source_name, words, hits)

        def leads(article_id: str):
            return self.index.get_sentences(article_id, 0, 1)

        prefer = {a: i for i, a in enumerate(dict.fromkeys(h.article.id for h in hits))}
        return build_digest(pool, leads, n=n, now=now, prefer=prefer, filters=applied, topic=words, note=note)

    def digest_slot(self, now: datetime | None = None) -> datetime:
        """The latest scheduled digest time (NEWSBOT_DIGEST_AT in NEWSBOT_TIMEZONE) at or before `now`."""
        from retrieval.digest import latest_slot

        return latest_slot(now or datetime.now(UTC), self.settings.digest_at, self.settings.timezone)

    def scheduled_digest(self, now: datetime | None = None) -> Digest | None:
        """The scheduled digest, or None when no article arrived since the last one posted."""
        from retrieval.digest import has_news

        s = self.settings
        digest = self.digest(since=s.digest_since, n=s.digest_stories, now=now)
        return digest if has_news(digest, s.data_dir) else None

    def digest_posted(self, digest: Digest, now: datetime | None = None) -> None:
        """Remember that `digest` was posted, so the next scheduled one waits for news."""
        from retrieval.digest import record_posted

        record_posted(self.settings.data_dir, digest, now or datetime.now(UTC))

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

    # -- readers' feedback (its own SQLite file: no index or model is opened for it) --------------

    @property
    def feedback(self) -> FeedbackStore:
        with self._lock:
            if self._feedback is None:
                from retrieval.feedback import FeedbackStore

                self._feedback = FeedbackStore(self.settings.data_dir, enabled=self.settings.feedback)
            return self._feedback

    def new_answer_id(self) -> str:
        """An id for an answer about to be shown, to name it in later feedback (12 hex digits)."""
        from retrieval.feedback import new_answer_id
        return new_answer_id()

    def record_feedback(self, answer_id: str, user: str, good: bool, *, note: str = "", answer: Answer | None = None,
                        history: History = (), seen_text: str = "", front_end: str = "") -> FeedbackVote:
        """Store `user`'s 👍 (good) or 👎 on an answer; a repeat changes the vote, never adds one.

        `user` ("discord:1234") is stored only as a salted hash. `answer` None: the front end no
        longer has it, and `seen_text` (what the reader saw) is stored instead.
        """
        return self.feedback.record(answer_id, user, good, note=note, answer=answer, history=history,
                                    seen_text=seen_text, front_end=front_end)

    def feedback_stats(self) -> FeedbackStats:
        return self.feedback.stats()

    def feedback_records(self) -> list[dict]:
        """The rated answers as `newsbot eval --dataset jsonl` records (👎 and unclear ones flagged `review`)."""
        return self.feedback.export()
