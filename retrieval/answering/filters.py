"""Source and date filters for one question: from options, the conversation, or the question's words.

`plan_filters` decides what a question is restricted to, before retrieval:
- an explicit window (`--since/--until`, Discord options, chat `/since` `/until`) wins over date
  words in the question, which are then left in the question as they are;
- otherwise the question's own date words (`dates.find_window`) set the window and are cut from
  the text that retrieval matches;
- a source must be one the index holds (case-insensitive); an unknown name is a one-line error
  that lists the closest known names;
- undated articles are outside every window, and how many were left out is said in the note;
- when nothing in the index falls in the window, the answer is one line that says so and names
  the newest article's date (a 2005 archive has nothing "this week"); when no article matching
  the other filters carries a date at all, a window read from the question's words is not
  applied (the words more likely name what the question is about) and the note says so.

The filters themselves are applied inside retrieval (`search.SearchFilters`: a Chroma `where`
on the dense side and the same mask on the lexical side), never by dropping hits after a top-k.
"""

from __future__ import annotations

import dataclasses
import difflib
import weakref
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from retrieval.answering.dates import DateWindow, find_window, window_from_options
from retrieval.errors import QuestionError
from retrieval.types import Answer, AppliedFilters, SearchFilters


@dataclass(frozen=True)
class Catalog:
    """What the filters need to know about the index: its sources and each article's date and source."""

    sources: tuple[str, ...]  # sorted names as stored
    article_ts: np.ndarray  # seconds since the epoch per article, -1 when undated
    article_source: np.ndarray  # position in `sources` per article

    @classmethod
    def from_articles(cls, articles: Sequence) -> Catalog:
        """From ArticleInfo-like records (`source`, `published_at`)."""
        sources = tuple(sorted({a.source for a in articles}))
        pos = {s: i for i, s in enumerate(sources)}
        ts = np.asarray([_ts(a.published_at) for a in articles], dtype=np.int64)
        src = np.asarray([pos[a.source] for a in articles], dtype=np.int64)
        return cls(sources, ts, src)

    @classmethod
    def from_lexical(cls, lex) -> Catalog:
        """From a search.LexicalIndex (cached per index version: it is rebuilt when the index changes)."""
        cached = _CATALOGS.get(lex)
        if cached is None:
            cached = _CATALOGS[lex] = cls.from_articles(lex.articles)
        return cached

    def source_mask(self, source: str | None) -> np.ndarray:
        if not source:
            return np.ones(len(self.article_ts), dtype=bool)
        return self.article_source == self.sources.index(source)


_CATALOGS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _ts(iso: str) -> int:
    if not iso:
        return -1
    try:
        dt = datetime.fromisoformat(iso.strip().replace("z", "Z"))
    except ValueError:
        return -1
    return int((dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt).timestamp())


def resolve_source(name: str | None, known: Sequence[str]) -> str | None:
    """The stored spelling of a source name (case-insensitive); QuestionError with the closest names if unknown."""
    wanted = (name or "").strip()
    if not wanted:
        return None
    by_fold = {s.casefold(): s for s in known if s}
    if wanted.casefold() in by_fold:
        return by_fold[wanted.casefold()]
    if not by_fold:
        raise QuestionError(f"unknown source {wanted!r}: the index holds no named sources yet")
    containing = [s for f, s in sorted(by_fold.items()) if wanted.casefold() in f]
    close = [by_fold[f] for f in difflib.get_close_matches(wanted.casefold(), list(by_fold), n=3, cutoff=0.4)]
    suggestions = list(dict.fromkeys(containing + close))[:3]
    if suggestions:
        hint = "closest known: " + ", ".join(f'"{s}"' for s in suggestions)
    else:
        hint = f"known sources: {', '.join(sorted(by_fold.values())[:5])}" + (" ..." if len(by_fold) > 5 else "")
    raise QuestionError(f"unknown source {wanted!r}; {hint} (`newsbot stats` lists them all)")


@dataclass(frozen=True)
class FilterPlan:
    """What one question is restricted to, and the text retrieval should match."""

    question: str  # as asked
    search_question: str  # date words cut when they set the window
    applied: AppliedFilters
    window: DateWindow | None = None  # None: no date restriction
    empty: str = ""  # one line for the reader when nothing in the index matches: answer with it, don't search
    note: str = ""  # one line for the answer note ("12 undated articles left out")

    def search_filters(self):
        """The `SearchFilters` for retrieval (None when nothing is restricted)."""
        if not self.applied.source and self.window is None:
            return None
        return SearchFilters(
            source=self.applied.source,
            since=self.window.since_iso() if self.window else None,
            until=self.window.until_iso() if self.window else None,
        )


