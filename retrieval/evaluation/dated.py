"""A dated evaluation set: questions that carry a time window, over articles with real dates.

Built from MultiHop-RAG (news of September-December 2023, every article dated), three kinds:
- "temporal": MultiHop-RAG's own temporal queries whose dates ("published on October 22, 2023",
  "on 2023-11-24") set a window holding at least one gold fact; the gold is cut to the facts
  inside the window (a query also citing a later article keeps only what its window can reach);
- "month": an inference or comparison query whose gold articles all appeared in one month,
  asked as "In October 2023, which company ...";
- "last week": the same for gold that all appeared in one week, asked "... last week?" with the
  clock set to the Wednesday after, so relative words are tested too.
Questions are read with a clock (`clocks[id]`): the day after the newest article for the first
two kinds. `windows[id]` is the window `find_window` reads from the question with that clock; a
question is kept only when that window holds its gold, and how many were left out, and why, is in
the notes. The BBC set added as distractors is undated, so every one of its articles must stay
out of every windowed answer.

Scored by `window_metrics`: how often an answer cites only articles dated inside the window (the
target is 100%: the window is a filter inside retrieval, not a preference) and how often it still
finds a gold sentence.
"""

from __future__ import annotations

import calendar
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from retrieval.answering.dates import DateWindow, find_window
from retrieval.evaluation.datasets import load_multihop
from retrieval.evaluation.questions import EvalDataset, EvalQuestion

KINDS = ("temporal", "month", "last week")
_LOWER_FIRST = frozenset("which what who whom whose when where why how does did do is was are were has have had".split())


@dataclass
class DatedDataset(EvalDataset):
    """An EvalDataset whose questions each have a clock and the window read from them with it."""

    clocks: dict[str, datetime] = field(default_factory=dict)
    windows: dict[str, DateWindow] = field(default_factory=dict)


def parse_published(value: str) -> datetime | None:
    """An article's stored `published_at` (ISO 8601) as an aware UTC datetime; None when unknown or bad."""
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value.strip().replace("z", "Z"))
    except ValueError:
        return None
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def load_dated(path: Path, kinds: Iterable[str] = KINDS) -> DatedDataset:
    """The dated set from a MultiHop-RAG folder (queries.json, ground_truth.json, derived facts)."""
    base = load_multihop(Path(path))
    published = {a.id: parse_published(a.published_at) for a in base.corpus or []}
    dated_days = [d for d in published.values() if d is not None]
    newest = max(dated_days) if dated_days else datetime(2024, 1, 1, tzinfo=UTC)
    after_newest = datetime.combine(newest.date() + timedelta(days=1), time.min, tzinfo=UTC)
    wanted = set(kinds)
    questions: list[EvalQuestion] = []
    clocks: dict[str, datetime] = {}
    windows: dict[str, DateWindow] = {}
    dropped: Counter[str] = Counter()

    def keep(q: EvalQuestion, text: str, qid: str, kind: str, now: datetime) -> None:
        window = find_window(text, now=now).window
        if window is None:
            dropped[f"{kind}: no date expression read"] += 1
            return
        gold = tuple(e for e in q.evidence if window.contains(published.get(e.doc)))
        if not gold:
            dropped[f"{kind}: no gold inside the window read"] += 1
            return
        questions.append(EvalQuestion(id=qid, question=text, evidence=gold, answer=q.answer, kind=kind))
        clocks[qid] = now
        windows[qid] = window

    for q in base.questions:
        if not q.answerable or not q.evidence:
            continue
        days = [published.get(e.doc) for e in q.evidence]
        if q.kind == "temporal_query":
            if "temporal" in wanted:
                keep(q, q.question, q.id, "temporal", after_newest)
            continue
        if any(d is None for d in days) or find_window(q.question, now=after_newest).window is not None:
            continue  # a question that already names a date is not rewritten
        if "month" in wanted and len({(d.year, d.month) for d in days}) == 1:
            d = days[0]
            keep(q, f"In {calendar.month_name[d.month]} {d.year}, {_lower_first(q.question)}", f"{q.id}-month", "month", after_newest)
        if "last week" in wanted and len({d.isocalendar()[:2] for d in days}) == 1:
            d = days[0]
            # The Wednesday of the following week, noon: "last week" is then exactly the gold's week.
            wednesday = d.date() - timedelta(days=d.weekday()) + timedelta(days=9)
            now = datetime.combine(wednesday, time(12), tzinfo=UTC)
            keep(q, f"{q.question.rstrip(' ?.')} last week?", f"{q.id}-week", "last week", now)

    counts = Counter(q.kind for q in questions)
    notes = [
        *base.notes,
        "dated set: " + ", ".join(f"{counts[k]} {k}" for k in KINDS if k in wanted),
        *(f"left out: {n} ({why})" for why, n in sorted(dropped.items())),
    ]
    return DatedDataset("dated", questions, base.corpus, notes, clocks=clocks, windows=windows)


