"""Place a dataset's gold evidence in an index: which stored sentences (by char span) are gold.

Gold is matched by text, never by a dataset's own sentence numbering, so our sentence splitter
and the dataset's need not agree: a retrieved sentence is gold when it overlaps a gold span, and
a retrieved chunk (the naive baseline) is gold when the gold text lies inside it, whitespace
ignored (the MultiHop-RAG paper's rule).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from retrieval.evaluation.datasets import EvalQuestion, Evidence
from retrieval.indexing.store import NewsIndex
from retrieval.types import ArticleInfo, Sentence

_WS = re.compile(r"\s+")


def squeeze(text: str) -> str:
    """The text without any whitespace: containment that ignores line breaks and spacing."""
    return "".join(text.split())


def find_spans(text: str, needle: str) -> list[tuple[int, int]]:
    """Every (start, end) of `needle` in `text`, whitespace runs treated as one space, at word bounds."""
    needle = _WS.sub(" ", needle.strip())
    if not needle:
        return []
    # Collapse whitespace in `text` while remembering where each kept character came from.
    chars: list[str] = []
    origin: list[int] = []
    prev_space = False
    for i, ch in enumerate(text):
        if ch.isspace():
            if not prev_space:
                chars.append(" ")
                origin.append(i)
            prev_space = True
        else:
            chars.append(ch)
            origin.append(i)
            prev_space = False
    flat = "".join(chars)
    spans, at = [], flat.find(needle)
    while at >= 0:
        end = at + len(needle)
        # An answer like "two" must not match inside "network".
        left_ok = not needle[0].isalnum() or at == 0 or not flat[at - 1].isalnum()
        right_ok = not needle[-1].isalnum() or end == len(flat) or not flat[end].isalnum()
        if left_ok and right_ok:
            spans.append((origin[at], origin[end - 1] + 1))
        at = flat.find(needle, at + 1)
    return spans


@dataclass(frozen=True)
class GoldUnit:
    """One gold unit placed in the index: char spans of its article (empty = the whole article counts)."""

    id: str
    article_id: str
    spans: tuple[tuple[int, int], ...] = ()
    texts: tuple[str, ...] = ()  # the gold text(s), for containment in retrieved chunks
    grade: int = 1

    def in_sentence(self, sentence: Sentence) -> bool:
        """A retrieved sentence is gold when it overlaps a gold span (any sentence for article-level gold)."""
        if sentence.article_id != self.article_id:
            return False
        return not self.spans or any(sentence.start < e and s < sentence.end for s, e in self.spans)

    def in_chunk(self, article_id: str, chunk_text: str) -> bool:
        """A retrieved chunk is gold when a gold text lies inside it, whitespace ignored."""
        if article_id != self.article_id:
            return False
        flat = squeeze(chunk_text)
        return not self.texts or any(squeeze(t) in flat for t in self.texts)


@dataclass(frozen=True)
class ResolvedQuestion:
    """A question with its gold placed in the index, and the gold that could not be placed."""

    question: EvalQuestion
    units: tuple[GoldUnit, ...]
    missing: tuple[str, ...]

    @property
    def article_ids(self) -> dict[str, int]:
        """Gold articles with their best grade (article-level gold)."""
        out: dict[str, int] = {}
        for u in self.units:
            out[u.article_id] = max(out.get(u.article_id, 0), u.grade)
        return out


class GoldResolver:
    """Resolves `Evidence` against one index, caching article texts and sentences."""

    def __init__(self, index: NewsIndex) -> None:
        self.index = index
        self._texts: dict[str, str] = {}
        self._sentences: dict[str, list[Sentence]] = {}
        self._lookup: dict[str, list[ArticleInfo]] | None = None

    def resolve(self, q: EvalQuestion) -> ResolvedQuestion:
        units, missing = [], list(q.missing)
        for n, ev in enumerate(q.evidence):
            unit = self._place(f"{q.id}#{n}", ev)
            if isinstance(unit, str):
                missing.append(unit)
            else:
                units.append(unit)
        return ResolvedQuestion(q, tuple(units), tuple(missing))

    def _place(self, unit_id: str, ev: Evidence) -> GoldUnit | str:
        article_id = self._article_id(ev.doc)
        if article_id is None:
            return f"article {ev.doc!r} is not in the index"
        if ev.kind == "article":
            return GoldUnit(unit_id, article_id, (), (), ev.grade)
        text = self._text(article_id)
        if ev.kind == "answer":
            # The gold is every stored sentence that contains one of the accepted answers.
            found = [sp for t in (ev.text, *ev.alternatives) for sp in find_spans(text, t)]
            sents = [s for s in self.sentences(article_id) if any(s.start < e and a < s.end for a, e in found)]
            if not sents:
                return f"answer {ev.text!r} is not in article {article_id}"
            return GoldUnit(
                unit_id, article_id, tuple((s.start, s.end) for s in sents), tuple(s.text for s in sents), ev.grade
            )
        spans = find_spans(text, ev.text)
        if not spans:
            return f"evidence {_short(ev.text)!r} is not in article {article_id}"
        return GoldUnit(unit_id, article_id, tuple(spans), (ev.text,), ev.grade)

    def sentences(self, article_id: str) -> list[Sentence]:
        if article_id not in self._sentences:
            self._sentences[article_id] = self.index.get_sentences(article_id)
        return self._sentences[article_id]

    def _text(self, article_id: str) -> str:
        if article_id not in self._texts:
            self._texts[article_id] = self.index.get_article_text(article_id)
        return self._texts[article_id]

    def _article_id(self, doc: str) -> str | None:
        """An article id from an id, a path or URL it was read from, or its exact title."""
        if self.index.get_article(doc) is not None:
            return doc
        if self._lookup is None:
            self._lookup = {}
            for info in self.index.list_articles():
                keys = [info.key] if not info.key.startswith("[") else _json_keys(info.key)
                for name in (info.title, info.url, *keys, *(os.path.basename(k) for k in keys if k)):
                    if name:
                        self._lookup.setdefault(name, []).append(info)
        for name in (doc, str(Path(doc).expanduser().resolve()) if "://" not in doc else doc):
            hits = self._lookup.get(name, [])
            if len({h.id for h in hits}) == 1:
                return hits[0].id
        return None


def _json_keys(raw: str) -> list[str]:
    try:
        return [str(k) for k in json.loads(raw)]
    except ValueError:
        return [raw]


def _short(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"
