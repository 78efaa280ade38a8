"""Digests: the top stories of a window, each with one or two cited sentences, and when to post one.

Stories come from `retrieval.stories` (an article without a story id is its own story). A story's
score is the number of sources reporting it, halved for every DIGEST_HALF_LIFE_H hours its newest
article is old (an undated story counts as new: its age is unknown), so a story three outlets
carry this morning leads, and one outlet's story from yesterday follows. Each story cites its
newest article's lead sentence, and the lead of another source's article when that says more
than a copy would (else the newest article's second sentence).

The scheduled digest (Discord) posts at NEWSBOT_DIGEST_AT in NEWSBOT_TIMEZONE, and only when an
article arrived since the last digest posted: `<data dir>/digest.json` remembers which articles
that one covered.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from retrieval.answering.citations import make_citation
from retrieval.headlines import are_copies, published
from retrieval.text import content_terms
from retrieval.types import ArticleInfo, Citation, Digest, DigestStory, Hit, Sentence

DIGEST_HALF_LIFE_H = 24.0
TOPIC_COVERAGE = 2 / 3  # share of the topic's words a matching sentence (with its headline) must contain
LOG_NAME = "digest.json"

Leads = Callable[[str], list[Sentence]]  # article id -> its first two sentences


def group_stories(articles: Sequence[ArticleInfo]) -> dict[str, list[ArticleInfo]]:
    """Articles by story id; an article without one (an index not yet backfilled) is its own story."""
    out: dict[str, list[ArticleInfo]] = {}
    for a in articles:
        out.setdefault(a.story_id or a.id, []).append(a)
    return out


def score(members: Sequence[ArticleInfo], now: datetime) -> float:
    """Sources reporting the story, halved per DIGEST_HALF_LIFE_H hours of its newest article's age."""
    sources = len({a.source for a in members}) or 1
    dates = [d for a in members if (d := published(a)) is not None]
    if not dates:
        return float(sources)
    age_h = max(0.0, (now - max(dates)).total_seconds() / 3600)
    return sources * 0.5 ** (age_h / DIGEST_HALF_LIFE_H)


def _newest_first(members: Sequence[ArticleInfo]) -> list[ArticleInfo]:
    return sorted(members, key=lambda a: (a.published_at or "", a.id), reverse=True)


def rank(
    groups: dict[str, list[ArticleInfo]], now: datetime, prefer: dict[str, int] | None = None
) -> list[tuple[float, str, list[ArticleInfo]]]:
    """Stories best first: score, then more articles, then newer, then `prefer` (article id -> search
    rank, for a topic), then story id (stable)."""
    prefer = prefer or {}
    ranked = [(score(m, now), sid, _newest_first(m)) for sid, m in groups.items()]
    last = len(prefer) + 1
    ranked.sort(key=lambda r: (-round(r[0], 9), -len(r[2]), _neg_date(r[2][0]),
                               min((prefer.get(a.id, last) for a in r[2]), default=last), r[1]))
    return ranked


def _neg_date(a: ArticleInfo) -> float:
    d = published(a)
    return -d.timestamp() if d else 0.0


def _citations(members: list[ArticleInfo], leads: Leads, first_n: int) -> list[Citation]:
    head = members[0]
    head_lines = leads(head.id)
    if not head_lines:
        return []
    chosen: list[tuple[Sentence, ArticleInfo]] = [(head_lines[0], head)]
    other = next((a for a in members[1:] if a.source != head.source), None)
    second = leads(other.id)[:1] if other is not None else []
    if second and not are_copies(head.title, head_lines[0].text, other.title, second[0].text):
        chosen.append((second[0], other))
    elif len(head_lines) > 1:
        chosen.append((head_lines[1], head))
    return [make_citation(first_n + i, Hit(s, a, 0.0)) for i, (s, a) in enumerate(chosen)]


