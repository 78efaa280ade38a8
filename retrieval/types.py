"""The small typed records that flow through newsbot, defined once.

Data flows one way: Article -> Sentence -> Chunk -> index -> Hit -> Answer(Citation).
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, time

from retrieval.errors import QuestionError


def content_id(title: str, text: str) -> str:
    """Stable article id derived from the content, so the same text under two names is one article."""
    norm = unicodedata.normalize("NFC", f"{title.strip()}\n\n{text.strip()}")
    return "a" + hashlib.sha256(norm.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Article:
    """One news article, normalised. `key` is where it came from (file path or URL)."""

    title: str
    text: str
    source: str = ""
    url: str = ""
    published_at: str = ""  # ISO 8601 in UTC ("2024-12-27T00:00:00Z"), "" when unknown
    author: str = ""
    key: str = ""  # file path or URL: a new text under the same key replaces the old article
    external_id: str = ""  # the id the input gave, if any
    title_is_derived: bool = False  # True when the title was made from the text, not given
    updated_at: str = ""  # ISO 8601 UTC: when this text replaced an earlier version under the same key, "" if never

    @property
    def id(self) -> str:
        return content_id(self.title, self.text)


@dataclass(frozen=True)
class ArticleInfo:
    """An article's metadata as stored in the index (no text)."""

    id: str
    title: str
    source: str = ""
    url: str = ""
    published_at: str = ""
    author: str = ""
    key: str = ""
    n_sentences: int = 0
    story_id: str = ""  # the story it belongs to (`retrieval.stories`); "" in an index not yet backfilled
    updated_at: str = ""  # when a newer text of the article replaced the one first stored, "" if never


@dataclass(frozen=True)
class Sentence:
    """A sentence with exact character offsets into its article's text: text == article.text[start:end]."""

    article_id: str
    index: int
    start: int
    end: int
    text: str

    @property
    def id(self) -> str:
        return f"{self.article_id}:s{self.index}"


@dataclass(frozen=True)
class Chunk:
    """Consecutive whole sentences [first, last] of one article."""

    article_id: str
    index: int
    first: int
    last: int
    start: int
    end: int
    text: str

    @property
    def id(self) -> str:
        return f"{self.article_id}:c{self.index}"


@dataclass(frozen=True)
class SearchFilters:
    """Metadata filters: source (case-insensitive), ISO date range (inclusive), article ids."""

    source: str | None = None
    since: str | None = None
    until: str | None = None
    article_ids: tuple[str, ...] = ()

    def since_ts(self) -> int | None:
        return None if not self.since else _parse_date(self.since, "since", end_of_day=False)

    def until_ts(self) -> int | None:
        return None if not self.until else _parse_date(self.until, "until", end_of_day=True)


def _parse_date(value: str, name: str, end_of_day: bool) -> int:
    raw = value.strip()
    try:
        dt = datetime.fromisoformat(raw)
    except ValueError:
        raise QuestionError(f"{name}={value!r} is not a date; use YYYY-MM-DD (e.g. 2024-12-27)") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    if end_of_day and len(raw) <= 10:  # a bare date means the whole day
        dt = datetime.combine(dt.date(), time.max, tzinfo=dt.tzinfo)
    return int(dt.timestamp())


@dataclass(frozen=True)
class Hit:
    """A ranked sentence returned by search, with its article and neighbouring text."""

    sentence: Sentence
    article: ArticleInfo
    score: float
    context: str = ""  # the sentence with its neighbours, for readers and LLM prompts


@dataclass(frozen=True)
class Citation:
    """A numbered citation that resolves to one stored sentence."""

    n: int
    article_id: str
    title: str
    source: str
    url: str
    published_at: str
    sentence_index: int
    quote: str  # exactly the stored sentence
    link: str = ""  # url with a #:~:text= fragment pointing at the sentence, else the file:// URI of `path`
    path: str = ""  # the local file the article was read from, "" for web articles
    story_id: str = ""  # the story of the cited article (`retrieval.stories`)
    also_reported_by: tuple[str, ...] = ()  # other sources whose article of the story says the same
    updated_at: str = ""  # ISO 8601 UTC: when the publisher's update replaced the article's first text, "" if never

    def to_json(self) -> dict:
        d = asdict(self)
        d.pop("link")
        return d

    def also_reported(self) -> str:
        """'also reported by 2 sources: AP, Reuters'; "" when no other source says the same."""
        n = len(self.also_reported_by)
        return f"also reported by {n} source{'s' if n != 1 else ''}: {', '.join(self.also_reported_by)}" if n else ""