def _lower_first(question: str) -> str:
    first = question.split(" ", 1)[0]
    return question[0].lower() + question[1:] if first.lower() in _LOWER_FIRST else question


# -- scoring ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class WindowOutcome:
    """One windowed question's answer: did it answer, cite only in-window articles, find gold."""

    answered: bool
    in_window: bool  # every citation's article is dated inside the window (vacuously true without citations)
    found_gold: bool
    outside: tuple[str, ...] = ()  # article ids cited from outside the window (undated ones included)


def window_outcome(window: DateWindow, citations: Sequence, found_gold: bool) -> WindowOutcome:
    """Score citations (anything with `article_id` and `published_at`) against the window."""
    outside = tuple(
        dict.fromkeys(c.article_id for c in citations if not window.contains(parse_published(c.published_at)))
    )
    return WindowOutcome(answered=bool(citations), in_window=not outside, found_gold=found_gold, outside=outside)


def window_metrics(outcomes: Sequence[WindowOutcome]) -> dict[str, float | int | None]:
    """Shares over the windowed questions: answered, cited only in-window (of answered), found gold (of all).

    Named to sit beside the answer metrics of a run (`window_*`).
    """
    n = len(outcomes)
    answered = [o for o in outcomes if o.answered]
    return {
        "windowed": n,
        "window_answered": len(answered) / n if n else None,
        "cites_in_window": sum(o.in_window for o in answered) / len(answered) if answered else None,
        "window_gold_found": sum(o.found_gold for o in outcomes) / n if n else None,
    }


def corpus_clock(last_published: str | None) -> datetime | None:
    """The clock a corpus's questions are asked with: the day after its newest article (None: undated).

    "Yesterday" in a question about a 2023 corpus means the day before its newest news, not the
    day before the evaluation runs.
    """
    newest = parse_published(last_published or "")
    return None if newest is None else datetime.combine(newest.date() + timedelta(days=1), time.min, tzinfo=UTC)


@dataclass
class WindowScorer:
    """The clock each question is asked with, and (dated sets) each answer scored against its window."""

    clocks: dict[str, datetime] = field(default_factory=dict)  # per question (dated sets)
    windows: dict[str, DateWindow] = field(default_factory=dict)  # per question: what its words set
    default: datetime | None = None  # every other question's clock (None: the real one)
    outcomes: list[WindowOutcome] = field(default_factory=list)

    @classmethod
    def for_dataset(cls, ds: EvalDataset, last_published: str | None) -> WindowScorer:
        default = corpus_clock(last_published) if ds.corpus is not None else None
        return cls(dict(getattr(ds, "clocks", {})), dict(getattr(ds, "windows", {})), default)

    def clock(self, question_id: str) -> datetime | None:
        return self.clocks.get(question_id, self.default)

    def score(self, question_id: str, answer, found_gold: bool) -> None:
        if question_id in self.windows:
            cited = () if answer.abstained else answer.citations
            self.outcomes.append(window_outcome(self.windows[question_id], cited, found_gold))

    def metrics(self) -> dict:
        return window_metrics(self.outcomes) if self.outcomes else {}
