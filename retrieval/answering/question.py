"""Question checks every front end goes through: one line saying what to fix, before anything loads."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from retrieval.errors import QuestionError
from retrieval.settings import Settings
from retrieval.text import STOPWORDS

TOO_VAGUE = (
    "That is too vague to look up: ask about a person, place, organisation or event, "
    'e.g. "How many people did Venezuela release?"'
)
# Words that name no topic: a question made only of these (and stopwords) is too vague to search.
_VAGUE_WORDS = frozenset(
    "happen happened happening happens news latest new story stories thing things stuff anything something "
    "everything more else tell going today yesterday now update updates info information details detail what "
    "whats going on about this that it there here up then hey hi hello bot newsbot please pls plz".split()
)
_WORD = re.compile(r"[^\W_]+")


def is_vague(question: str) -> bool:
    """True for a question with no topic of its own ("What happened?", "Tell me more", "Any news?")."""
    words = _WORD.findall(question.casefold())
    return not [w for w in words if w not in _VAGUE_WORDS and w not in STOPWORDS and not w.isdigit()]


# Chat around a question: an address or greeting before it ("hey bot,", "@newsbot", "can you tell me"),
# and shorthand inside it, typed in lower case ("abt", "govt", "ppl"). Searching with these words
# found nothing or the wrong story ("hey bot, who is the manager of arsenal" was declined).
_ADDRESS = re.compile(
    r"^(?:\s*(?:(?:hey|hi|hello|yo|ok|okay|so|um+|please|pls|plz)\b|(?:thanks|thank you|thx|cheers|great|cool|nice)\s*[,!.]|"
    r"@?(?:news)?bot\b|(?:can|could|would|will) you (?:please |pls )?(?:tell me|let me know|say|find out)\b|do you know\b|i (?:want|would like|'d like) to know\b|"
    r"(?:according to|in|from) (?:the |your )?(?:news|articles?|stories|story|reports?|papers?|coverage)\b)"
    r"[\s,!.:;-]*)+",
    re.I,
)
_SHORTHAND = {
    "abt": "about", "govt": "government", "wat": "what", "wut": "what", "ppl": "people", "u": "you", "ur": "your",
    "r": "are", "bc": "because", "b4": "before", "yr": "year", "yrs": "years", "tmrw": "tomorrow", "2day": "today",
    "mgr": "manager", "prez": "president", "dept": "department", "intl": "international", "approx": "approximately",
    "pls": "please", "plz": "please", "w/": "with", "w/o": "without",
}
# ... and after it: "How much did Glazer offer, according to the articles?"
_SOURCE_AFTER = re.compile(
    r"(?:,\s*|(?<![\s,])\s+)(?:according to|in|from) (?:the |your )?(?:news|articles?|stories|story|reports?|papers?|coverage)(?=\s*[?.!]*$)",
    re.I,
)
# "What's going on in Venezuela?" asks what "Tell me about Venezuela" asks: "going on" and "happening"
# are in no article (the question covered none of its weight and was declined).
_WHATS_UP_WITH = re.compile(
    r"^what(?:'s|’s|\s+is|\s+has\s+been|\s+was)?\s+(?:going\s+on|happening|the\s+latest|new)\s+(?:in|with|at|on|about|for)\s+(?=\S)",
    re.I,
)
_BRACKET = re.compile(r"(?<!\s)\s*[()]+\s*")  # "Arsenal (football club)?" -> "Arsenal football club?"
_BEFORE_STOP = re.compile(r"(?<!\s)\s+(?=[?.!,;:])")  # a run read from its first space: no retries
_SHORT = re.compile(r"(?<![\w/])(?:" + "|".join(re.escape(k) for k in sorted(_SHORTHAND, key=len, reverse=True)) + r")(?![\w/])")


def plain_question(question: str) -> str:
    """The question without a greeting or address before it, brackets or chat shorthand ("hey bot,
    wat happened to yukos" -> "what happened to yukos"), "What's going on in X?" asked as "Tell me
    about X"; what is searched, not what is shown."""
    rest = _ADDRESS.sub("", _BEFORE_STOP.sub("", _BRACKET.sub(" ", question)).strip(), count=1)
    rest = _SOURCE_AFTER.sub("", rest, count=1)
    rest = _WHATS_UP_WITH.sub("Tell me about ", rest, count=1)
    rest = _SHORT.sub(lambda m: _SHORTHAND[m.group(0)], rest or question)
    return rest


def check_question(question: str | bytes, settings: Settings) -> str:
    """The question, whitespace-normalised; QuestionError (one line) if it cannot be asked as given."""
    if isinstance(question, bytes):
        try:
            question = question.decode("utf-8")
        except UnicodeDecodeError:
            raise QuestionError("the question is not UTF-8 text; type it as plain text") from None
    if not isinstance(question, str):
        raise QuestionError("the question must be text")
    bad = next(
        (c for c in question if c == "\ufffd" or (unicodedata.category(c) in ("Cc", "Cs", "Co") and c not in "\t\n\r")),
        None,
    )
    if bad is not None:
        raise QuestionError(
            f"the question contains a non-text character (U+{ord(bad):04X}); type or paste it as plain text"
        )
    question = " ".join(unicodedata.normalize("NFC", question).split())
    if not question:
        raise QuestionError('the question is empty; ask something, e.g. "How many people did Venezuela release?"')
    if len(question) > settings.max_question_chars:
        raise QuestionError(
            f"the question is {len(question)} characters long; the limit is {settings.max_question_chars} "
            "(NEWSBOT_MAX_QUESTION_CHARS): shorten it"
        )
    if not any(c.isalnum() for c in question):
        raise QuestionError("the question has no words in it; ask something in words")
    return question


def check_history(history: Iterable | None) -> list[tuple[str, str]]:
    """History as (question, answer) string pairs; QuestionError if it has another shape."""
    out = []
    for turn in history or ():
        if not isinstance(turn, (list, tuple)) or len(turn) != 2 or not all(isinstance(t, str) for t in turn):
            raise QuestionError('history must be a list of [question, answer] pairs of strings')
        out.append((turn[0], turn[1]))
    return out
