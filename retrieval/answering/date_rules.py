"""The rules behind `dates.find_window`: vocabulary, the expressions ("atoms") and the periods they name.

`dates.py` holds the public API and says what is understood and what deliberately is not; this
module is the grammar: regular expressions for each kind of expression, the calendar arithmetic
(python-dateutil's `relativedelta`) that turns one into a period, and the checks that reject
false positives ("Theresa May", "the 2004 Super Bowl").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from dateutil.relativedelta import relativedelta


def utc(dt: datetime) -> datetime:
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


# -- vocabulary --------------------------------------------------------------------------------

_MONTH_NUMBERS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
    "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9,
    "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
}  # fmt: skip
_FULL_MONTHS = {"january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"}
_AMBIGUOUS_MONTHS = {"may", "march"}  # also a name and a verb: only capitalised, and never lower-case alone
_WEEKDAYS = {"monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6}
_NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
    "thirty": 30, "few": 3, "a few": 3, "couple": 2, "a couple": 2, "couple of": 2, "a couple of": 2,
    "several": 5,
}  # fmt: skip
# Words that may follow a date expression ("in May and", "since Monday, what"); anything else
# after a bare month, year or weekday means it names something ("May took", "2000 homes").
_FOLLOWERS = frozenset(
    "and or but nor so to about when while where what who whom whose which why how the a an for on in at by "
    "with as after before than that this these those there their its his her our your my did does do was were "
    "is are be been being has had have will would could should can may might must not no from of into over "
    "under since until till through during if because though although whether per via against between among "
    "around then now only also just still even more less most all any each every some such very too compared "
    "versus vs regarding concerning".split()
)

# "founded in 2015", "born on 5 May": the date of the thing asked about, never a window.
_CONTENT_VERBS = frozenset("founded born established formed built created incorporated died launched".split())
_DETERMINERS = frozenset("the a an its his her their our your my this that these those".split())

_MONTH_RE = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
_WEEKDAY_RE = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_YEAR_RE = r"(?:19|20)\d\d"
_DAY_RE = r"(?:3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?"
_NUM_RE = r"(?:\d{1,3}|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|(?:a\s+)?few|(?:a\s+)?couple(?:\s+of)?|several)"
_UNIT_RE = r"(?:hour|day|week|fortnight|month|year)s?"

# A cheap first look: a question with none of these has no date expression (most questions).
TRIGGER = re.compile(
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|mon|tue|wed|thu|fri|sat|sun|today|tonight|"
    r"yesterday|week|fortnight|month|year|ago|days?|hours?|night|morning|afternoon|evening|recent)|"
    r"\b(?:19|20)\d\d\b",
    re.IGNORECASE,
)

# -- atoms: the smallest expressions that name a period ----------------------------------------

_F = re.IGNORECASE
_ATOMS: list[tuple[str, re.Pattern]] = [
    ("iso", re.compile(r"(?<![\d-])(\d{4})-(\d{2})-(\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?(?![\d-])", _F)),
    ("day_month", re.compile(rf"\b(?:the\s+)?({_DAY_RE})\s+(?:of\s+)?({_MONTH_RE})(?:,?\s+({_YEAR_RE}))?\b", _F)),
    ("month_day", re.compile(rf"\b({_MONTH_RE})\s+({_DAY_RE})(?![\d:])(?:,?\s+({_YEAR_RE})\b)?(?:st|nd|rd|th)?\b", _F)),
    ("month_year", re.compile(rf"\b(?:(early|mid|late)[\s-]+)?({_MONTH_RE}),?\s+({_YEAR_RE})\b", _F)),
    ("month", re.compile(rf"\b(?:(early|mid|late|last|this)[\s-]+)?({_MONTH_RE})(?![\w'’])", _F)),
    ("year", re.compile(rf"(?<![\w$£€#.,/-])(?:(early|mid|late)[\s-]+)?({_YEAR_RE})(?![\w%]|[.,/-]\d)", _F)),
    ("day_word", re.compile(r"\b(the\s+day\s+before\s+yesterday|yesterday|today|tonight|last\s+night|this\s+(?:morning|afternoon|evening))\b", _F)),
    ("calendar", re.compile(r"\b(this|current|last|past|previous)\s+(week|weekend|fortnight|month|year)\b", _F)),
    ("rolling", re.compile(rf"\b(last|past|previous)\s+({_NUM_RE})\s+({_UNIT_RE})\b", _F)),
    ("ago", re.compile(rf"\b({_NUM_RE})\s+({_UNIT_RE})\s+ago\b", _F)),
    ("recent", re.compile(r"\brecent\s+(days|weeks|months)\b", _F)),
    ("weekday", re.compile(rf"\b(?:(last|this|past)\s+)?({_WEEKDAY_RE})(?![\w'’])", _F)),
]
# Priority when two matches overlap: the longer wins, then this order (explicit before vague).
_KIND_RANK = {kind: i for i, (kind, _) in enumerate(_ATOMS)}

# The words just before an atom: an operator and/or "the" ("since the", "over the", "in").
_PREFIX = re.compile(
    r"(?:\b(?P<op>since|from|after|before|until|till|through|up\s+to|in|on|during|throughout|over|within|for|"
    r"earlier|between)\s+)?(?P<the>\bthe\s+)?$",
    re.IGNORECASE,
)
RANGE_GAP = {"between": re.compile(r"^\s*(?:and|to|-|–|—)\s*(?:on\s+|in\s+)?$", _F), "from": re.compile(r"^\s*(?:to|until|till|through|-|–|—)\s*(?:on\s+|in\s+)?$", _F)}
_WORD = re.compile(r"[\w'’]+")


@dataclass
class Period:
    start: datetime | None  # inclusive
    end: datetime | None  # exclusive; None = up to now


@dataclass
class _Atom:
    start: int
    end: int
    kind: str
    groups: tuple
    text: str
    year: int | None = None  # explicit year, for ranges that lend it to their first part
    op: str = ""
    op_start: int = -1  # where the removable words start (operator / "the")
    the: bool = False


def _midnight(d: date) -> datetime:
    return datetime.combine(d, time.min, tzinfo=UTC)


def _number(word: str) -> int | None:
    w = re.sub(r"\s+", " ", word.strip().lower())
    if w.isdigit():
        return int(w)
    return _NUMBER_WORDS.get(w)


def _month_period(year: int, month: int, part: str | None = None) -> Period:
    first = date(year, month, 1)
    after = first + relativedelta(months=1)
    if part == "early":
        return Period(_midnight(first), _midnight(first.replace(day=11)))
    if part == "mid":
        return Period(_midnight(first.replace(day=11)), _midnight(first.replace(day=21)))
    if part == "late":
        return Period(_midnight(first.replace(day=21)), _midnight(after))
    return Period(_midnight(first), _midnight(after))


def _year_period(year: int, part: str | None = None) -> Period:
    spans = {"early": (1, 5), "mid": (5, 9), "late": (9, 13)}
    lo, hi = spans.get(part or "", (1, 13))
    end = date(year + 1, 1, 1) if hi == 13 else date(year, hi, 1)
    return Period(_midnight(date(year, lo, 1)), _midnight(end))


def day_period(d: date) -> Period:
    return Period(_midnight(d), _midnight(d + timedelta(days=1)))


def _latest_day(month: int, day: int, today: date, year: int | None) -> date:
    """The date with this month and day in `year`, else its latest occurrence on or before today."""
    if year is not None:
        return date(year, month, day)
    for y in (today.year, today.year - 1, today.year - 2, today.year - 3, today.year - 4):
        try:
            d = date(y, month, day)
        except ValueError:  # 29 February in a common year
            continue
        if d <= today:
            return d
    raise ValueError("no such day")


def _month_name(token: str) -> str:
    return token.rstrip(".").lower()


def resolve(atom: _Atom, now: datetime, ref_year: int | None = None) -> Period | None:
    """The period an atom names, or None when it names none (31 February, a future window...)."""
    today = now.date()
    g = atom.groups
    kind = atom.kind
    try:
        if kind == "iso":
            return day_period(date(int(g[0]), int(g[1]), int(g[2])))
        if kind in ("day_month", "month_day"):
            day_tok, month_tok, year_tok = (g[0], g[1], g[2]) if kind == "day_month" else (g[1], g[0], g[2])
            day = int(re.sub(r"\D", "", day_tok))
            year = int(year_tok) if year_tok else ref_year
            return day_period(_latest_day(_MONTH_NUMBERS[_month_name(month_tok)], day, today, year))
        if kind == "month_year":
            return _month_period(int(g[2]), _MONTH_NUMBERS[_month_name(g[1])], (g[0] or "").lower() or None)
        if kind == "month":
            mod = (g[0] or "").lower()
            month = _MONTH_NUMBERS[_month_name(g[1])]
            if ref_year is not None:
                year = ref_year
            elif mod == "last":  # the latest whole such month before this one
                year = today.year if month < today.month else today.year - 1
            else:
                year = today.year if month <= today.month else today.year - 1
            if mod == "this" and year != today.year:
                return None  # "this December" in March is in the future
            return _month_period(year, month, mod if mod in ("early", "mid", "late") else None)
        if kind == "year":
            year = int(g[1])
            if year > today.year:
                return None
            return _year_period(year, (g[0] or "").lower() or None)
        if kind == "day_word":
            w = re.sub(r"\s+", " ", g[0].lower())
            if w == "yesterday":
                return day_period(today - timedelta(days=1))
            if w == "the day before yesterday":
                return day_period(today - timedelta(days=2))
            if w == "last night":
                return Period(_midnight(today - timedelta(days=1)), None)
            return Period(_midnight(today), None)  # today, tonight, this morning...
        if kind == "calendar":
            return _calendar(g[0].lower(), g[1].lower(), atom.the, now)
        if kind == "rolling":
            n = _number(g[1])
            return None if not n else _rolling(n, g[2].lower(), now)
        if kind == "ago":
            n = _number(g[0])
            return None if not n else _ago(n, g[1].lower(), now)
        if kind == "recent":
            n, unit = {"days": (7, "days"), "weeks": (4, "weeks"), "months": (3, "months")}[g[0].lower()]
            return _rolling(n, unit, now)
        if kind == "weekday":
            return _weekday((g[0] or "").lower(), _WEEKDAYS[g[1].lower()], today)
    except (ValueError, OverflowError, KeyError):  # an impossible date names no period
        return None
    return None


def _calendar(which: str, unit: str, the: bool, now: datetime) -> Period | None:
    today = now.date()
    # "last week" is the previous calendar week; "the last week" / "the past week" the 7 days to now.
    if which == "past" or (the and which in ("last", "previous")):
        return _rolling(1, unit, now)
    if unit in ("week", "fortnight"):
        monday = today - timedelta(days=today.weekday())
        if which in ("this", "current"):
            return Period(_midnight(monday), None)
        weeks = 2 if unit == "fortnight" else 1
        return Period(_midnight(monday - timedelta(weeks=weeks)), _midnight(monday))
    if unit == "weekend":
        saturday = today - timedelta(days=(today.weekday() - 5) % 7)  # the latest Saturday, today included
        if which in ("this", "current"):
            return Period(_midnight(saturday), None if today.weekday() >= 5 else _midnight(saturday + timedelta(days=2)))
        if today.weekday() >= 5:  # on a weekend, "last weekend" is the one before
            saturday -= timedelta(days=7)
        return Period(_midnight(saturday), _midnight(saturday + timedelta(days=2)))
    if unit == "month":
        first = today.replace(day=1)
        if which in ("this", "current"):
            return Period(_midnight(first), None)
        return Period(_midnight(first - relativedelta(months=1)), _midnight(first))
    if unit == "year":
        first = date(today.year, 1, 1)
        if which in ("this", "current"):
            return Period(_midnight(first), None)
        return Period(_midnight(date(today.year - 1, 1, 1)), _midnight(first))
    return None


def _rolling(n: int, unit: str, now: datetime) -> Period:
    """The last n units up to now; days and longer start at midnight (many articles carry a date only)."""
    unit = unit.rstrip("s")
    if unit == "hour":
        return Period(now - timedelta(hours=n), None)
    delta = {
        "day": relativedelta(days=n),
        "week": relativedelta(weeks=n),
        "fortnight": relativedelta(weeks=2 * n),
        "month": relativedelta(months=n),
        "year": relativedelta(years=n),
    }[unit]
    return Period(_midnight(now.date() - delta), None)


def _ago(n: int, unit: str, now: datetime) -> Period:
    """The calendar unit that held the moment n units ago: "3 days ago" is that day, "2 weeks ago" that week."""
    unit = unit.rstrip("s")
    if unit == "hour":
        moment = now - timedelta(hours=n)
        start = moment.replace(minute=0, second=0, microsecond=0)
        return Period(start, start + timedelta(hours=1))
    today = now.date()
    if unit == "day":
        return day_period(today - timedelta(days=n))
    if unit in ("week", "fortnight"):
        then = today - timedelta(weeks=n * (2 if unit == "fortnight" else 1))
        monday = then - timedelta(days=then.weekday())
        return Period(_midnight(monday), _midnight(monday + timedelta(weeks=1)))
    if unit == "month":
        then = today - relativedelta(months=n)
        return _month_period(then.year, then.month)
    return _year_period(today.year - n)


def _weekday(mod: str, weekday: int, today: date) -> Period:
    back = (today.weekday() - weekday) % 7
    if mod in ("last", "past") and back == 0:
        back = 7  # "last Monday" said on a Monday is a week ago
    return day_period(today - timedelta(days=back))


# -- finding atoms in a question ---------------------------------------------------------------


def candidates(text: str) -> list[_Atom]:
    found: list[_Atom] = []
    for kind, pattern in _ATOMS:
        for m in pattern.finditer(text):
            found.append(_Atom(m.start(), m.end(), kind, m.groups(), m.group(0)))
    # Longest first, then the more explicit kind; keep the ones that overlap nothing kept.
    found.sort(key=lambda a: (-(a.end - a.start), _KIND_RANK[a.kind], a.start))
    kept: list[_Atom] = []
    for a in found:
        if all(a.end <= k.start or a.start >= k.end for k in kept):
            kept.append(a)
    kept.sort(key=lambda a: a.start)
    for a in kept:
        lo = max(0, a.start - 40)  # the longest prefix ("throughout the ") is far shorter
        m = _PREFIX.search(text[lo : a.start]) if a.start else None
        if m is not None and m.group(0):
            a.op = re.sub(r"\s+", " ", (m.group("op") or "").lower())
            a.the = bool(m.group("the"))
            a.op_start = lo + m.start()
        if a.kind in ("day_month", "month_day"):
            a.year = int(a.groups[2]) if a.groups[2] else None
        elif a.kind == "month_year":
            a.year = int(a.groups[2])
        elif a.kind == "iso":
            a.year = int(a.groups[0])
    return kept


def _follower_ok(text: str, pos: int) -> bool:
    """What follows a bare month, year or weekday must end the phrase, or be a function word."""
    rest = text[pos:]
    if not rest.strip():
        return True
    if rest[:2] in ("'s", "’s"):
        return False  # "May's government"
    if rest[0] in ".,;:!?)]}\"'’”":
        return True
    if rest[0] in "-–/":
        return False  # "2004-05 season", "May-June"
    m = _WORD.search(rest)
    if m is None:
        return True
    word = m.group(0)
    return word[0].islower() and word.lower() in _FOLLOWERS


def _previous_word(text: str, pos: int) -> str:
    words = _WORD.findall(text[:pos][-40:])
    return words[-1] if words else ""


def acceptable(a: _Atom, text: str, in_range: bool) -> bool:
    """False for the false positives the module docstring lists."""
    has_op = bool(a.op) or in_range
    if text[a.end : a.end + 2] in ("'s", "’s"):
        return False  # "May's government", "last week's game": a name, or a thing of that time
    before = _previous_word(text, a.op_start if a.op_start >= 0 else a.start).lower()
    if before in _CONTENT_VERBS and a.op in ("in", "on", "during", ""):
        return False  # "founded in 2015": the date of the content, not of the reporting
    if a.kind in ("iso", "day_month", "month_day", "month_year", "year", "month") and not a.op:
        if _previous_word(text, a.start).lower() in _DETERMINERS:
            return False  # "its June 2017 launch", "a 2004 report"
    if a.kind in ("iso", "day_month", "month_day", "month_year"):
        if a.kind in ("day_month", "month_day") and not a.groups[2]:
            token = a.groups[1] if a.kind == "day_month" else a.groups[0]
            plain = not re.search(r"\d(?:st|nd|rd|th)\b|\bof\b", a.text, re.IGNORECASE)
            if _month_name(token) in ("may", "march", "mar") and not token[0].isupper() and plain:
                return False  # "rule 5 may apply" (but "the 3rd of march" is a date)
        # After "the" a date names an event ("the March 8 rally"), unless it is "the 5th of May".
        return not a.the
    if a.kind == "month":
        mod, token = (a.groups[0] or "").lower(), a.groups[1]
        name = _month_name(token)
        if name not in _FULL_MONTHS or token.endswith("."):
            return False  # "Jan", "Mar" and "Dec" alone are names or words
        if name in _AMBIGUOUS_MONTHS and not token[0].isupper():
            return False  # "may", "march": the verbs
        if not (has_op or mod in ("last", "this", "early", "mid", "late")) or a.the:
            return False
        return _follower_ok(text, a.end)
    if a.kind == "year":
        if not (has_op or a.groups[0]) or a.the:
            return False  # "the 2004 Super Bowl", "Flight 2004"
        return _follower_ok(text, a.end)
    if a.kind == "weekday":
        if a.groups[0] or has_op:
            return _follower_ok(text, a.end)
        prev = _previous_word(text, a.start)
        return bool(prev) and prev[0].islower() and _follower_ok(text, a.end)  # "say Monday", not "Black Friday"
    if a.kind == "day_word" and a.text[:1].isupper():
        prev = _previous_word(text, a.start)
        return not (prev and prev[0].isupper())  # "Business Today", "USA Today"
    if a.kind == "calendar" and a.groups[0].lower() == "previous" and a.the:
        return False  # "compared to the previous year": relative to something else, not to now
    return True  # relative words ("yesterday", "past 3 days") are dates wherever they are


def apply_op(op: str, p: Period) -> Period | None:
    if op == "since":
        return Period(p.start, None)
    if op == "after":
        return Period(p.end, None) if p.end is not None else Period(p.start, None)
    if op == "before":
        return Period(None, p.start)
    if op in ("until", "till", "through", "up to"):
        return Period(None, p.end)
    if op == "between":
        return None  # "between 2004 and the war": half a range is no window
    return p


def hull(periods: list[Period]) -> Period:
    starts = [p.start for p in periods]
    ends = [p.end for p in periods]
    start = None if any(s is None for s in starts) else min(starts)
    end = None if any(e is None for e in ends) else max(ends)
    return Period(start, end)
