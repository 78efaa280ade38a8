"""Split an article's text into sentences with exact character offsets.

Line breaks are hard boundaries (news exports put one paragraph per line, and a line such as
"Also Read: ..." has no full stop but is still its own unit). Inside a line, blingfire's
sentence model decides; it was chosen by `benchmarks/sentences.py` (accuracy on tricky news
cases and speed on the BBC set). A library only ever contributes *cut points*: the sentences
are the whitespace-stripped pieces between cuts, so no character can be lost or shifted
whatever the library returns.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import blingfire

from retrieval.types import Sentence

# Runs of characters without a line break; str.splitlines' separators count as breaks.
_LINE = re.compile(r"[^\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]+")

# Post-fixes for blingfire's systematic errors on news text, found by diffing it against
# syntok on the BBC set (see benchmarks/sentences.py). Kept small: each rule names one error.

# Words that end with a full stop before a name without ending the sentence ("Mr. Smith").
_ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof sen rep gov gen col capt lt sgt rev st sir jr sr mt ft ave rd
    dept univ vs v al cf approx eg ie
    jan feb mar apr jun jul aug sep sept oct nov dec""".split()
)
# ...and before a number ("No. 10", "Jan. 2023", "vol. 2", "c. 1900").
_TAKES_NUMBER = frozenset(
    """no nos vol vols fig figs art sec ch pt pp p c ca est op vs v approx
    jan feb mar apr jun jul aug sep sept oct nov dec""".split()
)
# A full stop (maybe inside closing quotes) then space then a capital or digit, maybe quoted;
# or a missing space between two sentences ("..of the tsunami.Steve will..").
_CANDIDATE = re.compile(r"\.[\"'’”»]*(?=\s+[\"'‘“«]?[A-Z0-9]|[A-Z][a-z])")
# The word a full stop ends: letters with & or - inside, nothing dotted like "U.S".
_LAST_WORD = re.compile(r"(?:^|[\s(\"'‘“«])([^\W\d_](?:[^\W\d_]|[&\-])*)\.[\"'’”»]*$")
_INITIAL = re.compile(r"(?:^|[\s(\"'‘“«])[A-Z]\.$")
_FIRST_WORD = re.compile(r"[\"'‘“«(]*([^\W\d_]+)")

_SIDE = 40  # characters either side of a cut that the rules look at
# A "sentence" longer than this (a table flattened to one line, a text without full stops) is cut
# into pieces at spaces: one sentence is one citation, and a citation must fit a chat message.
MAX_SENTENCE_CHARS = 1000

Segmenter = Callable[[str], list[tuple[int, int]]]


def blingfire_spans(line: str) -> list[tuple[int, int]]:
    """Sentence spans (start, end) within one line, as blingfire finds them."""
    return blingfire.text_to_sentences_and_offsets(line)[1]


def _wrong_cut(before: str, after: str) -> bool:
    """True for a model's cut that splits one sentence: before "he asked", a name, or a number."""
    before, after = before.rstrip(), after.lstrip()
    first = _FIRST_WORD.match(after)
    if first and first.group(1).islower():
        return True  # '..the first place?" he asked.' or '..Corp. reported'
    last = _LAST_WORD.search(before)
    word = last.group(1).lower() if last else ""
    if after[:1].isdigit():
        return word in _TAKES_NUMBER  # "No. 10", "Jan. 2023"
    return bool(_INITIAL.search(before)) or word in _ABBREVIATIONS  # "J. K. Rowling", "Mr. Smith"


def _missed_cut(before: str, after: str) -> bool:
    """True where blingfire misses an end: "..to customers. 12% of..", "..in the US. The..", "..cash in. Anti-.."."""
    last = _LAST_WORD.search(before)
    if not last or len(last.group(1)) < 2:
        return False
    if not after[:1].isspace() and not last.group(1).islower():
        return False  # "Bungie.Org" is a name, "tsunami.Steve" a missing space
    abbreviations = _TAKES_NUMBER if after.lstrip(" \"'‘“«")[:1].isdigit() else _ABBREVIATIONS
    return last.group(1).lower() not in abbreviations


