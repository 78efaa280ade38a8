"""What a question asks for (a number, a date, a name, a place, a reason; finer: an age, a duration, a
sum of money, a share, a year), and whether a sentence holds one beyond the question's own words.

Features of the answer-sentence ranker (`rerank.py`): readers paraphrase, so a sentence that
shares the question's words but not the kind of thing asked for ("How long was he banned?" ->
"He tested positive for EPO") is rarely the answer.
"""

from __future__ import annotations

import re

# What the question asks for.
# A race time, not a time of day: "What time did McIlroy run in Erfurt?".
_WHAT_TIME_RUN = r"\bwhat time (?:did|does|has|had|will)\b.*\b(?:run|clock|record|post|finish|swim|set|win)\b"
_KIND_PATTERNS = (
    ("number", re.compile(
        r"\bhow (many|much|old|long|far|big|large|tall|high|often|fast|soon|heavy|deep|wide)\b|\bwhat (number|"
        r"percentage|percent|amount|proportion|share|fraction|price|figure|level|rate|score|sum|size|total|"
        r"cost|sentence|fine|salary|value|age)\b|\bby how much\b|" + _WHAT_TIME_RUN,
        re.I)),
    ("date", re.compile(r"^\s*when\b|\bwhen (did|was|were|is|will|does|do|has|had|are|should|could)\b|\b(what|which|"
                        r"in what) (year|years|date|month|day|century|decade|time|period)\b", re.I)),
    ("who", re.compile(r"^\s*(who|whom|whose)\b|\b(who|whom) (is|was|were|did|has|had|will|are)\b|\bwhich "
                       r"(man|woman|men|women|player|players|person|people|firm|firms|company|companies|club|clubs|"
                       r"team|teams|group|minister|singer|actor|actress|band|council|paper|newspaper|bank|network|"
                       r"broadcaster|party|star|stars|newcomers|director|film|album|book)\b", re.I)),
    ("where", re.compile(r"^\s*where\b|\bwhere (is|was|were|did|does|do|will|are)\b|\bwhich (city|town|country|"
                         r"countries|place|region|venue|stadium|area|areas|sites?)\b|\bin which (city|town|country)\b",
                         re.I)),
    ("why", re.compile(r"^\s*why\b|\bwhy (is|was|were|did|does|do|has|had|are|will)\b|\bwhat (was|is) "
                       r"(the )?reason\b|\bwhat('s| is| was) behind\b|\breason for\b", re.I)),
)
# Finer kinds of a "number" or "date" question, and what a sentence holding one looks like.
# A number starts at its first digit and is read in one go (possessive runs): unanchored, "1,1,1..." or
# a long run of digits made the engine retry every split (a 4 KB "sentence" took 0.5 s, 50 KB a minute).
_N = r"\b(?:(?<![\d.,])\d++(?:[.,]\d++)*+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|several|few|many|hundreds|thousands|\w+teen)"
# What "110m" counts when it is no sum: "110m tons", "2m people", "the 400m hurdles".
_NOT_MONEY = (r"(?:tons?|tonnes?|barrels?|people|users|viewers|listeners|readers|subscribers|customers|passengers|visitors|"
              r"households|homes|copies|units|miles|km|kilometres|metres|litres|gallons|acres|hectares|words|votes|voters|"
              r"members|jobs|workers|hurdles|freestyle|backstroke|breaststroke|butterfly|medley|relay|race|final|title|record)\b")
