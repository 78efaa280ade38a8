"""The default answerer: quotes the sentences that answer the question, or says the articles don't.

No model beyond the retrieval embeddings. Given the ranked hits of `retrieval.answering.search`:
1. abstain with `NO_ANSWER` when the best hit's score (cosine + term coverage, see search.py)
   is below a threshold that depends on the question's length (a long, multi-part question is
   never covered by one sentence, so its scores run lower), or when the question is a short
   negative one ("What is not ...?") and the best sentence states nothing negative;
2. otherwise cite the best hit and up to two more whose score is within `CITE_MARGIN` of it,
   preferring sentences of the expected kind (a number for "how many", a date for "when");
3. answer with the cited sentences themselves, lightly trimmed (a leading "However," goes),
   each followed by its [n] marker (naming the offered hit, like every answerer's markers); the
   chain validates and numbers the citations, whose quote is always the full stored sentence.

The thresholds and margin come from `benchmarks/calibrate.py` (dev split of SQuAD2-500
unanswerables and MultiHop-RAG null queries); its figures are in the README.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

import blingfire

from retrieval.answering.answerers.base import NO_ANSWER
from retrieval.text import tokenize
from retrieval.types import Hit

BACKEND = "extractive"

# Calibrated in benchmarks/calibrate.py: abstain below THRESHOLD_SHORT for questions with at most
# SHORT_TERMS content terms, below THRESHOLD_LONG from LONG_TERMS on, linear in between.
THRESHOLD_SHORT = 0.74
THRESHOLD_LONG = 0.60
SHORT_TERMS = 10
LONG_TERMS = 16
CITE_MARGIN = 0.25  # cite further hits scoring within this of the best one
MAX_CITED = 3
TYPE_BONUS = 0.1  # for a sentence of the expected kind (number, date) when choosing what to cite
NEGATIVE_MAX_WORDS = 18  # the negation rule is for short questions ("What is not ...?")

_NUMBER_Q = re.compile(
    r"\bhow (many|much|old|long|far|big|large|tall|high|often|fast)\b"
    r"|\bwhat (number|percentage|percent|amount|proportion|share|fraction)\b",
    re.IGNORECASE,
)
_DATE_Q = re.compile(
    r"^\s*when\b|\b(what|which|in what) (year|years|date|month|day|century|decade|time|period)\b"
    r"|\bwhen (did|was|were|is|will|does|do|has|had)\b",
    re.IGNORECASE,
)
_YEAR = re.compile(r"\b(1[0-9]{3}|20[0-9]{2})s?\b")
_DATE_WORD = re.compile(
    r"\b(January|February|March|April|May|June|July|August|September|October|November|December|"
    r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec|Monday|Tuesday|Wednesday|Thursday|Friday|"
    r"Saturday|Sunday|yesterday|today|tomorrow|century|decade)\b",
    re.IGNORECASE,
)
_NUMBER_WORD = re.compile(
    r"\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
    r"hundreds?|thousands?|millions?|billions?|dozens?|half|percent|per cent)\b",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*%?")
_NEGATION = re.compile(
    r"\b(not|never|no|none|nor|cannot|neither|without|nobody|nothing)\b|n['’]t\b", re.IGNORECASE
)
# Openers that tie a sentence to the one before it; an answer reads better without them.
_LEADING_CONNECTIVE = re.compile(
    r"^(however|but|and|meanwhile|also|still|moreover|furthermore|in addition|additionally|"
    r"nevertheless|nonetheless|instead|indeed|so|yet|then|thus|therefore)\s*,?\s+(?=\S)",
    re.IGNORECASE,
)


class ExtractiveAnswerer:
    """An `Answerer` that quotes the best retrieved sentences, or says NO_ANSWER."""

    name = BACKEND

    def stream(self, question: str, hits: Sequence[Hit]) -> Iterator[str]:
        """The answer in one piece: at most MAX_CITED quoted hits with their [n] markers, or NO_ANSWER."""
        hits = list(hits)
        if not hits or self.should_abstain(question, hits):
            yield NO_ANSWER
            return
        chosen = choose_citations(question, hits)
        # Markers name the offered hits (hits[n-1]), as every answerer's do.
        yield compose(chosen, [next(n for n, h in enumerate(hits, 1) if h is c) for c in chosen])

    def should_abstain(self, question: str, hits: Sequence[Hit]) -> bool:
        """True when the best evidence is too weak, or contradicts a short negative question."""
        if not hits:
            return True
        best = hits[0]
        if best.score < threshold(question):
            return True
        return negative_mismatch(question, best.sentence.text)


def threshold(question: str) -> float:
    """The minimum best-hit score for answering; lower for long, many-term questions."""
    n = len(set(tokenize(question)))
    if n <= SHORT_TERMS:
        return THRESHOLD_SHORT
    if n >= LONG_TERMS:
        return THRESHOLD_LONG
    share = (n - SHORT_TERMS) / (LONG_TERMS - SHORT_TERMS)
    return THRESHOLD_SHORT + share * (THRESHOLD_LONG - THRESHOLD_SHORT)


def negative_mismatch(question: str, evidence: str) -> bool:
    """A short question asking what is *not* so, answered by a sentence that negates nothing."""
    if len(question.split()) > NEGATIVE_MAX_WORDS or re.search(r"\bnot only\b", question, re.IGNORECASE):
        return False
    return bool(_NEGATION.search(question)) and not _NEGATION.search(evidence)


def expected_kind(question: str) -> str:
    """"number", "date" or "" for what the question asks for."""
    if _NUMBER_Q.search(question):
        return "number"
    if _DATE_Q.search(question):
        return "date"
    return ""


def is_kind(kind: str, text: str) -> bool:
    """True when `text` holds something of that kind (a count that is not a year, a date)."""
    if kind == "number":
        counts = [n for n in _NUMBER.findall(text) if not _YEAR.fullmatch(n.rstrip("%"))]
        return bool(counts) or bool(_NUMBER_WORD.search(text))
    if kind == "date":
        return bool(_YEAR.search(text) or _DATE_WORD.search(text))
    return False


def choose_citations(question: str, hits: Sequence[Hit]) -> list[Hit]:
    """The best hit plus those within CITE_MARGIN, at most MAX_CITED, expected kind first."""
    best = hits[0].score
    eligible = [h for h in hits[: 2 * MAX_CITED] if h.score >= best - CITE_MARGIN]
    kind = expected_kind(question)
    ranked = sorted(
        eligible,
        key=lambda h: -(h.score + (TYPE_BONUS if kind and is_kind(kind, h.sentence.text) else 0.0)),
    )
    out: list[Hit] = []
    for h in ranked:
        if len(out) >= MAX_CITED:
            break
        if any(_same_sentence(h, o) for o in out):
            continue
        out.append(h)
    return out


def _same_sentence(a: Hit, b: Hit) -> bool:
    return a.sentence.article_id == b.sentence.article_id and a.sentence.index == b.sentence.index


def compose(chosen: Sequence[Hit], numbers: Sequence[int] | None = None) -> str:
    """The answer text: each quoted sentence followed by its markers (`numbers`, default 1..n).

    Sentences with the same text in several articles are quoted once, with every marker.
    """
    numbers = list(numbers) if numbers is not None else list(range(1, len(chosen) + 1))
    groups: dict[str, list[int]] = {}
    for n, h in zip(numbers, chosen):
        groups.setdefault(_normalise(h.sentence.text), []).append(n)
    parts: list[str] = []
    done: set[str] = set()
    for h in chosen:
        key = _normalise(h.sentence.text)
        if key in done:
            continue
        done.add(key)
        marks = "".join(f"[{n}]" for n in groups[key])
        # A stored sentence the answer splitter would cut in two gets its markers on each piece,
        # so citation validation never sees an uncited half.
        for piece in _pieces(trim(h.sentence.text)):
            parts.append(f"{_before_final_stop(piece)} {marks}{_final_stop(piece)}")
    return " ".join(parts)


def trim(sentence: str) -> str:
    """The sentence without a leading connective ("However, ..."), capitalised, on one line."""
    text = " ".join(sentence.split())
    stripped = _LEADING_CONNECTIVE.sub("", text, count=1)
    if stripped != text and len(stripped.split()) >= 4:
        text = stripped[0].upper() + stripped[1:]
    return text


def _pieces(text: str) -> list[str]:
    pieces = [p.strip() for p in blingfire.text_to_sentences(text).split("\n") if p.strip()]
    return pieces or [text]


def _final_stop(piece: str) -> str:
    m = re.search(r"[.!?…]+[\"'’”)»]*$", piece)
    return m.group(0) if m else "."


def _before_final_stop(piece: str) -> str:
    m = re.search(r"[.!?…]+[\"'’”)»]*$", piece)
    return piece[: m.start()] if m else piece


def _normalise(text: str) -> str:
    return " ".join(text.casefold().split())
