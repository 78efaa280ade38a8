"""The newest articles in a window, copies of one story shown once, each with its lead sentence.

Copies are what a feed reader sees several times: the same story under two URLs, a wire story
run by two outlets, an updated version. Two articles are copies when their titles match once
normalised (case, punctuation, a trailing " - Outlet" or " | Outlet" dropped) or when their lead
sentences are near-identical (difflib ratio >= LEAD_SIMILARITY on the normalised first 300
characters). Grouping related but different reports of one event across outlets is a larger
job (story clustering); this only keeps a list of headlines from repeating itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from difflib import SequenceMatcher

from retrieval.text import tokenize
from retrieval.types import ArticleInfo, Sentence

LEAD_SIMILARITY = 0.9
POOL_FACTOR = 4  # newest n * POOL_FACTOR articles are read to find n distinct stories

# "What is the latest news?", "What happened yesterday?", "Any headlines?": a question about
# the news in general, with no topic of its own. Stems, as `tokenize` returns them.
_OVERVIEW_WORDS = frozenset(
    tokenize(
        "latest newest new recent recently today tonight week weekend month year morning evening now currently "
        "current breaking update updates updated happen happened happening going headline headlines story "
        "stories top anything something everything whats what's any"
    )
)
_OVERVIEW_CUE = re.compile(r"\b(latest|newest|new|news|happen(?:ed|ing)?|headlines?|stories|updates?|going on)\b", re.IGNORECASE)


def wants_overview(question: str) -> bool:
    """True for a question about the news in general ("What is the latest news?"), not about a topic."""
    if not _OVERVIEW_CUE.search(question):
        return False
    return not [t for t in tokenize(question) if t not in _OVERVIEW_WORDS]


_SEPARATOR = re.compile(r"(?<!\s)\s+[|–—-]\s+")
_NON_WORD = re.compile(r"[^\w]+")


def normalise_title(title: str) -> str:
    """Lower-case words only, without a short trailing outlet name ("Fares rise - BBC News" -> "fares rise")."""
    parts = _SEPARATOR.split(title.strip())
    if len(parts) > 1 and len(parts[-1].split()) <= 4 and len(" ".join(parts[:-1]).split()) >= 2:
        parts = parts[:-1]
    return " ".join(_NON_WORD.sub(" ", " ".join(parts).casefold()).split())


def _normalise_lead(text: str) -> str:
    return " ".join(_NON_WORD.sub(" ", text.casefold()).split())[:300]


def are_copies(title_a: str, lead_a: str, title_b: str, lead_b: str) -> bool:
    """True when two articles are the same story: same normalised title, or near-identical leads."""
    ta, tb = normalise_title(title_a), normalise_title(title_b)
    if ta and ta == tb:
        return True
    la, lb = _normalise_lead(lead_a), _normalise_lead(lead_b)
    if not la or not lb:
        return False
    if la == lb:
        return True
    return SequenceMatcher(None, la, lb, autojunk=False).ratio() >= LEAD_SIMILARITY


@dataclass(frozen=True)
class Story:
    """One story: its newest article, that article's lead sentence, and the copies left out."""

    article: ArticleInfo
    lead: Sentence | None
    copies: tuple[ArticleInfo, ...] = ()


def published(article: ArticleInfo) -> datetime | None:
    if not article.published_at:
        return None
    try:
        dt = datetime.fromisoformat(article.published_at.replace("z", "Z"))
    except ValueError:
        return None
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def newest_stories(
    articles: Sequence[ArticleInfo], lead_of: Callable[[str], Sentence | None], n: int = 10
) -> list[Story]:
    """The n newest distinct stories among dated `articles` (already filtered), newest first.

    `lead_of(article_id)` gives an article's first sentence; it is called for at most
    n * POOL_FACTOR articles, so a large window costs a few reads, not one per article.
    """
    if n <= 0:
        return []
    dated = [(d, a) for a in articles if (d := published(a)) is not None]
    dated.sort(key=lambda p: (p[0], p[1].id), reverse=True)
    pool = [a for _, a in dated[: n * POOL_FACTOR]]
    leads = {a.id: lead_of(a.id) for a in pool}
    stories: list[tuple[ArticleInfo, list[ArticleInfo]]] = []
    for a in pool:
        lead_a = leads[a.id].text if leads[a.id] else ""
        for head, copies in stories:
            lead_h = leads[head.id].text if leads[head.id] else ""
            if are_copies(a.title, lead_a, head.title, lead_h):
                copies.append(a)
                break
        else:
            stories.append((a, []))
    return [Story(head, leads[head.id], tuple(copies)) for head, copies in stories[:n]]
