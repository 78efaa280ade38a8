"""Who else reported a cited sentence, and where the sources disagree.

After an answer is validated, each citation is looked up in its article's story (`retrieval.stories`):
for every other article of the story from another source, the sentence closest to the cited one
(stored sentence vectors, plus shared content words) is compared with it.
- It says the same (close, and states every number of the cited sentence): that source goes into
  the citation's `also_reported_by` ("also reported by 2 sources: Reuters, AP").
- It says the same thing with another number or another name (88 released vs 90 released): the
  answer gets one more sentence, "The sources differ: Wire says 88 [1], Outlet says 90 [2].",
  citing both, the other one added as a citation when it was not cited already.
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np

from retrieval.answering.citations import make_citation
from retrieval.indexing.sentences import stored_sentences
from retrieval.text import STOPWORDS, content_terms, numbers_in
from retrieval.types import Answer, ArticleInfo, Citation, Hit, Sentence

SAME_COSINE = 0.85  # stored sentence vectors (each embedded after its own article's title)
SAME_TERMS = 0.5  # or this share (Jaccard) of content words, numbers and names left out
NAME_TERMS = 0.6  # a differing name counts only between sentences this alike otherwise
MAX_MEMBERS = 20  # articles of one story compared per citation
MAX_EXTRA = 2  # disagreements added to one answer

_WORD = re.compile(r"[\w’'-]+")


@dataclasses.dataclass(frozen=True)
class _Match:
    article: ArticleInfo
    sentence: Sentence
    differs: str = ""  # "" when it says the same; else what differs ("88" / "90")
    theirs: str = ""


def _names(text: str) -> set[str]:
    """Capitalised words, the first one unless it is a function word: the names a sentence states (crudely)."""
    words = _WORD.findall(text)
    if words and words[0].lower() in STOPWORDS:
        words = words[1:]
    return {w for w in words if w[:1].isupper()}


def _terms(text: str) -> set[str]:
    names = {n.lower()[:5] for n in _names(text)}
    return {t for t in content_terms(text) if not t[0].isdigit() and t not in names}


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


def compare(cited: str, other: str, cosine: float) -> tuple[bool, str, str]:
    """(same claim?, what the cited sentence says, what the other says instead); "" , "" when they agree."""
    terms = _jaccard(_terms(cited), _terms(other))
    if cosine < SAME_COSINE and terms < SAME_TERMS:
        return False, "", ""
    mine, theirs = numbers_in(cited), numbers_in(other)
    if mine - theirs and theirs - mine:
        return True, ", ".join(sorted(mine - theirs)), ", ".join(sorted(theirs - mine))
    names_a, names_b = _names(cited), _names(other)
    if terms >= NAME_TERMS and names_a - names_b and names_b - names_a:
        return True, ", ".join(sorted(names_a - names_b)), ", ".join(sorted(names_b - names_a))
    return True, "", ""


def _unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.maximum(np.linalg.norm(rows, axis=-1, keepdims=True), 1e-12)


def _sentences_with_vectors(index, article_ids: list[str]) -> list[tuple[Sentence, np.ndarray]]:
    where = {"article_id": {"$in": article_ids}} if len(article_ids) > 1 else {"article_id": article_ids[0]}
    res = index.sentences.get(where=where, include=["documents", "metadatas", "embeddings"])
    found = stored_sentences(index.articles, res["documents"], res["metadatas"])
    return [(s, np.asarray(v, dtype=np.float32)) for s, v in zip(found, res["embeddings"])]


def _matches(index, c: Citation, members: list[ArticleInfo]) -> list[_Match]:
    """For each other-source article of the story, its sentence that makes the cited claim, if any."""
    mine = index.sentence_vectors([f"{c.article_id}:s{c.sentence_index}"]).get(f"{c.article_id}:s{c.sentence_index}")
    if mine is None:
        return []
    mine = _unit(mine)
    by_article: dict[str, list[tuple[Sentence, np.ndarray]]] = {}
    for s, v in _sentences_with_vectors(index, [a.id for a in members]):
        by_article.setdefault(s.article_id, []).append((s, v))
    out = []
    for a in members:
        rows = by_article.get(a.id)
        if not rows:
            continue
        cos = _unit(np.stack([v for _, v in rows])) @ mine
        words = _terms(c.quote)
        best = max(range(len(rows)), key=lambda i: cos[i] + _jaccard(words, _terms(rows[i][0].text)))
        same, ours, theirs = compare(c.quote, rows[best][0].text, float(cos[best]))
        if same:
            out.append(_Match(a, rows[best][0], ours, theirs))
    return out


def corroborate(answer: Answer, index) -> tuple[str, Answer]:
    """The answer with `story_id` and `also_reported_by` on its citations, and any "sources differ"
    sentence (returned too, to be streamed after the answer's own text)."""
    if answer.abstained or not answer.citations:
        return "", answer
    by_id = index.get_articles(c.article_id for c in answer.citations)
    stories: dict[str, list[ArticleInfo]] = {}
    for a in index.get_articles((), story_ids=(info.story_id for info in by_id.values())).values():
        if a.story_id:
            stories.setdefault(a.story_id, []).append(a)
    cited = {(c.article_id, c.sentence_index): c.n for c in answer.citations}
    citations = list(answer.citations)
    # One "differ" clause per pair of values (88 / 90), each side with every source that says it.
    differ: dict[frozenset, dict[str, dict[int, str]]] = {}
    for i, c in enumerate(answer.citations):
        info = by_id.get(c.article_id)
        if info is None or not info.story_id:
            continue
        members = [a for a in stories.get(info.story_id, []) if a.id != c.article_id and a.source != c.source]
        found = _matches(index, c, members[:MAX_MEMBERS]) if members else []
        also = sorted({m.article.source for m in found if not m.differs and m.article.source})
        citations[i] = dataclasses.replace(citations[i], story_id=info.story_id, also_reported_by=tuple(also))
        for m in found:
            pair = frozenset((m.differs, m.theirs))
            if not m.differs or (pair not in differ and len(differ) >= MAX_EXTRA):
                continue
            key = (m.article.id, m.sentence.index)
            n = cited.get(key)
            if n is None:
                n = len(citations) + 1
                citations.append(dataclasses.replace(make_citation(n, Hit(m.sentence, m.article, 0.0)), story_id=info.story_id))
                cited[key] = n
            sides = differ.setdefault(pair, {})
            sides.setdefault(m.differs, {})[c.n] = c.source or "one source"
            sides.setdefault(m.theirs, {})[n] = m.article.source or "another source"
    clauses = []
    for sides in differ.values():
        parts = []
        for value, cites in sides.items():
            names = list(dict.fromkeys(cites.values()))
            verb = "says" if len(names) == 1 else "say"
            parts.append(f"{' and '.join(names)} {verb} {value} {''.join(f'[{n}]' for n in sorted(cites))}")
        clauses.append(", ".join(parts))
    text = f"The sources differ: {'; '.join(clauses)}." if clauses else ""
    full = f"{answer.answer} {text}" if text else answer.answer
    return (f" {text}" if text else ""), dataclasses.replace(answer, answer=full, citations=tuple(citations))
