"""Dates in questions and in `--since/--until` values, turned into a publication window (UTC).

`find_window("What did the Treasury say last week?", now=clock)` returns the window (Monday to
Sunday of the previous week) and the question without its date words ("What did the Treasury
say?"), which is what retrieval should match once the window is a hard filter: "last week" is in
no article's sentences, and a question term no sentence holds lowers every candidate's coverage.

Why a small grammar and not `dateparser.search`: measured on 10 typical questions,
`search_dates` cost 0.2-5 ms each (140 ms on the first call) and matched "Theresa May", "the 2004"
(Super Bowl), "4 tonight" (Channel 4) and "march on" (the verb); it returns points in time, not
windows ("last week" became one instant seven days ago, "in March 2005" became 29 March). The
rules (`date_rules.py`: regular expressions behind a cheap first look, calendar arithmetic with
python-dateutil's `relativedelta`) return windows and cost p50 0.21 ms on a question with a date
expression, 0.014 ms on one without (1,232 questions: `python benchmarks/dates.py`;
search_dates: p50 0.59 ms, p95 2.7 ms). The whole ask path's p50 moved within noise (+1.1 / -0.5 ms).

What is understood (weeks start on Monday; a date without a year is its latest past occurrence):
- today, tonight, this morning/afternoon/evening, yesterday, last night, the day before yesterday;
- this/last week, weekend, month, year; the past/last week, fortnight, month, year (rolling);
- over the past 3 days, in the last 24 hours, the past few weeks, 2 weeks ago, a year ago,
  in recent days/weeks/months;
- weekdays: on Monday, since Monday, last Friday, this Tuesday ("Monday" after a lower-case word);
- on 5 May, 5th of May 2005, May 5, October 22, 2023, 2023-10-22, in March, March 2005,
  early/mid/late March, in 2004, during 2004, late 2004;
- since/after/before/until X, between X and Y, from X to Y ("between March and May 2005": the
  first part takes the year of the second).
Several expressions in one question give the smallest window holding all of them ("on
2023-11-24 ... on 2023-11-25" -> 24-25 November).

What is deliberately not a window (false positives cost more than misses: a wrong window hides
the answer):
- a date used as a name or modifier after "the": "the 2004 Super Bowl", "the March 8 rally"
  (articles about an event are published before and after it); a bare year needs a preposition
  ("in 2004") and must not be followed by a noun ("in 2000 homes");
- "May" and "March" alone only capitalised and after a preposition ("in May", "since March"),
  never followed by a possessive or a verb ("Theresa May", "since May took office", "march on");
- weekdays in names ("Black Friday", "Saturday Night Live", "Cyber Monday"); numbers that are not
  years ("Channel 4", "Week 4", "2,000 jobs"); "next week" and other future windows;
- "latest", "recent", "now": those rank newer articles higher (search.py), they set no window;
- "founded in 2015", "born on 5 May", "its June 2017 launch": the date of the thing asked about.
A date naming an event without such marks ("released on November 16th") is still read as the
publication window; `--since/--until` override it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from retrieval.answering.date_rules import (
    RANGE_GAP,
    TRIGGER,
    Period,
    acceptable,
    apply_op,
    candidates,
    day_period,
    hull,
    resolve,
    utc,
)
from retrieval.errors import QuestionError

__all__ = ["DateWindow", "DatedQuestion", "find_window", "parse_since", "parse_until", "window_from_options"]

# -- the result --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DateWindow:
    """A publication window in UTC: `since` and `until` inclusive, None = unbounded on that side."""

    since: datetime | None = None
    until: datetime | None = None
    expression: str = ""  # the words that set it, as the user wrote them

    def since_iso(self) -> str | None:
        return None if self.since is None else _iso(self.since)

    def until_iso(self) -> str | None:
        return None if self.until is None else _iso(self.until)

    def contains(self, when: datetime | None) -> bool:
        """True when `when` is inside the window (an unknown date is inside only an unbounded window)."""
        if when is None:
            return self.since is None and self.until is None
        when = utc(when)
        return (self.since is None or when >= self.since) and (self.until is None or when <= self.until)

    def describe(self) -> str:
        """Short words for a reader: "on 2025-03-18", "2025-03-10 to 2025-03-16", "since 2025-03-17"."""
        lo, hi = self.since, self.until
        if lo is not None and hi is not None:
            if lo.date() == hi.date():
                return f"on {_day(lo)}"
            return f"{_day(lo)} to {_day(hi)}"
        if lo is not None:
            return f"since {_day(lo)}"
        if hi is not None:
            return f"until {_day(hi)}"
        return "any date"

    def to_json(self) -> dict:
        return {"since": self.since_iso(), "until": self.until_iso(), "expression": self.expression}


@dataclass(frozen=True)
class DatedQuestion:
    """A question, the same question without its date words (for retrieval), and the window they set."""

    question: str
    search_question: str
    window: DateWindow | None = None


def _iso(dt: datetime) -> str:
    return utc(dt).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _day(dt: datetime) -> str:
    return dt.date().isoformat()


def find_window(question: str, *, now: datetime) -> DatedQuestion:
    """The publication window that the question's date words set, and the question without them.

    `now` is the clock (UTC if naive). A question without a date expression comes back untouched
    with `window=None`; odd input (any string) never raises.
    """
    text = question if isinstance(question, str) else ""
    if not text or not TRIGGER.search(text):
        return DatedQuestion(text, text, None)
    now = utc(now)
    atoms = candidates(text)
    periods: list[Period] = []
    spans: list[tuple[int, int]] = []
    words: list[str] = []
    used: set[int] = set()
    for i, a in enumerate(atoms):
        if i in used:
            continue
        # "between A and B", "from A to B": one range.
        if a.op in RANGE_GAP and i + 1 < len(atoms):
            b = atoms[i + 1]
            gap = text[a.end : b.start if b.op_start < 0 else b.op_start]
            if b.op_start >= 0 and b.op in ("on", "in") and not b.the:
                gap = text[a.end : b.start]
            if RANGE_GAP[a.op].match(gap) and acceptable(a, text, True) and acceptable(b, text, True):
                pb = resolve(b, now)
                ref = b.year if a.year is None and b.year is not None else None
                pa = resolve(a, now, ref)
                if pa is not None and pb is not None and ref is not None and pa.start and pb.start and pa.start > pb.start:
                    pa = resolve(a, now, ref - 1)
                if pa is not None and pb is not None:
                    periods.append(Period(pa.start, pb.end))
                    spans.append((a.op_start, b.end))
                    words.append(text[a.op_start : b.end])
                    used.update((i, i + 1))
                    continue
        if not acceptable(a, text, False):
            continue
        p = resolve(a, now)
        if p is None:
            continue
        if p.start is not None and p.start > now:
            continue  # a future window ("this weekend" said on a Wednesday... is past; "5 May 2099" is not)
        p = apply_op(a.op, p)
        if p is None:
            continue
        periods.append(p)
        lo = a.op_start if a.op_start >= 0 else a.start
        spans.append((lo, a.end))
        words.append(text[lo : a.end])
        used.add(i)
    if not periods:
        return DatedQuestion(text, text, None)
    span = hull(periods)
    window = DateWindow(
        since=span.start,
        until=None if span.end is None else span.end - timedelta(seconds=1),
        expression="; ".join(w.strip() for w in words),
    )
    return DatedQuestion(text, _without(text, spans), window)


_TIDY = [
    (re.compile(r"(?<!\s)\s+([?.!,;:])"), r"\1"),
    (re.compile(r"([,;:])(?=[,;:?.!])"), ""),
    (re.compile(r"\(\s*\)|''|\"\"|‘’|“”"), ""),
    (re.compile(r"\s{2,}"), " "),
]


def _without(text: str, spans: list[tuple[int, int]]) -> str:
    """The question with the date words cut out and the punctuation around them tidied."""
    out = text
    for lo, hi in sorted(spans, reverse=True):
        out = out[:lo] + " " + out[hi:]
    for pattern, repl in _TIDY:
        out = pattern.sub(repl, out)
    out = out.strip().lstrip(",;: ").strip()
    if not re.search(r"\w", out):
        return text  # nothing but the date: keep the question as it was
    if text[:1].isupper() and out[:1].islower():
        out = out[0].upper() + out[1:]
    return out


# -- --since / --until values ------------------------------------------------------------------

_ACCEPTED = "a date (2025-03-01, 2025-03-01T14:00Z), a time ago (24h, 2d, 1w) or a word (today, yesterday, last week)"
_DURATION = re.compile(r"^(\d{1,5})\s*(h|hours?|d|days?|w|weeks?)$", re.IGNORECASE)


def _parse_bound(value: str, now: datetime, name: str, end: bool) -> datetime:
    raw = (value or "").strip()
    now = utc(now)
    if not raw:
        raise QuestionError(f"{name} is empty; use {_ACCEPTED}")
    m = _DURATION.match(raw)
    if m:
        n, unit = int(m.group(1)), m.group(2).lower()[0]
        return now - {"h": timedelta(hours=n), "d": timedelta(days=n), "w": timedelta(weeks=n)}[unit]
    if raw.lower() == "now":
        return now
    try:
        parsed = datetime.fromisoformat(raw.replace("z", "Z"))
    except ValueError:
        parsed = None
    if parsed is not None:
        if len(raw) == 10:  # a bare date is the whole day
            day = day_period(parsed.date())
            return day.end - timedelta(seconds=1) if end else day.start
        return utc(parsed)
    dated = find_window(raw, now=now)
    w = dated.window
    # Only a value that is a date expression and nothing else ("last week", not "Reuters last week").
    if w is not None and dated.search_question == raw:
        bound = w.until if end else w.since
        if bound is None:  # "until today", "since yesterday": the open side is now
            bound = now if end else w.until
        if bound is not None:
            return bound
    raise QuestionError(f"{name} {raw!r} is not understood; use {_ACCEPTED}")


def parse_since(value: str, *, now: datetime, name: str = "--since") -> datetime:
    """The start of a `--since` value (inclusive, UTC); a one-line QuestionError says what is accepted."""
    return _parse_bound(value, now, name, end=False)


def parse_until(value: str, *, now: datetime, name: str = "--until") -> datetime:
    """The end of an `--until` value (inclusive, UTC): a bare date means the end of that day."""
    return _parse_bound(value, now, name, end=True)


def window_from_options(since: str | None, until: str | None, *, now: datetime) -> DateWindow | None:
    """The window of `--since/--until` options (None when neither is given); checks until >= since."""
    lo = parse_since(since, now=now) if since else None
    hi = parse_until(until, now=now) if until else None
    if lo is None and hi is None:
        return None
    if lo is not None and hi is not None and hi < lo:
        raise QuestionError(
            f"--until {until} ({_day(hi)}) is before --since {since} ({_day(lo)}); give an --until on or after --since"
        )
    words = " ".join(p for p in (f"since {since}" if since else "", f"until {until}" if until else "") if p)
    return DateWindow(lo, hi, words)