_SUBKINDS = (
    ("age",
     re.compile(r"\bhow old\b|\b(?:what|at what) age\b", re.I),
     re.compile(r"\b\d{1,3}[\s-]years?[\s-]old\b|\b(?:aged|age of|at the age of)\s\d{1,3}\b|,\s\d{1,3},|\(\d{1,3}\)|"
                r"\b(?:teenager|octogenarian|nonagenarian|centenarian)\b", re.I)),
    # a race time: "What was Holmes's winning time?", "What time did McIlroy run?" ("4:01.28", "one minute, 46.68 seconds")
    ("race time",
     re.compile(r"\b(?:winning|finishing|race|record|best|fastest|qualifying) time\b|\bin what time\b|" + _WHAT_TIME_RUN, re.I),
     re.compile(r"\b\d{1,2}:\d\d(?:[.:]\d{1,2})?\b|" + _N + r"[\s-]+(?:hours?|hrs?|minutes?|mins?|seconds?|secs?)\b|"
                r"\b\d+(?:\.\d+)?\s?(?:h|s|min|sec)\b", re.I)),
    ("duration",
     re.compile(r"\bhow (long|soon)\b|\bhow far (off|away)\b|\bhow many (years|months|weeks|days|hours|minutes|seasons)\b|"
                r"\bfor how long\b|\bwhat (length|period|term|sentence|ban)\b", re.I),
     re.compile(_N + r"[\s-]+(?:\w+[\s-]+)?(?:years?|months?|weeks?|days?|hours?|minutes?|seconds?|seasons?|decades?|"
                r"centur(?:y|ies)|nights?)\b(?![\s-]+old\b)|\b(?:life|lifetime|indefinite(?:ly)?)\b", re.I)),  # not "a 24-year-old"
    ("money",
     re.compile(r"\bhow much\b.*\b(cost|costs|costing|pay|pays|paying|paid|spend|spends|spending|spent|worth|price|priced|raise|raises|"
                r"raising|raised|fine|fined|earn|earns|earning|earned|sell|sells|selling|sold|bid|bidding|charge|charges|charging|charged|"
                r"fund|invest|invests|investing|invested|owe|owes|owed|lose|loses|losing|lost|make|makes|making|made|save|saves|saving|"
                r"saved|borrow|borrowing|borrowed|compensation|award)\b|"
                r"\bwhat (price|fee|fine|salary|cost|bid|profit|profits|revenue|revenues|sum|payout|pay-off|payoff|deal|"
                r"value|budget|loss|losses|turnover|sales)\b|\bhow much (money|cash)\b|"
                # "What was the budget for...?", "What's its annual profit?": the sum named after a verb
                r"\bwhat(?:'s|’s| (?:is|was|were|are|will be|would be))\s+(?:the |its |their |his |her )?(?:\w+(?:'s|’s)? )?"
                r"(?:annual |total |final |new |original )?(price|fee|fine|salary|cost|profit|profits|revenue|revenues|payout|"
                r"pay-off|payoff|budget|turnover|bill|bonus|deficit|debt|settlement|compensation|damages|wage|wages)\b|"
                r"\bhow (big|large|high|small) (is|was|were|are|will be) (?:the |their |its |his |her )?(?:\w+(?:'s|’s)? )?(fine|bill|fee|payout|pay-off|"
                r"bonus|profit|profits|loss|losses|deficit|debt|budget|settlement|compensation|damages|salary|bid|offer)\b",
                re.I),
     re.compile(r"[£$€¥]\s?\d|(?<![\d.,])\d++(?:[.,]\d++)*+\s?(?:m|bn|k|million|billion|trillion)?\s?(?:pounds|dollars|euros|yen|francs|"
                r"roubles|rupees|pence|cents|p)\b|\b\d+(?:\.\d+)?\s?(?:m|bn)\b(?!\s?" + _NOT_MONEY + r")", re.I)),
    ("share",
     re.compile(r"\bwhat (share|percentage|percent|proportion|fraction|rate)\b|\bhow much of\b|\bby how much\b|"
                r"\bwhat (per cent|part of)\b", re.I),
     re.compile(r"\d\s?%|\bper ?cent\b|\b(?:half|quarter|third|thirds|majority|minority)\b|\b\d+ (?:in|out of) \d+\b",
                re.I)),
    ("year",
     re.compile(r"\b(which|what|in which|in what) (year|years|season|seasons|decade)\b", re.I),
     re.compile(r"\b(?:1[89]\d\d|20\d\d)(?:s|/\d\d)?\b", re.I)),
)
_YEAR = re.compile(r"\b(1[0-9]{3}|20[0-9]{2})s?\b")
_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*(?:%|m|bn|k)?\b|[£$€]\s?\d")
_NUMBER_WORD = re.compile(
    r"\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|"
    r"eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|once|twice|"
    r"hundreds?|thousands?|millions?|billions?|dozens?|half|double|doubled|treble|triple|(?:a|one|two) (?:quarter|third)s?|"
    r"percent|per cent|couple|few|several|handful)\b",
    re.I,
)
_DATE_WORD = re.compile(
    r"\b(January|February|March|April|May|June|July|August|September|October|November|December|Monday|Tuesday|"
    r"Wednesday|Thursday|Friday|Saturday|Sunday|yesterday|today|tomorrow|week|weeks|month|months|year|years|"
    r"spring|summer|autumn|winter|century|decade|morning|evening|night|ago|later|earlier|soon|until)\b",
    re.I,
)
# What a sentence answering "Why...?" says. Besides the connectives, the motives and grounds news
# reports give: a fear ("New Line feared that..."), a lack ("lack the resources"), what a move
# reflects, what was taken into account, what someone did it only to win or in the hope of.
_REASON = re.compile(
    r"\b(because|after|due to|owing to|as a result|since|so that|in order to|blamed|blames|blame|reason|following|amid|"
    r"caused|led to|meant|as|thanks to|driven by|fuelled by|fueled by|on the back of|prompted|in a bid to|aimed at|"
    r"amplified|triggered|sparked|partly|largely|mainly|fear\w*|for fear|reflect(?:s|ed|ing)?|lack(?:s|ed|ing)?|"
    r"only to|in the hope|hoping to|worried that|concerned that|into (?:consideration|account)|given that|so as to|"
    r"on the grounds|to (?:fund|pay|help|avoid|allow|make|cut|raise|protect|meet|boost|save|stop|win|get|keep|ensure|"
    r"secure|attract|reduce|limit|prevent))\b",
    re.I,
)
_CAPITALISED = re.compile(r"(?<!^)(?<![.!?\"“‘']\s)\b[A-Z][a-z]+(?:[\s-][A-Z][a-z]+)*")
_PLACE_CUE = re.compile(r"\b(in|at|from|to|near|across|outside|inside|off|on)\s+(the\s+)?[A-Z][a-z]+")