def _fix_cuts(line: str, ends: list[int]) -> list[int]:
    cuts = set(ends)
    # The rules look at a few words either side; short slices keep them linear in the line.
    for m in _CANDIDATE.finditer(line):
        e = m.end()
        if e not in cuts and _missed_cut(line[max(0, e - _SIDE) : e], line[e : e + _SIDE]):
            cuts.add(e)
    kept, prev = [], 0
    for e in sorted(cuts):
        if not _wrong_cut(line[max(prev, e - _SIDE) : e], line[e : e + _SIDE]):
            kept.append(e)
            prev = e
    return kept


def sentence_spans(text: str, segment: Segmenter = blingfire_spans, fix: bool = True) -> list[tuple[int, int]]:
    """Exact (start, end) spans of the sentences of `text`, in order, trimmed of whitespace."""
    spans: list[tuple[int, int]] = []
    for m in _LINE.finditer(text):
        line = m.group()
        if line.isspace():
            continue
        ends = sorted({e for _, e in segment(line) if 0 < e < len(line)})
        if fix:
            ends = _fix_cuts(line, ends)
        prev = 0
        for e in [*ends, len(line)]:
            piece = line[prev:e]
            stripped = piece.strip()
            if stripped:
                lead = len(piece) - len(piece.lstrip())
                start = m.start() + prev + lead
                if len(stripped) > MAX_SENTENCE_CHARS:
                    spans.extend(_pieces(text, start, start + len(stripped)))
                else:
                    spans.append((start, start + len(stripped)))
            prev = e
    return spans


def _pieces(text: str, start: int, end: int, limit: int = MAX_SENTENCE_CHARS) -> list[tuple[int, int]]:
    """(start, end) spans of at most `limit` characters covering text[start:end], cut at spaces when possible."""
    out: list[tuple[int, int]] = []
    while start < end:
        while start < end and text[start].isspace():
            start += 1
        if start >= end:
            break
        stop = min(end, start + limit)
        if stop < end:
            space = text.rfind(" ", start + limit // 2, stop + 1)
            if space > start:
                stop = space
        piece_end = stop
        while piece_end > start and text[piece_end - 1].isspace():
            piece_end -= 1
        out.append((start, piece_end))
        start = stop
    return out


def split_sentences(article_id: str, text: str) -> list[Sentence]:
    """The sentences of `text`, indexed 0..n-1, with `s.text == text[s.start:s.end]`."""
    return [
        Sentence(article_id=article_id, index=i, start=a, end=b, text=text[a:b])
        for i, (a, b) in enumerate(sentence_spans(text))
    ]


def stored_sentences(articles, docs: list[str | None], metas: list[dict]) -> list[Sentence]:
    """Sentence records as Chroma returns them, with their text (`stored_texts`)."""
    return [
        Sentence(m["article_id"], int(m["i"]), int(m["start"]), int(m["end"]), text)
        for m, text in zip(metas, stored_texts(articles, docs, metas))
    ]


def stored_texts(articles, docs: list[str | None] | None, metas: list[dict]) -> list[str]:
    """The texts of sentence or chunk records as Chroma returns them.

    The records hold no document since the index stores them text-less (`store.py`): a text is
    `article[start:end]` (as `split_sentences` guarantees), cut from the article records of
    `articles` (the Chroma collection), read once for all of them. An index from before keeps its
    documents, which are used as they are.
    """
    docs = list(docs) if docs is not None else [None] * len(metas)
    texts = article_texts(articles, [m["article_id"] for d, m in zip(docs, metas) if d is None])
    return [d if d is not None else texts.get(m["article_id"], "")[int(m["start"]) : int(m["end"])] for d, m in zip(docs, metas)]


def article_texts(articles, ids: list[str]) -> dict[str, str]:
    """The stored texts of these articles (one read for all; none for no ids), by id."""
    if not (ids := sorted(set(ids))):
        return {}
    res = articles.get(ids=ids, include=["documents"])
    return {i: d or "" for i, d in zip(res["ids"], res["documents"])}
