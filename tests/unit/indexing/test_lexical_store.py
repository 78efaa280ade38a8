"""The lexical index (SQLite FTS5 written with Chroma): incremental, kept across restarts, crash-safe,
reconciled with Chroma when they differ, and scoring exactly as bm25s did."""

from __future__ import annotations

import bm25s
import numpy as np
import pytest

from retrieval.answering import lexical
from retrieval.answering.search import Searcher
from retrieval.indexing import lexical_store
from retrieval.indexing.lexical_store import LexicalStore, fts_query, fts_term, lexical_path
from retrieval.indexing.store import NewsIndex
from retrieval.settings import Settings
from retrieval.text import tokenize
from retrieval.types import Article

ARTICLES = [
    Article(title="Central bank raises rates", text="The central bank raised its interest rate to 4.5 percent.\n"
            "Economists had expected the increase after inflation rose.", source="Planet", key="rates"),
    Article(title="Harbour festival", text="Fireworks lit up the harbour on Saturday.\nThe U.S. navy band played "
            "O'Neill's march.", source="Metro", key="festival"),
    Article(title="Tall ships arrive", text="Forty tall ships sailed into the bay.\nCrowds watched the fireworks "
            "from the pier.", source="Metro", key="ships"),
]
ZORBLAX = Article(title="Zorblax found", text="Scientists found a zorblax in the lake.", source="Lab", key="z")


def forbid(*args, **kwargs):
    raise AssertionError("the lexical index was rebuilt or re-read")


@pytest.fixture
def opened(tmp_path, embeddings):
    settings = Settings(data_dir=tmp_path, threads=1)
    return settings, NewsIndex.open(settings, embeddings=embeddings)


def test_adding_and_deleting_touch_only_those_articles(opened, monkeypatch):
    settings, index = opened
    index.add_articles(ARTICLES)
    searcher = Searcher(index, settings)
    assert searcher.search("zorblax", mode="bm25") == []
    added, deleted = [], []
    real_add, real_delete = LexicalStore.add, LexicalStore.delete
    monkeypatch.setattr(LexicalStore, "add", lambda self, items: (added.extend(i.id for i, _ in items), real_add(self, items)))
    monkeypatch.setattr(LexicalStore, "delete", lambda self, ids: (deleted.extend(ids), real_delete(self, ids)))
    monkeypatch.setattr(lexical_store, "stored_sentences", forbid)  # no sentence is read back from Chroma

    index.add_articles([ZORBLAX])
    hits = searcher.search("zorblax", mode="bm25")
    assert [h.sentence.text for h in hits] == ["Scientists found a zorblax in the lake."]
    assert added == [ZORBLAX.id]  # only the new article was tokenised and written
    assert index.stats()["size_bytes"] > index.lexical.size() > 0  # counted in `newsbot stats`

    assert index.delete_article(ZORBLAX.id)
    assert searcher.search("zorblax", mode="bm25") == []
    assert deleted == [ZORBLAX.id]
    assert searcher.search("fireworks harbour", mode="bm25")[0].article.title == "Harbour festival"


def test_scores_are_the_ones_bm25s_gave(opened, monkeypatch):
    settings, index = opened
    # bm25s computes IDF over the rows it holds; ours over at least IDF_MIN_ROWS (tested below).
    monkeypatch.setattr(lexical, "IDF_MIN_ROWS", 1)
    index.add_articles([*ARTICLES, ZORBLAX])
    lex = Searcher(index, settings).lexical()
    rows = np.asarray([r for a in lex.articles for r in range(*lex.article_span(lex.article_pos[a.id]))])
    lex.load(rows)
    reference = bm25s.BM25(k1=1.2, b=0.75)
    reference.index([list(lex.terms(int(r))) for r in rows], show_progress=False)
    query = tokenize("central bank interest rate, fireworks at the harbour, the U.S. navy")
    known = [t for t in query if t in reference.vocab_dict]
    expected = reference.get_scores(known)
    assert np.allclose(lex.bm25(query, rows), expected, rtol=1e-5, atol=1e-6)
    assert expected.max() > 0


