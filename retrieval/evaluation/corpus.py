"""The indexes an evaluation asks its questions of, each isolated under `<data_dir>/eval/`.

- a dataset with its own corpus: `<name>-<hash>`, the hash covering the corpus and every setting
  that changes what is stored; a finished index is reused, a changed corpus or setting gets a new
  folder;
- `--corpus` files: `files-<hash of the paths>`, refreshed incrementally on every run; with
  `--max-articles` (and more files than that) a seeded cut of them in `files-sample-<hash of the
  chosen files>` instead, so a full and a cut run never share an index;
- the naive baseline's own store beside them (`open_naive`).

A cut of `--corpus` is made of files (records, for files holding several articles): every file the gold
evidence names (`DocLookup`) or, when the name fits none, the one article containing the evidence
text (`TextFinder`, searched in the whole corpus), then random others (`seed`) up to N. Evidence
placed this way is rewritten to its article id, so the sample index never re-guesses it; evidence
that fits no article in the whole corpus stays unplaced (reported as missing).
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from tqdm import tqdm

from retrieval.errors import InputFileError
from retrieval.evaluation.gold import DocLookup, TextFinder
from retrieval.evaluation.naive import FORMAT as NAIVE_FORMAT
from retrieval.evaluation.naive import NaiveRAG
from retrieval.evaluation.questions import EvalDataset, EvalQuestion
from retrieval.indexing.embeddings import make_embeddings
from retrieval.indexing.store import NewsIndex
from retrieval.settings import Settings
from retrieval.sources.files import iter_articles
from retrieval.types import Article, Skipped

_SCHEMA = 1  # bump when what an eval index stores changes


# -- isolated indexes ----------------------------------------------------------------------


def corpus_hash(articles: Sequence[Article], settings: Settings) -> str:
    """Changes when the corpus or anything that shapes what is stored changes."""
    h = hashlib.sha256()
    h.update(f"{_SCHEMA}|{settings.embeddings}|{settings.chunk_sentences}|{settings.chunk_overlap}".encode())
    for aid in sorted({a.id + "|" + a.key for a in articles}):
        h.update(aid.encode())
    return h.hexdigest()[:12]


def eval_settings(settings: Settings, folder: Path) -> Settings:
    """Settings for an isolated on-disk index in `folder` (never a Chroma server, never the main index)."""
    return settings.with_(data_dir=folder, collection="eval", chroma_host="")


def _bar(total: int | None, desc: str, show: bool, unit: str = "q"):
    return tqdm(total=total, desc=desc, unit=unit, disable=not show, dynamic_ncols=True, file=sys.stderr)


def open_corpus_index(
    ds: EvalDataset, settings: Settings, rebuild: bool = False, show: bool = False
) -> tuple[NewsIndex, Settings]:
    """The dataset's own index, built on first use (or when the corpus changed) and reused after."""
    assert ds.corpus is not None
    folder = settings.data_dir / "eval" / f"{ds.name}-{corpus_hash(ds.corpus, settings)}"
    if rebuild and folder.exists():
        shutil.rmtree(folder)
    s = eval_settings(settings, folder)
    index = NewsIndex.open(s, embeddings=make_embeddings(settings))
    marker = folder / "complete.json"
    if not marker.is_file():
        bar = _bar(len(ds.corpus), f"indexing {ds.name}", show, unit="article")
        try:
            report = index.add_articles(ds.corpus, progress=lambda a, n: bar.update(1))
        finally:
            bar.close()
        # Written last: an interrupted build is resumed (add_articles is idempotent), never reused half-done.
        marker.write_text(json.dumps({"articles": len(ds.corpus), "summary": report.summary()}))
    return index, s


def open_files_index(paths: Sequence[Path], settings: Settings, show: bool = False) -> tuple[NewsIndex, Settings]:
    """An isolated index of the user's files (`--corpus`), refreshed incrementally on every run."""
    missing = [str(p) for p in paths if not Path(p).exists()]
    if missing:
        raise InputFileError(f"{missing[0]} does not exist; --corpus takes files or folders of articles")
    from retrieval.sources.ingest import ingest_paths

    key = hashlib.sha256("|".join(sorted(str(Path(p).resolve()) for p in paths)).encode()).hexdigest()[:12]
    s = eval_settings(settings, settings.data_dir / "eval" / f"files-{key}")
    index = NewsIndex.open(s, embeddings=make_embeddings(settings))
    ingest_paths(index, paths, s, prune=True, progress=show)
    return index, s


def articles_in_index(index: NewsIndex) -> list[Article]:
    """Every stored article with its text (for the naive baseline over an existing index)."""
    return [
        Article(title=info.title, text=index.get_article_text(info.id), source=info.source, url=info.url, key=info.key)
        for info in index.list_articles()
    ]


def open_naive(root: Path, articles: Sequence[Article], settings: Settings, show: bool) -> NaiveRAG:
    """The naive baseline's own Chroma store under `root`, built once per corpus (older ones removed)."""
    ids = "|".join(sorted(a.id for a in articles))
    folder = root / f"naive-{hashlib.sha256(f'{NAIVE_FORMAT}|{settings.embeddings}|{ids}'.encode()).hexdigest()[:12]}"
    marker = folder / "complete.json"
    if not marker.is_file() and root.is_dir():
        for old in root.glob("naive-*"):
            shutil.rmtree(old, ignore_errors=True)  # a store for a corpus that no longer exists
    naive = NaiveRAG(folder, make_embeddings(settings))
    if not marker.is_file():
        bar = _bar(len(articles), "indexing naive", show, unit="article")
        try:
            n = naive.build(articles, progress=bar.update)
        finally:
            bar.close()
        marker.write_text(json.dumps({"articles": len(articles), "chunks": n}))
    return naive


def open_user_corpus(
    ds: EvalDataset,
    paths: Sequence[Path],
    settings: Settings,
    max_articles: int | None,
    seed: int,
    rebuild: bool = False,
    show: bool = False,
) -> tuple[EvalDataset, NewsIndex, Settings, list[Article] | None]:
    """The index of the `--corpus` files, cut to `max_articles` files when there are more.

    Returns the dataset (for a cut: its evidence placed in the whole corpus, and a note), the
    index, its settings, and the cut's articles (None for the full, incrementally refreshed build).
    """
    if max_articles:
        articles = read_corpus(paths, settings)
        if len(articles) > max_articles:
            cut = sample_corpus(ds.questions, articles, paths, max_articles, seed)
            ds = replace(ds, questions=cut.questions, notes=[*ds.notes, cut.note])
            index, s = open_corpus_index(EvalDataset("files-sample", [], cut.articles), settings, rebuild, show)
            return ds, index, s, cut.articles
    index, s = open_files_index(paths, settings, show=show)
    return ds, index, s, None


# -- cutting the user's corpus ----------------------------------------------------------------


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