def expected_kind(question: str) -> str:
    """The kind of answer the question asks for: number, date, who, where, why or ""."""
    for kind, pattern in _KIND_PATTERNS:
        if pattern.search(question):
            return kind
    return ""


_ASKED_THING = re.compile(r"\b(?:what|which|how many|how much)\s+(.*)", re.I)
# Words that end the phrase naming the asked thing ("What injury | is keeping...").
_THING_ENDS = frozenset(
    "is are was were be been being do does did has have had will would can could should may might must shall to of "
    "in on at for by from with about as that the a an and or when after before during if".split()
)
THING_WORDS = 4  # at most this many words name the thing asked for
_KIND_OF = re.compile(r"^(?:kind|kinds|sort|sorts|type|types|form|forms)\s+of\s+", re.I)


def asked_thing(question: str) -> str:
    """The words naming what a "what / which / how many" question asks for ("What injury is..." -> "injury").

    "" when the question names no thing ("What is...", "Who...", "Why..."). The ranker compares
    each sentence to these words alone: "fracturing his cheekbone" answers "What injury...?"
    though it shares none of the question's words.
    """
    m = _ASKED_THING.search(question)
    if not m:
        return ""
    words = []
    rest = _KIND_OF.sub("", m.group(1), count=1)  # "what kind of deal" asks for a deal
    for w in rest.split():
        bare = re.sub(r"\W", "", w.lower())
        if not bare or bare in _THING_ENDS:
            break
        words.append(w.strip("?!.,;:\"'“”‘’"))
        if len(words) == THING_WORDS:
            break
    return " ".join(words)


def expected_subkind(question: str) -> tuple[str, re.Pattern[str]] | None:
    """The finer kind a question asks for (age, duration, money, share, year) and its pattern, or None."""
    for name, asks, holds in _SUBKINDS:
        if asks.search(question):
            return name, holds
    return None


_BY_HOW_MUCH = re.compile(r"\bby how much\b", re.I)
# "How many years...?" is answered in years, months or a life sentence, not "two hours later".
_ASKED_UNIT = re.compile(r"\bhow many (year|month|week|day|hour|minute|season)s\b", re.I)
_NEAR_UNITS = {
    "year": "years?|months?|decades?|life|lifetime|indefinite(?:ly)?", "month": "months?|years?|weeks?",
    "week": "weeks?|days?|months?", "day": "days?|weeks?|hours?|nights?", "hour": "hours?|minutes?|days?",
    "minute": "minutes?|seconds?|hours?", "season": "seasons?|years?",
}
_WHAT_PERIOD = re.compile(r"\bwhat (?:period|era)\b", re.I)
_CLOCK = re.compile(r"\b\d{1,2}(?:[.:]\d\d)?\s?(?:am|pm|a\.m\.|p\.m\.|GMT|BST)\b|\b(?:noon|midnight|o'clock)\b", re.I)
_ASKS_DAY = re.compile(r"\b(?:what|which) (?:date|day)\b", re.I)
_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr|"
    r"Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\b"
)
_DAY = re.compile(
    r"\b" + _MONTH + r"|\b(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|yesterday|today|tomorrow)\b|"
    r"\b\d{1,2}[/.-]\d{1,2}(?:[/.-]\d{2,4})?\b"
)