def test_a_small_index_weighs_words_as_a_large_one_would(opened):
    """A word in every sentence of a small index still weighs, as it would among IDF_MIN_ROWS."""
    settings, index = opened
    story = Article(title="Zorblax found", text="Scientists found a zorblax. It was in the lake. Divers saw it.", key="z3")
    index.add_articles([story])
    lex = Searcher(index, settings).lexical()
    assert lex.n_rows == 3 < lexical.IDF_MIN_ROWS
    assert lex.doc_freq(["zorblax"]) == {"zorblax": 3}  # the headline's word is in every row
    assert lex.idf("zorblax") > 0.5 * lex.idf("neverseenword")  # 0.06 of it over three rows


def test_a_misspelt_term_finds_the_indexed_spelling(opened):
    settings, index = opened
    index.add_articles(ARTICLES + [Article(title="Nistelrooy back", text="Ruud van Nistelrooy trained with Leibniz.", key="r")])
    lex = Searcher(index, settings).lexical()
    assert lex.spelled_like("nistlerooy") == ["nistelrooy"]  # letters swapped
    assert lex.spelled_like("beibniz") == ["leibniz"]  # the first letter wrong
    assert lex.spelled_like("fireworx") == ["firework"]
    assert lex.spelled_like("macarthur") == []
    assert lex.spelled_like("rats") == []  # too short to guess ("rate")


def test_terms_with_punctuation_are_one_fts_token_and_questions_are_not_fts_syntax(opened):
    settings, index = opened
    index.add_articles(ARTICLES)
    searcher = Searcher(index, settings)
    assert "u." in tokenize("The U.S. navy") and fts_term("u.").isalnum()
    assert searcher.search("U.S. navy", mode="bm25")[0].article.title == "Harbour festival"
    assert searcher.search("O'Neill's march", mode="bm25")[0].article.title == "Harbour festival"
    assert fts_query(['"or', "and", "near"]).count('"') == 6  # every term quoted: no operators from a question
    assert searcher.search('NOT "fireworks OR AND NEAR(', mode="bm25")


def test_a_restart_reopens_the_index_without_rebuilding_it(opened, embeddings, monkeypatch):
    settings, index = opened
    index.add_articles(ARTICLES)
    Searcher(index, settings).search("fireworks")
    monkeypatch.setattr(LexicalStore, "sync", forbid)
    monkeypatch.setattr(LexicalStore, "add", forbid)
    again = NewsIndex.open(settings, embeddings=embeddings)
    assert Searcher(again, settings).search("fireworks", mode="bm25")[0].sentence.text.startswith("Fireworks")


def test_an_index_made_before_the_lexical_file_gets_it_once(opened, embeddings, monkeypatch, tmp_path):
    settings, index = opened
    index.add_articles(ARTICLES)
    path = lexical_path(settings)
    for suffix in ("", "-wal", "-shm"):  # as an index written by a version without the file
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    old_cache = tmp_path / "lexical" / settings.collection / "v1-1-snowball"  # that version's bm25s cache
    old_cache.mkdir(parents=True)
    (old_cache / "meta.json").write_text("{}")
    old = NewsIndex.open(settings, embeddings=embeddings)
    hit = Searcher(old, settings).search("tall ships", mode="bm25")[0]
    # rebuilt from Chroma, whose sentence records hold no text: it is cut from the article's
    assert (hit.article.title, hit.sentence.text) == ("Tall ships arrive", "Forty tall ships sailed into the bay.")
    assert len(Searcher(old, settings).lexical().articles) == 3
    assert not old_cache.parent.exists()  # the old cache is removed
    monkeypatch.setattr(LexicalStore, "add", forbid)  # built once: the next process just opens it
    assert Searcher(NewsIndex.open(settings, embeddings=embeddings), settings).search("tall ships", mode="bm25")


