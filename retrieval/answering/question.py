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
    "whats going on about this that it there here up then".split()
)
_WORD = re.compile(r"[^\W_]+")


def is_vague(question: str) -> bool:
    """True for a question with no topic of its own ("What happened?", "Tell me more", "Any news?")."""
    words = _WORD.findall(question.casefold())
    return not [w for w in words if w not in _VAGUE_WORDS and w not in STOPWORDS and not w.isdigit()]


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
