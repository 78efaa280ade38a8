"""Placing a JSONL question's evidence among the user's files, and cutting a `--corpus` to a seeded sample."""

from __future__ import annotations

from pathlib import Path

import pytest

from retrieval.errors import InputFileError
from retrieval.evaluation.corpus import place_evidence, read_corpus, sample_corpus
from retrieval.evaluation.gold import DocLookup, TextFinder
from retrieval.evaluation.questions import EvalQuestion, Evidence
from retrieval.types import Article

# BBC layout: the same file name in several category folders, so a name alone is ambiguous.
FILES = {
    "sport/001.txt": ("Harbour club wins cup", "The Harbour club won the county cup. Its captain scored twice."),
    "tech/001.txt": ("Chip maker opens plant", "A chip maker opened a plant in Wales. It will employ 400 engineers."),
    "business/002.txt": (
        "Bakery chain expands",
        "The bakery chain will open 30 shops. Flour prices had fallen sharply.",
    ),
    "politics/003.txt": (
        "Minister defends budget",
        "The minister defended the budget. Flour prices had fallen sharply.",
    ),
}


def write_corpus(root: Path, extra: int = 0) -> Path:
    files = dict(FILES)
    for n in range(extra):
        files[f"misc/filler-{n:02d}.txt"] = (
            f"Filler story {n}",
            f"Filler story number {n} is about topic {n}. Nothing else.",
        )
    for rel, (title, body) in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(f"{title}\n\n{body}\n", encoding="utf-8")
    (root / "README.TXT").write_text("Not an article.\n", encoding="utf-8")
    return root


def question(qid: str, doc: str, text: str = "") -> EvalQuestion:
    return EvalQuestion(qid, f"{qid}?", (Evidence(doc, text, "passage" if text else "article"),))


@pytest.fixture
def corpus(tmp_path, settings) -> tuple[Path, list[Article]]:
    root = write_corpus(tmp_path / "bbc", extra=6)
    return root, read_corpus([root], settings)


def test_read_corpus_keys_articles_by_absolute_path_and_skips_readmes(corpus):
    root, articles = corpus
    assert len(articles) == len(FILES) + 6
    assert {a.key for a in articles} >= {str((root / rel).resolve()) for rel in FILES}
    assert all(a.source == "bbc" for a in articles)  # as `newsbot ingest <folder>` names them


def test_read_corpus_of_a_missing_folder_is_one_clear_error(tmp_path, settings):
    with pytest.raises(InputFileError, match="does not exist"):
        read_corpus([tmp_path / "nope"], settings)


def test_a_doc_relative_to_a_corpus_folder_names_its_file(corpus, tmp_path):
    root, articles = corpus
    by_key = {Path(a.key).relative_to(root.resolve()).as_posix(): a.id for a in articles}
    lookup = DocLookup(articles, [tmp_path / "elsewhere", root])
    assert lookup.find("sport/001.txt") == by_key["sport/001.txt"]
    assert lookup.find("tech/001.txt") == by_key["tech/001.txt"]
    assert lookup.find("001.txt") is None  # the file name alone is in two folders
    assert lookup.find("002.txt") == by_key["business/002.txt"]  # ... unless it is in one only
    assert lookup.find(str(root / "politics" / "003.txt")) == by_key["politics/003.txt"]  # absolute
    assert lookup.find("Chip maker opens plant") == by_key["tech/001.txt"]  # exact title
    assert lookup.find(by_key["sport/001.txt"]) == by_key["sport/001.txt"]  # article id
    assert lookup.find("sport/999.txt") is None
    assert DocLookup(articles).find("sport/001.txt") is None  # without the corpus folder it cannot be placed


def test_text_finder_needs_exactly_one_article_holding_the_text():
    finder = TextFinder({"a": "One two\nthree. Four.", "b": "Four. Five six.", "c": "Networking."})
    assert finder.find("two three.") == "a"  # spacing and line breaks ignored
    assert finder.find("Four.") is None  # in two articles: ambiguous
    assert finder.find("work") is None  # only inside a word
    assert finder.find("Seven.") is None and finder.find("") is None


def test_place_evidence_rewrites_placed_docs_to_ids_and_leaves_the_rest(corpus):
    root, articles = corpus
    ids = {Path(a.key).relative_to(root.resolve()).as_posix(): a.id for a in articles}
    qs = [
        question("path", "sport/001.txt", "Its captain scored twice."),
        question("text", "archive/bakery.txt", "The bakery chain will open 30 shops."),  # found by its text
        question("ambiguous", "gone.txt", "Flour prices had fallen sharply."),  # in two articles
        question("absent", "gone.txt", "A sentence in no article."),
    ]
    placed = {q.id: q.evidence[0].doc for q in place_evidence(qs, articles, [root])}
    assert placed == {
        "path": ids["sport/001.txt"],
        "text": ids["business/002.txt"],
        "ambiguous": "gone.txt",
        "absent": "gone.txt",
    }


def test_sample_keeps_every_gold_file_and_is_seeded(corpus):
    root, articles = corpus
    qs = [question("path", "tech/001.txt", "It will employ 400 engineers."), question("text", "x", "open 30 shops")]
    cut = sample_corpus(qs, articles, [root], max_articles=4, seed=1)
    keys = {Path(a.key).relative_to(root.resolve()).as_posix() for a in cut.articles}
    assert len(cut.articles) == 4 and {"tech/001.txt", "business/002.txt"} <= keys
    assert "4 of 10 files" in cut.note and "2 gold articles kept" in cut.note
    again = sample_corpus(qs, articles, [root], max_articles=4, seed=1)
    assert [a.key for a in again.articles] == [a.key for a in cut.articles]  # same seed, same files
    seeds = {tuple(a.key for a in sample_corpus(qs, articles, [root], 4, seed=s).articles) for s in range(6)}
    assert len(seeds) > 1  # the others are drawn at random
    # Gold is never dropped, even past the limit.
    assert len(sample_corpus(qs, articles, [root], max_articles=1, seed=1).articles) == 2