def test_a_damaged_lexical_file_is_set_aside_and_rebuilt(opened, embeddings):
    settings, index = opened
    index.add_articles(ARTICLES)
    path = lexical_path(settings)
    for suffix in ("-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    path.write_bytes(b"not a database at all" * 100)
    again = NewsIndex.open(settings, embeddings=embeddings)
    assert Searcher(again, settings).search("fireworks", mode="bm25")
    assert list(path.parent.glob(path.name + ".damaged-*"))


def test_a_write_killed_between_the_two_stores_is_undone_in_both(opened, monkeypatch):
    settings, index = opened
    index.add_articles(ARTICLES[:1])
    real_add = LexicalStore.add

    def add_then_die(self, items):
        real_add(self, items)  # the lexical rows are committed ...
        raise KeyboardInterrupt  # ... and the process dies before Chroma marks the article complete

    monkeypatch.setattr(LexicalStore, "add", add_then_die)
    with pytest.raises(KeyboardInterrupt):
        index.add_articles([ZORBLAX])
    monkeypatch.setattr(LexicalStore, "add", real_add)
    index.add_articles([])  # the next write recovers
    searcher = Searcher(index, settings)
    assert searcher.search("zorblax", mode="bm25") == []
    assert ZORBLAX.id not in searcher.lexical().article_pos
    index.add_articles([ZORBLAX])  # and the article can be written again
    assert searcher.search("zorblax", mode="bm25")


def test_a_file_that_differs_from_chroma_is_reconciled(opened):
    settings, index = opened
    index.add_articles(ARTICLES)
    index.lexical.delete([ARTICLES[1].id])  # lost by the lexical file only (e.g. a crash, another data dir)
    index.lexical.add([(index.get_article(ARTICLES[0].id).__class__(id="a-gone", title="Gone", source="x", url="",
                                                                       published_at="", author="", key="g", n_sentences=1),
                        [])])  # and one Chroma never had
    index._bump_version()  # the next write reconciles
    lex = Searcher(index, settings).lexical()
    assert ARTICLES[1].id in lex.article_pos and "a-gone" not in lex.article_pos
    assert Searcher(index, settings).search("O'Neill's march", mode="bm25")


def test_a_failing_lexical_write_is_one_line_and_loses_nothing(opened, monkeypatch):
    import sqlite3

    from retrieval.errors import IndexWriteError

    settings, index = opened
    index.add_articles(ARTICLES[:2])

    def full(self, items):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(LexicalStore, "add", full)
    with pytest.raises(IndexWriteError) as err:
        index.add_articles([ZORBLAX])
    assert "\n" not in str(err.value) and "run the command again" in str(err.value)
    monkeypatch.undo()
    searcher = Searcher(index, settings)
    assert {a.title for a in searcher.lexical().articles} == {"Central bank raises rates", "Harbour festival"}
    index.add_articles([ZORBLAX])  # the next run cleans up and stores it
    assert searcher.search("zorblax", mode="bm25")


def test_a_python_without_fts5_is_one_line_saying_what_to_do(settings, embeddings, monkeypatch):
    from retrieval.errors import ConfigError
    from retrieval.indexing import lexical_store

    monkeypatch.setattr(lexical_store, "FTS_MODULE", "fts5_not_built_in")
    with pytest.raises(ConfigError, match="has no fts5_not_built_in full-text module.*use a Python built with") as err:
        NewsIndex.open(settings, embeddings=embeddings)
    assert "\n" not in str(err.value)


def test_a_lexical_file_from_before_corrections_gets_the_updated_at_column(tmp_path):
    import sqlite3

    path = tmp_path / "old.sqlite3"
    old = sqlite3.connect(path)
    old.execute(
        "CREATE TABLE articles (no INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, title TEXT, source TEXT,"
        " url TEXT, published_at TEXT, author TEXT, keys TEXT, n_sentences INTEGER, ts INTEGER, title_terms TEXT,"
        " gen INTEGER NOT NULL)"
    )
    old.execute("INSERT INTO articles (id, title, gen) VALUES ('a1', 'Kept', 1)")
    old.commit()
    old.close()
    store = LexicalStore(path)
    changed, _ = store.articles_since(-1)
    assert [(row[1], row[2], row[-1]) for row in changed] == [("a1", "Kept", None)]


def test_common_terms_gather_no_candidates_but_still_score(opened, monkeypatch):
    """FTS5 scores every row holding a query term: terms in more than COMMON_SHARE of the rows (and
    COMMON_FLOOR rows), and any in more than COMMON_CAP rows, are left out of its query (the two
    rarest gather when all are common); candidates are scored with all."""
    from retrieval.answering import lexical

    settings, index = opened
    index.add_articles([Article(title=f"Harbour report {i}", text=f"The harbour was busy on day {i}.\nBoats left "
                                "the harbour at dawn.", source="Port", key=f"h{i}") for i in range(5)]
                       + [Article(title="Zorblax", text="Scientists found a zorblax near the harbour.", source="Lab", key="z")])
    monkeypatch.setattr(lexical, "COMMON_SHARE", 0.3)
    monkeypatch.setattr(lexical, "COMMON_FLOOR", 0)
    lex = Searcher(index, settings).lexical()
    harbour, zorblax, boats, busy = (tokenize(w)[0] for w in ("harbour", "zorblax", "boats", "busy"))
    gathered = []
    real_top = LexicalStore.top
    monkeypatch.setattr(LexicalStore, "top", lambda self, terms, *a: (gathered.append(list(terms)), real_top(self, terms, *a))[1])

    rows, scores = lex.top([zorblax, harbour], 5)
    assert gathered[-1] == [zorblax]  # "harbour" is in every row
    assert lex.texts(int(rows[0]), int(rows[0]) + 1) == ["Scientists found a zorblax near the harbour."]
    both = lex.bm25([zorblax, harbour], rows[:1])[0]
    assert scores[0] == pytest.approx(both) and both > lex.bm25([zorblax], rows[:1])[0]  # scored with both
    lex.top([harbour, boats, busy], 5)
    assert sorted(gathered[-1]) == sorted([boats, busy])  # all common: the two rarest
    monkeypatch.setattr(lexical, "COMMON_SHARE", 1.0)  # every term within the share ...
    lex.top([zorblax, harbour], 5)
    assert sorted(gathered[-1]) == sorted([zorblax, harbour])
    monkeypatch.setattr(lexical, "COMMON_CAP", 1)  # ... but a term in more rows than the cap never gathers
    lex.top([zorblax, harbour], 5)
    assert gathered[-1] == [zorblax]


@pytest.mark.parametrize("resort_after", [256, 0])  # edited in place / sorted again: the same result
def test_a_new_generation_edits_the_article_list_like_a_fresh_read(opened, monkeypatch, resort_after):
    from retrieval.answering import lexical
    from retrieval.answering.lexical import LexicalIndex

    monkeypatch.setattr(lexical, "RESORT_AFTER", resort_after)
    settings, index = opened
    dated = [Article(title=f"Report {i}", text=f"Report number {i} was filed.", source="Wire", key=f"r{i}",
                     published_at=f"2025-03-0{i}T10:00:00Z") for i in (5, 2, 8)]
    index.add_articles(ARTICLES + dated)
    searcher = Searcher(index, settings)
    first = searcher.lexical()

    def fresh() -> LexicalIndex:
        return LexicalIndex(index.lexical, searcher.lexical().version)

    index.add_articles([Article(title="Report 3", text="Report number 3 was filed late.", source="Late Desk",
                                key="r3", published_at="2025-03-03T10:00:00Z"), ZORBLAX])  # two new, one new source
    index.add_articles([Article(title="Report 5", text="Report number 5 was corrected.", source="Wire", key="r5",
                                published_at="2025-03-09T10:00:00Z")])  # replaced: moves to the end
    index.delete_article(ZORBLAX.id)  # the only "Lab" article: its source goes
    now = searcher.lexical()
    assert now is not first and now.generation > first.generation
    again = fresh()
    assert [a.id for a in now.articles] == [a.id for a in again.articles]
    assert [a.title for a in now.articles][-4:] == ["Report 2", "Report 3", "Report 8", "Report 5"]
    assert now.article_pos == again.article_pos and now.sources == again.sources
    assert "Lab" not in now.sources and "Late Desk" in now.sources