@dataclass(frozen=True)
class Answer:
    """What every answerer returns and every front end renders."""

    question: str
    answer: str
    abstained: bool
    backend: str
    citations: tuple[Citation, ...] = ()
    note: str = ""  # one line for the user, e.g. why the LLM answer fell back to extractive
    standalone_question: str = ""  # the question after the condense step
    hits: tuple[Hit, ...] = field(default=(), compare=False, repr=False)
    filters: AppliedFilters | None = None  # the source and date window the answer was restricted to

    def to_json(self) -> dict:
        """The stable `--json` schema documented in the README (`filters` added later, always present)."""
        return {
            "question": self.question,
            "answer": self.answer,
            "abstained": self.abstained,
            "backend": self.backend,
            "citations": [c.to_json() for c in self.citations],
            "note": self.note,
            "filters": (self.filters or AppliedFilters()).to_json(),
        }


@dataclass(frozen=True)
class Skipped:
    """An input that was not ingested, with a one-line reason that says what to do."""

    key: str  # file path (with ":line" for a JSONL record) or URL
    reason: str


@dataclass
class IngestReport:
    """What a write did; `skipped` lists inputs that were not ingested and why."""

    added: int = 0
    unchanged: int = 0
    replaced: int = 0
    duplicates: int = 0
    deleted: int = 0
    sentences: int = 0
    chunks: int = 0
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def ingested(self) -> int:
        return self.added + self.replaced

    def merge(self, other: IngestReport) -> None:
        for name in ("added", "unchanged", "replaced", "duplicates", "deleted", "sentences", "chunks"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.skipped.extend(other.skipped)

    def summary(self) -> str:
        parts = [
            f"{self.added} added",
            f"{self.replaced} replaced",
            f"{self.unchanged} unchanged",
            f"{self.duplicates} duplicates",
        ]
        if self.deleted:
            parts.append(f"{self.deleted} deleted")
        parts += [f"{self.sentences} sentences", f"{self.chunks} chunks", f"{len(self.skipped)} skipped"]
        return "articles: " + ", ".join(parts)


@dataclass(frozen=True)
class FeedbackVote:
    """What recording one reader's 👍 / 👎 did: "new", "changed" (the reader switched) or "same" (a repeat)."""

    answer_id: str
    good: bool
    outcome: str
    known: bool  # the answer's question and citations are stored, not just the text the reader saw
    note: str = ""


@dataclass(frozen=True)
class FeedbackRate:
    """👍 and 👎 counts for one day, backend or source."""

    key: str
    good: int = 0
    bad: int = 0

    @property
    def rate(self) -> float | None:
        """The share of 👍 among the votes; None when there are none."""
        total = self.good + self.bad
        return self.good / total if total else None

    def to_json(self) -> dict:
        return {"key": self.key, "good": self.good, "bad": self.bad, "rate": self.rate}


@dataclass(frozen=True)
class FeedbackStats:
    """Readers' votes so far: totals and rates by day, answer backend and cited source."""

    answers: int = 0  # answers with at least one vote
    good: int = 0
    bad: int = 0
    notes: int = 0  # 👎 with a "what was wrong" note
    unknown_answers: int = 0  # rated after the bot had forgotten them: only their text is stored
    by_day: tuple[FeedbackRate, ...] = ()
    by_backend: tuple[FeedbackRate, ...] = ()
    by_source: tuple[FeedbackRate, ...] = ()

    @property
    def rate(self) -> float | None:
        return FeedbackRate("all", self.good, self.bad).rate

    def to_json(self) -> dict:
        return {
            "answers": self.answers, "good": self.good, "bad": self.bad, "rate": self.rate, "notes": self.notes,
            "unknown_answers": self.unknown_answers,
            **{name: [r.to_json() for r in getattr(self, name)] for name in ("by_day", "by_backend", "by_source")},
        }


@dataclass(frozen=True)
class Feed:
    """A followed feed and how its last fetch went."""

    url: str
    title: str = ""
    added_at: str = ""
    last_checked: str = ""
    last_ok: str = ""
    last_error: str = ""
    entries: int = 0  # entries seen so far
    articles: int = 0  # entries stored in the index
    pending: int = 0  # entries still to fetch (new, or failed and to be retried)


@dataclass
class RefreshReport:
    """What one `refresh_feeds` did; `summary()` is what the CLI and /stats show."""

    started_at: str = ""
    finished_at: str = ""
    feeds: int = 0  # feeds checked
    feeds_unchanged: int = 0  # answered 304 / same content: nothing to do
    feeds_failed: list[Skipped] = field(default_factory=list)
    new_entries: int = 0
    updated_entries: int = 0
    pages_fetched: int = 0
    pages_unchanged: int = 0  # answered 304
    from_feed_text: int = 0  # stored from the feed's own text because the page could not be used
    added: int = 0
    replaced: int = 0
    unchanged: int = 0
    duplicates: int = 0
    sentences: int = 0
    skipped: list[Skipped] = field(default_factory=list)  # entries not stored, with the reason
    retry_later: int = 0  # entries that failed for a passing reason and will be tried again
    deferred: int = 0  # entries not reached within NEWSBOT_FEED_TIMEOUT / NEWSBOT_REFRESH_TIMEOUT: next refresh
    rechecked: int = 0  # pages of recent entries asked again (NEWSBOT_RECHECK_HOURS), feed entry unchanged
    corrected: int = 0  # of those, pages whose text had changed: their article was replaced
    warnings: list[str] = field(default_factory=list)
    interrupted: bool = False

    def absorb(self, ingest: IngestReport) -> None:
        self.added += ingest.added
        self.replaced += ingest.replaced
        self.unchanged += ingest.unchanged
        self.duplicates += ingest.duplicates
        self.sentences += ingest.sentences
        self.skipped.extend(ingest.skipped)

    def summary(self) -> str:
        head = (
            f"feeds: {self.feeds} checked, {self.feeds_unchanged} unchanged, {len(self.feeds_failed)} failed; "
            f"entries: {self.new_entries} new, {self.updated_entries} updated; "
            f"articles: {self.added} added, {self.replaced} replaced, {self.unchanged} unchanged, "
            f"{self.duplicates} duplicates, {len(self.skipped)} skipped"
        )
        if self.retry_later:
            head += f", {self.retry_later} to retry"
        if self.deferred:
            head += f", {self.deferred} left for the next refresh (time limit)"
        if self.rechecked:
            head += f"; pages re-checked: {self.rechecked}, {self.corrected} updated"
        if self.interrupted:
            head += " (interrupted: the next refresh resumes)"
        return head

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> RefreshReport:
        data = dict(data)
        for name in ("feeds_failed", "skipped"):
            data[name] = [Skipped(**s) for s in data.get(name, [])]
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass(frozen=True)
class AppliedFilters:
    """What an answer or listing was restricted to; echoed as `filters` in `--json`."""

    source: str | None = None  # the stored spelling of the source
    since: str | None = None  # ISO 8601 UTC, inclusive; None = unbounded
    until: str | None = None
    window_from: str | None = None  # "options", "chat" or "question": where the window came from
    expression: str = ""  # the words that set the window, as written
    undated_skipped: int = 0  # undated articles left out by the window

    @property
    def active(self) -> bool:
        return bool(self.source or self.since or self.until)

    def to_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Headline:
    """One story in `latest`: its newest article, that article's lead sentence cited, the copies left out."""

    article: ArticleInfo
    lead: Citation | None
    copies: tuple[ArticleInfo, ...] = ()

    def to_json(self) -> dict:
        return {
            "article": asdict(self.article),
            "lead": self.lead.to_json() if self.lead else None,
            "copies": [a.id for a in self.copies],
        }


@dataclass(frozen=True)
class Listing:
    """Articles or stories that matched a listing's filters, newest first, with one line for the reader."""

    articles: tuple[ArticleInfo, ...] = ()
    headlines: tuple[Headline, ...] = ()
    total: int = 0  # how many matched before the limit
    filters: AppliedFilters = field(default_factory=AppliedFilters)
    note: str = ""  # e.g. "the articles carry no dates", "3 undated articles left out"


@dataclass(frozen=True)
class ArticleView:
    """One stored article for reading: metadata, numbered sentences, and where to open the original."""

    article: ArticleInfo
    sentences: tuple[Sentence, ...]
    path: str = ""  # the local file it was read from, "" for web articles
    link: str = ""  # its URL, or the file:// URI of `path`


@dataclass(frozen=True)
class DigestStory:
    """One story in a digest: its newest article's title, the sources reporting it, one or two cited sentences."""

    story_id: str
    title: str
    sources: tuple[str, ...]
    articles: int
    published_at: str  # the newest article's date, "" when undated
    citations: tuple[Citation, ...]
    score: float = 0.0

    def to_json(self) -> dict:
        return {
            "story_id": self.story_id,
            "title": self.title,
            "sources": list(self.sources),
            "articles": self.articles,
            "published_at": self.published_at,
            "score": round(self.score, 4),
            "citations": [c.to_json() for c in self.citations],
        }


@dataclass(frozen=True)
class Digest:
    """The top stories of a window, ranked by how many sources report them and how recent they are."""

    stories: tuple[DigestStory, ...] = ()
    total: int = 0  # stories in the window (and topic, source) before the limit
    filters: AppliedFilters = field(default_factory=AppliedFilters)
    topic: str = ""
    note: str = ""
    article_ids: tuple[str, ...] = ()  # the articles of the stories shown (what "new since the last digest" compares)

    def to_json(self) -> dict:
        return {
            "stories": [s.to_json() for s in self.stories],
            "total": self.total,
            "topic": self.topic,
            "filters": self.filters.to_json(),
            "note": self.note,
        }