def plan_filters(
    question: str,
    catalog: Catalog | Callable[[], Catalog],
    *,
    now: datetime,
    source: str | None = None,
    since: str | None = None,
    until: str | None = None,
    window: DateWindow | None = None,
    origin: str = "options",
) -> FilterPlan:
    """Resolve a question's filters against the index (see the module docstring); QuestionError on bad input.

    `since`/`until` are option values as typed ("2d", "2025-03-01"); `window` is one already
    parsed (a conversation's `/since`), used when neither option is given; `origin` names where
    an explicit window came from ("options", "chat") for the `filters` echo. `catalog` may be a
    function: it is called only when a source or a window needs it, so a plain question costs
    nothing but the date scan.
    """
    explicit = window_from_options(since, until, now=now) if (since or until) else window
    dated = find_window(question, now=now) if explicit is None else None
    if not (source or "").strip() and explicit is None and dated.window is None:
        return FilterPlan(question, question, AppliedFilters(), None)
    if callable(catalog):
        catalog = catalog()
    source_name = resolve_source(source, catalog.sources)
    search_question = question
    if explicit is not None:
        chosen, came_from = explicit, origin
    else:
        chosen, came_from = dated.window, ("question" if dated.window else None)
        if chosen is not None:
            search_question = dated.search_question
    in_source = catalog.source_mask(source_name)
    where = f" from {source_name}" if source_name else ""
    if chosen is None:
        return FilterPlan(question, question, AppliedFilters(source=source_name), None)

    dated_mask = in_source & (catalog.article_ts >= 0)
    words = chosen.expression or chosen.describe()
    if not dated_mask.any():
        if came_from == "question":
            applied = AppliedFilters(source=source_name)
            note = f'no article{where} carries a date, so "{words}" was not applied as a window'
            return FilterPlan(question, question, applied, None, note=note)
        applied = AppliedFilters(source_name, chosen.since_iso(), chosen.until_iso(), came_from, words)
        empty = f"No article{where} carries a date, so none is {_phrase(chosen)}; `newsbot articles list` shows what there is."
        return FilterPlan(question, search_question, applied, chosen, empty=empty)

    lo = None if chosen.since is None else int(chosen.since.timestamp())
    hi = None if chosen.until is None else int(chosen.until.timestamp())
    inside = dated_mask.copy()
    if lo is not None:
        inside &= catalog.article_ts >= lo
    if hi is not None:
        inside &= catalog.article_ts <= hi
    undated = int((in_source & (catalog.article_ts < 0)).sum())
    applied = AppliedFilters(source_name, chosen.since_iso(), chosen.until_iso(), came_from, words, undated)
    if not inside.any():
        newest = datetime.fromtimestamp(int(catalog.article_ts[dated_mask].max()), UTC).date().isoformat()
        empty = f"No article{where} is {_phrase(chosen)}; the newest{where} is from {newest}."
        return FilterPlan(question, search_question, applied, chosen, empty=empty)
    note = f"{undated} undated article{'s' if undated != 1 else ''} left out by the date window" if undated else ""
    return FilterPlan(question, search_question, applied, chosen, note=note)


def _phrase(window: DateWindow) -> str:
    """'dated from 2025-03-10 to 2025-03-16 ("last week")', 'dated since 2025-03-17'."""
    span = window.describe()
    if not span.startswith(("on ", "since ", "until ")):
        span = "from " + span
    words = window.expression
    return f'dated {span} ("{words}")' if words and not words.startswith(("since ", "until ")) else f"dated {span}"


# -- answering within the filters ------------------------------------------------------------


def _with_plan(ans: Answer, plan: FilterPlan) -> Answer:
    note = "; ".join(n for n in (ans.note, plan.note) if n)
    # No restriction at all stays None, so an unfiltered answer equals the pipeline's own.
    applied = plan.applied if plan.applied != AppliedFilters() else None
    return dataclasses.replace(ans, question=plan.question, note=note, filters=applied)


def _empty_answer(plan: FilterPlan, backend: str) -> Answer:
    return Answer(
        question=plan.question,
        answer=plan.empty,
        abstained=True,
        backend=backend,
        note=plan.note,
        standalone_question=plan.search_question,
        filters=plan.applied,
    )


def stream_within(
    pipeline, plan: FilterPlan, history: Sequence[tuple[str, str]] = (), backend: str = "extractive"
) -> Iterator[str | Answer]:
    """The pipeline's answer to the plan's search question, restricted by its filters inside retrieval:
    text pieces, then the final Answer (`Engine.ask` keeps the last item)."""
    if plan.empty:
        yield plan.empty
        yield _empty_answer(plan, backend)
        return
    for item in pipeline.stream(plan.search_question, history, filters=plan.search_filters()):
        yield _with_plan(item, plan) if isinstance(item, Answer) else item
