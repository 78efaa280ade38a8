"""Citations say who else reported a sentence, and answers say when sources disagree on a number."""

from __future__ import annotations

import json

import pytest

from retrieval.answering.corroborate import compare
from retrieval.engine import Engine
from retrieval.indexing.store import NewsIndex
from retrieval.types import Article, Citation

BODY = (
    "In a statement published on Instagram, the Ministry of Penitentiary Service said that {n} more people "
    "have been released in connection with crimes committed during post-election protests. "
    "Rights groups say that more than 1,800 people were arrested after the disputed July vote. "
    "Opposition leaders called the releases a first step and asked for every political prisoner to be freed. "
    "Relatives waited outside the Tocuyito prison through the night for news of those still inside."
)


def test_compare_same_claim_numbers_and_names():
    a = "The ministry said that 88 more people have been released after the protests."
    assert compare(a, a, 1.0) == (True, "", "")
    assert compare(a, a.replace("88", "90"), 0.99) == (True, "88", "90")
    # More numbers on the other side are not a disagreement: it states everything the cited one does.
    assert compare(a, a + " Some 1,800 were arrested.", 0.95) == (True, "", "")
    b = "Smith was elected mayor of the city on Sunday with a large majority of the votes."
    assert compare(b, b.replace("Smith", "Jones"), 0.97) == (True, "Smith", "Jones")
    assert compare(a, "Heavy rain flooded the valley overnight.", 0.2)[0] is False


def test_also_reported_by_is_empty_and_phrase_blank_by_default():
    c = Citation(1, "a1", "t", "Wire", "", "", 0, "q")
    assert c.also_reported() == "" and c.to_json()["also_reported_by"] == () and c.to_json()["story_id"] == ""


@pytest.fixture
def engine(settings, embeddings) -> Engine:
    index = NewsIndex.open(settings, embeddings)
    index.add_articles([
        Article(title="Venezuela frees 88 protesters", text=BODY.format(n=88), source="Wire", key="/n/wire.txt"),
        Article(title="Venezuela releases 88 detainees", text=BODY.format(n=88), source="Outlet", key="/n/outlet.txt"),
        Article(title="Venezuela releases 90 detainees", text=BODY.format(n=90), source="Third", key="/n/third.txt"),
        Article(title="Floods in the valley", text="Heavy rain flooded the valley overnight. 300 residents left.",
                source="Local", key="/n/floods.txt"),
    ])
    return Engine(settings, index=index)


def test_citation_names_other_sources_and_answer_says_they_differ(engine):
    answer = engine.ask("How many more people have been released in Venezuela?")
    assert not answer.abstained, answer
    assert "The sources differ:" in answer.answer
    by_n = {c.n: c for c in answer.citations}
    stories = {c.story_id for c in answer.citations}
    assert len(stories) == 1 and "" not in stories  # all from the one story
    numbers = {"88" if " 88 " in c.quote else "90" for c in answer.citations}
    assert numbers == {"88", "90"}  # both sides are cited
    for c in answer.citations:
        if " 88 " in c.quote:
            # The other source that says 88 corroborates; the one that says 90 does not.
            assert set(c.also_reported_by) == {"Wire", "Outlet"} - {c.source}
            assert c.also_reported().startswith("also reported by 1 source: ")
        else:
            assert c.also_reported_by == ()
    # The differ sentence cites both numbers that exist.
    differ = answer.answer.split("The sources differ:")[1]
    cited = [int(x) for x in __import__("re").findall(r"\[(\d+)\]", differ)]
    assert len(cited) == len(answer.citations) == len(set(cited)) and all(n in by_n for n in cited)
    # --json: the new keys per citation, every old key still there.
    data = json.loads(json.dumps(answer.to_json()))
    keys = set(data["citations"][0])
    assert {"n", "article_id", "title", "source", "url", "published_at", "sentence_index", "quote", "path"} <= keys
    assert {"story_id", "also_reported_by"} <= keys


def test_streamed_pieces_include_the_differ_sentence(engine):
    items = list(engine.stream("How many more people have been released in Venezuela?"))
    final = items[-1]
    assert "".join(p for p in items[:-1]).strip() == final.answer.strip()


def test_single_source_story_has_no_also_reported(engine):
    answer = engine.ask("How many residents left after the floods in the valley?")
    assert answer.citations and all(c.also_reported_by == () for c in answer.citations)
    assert "sources differ" not in answer.answer


def test_a_disagreeing_sentence_not_cited_yet_is_added_as_a_citation(engine):
    from retrieval.answering.citations import make_citation
    from retrieval.answering.corroborate import corroborate
    from retrieval.types import Answer, Hit

    wire = engine.index.find_by_key("/n/wire.txt")
    first = engine.index.get_sentences(wire.id, 0, 0)[0]
    answer = Answer("q", f"{first.text[:-1]} [1].", False, "extractive", (make_citation(1, Hit(first, wire, 1.0)),))
    extra, out = corroborate(answer, engine.index)
    assert extra == " The sources differ: Wire says 88 [1], Third says 90 [2]."
    assert out.answer == answer.answer + extra
    added = out.citations[1]
    assert added.n == 2 and added.source == "Third" and " 90 " in added.quote and added.story_id == wire.story_id
    assert out.citations[0].also_reported_by == ("Outlet",)
