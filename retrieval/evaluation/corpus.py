"""`--corpus` with `--max-articles`: read the user's files, place the gold among them, keep a seeded sample.

The sample is made of files (records, for files holding several articles): every file the gold
evidence names (`DocLookup`) or, when the name fits none, the one article containing the evidence
text (`TextFinder`, searched in the whole corpus), then random others (`seed`) up to N. Evidence
placed this way is rewritten to its article id, so the sample index never re-guesses it; evidence
that fits no article in the whole corpus stays unplaced (reported as missing).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from retrieval.errors import InputFileError
from retrieval.evaluation.datasets import EvalQuestion
from retrieval.evaluation.gold import DocLookup, TextFinder
from retrieval.settings import Settings
from retrieval.sources.files import iter_articles
from retrieval.types import Article, Skipped


def read_corpus(paths: Sequence[Path], settings: Settings) -> list[Article]:
    """The articles `newsbot ingest` would read from `paths`, keyed by absolute path as the index keys them."""
    missing = [str(p) for p in paths if not Path(p).exists()]
    if missing:
        raise InputFileError(f"{missing[0]} does not exist; --corpus takes files or folders of articles")
    out = []
    for item in iter_articles(paths, max_bytes=int(settings.max_file_mb * 1024 * 1024)):
        if isinstance(item, Skipped):
            continue
        path, sep, rest = item.key.partition("#")
        if path and "://" not in path:
            item = replace(item, key=str(Path(path).resolve()) + sep + rest)
        out.append(item)
    if not out:
        raise InputFileError(f"{', '.join(map(str, paths))} holds no readable article; check --corpus")
    return out


@dataclass
class CorpusSample:
    """The articles to index, the questions with their placed evidence rewritten to article ids, and a note."""

    articles: list[Article]
    questions: list[EvalQuestion]
    note: str


def place_evidence(
    questions: Sequence[EvalQuestion], articles: Sequence[Article], roots: Sequence[Path]
) -> list[EvalQuestion]:
    """Each evidence `doc` replaced by the id of the article it names, or whose text holds its text."""
    lookup = DocLookup(articles, roots)
    finder: TextFinder | None = None
    out = []
    for q in questions:
        evidence = []
        for ev in q.evidence:
            aid = lookup.find(ev.doc)
            if aid is None and ev.kind != "article" and ev.text:
                if finder is None:
                    finder = TextFinder({a.id: a.text for a in articles})
                aid = finder.find(ev.text)
            evidence.append(replace(ev, doc=aid) if aid else ev)
        out.append(replace(q, evidence=tuple(evidence)))
    return out


def sample_corpus(
    questions: Sequence[EvalQuestion],
    articles: Sequence[Article],
    roots: Sequence[Path],
    max_articles: int,
    seed: int,
) -> CorpusSample:
    """Every file holding placed gold, then a seeded random sample of the others, up to `max_articles`."""
    placed = place_evidence(questions, articles, roots)
    ids = {a.id for a in articles}
    gold = {ev.doc for q in placed for ev in q.evidence if ev.doc in ids}
    keep = {i for i, a in enumerate(articles) if a.id in gold}
    others = [i for i in range(len(articles)) if i not in keep]
    room = max(0, max_articles - len(keep))
    keep |= set(random.Random(seed).sample(others, min(room, len(others))))
    chosen = [articles[i] for i in sorted(keep)]
    note = (
        f"corpus cut to {len(chosen)} of {len(articles)} files (--max-articles {max_articles}, seed {seed}); "
        f"{len(gold)} gold articles kept"
    )
    return CorpusSample(chosen, placed, note)
