"""Place a dataset's gold evidence in an index: which stored sentences (by char span) are gold.

Gold is matched by text, never by a dataset's own sentence numbering, so our sentence splitter
and the dataset's need not agree: a retrieved sentence is gold when it overlaps a gold span, and
a retrieved chunk (the naive baseline) is gold when the gold text lies inside it, whitespace
ignored (the MultiHop-RAG paper's rule).

An evidence `doc` is placed by name (`DocLookup`: article id, title, URL, the path it was read
from, absolute or relative to the current folder or to a `--corpus` folder, or its file name when
only one file has it); when no name fits, by its text (`TextFinder`: the one article containing
it; in none or several, the evidence stays unplaced).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from retrieval.evaluation.questions import EvalQuestion, Evidence
from retrieval.indexing.store import NewsIndex
from retrieval.types import Article, ArticleInfo, Sentence

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


class DocLookup:
    """Which article an evidence `doc` names: by id, title, URL, source path (see module doc) or file name."""

    def __init__(self, articles: Iterable[ArticleInfo | Article], roots: Sequence[Path] = ()) -> None:
        """`articles`: what the index (or a corpus) holds; `roots`: the --corpus folders."""
        self.ids: set[str] = set()
        self.names: dict[str, set[str]] = {}
        for a in articles:
            self.ids.add(a.id)
            keys = _json_keys(a.key) if a.key.startswith("[") else [a.key]
            for name in (a.title, a.url, *keys, *(os.path.basename(k) for k in keys if k)):
                if name:
                    self.names.setdefault(name, set()).add(a.id)
        self.roots = [Path(r).expanduser().resolve() for r in roots if Path(r).is_dir()]

    def find(self, doc: str) -> str | None:
        """The one article `doc` names, trying the most literal reading first; None when none or several."""
        doc = doc.strip()
        if doc in self.ids:
            return doc
        tiers = [[doc]]
        if "://" not in doc:
            tiers.append([str(Path(doc).expanduser().resolve())])
            tiers.append([str((root / doc).resolve()) for root in self.roots])
        for names in tiers:
            hits = {aid for name in names for aid in self.names.get(name, ())}
            if len(hits) == 1:
                return hits.pop()
        return None


class TextFinder:
    """The one article whose text contains a passage (whitespace ignored, at word bounds)."""

    def __init__(self, texts: dict[str, str]) -> None:
        self.texts = texts
        self._flat = {aid: squeeze(t) for aid, t in texts.items()}

    def find(self, passage: str) -> str | None:
        needle = squeeze(passage)
        if not needle:
            return None
        hits = [aid for aid, flat in self._flat.items() if needle in flat and find_spans(self.texts[aid], passage)]
        return hits[0] if len(hits) == 1 else None


class GoldResolver:
    """Resolves `Evidence` against one index, caching article texts and sentences.

    `roots`: the --corpus folders, for `doc`s given relative to one; `find_text`: place a `doc`
    that names no article by its evidence text (off when the caller already did on a larger corpus).
    """

    def __init__(self, index: NewsIndex, roots: Sequence[Path] = (), find_text: bool = True) -> None:
        self.index = index
        self.roots = list(roots)
        self.find_text = find_text
        self._texts: dict[str, str] = {}
        self._sentences: dict[str, list[Sentence]] = {}
        self._lookup: DocLookup | None = None
        self._finder: TextFinder | None = None

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
        if article_id is None and self.find_text and ev.kind != "article" and ev.text:
            article_id = self._text_finder().find(ev.text)
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
            self._lookup = DocLookup(self.index.list_articles(), self.roots)
        return self._lookup.find(doc)

    def _text_finder(self) -> TextFinder:
        """Every stored article's text, read once, in pages."""
        if self._finder is None:
            ids = [info.id for info in self.index.list_articles()]
            texts: dict[str, str] = {}
            for at in range(0, len(ids), 500):
                res = self.index.articles.get(ids=ids[at : at + 500], include=["documents"])
                texts.update(zip(res["ids"], res["documents"], strict=True))
            self._texts.update(texts)
            self._finder = TextFinder(texts)
        return self._finder


def _json_keys(raw: str) -> list[str]:
    try:
        return [str(k) for k in json.loads(raw)]
    except ValueError:
        return [raw]


def _short(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"
