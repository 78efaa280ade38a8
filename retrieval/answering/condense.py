"""Rewrite a follow-up question into a standalone one, without an LLM.

"and how many remain in jail?" after "How many people did Venezuela release?" becomes
"and how many remain in jail? (Venezuela)": the earlier question's names (or, lacking names,
its topic words) are carried over, so retrieval never sees a bare pronoun or an elliptical question.
A question that already names its topic is returned unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from retrieval.text import FUNCTION_WORDS, MARKER, WORD

MAX_CARRIED = 8  # terms carried from earlier turns; more drowns the new question's own words
MAX_CARRIED_WORDS = 4  # topic words carried when the earlier question named nothing
MAX_ANSWER_NAMES = 1  # names borrowed from the previous answer for a personal pronoun
# Topic words carried beside the earlier question's names: after "Who issued the guidance on how far
# householders in England and Wales can go against burglars?", "What counts as going too far?" is
# about householders as much as about England (measured on the follow-ups of both reader sets, see README).
MAX_WORDS_WITH_NAMES = 2

# Openings that lean on the previous turn ("and ...", "what about ...", "why?").
_FOLLOW_UP_START = re.compile(
    r"^\s*(and|but|also|so|then|what about|how about|and what|and how|what else|why|why not|"
    r"how come|anything else|any more|more on|tell me more|same for|what of|is that|was that|"
    r"did they|do they|does it|did it|did he|did she|is it|are they|were they)\b",
    re.IGNORECASE,
)
# "What about <new subject>?": keep the earlier question's predicate, not its subject.
_SWAP_SUBJECT = re.compile(r"^\s*(and\s+)?(what|how)\s+about\b", re.IGNORECASE)
# Pronouns that stand for a person or group named in the previous answer.
_PERSONAL = frozenset(["he", "she", "him", "her", "his", "hers", "they", "them", "their"])
# Words that point back to something named earlier.
_ANAPHORA = frozenset(
    ["he", "she", "it", "they", "them", "their", "theirs", "his", "her", "hers", "its", "him", "this", "that", "these", "those", "there", "then", "such", "same", "former", "latter", "other", "others", "one", "ones"]
)
_POSSESSIVE = re.compile(r"['’]s$", re.IGNORECASE)
# Capitalised, but never what a pronoun stands for.
_NOT_NAMES = frozenset(
    "january february march april may june july august september october november december "
    "monday tuesday wednesday thursday friday saturday sunday".split()
)


def condense_question(question: str, history: Sequence[tuple[str, str]]) -> str:
    """A standalone version of `question` given earlier (question, answer) turns."""
    q = " ".join((question or "").split())
    if not history or not q or not is_follow_up(q):
        return q
    carried = _carried_terms(q, history)
    own = {w.casefold() for w in WORD.findall(q)}
    extra = [t for t in carried if t.casefold() not in own][:MAX_CARRIED]
    if not extra:
        return q
    return f"{q} ({' '.join(extra)})"


def is_follow_up(question: str) -> bool:
    """True when the question leans on an earlier turn: a pronoun, an elliptical opening, no topic words."""
    words = WORD.findall(question)
    lowered = [w.casefold().strip(".'’") for w in words]
    if _FOLLOW_UP_START.match(question):
        return True
    if any(w in _ANAPHORA for w in lowered):
        return True
    topic = [w for w in lowered if w not in FUNCTION_WORDS]
    return len(topic) <= 1


def _carried_terms(question: str, history: Sequence[tuple[str, str]]) -> list[str]:
    """The topic of the conversation that the follow-up leaves out.

    By default the names in the latest standalone question and its first topic words (else its
    topic words alone). "What about Cuba?" swaps the subject, so it takes the earlier question's
    other topic words instead. A personal pronoun ("when was he elected?") also borrows the first
    name in the previous answer; never more: an answer's many names would drown the follow-up's own
    words ("remain in jail").
    """
    standalone: list[str] = []
    # Replay the history so a follow-up to a follow-up still carries the original topic.
    for i, (prev_q, _) in enumerate(history):
        prev = " ".join((prev_q or "").split())
        if i and is_follow_up(prev):
            prev = condense_question(prev, history[:i])
        standalone.append(prev)
    last_q = standalone[-1] if standalone else ""
    names = _names(last_q)
    named = {part.casefold() for n in names for part in n.split()}
    words = [t for t in _topic_terms(last_q) if not all(p.casefold() in named for p in t.split())]
    words = words[:MAX_CARRIED_WORDS]
    if _SWAP_SUBJECT.match(question) and _names(question):
        return words
    terms = names + words[:MAX_WORDS_WITH_NAMES] if names else words
    if _PERSONAL.intersection(w.casefold() for w in WORD.findall(question)):
        last_a = MARKER.sub(" ", history[-1][1] or "") if history else ""
        for name in _names(last_a)[:MAX_ANSWER_NAMES]:
            if name.casefold() not in {t.casefold() for t in terms}:
                terms.append(name)
    return terms


def _topic_terms(text: str) -> list[str]:
    """Names first (kept whole), then the other content words, in order, without repeats."""
    terms: list[str] = []
    seen: set[str] = set()
    for name in _names(text):
        if name.casefold() not in seen:
            terms.append(name)
            seen.add(name.casefold())
            seen.update(part.casefold() for part in name.split())
    for w in WORD.findall(text):
        word = _POSSESSIVE.sub("", w.strip(".'’"))  # "What's the name..." carries "name", not "What's"
        c = word.casefold()
        if not c or c in FUNCTION_WORDS or c in _ANAPHORA or c in seen:
            continue
        terms.append(word)
        seen.add(c)
    return terms


def _names(text: str) -> list[str]:
    """Runs of capitalised words, except a lone capital that only starts the text ("Who ...")."""
    out: list[str] = []
    run: list[str] = []
    run_start = 0
    words = WORD.findall(text)
    for i, w in enumerate([*words, ""]):
        clean = w.strip(".'’")
        c = clean.casefold()
        if clean and clean[0].isupper() and c not in FUNCTION_WORDS and c not in _ANAPHORA and c not in _NOT_NAMES:
            if not run:
                run_start = i
            run.append(clean)
            continue
        if run and (run_start > 0 or len(run) > 1):
            out.append(" ".join(run))
        run = []
    return out