# "How many aces did Hewitt serve?" asks for a count: a cardinal number or a number word ("fourteen", "a
# couple", "none"), not a year, an age ("Mikoliunas, 20,"), a score ("2-1") or an ordinal ("the fifth set").
_ASKS_COUNT = re.compile(r"\bhow many\b", re.I)
_COUNT = re.compile(
    r"(?<![\w.,])\d++(?:[.,]\d++)*+(?:%|m|bn|k)?(?![\w-])|" + _NUMBER_WORD.pattern
    + r"|\b(?:\w+teen|none|no|nobody|single|scores|(?<!they )(?<!we )(?<!us )(?<!you )(?<!them )all|both|every)\b",  # not "they all"
    re.I,
)
# ... but "How many times has Maduro won?" is answered by "for the third consecutive time".
_ASKS_TIMES = re.compile(r"\bhow many times\b", re.I)
ORDINAL_WORDS = "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth".split()
_ORDINAL = re.compile(r"\b(?:" + "|".join(ORDINAL_WORDS) + r"|\w+teenth|\w+tieth|\d+(?:st|nd|rd|th))\b", re.I)
# ... and a measure ("six yards out", "in 12 months", "three points") is no count of what was asked for, unless it is
# the unit asked for ("How many miles...?").
_UNITS = (
    r"yards?|metres?|meters?|feet|foot|inches|miles?|km|kilometres?|kg|kilos?|kilograms?|tonnes?|mph|seconds?|minutes?|"
    r"hours?|days?|weeks?|months?|years?|decades?|points?"
)
_NAMES_A_UNIT = re.compile(r"\b(?:" + _UNITS + r")\b", re.I)
_MEASURE = re.compile(
    r"(?:(?<![\w.,])\d++(?:[.,]\d++)*+|" + _NUMBER_WORD.pattern + r")(?:\s*-\s*|\s+)?(?:" + _UNITS + r")(?![\w-])", re.I
)
# "BBC One", "Formula One", "League Two", "Channel Four": a name.
# "BBC News 24", "Channel 4", "Windows 95" too, when a word comes before the name (not "Some 6,500 stores").
_NAMED_NUMBER = re.compile(
    r"\b[A-Z][\w&]*\s+(?:One|Two|Three|Four|Five|Six|Seven|Eight|Nine|Ten)\b|(?<=[\w,] )[A-Z][\w&]*\s+\d{1,3}\b(?![.,]?\d|%|-)"
)
_NOT_A_COUNT = re.compile(  # ... nor a day of a month ("Wednesday 19 January", "March 3rd"), nor a chart place ("number one"),
    # nor "one of the most unhealthy countries", nor a stage of a tournament ("reached the last four")
    r"\bone of\b|\blast (?:four|eight|sixteen|16|32)\b|\b\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MONTH + r"|\b" + _MONTH + r"\s+\d{1,2}(?:st|nd|rd|th)?\b(?!,\d)|"
    r",\s\d{1,3},|\(\d{1,3}\)|\b(?:aged|age of)\s\d{1,3}\b|\b(?:number|No\.?)\s(?:one|two|three|four|five|six|seven|eight|nine|ten|\d{1,3})\b|\b\d{1,3}-year-old\b|\b\d++-\d++\b|\b(?:1[5-9]\d\d|20\d\d)s?\b(?![.,]\d)", re.I
)


# "When are the Independent Spirit Awards?" is not answered by "...dominated this year's Independent Spirit
# Awards" nor "The awards, now in their 20th year, ...": a period that names a thing or counts years is no time.
_NOT_A_WHEN = re.compile(
    r"\b(?:this|last|next|that|the|a|each|every)\s+(?:year|week|month|day|decade|century|season|summer|winter|spring|autumn)(?:'s|’s|s'|s’)"
    r"|\b(?:\d+(?:st|nd|rd|th)|" + "|".join(ORDINAL_WORDS) + r")\s+year\b"  # not "the 19th century"
    r"|\b\d+[\s-]+(?:years?|months?|weeks?|days?)[\s-]+old\b|\b\d+-(?:year|month|week|day)-old\b",
    re.I,
)