def digest_pool(
    chosen: Sequence[ArticleInfo],
    every: Sequence[ArticleInfo],
    window,
    undated: int,
    source: str | None,
    topic: str,
    hits: Sequence[Hit],
) -> tuple[list[ArticleInfo], str]:
    """The articles a digest ranks (those in the window, of stories `source` reported and `topic`
    matches), and one line for the reader about what was left out or why nothing is there."""
    groups = group_stories(chosen)
    if source:
        groups = {k: m for k, m in groups.items() if any(a.source == source for a in m)}
    if topic:
        terms = content_terms(topic)
        need = math.ceil(TOPIC_COVERAGE * len(terms))
        matched = {h.article.id for h in hits if len(terms & content_terms(f"{h.article.title} {h.sentence.text}")) >= need}
        groups = {k: m for k, m in groups.items() if any(a.id in matched for a in m)}
    pool = [a for m in groups.values() for a in m]
    if pool:
        return pool, (f"{undated} undated article{'s' if undated != 1 else ''} left out" if undated else "")
    dated = [d for a in every if (d := published(a)) is not None]
    if not dated:
        return [], "The articles carry no publication dates: `--since all` makes a digest of all of them."
    what = " on that topic" if topic else ""
    if window is None:
        return [], f"No story{what} found."
    return [], f"No story{what} is dated {window.describe()}; the newest article is from {max(dated).date().isoformat()}."


def build_digest(
    articles: Sequence[ArticleInfo], leads: Leads, *, n: int, now: datetime, prefer: dict[str, int] | None = None,
    **fields,
) -> Digest:
    """The top `n` stories among `articles` (already chosen by window, source and topic), cited."""
    ranked = rank(group_stories(articles), now, prefer)
    stories: list[DigestStory] = []
    covered: list[str] = []
    next_n = 1
    for value, sid, members in ranked[: max(0, n)]:
        cites = _citations(members, leads, next_n)
        next_n += len(cites)
        head = members[0]
        stories.append(
            DigestStory(
                story_id=sid,
                title=head.title,
                sources=tuple(sorted({a.source for a in members if a.source})),
                articles=len(members),
                published_at=head.published_at,
                citations=tuple(replace(c, story_id=head.story_id) for c in cites),
                score=value,
            )
        )
        covered.extend(a.id for a in members)
    return Digest(stories=tuple(stories), total=len(ranked), article_ids=tuple(covered), **fields)


# ---------------------------------------------------------------------------------------------
# The schedule


def parse_clock_time(text: str) -> time:
    """'08:00' -> time(8, 0); ValueError for anything else."""
    hours, _, minutes = text.strip().partition(":")
    return time(int(hours), int(minutes or 0))


def latest_slot(now: datetime, at: str, timezone: str) -> datetime:
    """The most recent scheduled moment (`at` o'clock in `timezone`) at or before `now`."""
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone)
    slot = datetime.combine(local.date(), parse_clock_time(at), tzinfo=zone)
    if slot > local:
        slot = datetime.combine(local.date() - timedelta(days=1), parse_clock_time(at), tzinfo=zone)
    return slot


def last_posted(data_dir: Path) -> set[str]:
    """The article ids the last posted digest covered (empty when none was posted, or the log is unreadable)."""
    try:
        data = json.loads((Path(data_dir) / LOG_NAME).read_text(encoding="utf-8"))
        return set(data.get("article_ids", []))
    except (OSError, ValueError, AttributeError):
        return set()


def record_posted(data_dir: Path, digest: Digest, now: datetime) -> None:
    """Remember what was posted; written whole and renamed, so a crash keeps the old log or the new one."""
    path = Path(data_dir) / LOG_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"posted_at": now.isoformat(), "article_ids": list(digest.article_ids)}), encoding="utf-8")
    os.replace(tmp, path)


def has_news(digest: Digest, data_dir: Path) -> bool:
    """True when the digest shows an article the last posted digest did not."""
    return bool(digest.stories) and not set(digest.article_ids) <= last_posted(data_dir)
