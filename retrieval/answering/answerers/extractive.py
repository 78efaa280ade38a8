"""The default answerer: quotes the sentences that answer the question, or says the articles don't.

No model beyond the retrieval embeddings and the small ranker. Given hits ranked by the
probability that they answer (`Hit.score`, from `retrieval.answering.rerank`):
1. say `NO_ANSWER` when the best probability is below the ranker's calibrated threshold (chosen
   on a named training split by `benchmarks/train_ranker.py`), or when the question is a short
   negative one ("What is not ...?") and the best sentence negates nothing;
2. otherwise lead with the best sentence and cite up to two more whose probability is at least
   the ranker's `cite_ratio` of the best: a further citation has to be nearly as likely to answer;
3. answer with the cited sentences themselves, lightly trimmed (a leading "However," goes), each
   followed by its [n] marker (naming the offered hit, like every answerer's markers). When the
   leading sentence leans on its context ("He said...", "The firm...") the answer names its story
   first, from the headline, so it reads on its own. The chain validates and numbers the
   citations, whose quote is always the full stored sentence.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

import blingfire

from retrieval.answering import rerank
from retrieval.answering.answerers.base import NO_ANSWER
from retrieval.types import Hit

BACKEND = "extractive"
MAX_CITED = rerank.MAX_CITED
NEGATIVE_MAX_WORDS = 18  # the negation rule is for short questions ("What is not ...?")

_NEGATION = re.compile(
    r"\b(not|never|no|none|nor|cannot|neither|without|nobody|nothing)\b|n['’]t\b", re.IGNORECASE
)
_YES_NO_OR_WHY = re.compile(
    r"\s*(?:why|(?:is|are|was|were|do|does|did|has|have|had|will|would|can|could|should|shall|may|might|must)(?:n['’]t)?|"
    r"won['’]t|can['’]t|shan['’]t)\b",
    re.IGNORECASE,
)
# Openers that tie a sentence to the one before it; an answer reads better without them.
_LEADING_CONNECTIVE = re.compile(
    r"^(however|but|and|meanwhile|also|still|moreover|furthermore|in addition|additionally|"
    r"nevertheless|nonetheless|instead|indeed|so|yet|then|thus|therefore)\s*,?\s+(?=\S)",
    re.IGNORECASE,
)


class ExtractiveAnswerer:
    """An `Answerer` that quotes the most probable answering sentences, or says NO_ANSWER."""

    name = BACKEND

    def __init__(self, model: rerank.RankerModel | None = None) -> None:
        self.model = model or rerank.default_model()

    def stream(self, question: str, hits: Sequence[Hit]) -> Iterator[str]:
        """The answer in one piece: at most MAX_CITED quoted hits with their [n] markers, or NO_ANSWER."""
        hits = list(hits)
        if not hits or self.should_abstain(question, hits):
            yield NO_ANSWER
            return
        chosen = self.choose(hits)
        # Markers name the offered hits (hits[n-1]), as every answerer's do.
        yield compose(chosen, [next(n for n, h in enumerate(hits, 1) if h is c) for c in chosen])

    def should_abstain(self, question: str, hits: Sequence[Hit]) -> bool:
        """True when the best evidence is too unlikely to answer, or contradicts a short negative question."""
        if not hits or hits[0].score < self.model.threshold:
            return True
        return negative_mismatch(question, hits[0].sentence.text)

    def choose(self, hits: Sequence[Hit]) -> list[Hit]:
        """The best hit, then those nearly as likely to answer (at most MAX_CITED, no repeats)."""
        best = hits[0].score
        out: list[Hit] = []
        for h in hits:
            if len(out) >= MAX_CITED or (out and h.score < self.model.cite_ratio * best):
                break
            if not any(_same_sentence(h, o) for o in out):
                out.append(h)
        return out


def negative_mismatch(question: str, evidence: str) -> bool:
    """A short question asking what is *not* so, answered by a sentence that negates nothing.

    Not a question asking yes or no ("Didn't the two of them fall out once?", "Will it work for people
    without broadband?": asking for confirmation) or why ("Why won't Howard promise bigger tax cuts?":
    the reason need not negate anything)."""
    if len(question.split()) > NEGATIVE_MAX_WORDS or re.search(r"\bnot only\b", question, re.IGNORECASE):
        return False
    if _YES_NO_OR_WHY.match(question):
        return False
    return bool(_NEGATION.search(question)) and not _NEGATION.search(evidence)


def _same_sentence(a: Hit, b: Hit) -> bool:
    return a.sentence.article_id == b.sentence.article_id and a.sentence.index == b.sentence.index


def compose(chosen: Sequence[Hit], numbers: Sequence[int] | None = None) -> str:
    """The answer text: each quoted sentence followed by its markers (`numbers`, default 1..n).

    Sentences with the same text in several articles are quoted once, with every marker. A leading
    sentence that leans on its context is introduced by its story's headline.
    """
    numbers = list(numbers) if numbers is not None else list(range(1, len(chosen) + 1))
    groups: dict[str, list[int]] = {}
    for n, h in zip(numbers, chosen):
        groups.setdefault(_normalise(h.sentence.text), []).append(n)
    parts: list[str] = []
    done: set[str] = set()
    for i, h in enumerate(chosen):
        key = _normalise(h.sentence.text)
        if key in done:
            continue
        done.add(key)
        marks = "".join(f"[{n}]" for n in groups[key])
        # A stored sentence the answer splitter would cut in two gets its markers on each piece,
        # so citation validation never sees an uncited half.
        pieces = _pieces(trim(h.sentence.text))
        if i == 0 and h.article.title and rerank.leans_back(h.sentence.text):
            pieces[0] = f"{story_label(h.article.title)}: {pieces[0]}"
        for piece in pieces:
            parts.append(f"{_before_final_stop(piece)} {marks}{_final_stop(piece)}")
    return " ".join(parts)


def story_label(title: str) -> str:
    """The headline as a lead-in: In “Brown hits back in Blair rift row”."""
    return f"In “{' '.join(title.split()).rstrip('.')}”"


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