# "What was the half-time score?" is answered by a score ("17-6 down at half-time", "a goalless draw").
_ASKS_SCORE = re.compile(r"\bwhat (?:was |is |were |would be |will be )?(?:the )?(?:[\w-]+ )?score\b", re.I)
_SCORE = re.compile(r"(?<![\d.,-])\d{1,3}\s?[-–]\s?\d{1,3}(?![\d.,]*\d)|\b(?:goalless|nil)\b", re.I)


def asks_value(question: str) -> bool:
    """True when the question asks for a date, a day, an age, a duration, a sum of money, a share, a year, a
    count or a score."""
    if _WHAT_PERIOD.search(question):
        return False
    return bool(
        _ASKS_DAY.search(question)
        or expected_subkind(question)
        or expected_kind(question) == "date"
        or _ASKS_COUNT.search(question)
        or _ASKS_SCORE.search(question)
    )


# "When was Mongke Khan born?" is not answered by "Mongke Khan succeeded Guyuk as Great Khan in 1251":
# a birth date is given as one ("born in 1951", "(15 June 1924 - 24 April 2005)").
_ASKS_BIRTH = re.compile(r"\b(?:when|what|which)\b.*\bborn\b|\bdate of birth\b", re.I)
_ASKS_AT_DEATH = re.compile(r"\bwhen (?:he|she|they|it) (?:died|was killed)\b|\bat (?:the time of )?(?:his|her|their) death\b", re.I)
_GIVES_DEATH = re.compile(r"\b(?:died|dies|death|dead|killed)\b", re.I)
_GIVES_BIRTH = re.compile(r"\b(?:born|birth|birthday)\b|\([^()]{0,120}?\b(?:1\d{3}|20\d\d)\s?[–—-]", re.I)


# "How old is Imelda Staunton?" is answered by an age given for her: "Staunton, 49," or "the 31-year-old"
# after a headline or a sentence naming her; not "The 14-year-old said..." in a story about the Baftas, nor
# "Robinson ... for 18-year-old Newcastle centre Mathew Tait".
_AGE_OF = re.compile(
    r"^\s*(?i:how old (?:is|was|were|will be))\s+(?:[A-Z][\w'’.-]*\s+){0,3}(?P<surname>[A-Z][\w'’-]+)"
    r"(?:\s+(?i:when|at|in|now|today)\b.*)?\s*\??\s*$"
)
_NEAR_AGE = r"(?:'s|’s)?,?\s+(?:\(\d{1,3}\)|\d{1,3},|aged\s\d{1,3}\b|(?:the|a|an)\s+\d{1,3}-year-old\b)"
_AGE_OF_ANOTHER = re.compile(
    r"\b\d{1,3}-year-old\s+(?:[\w-]+\s+){0,3}[A-Z][a-z]+\s+[A-Z][a-z]+(?=[,.;:]|\s+(?:who|has|had|is|was|said|will)\b)"
)
_ANY_AGE = re.compile(r"\b\d{1,3}-year-old\b|\b(?:aged|age of)\s\d{1,3}\b|\b\d{1,3} years old\b")


def age_of(question: str) -> str:
    """The surname of the person a "How old is <Name>?" question asks about ("" for any other question)."""
    m = _AGE_OF.match(question)
    return m.group("surname") if m else ""


def gives_age_of(surname: str, text: str, context: str) -> bool:
    """Whether the sentence gives that person's age: next to their name, or as "the N-year-old" (not an
    age given for another name) when it or its `context` (the headline and the sentence before) names them."""
    if re.search(re.escape(surname) + _NEAR_AGE, text):
        return True
    if not _ANY_AGE.search(_AGE_OF_ANOTHER.sub(" ", text)):
        return False
    return surname in text or surname in context


def holds_asked_value(question: str, text: str) -> bool:
    """False when the question asks for a date, an age, a duration, a sum of money, a share, a year, a
    day, a count or a score and `text` holds none beyond the question's own words ("How much did Microsoft pay for Giant?" is
    not answered by "In December 2004 it bought Giant"). "By how much...?" takes a share or a sum; a
    birth date is one the sentence says is a birth ("born", or a lifespan in brackets)."""
    if _ASKS_BIRTH.search(question) and not _GIVES_BIRTH.search(text):
        return False
    if _ASKS_AT_DEATH.search(question) and not _GIVES_DEATH.search(text):  # "How old was he when he died?"
        return False
    if _ASKS_DAY.search(question):  # "On what date...?": a day, not a year ("In 1983 Mr Fischer...")
        return bool(_DAY.search(new_material(text, question)))
    if _WHAT_PERIOD.search(question):  # an era ("mid-Eocene") as often as a length
        return True
    asked = expected_subkind(question)
    new = new_material(text, question)
    if asked is None and _ASKS_SCORE.search(question):
        return bool(_SCORE.search(new))
    if asked is None and _ASKS_COUNT.search(question):  # "How many aces...?": a count
        left = _NOT_A_COUNT.sub(" ", _NAMED_NUMBER.sub(" ", new))
        if not _NAMES_A_UNIT.search(question):
            left = _MEASURE.sub(" ", left)
        return bool(_COUNT.search(left)) or bool(
            _ASKS_TIMES.search(question) and _ORDINAL.search(new)
        )
    if asked is None:  # "When...?": a year, a day, a month, "last week", a time of day
        if expected_kind(question) != "date":
            return True
        new = _NOT_A_WHEN.sub(" ", new)
        return has_kind("date", new) or bool(_CLOCK.search(new))
    if _BY_HOW_MUCH.search(question):
        return any(holds.search(new) for name, _, holds in _SUBKINDS if name in ("money", "share"))
    if asked[0] == "year":  # any year, not only the recent ones the ranker's feature counts
        return bool(_YEAR.search(new))
    if asked[0] == "duration" and (unit := _ASKED_UNIT.search(question)):
        near = _NEAR_UNITS[unit.group(1).casefold()]
        return bool(asked[1].search(new) and re.search(r"\b(?:" + near + r")\b(?![\s-]+old\b)", new, re.I))
    return bool(asked[1].search(new))


# "How long did it take Ellen MacArthur to sail around the world?" is not answered by a set of stories that never
# names MacArthur (the pole vaulter's "12th world record ... a few days after" is no answer): a name of two or
# more capitalised words ("Ellen MacArthur", "Old Trafford", "Warner Bros") is looked up by its last word (not
# short initials, which readers write for words: "the Indian IT firm"); a question's first word and the words
# that start questions or titles ("Mr") are no part of a name.
_NAME_WORD = r"[A-Z][\w'’.-]*[A-Za-z0-9]"
_NAMES = re.compile(r"(?<![\w'’-])" + _NAME_WORD + r"(?:\s+(?:(?:de|van|der|von|la|le|du)\s+)?" + _NAME_WORD + r")+")
_NOT_NAME_WORDS = frozenset(
    "I The A An What Who Whom Where When Why How Which Whose Is Was Are Were Do Does Did Has Have Had Can Could "
    "Will Would Should And But So Mr Mrs Ms Dr Sir".split()
)


def named_things(question: str) -> list[str]:
    """The last word of each name of two or more words the question gives ("Ellen MacArthur" -> "MacArthur")."""
    out = []
    for m in _NAMES.finditer(question):
        words = m.group(0).split()
        if m.start() == len(question) - len(question.lstrip()):  # "Besides Leibniz, ...": the first word is no name
            words = words[1:]
        while words and words[0] in _NOT_NAME_WORDS:
            words = words[1:]
        last = re.sub(r"(?:'s|’s|')$", "", words[-1]) if len(words) >= 2 else ""
        if last and not re.fullmatch(r"[A-Z]{1,3}", last):
            out.append(last)
    return out


def has_kind(kind: str, text: str) -> bool:
    """True when `text` holds an answer of that kind."""
    if kind == "number":
        counts = [n for n in _NUMBER.findall(text) if not _YEAR.fullmatch(n.rstrip("%"))]
        return bool(counts) or bool(_NUMBER_WORD.search(text))
    if kind == "date":
        return bool(_YEAR.search(text) or _DATE_WORD.search(text))
    if kind == "who":
        return bool(_CAPITALISED.search(text))
    if kind == "where":
        return bool(_PLACE_CUE.search(text))
    if kind == "why":
        return bool(_REASON.search(text))
    return False


_TOKENS = re.compile(r"[\w£$€%.,'’-]+")


def new_material(text: str, question: str) -> str:
    """The sentence with every word the question already uses blanked out (for `has_kind`)."""
    asked = {w.casefold() for w in _TOKENS.findall(question)}
    return _TOKENS.sub(lambda m: " " if m.group(0).casefold() in asked else m.group(0), text)
