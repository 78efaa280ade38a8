"""A declined answer points to the story the question most likely asks about, and only then.

Real index of `seeds/` (the Venezuela article) and the shipped ranker: "When will the remaining
prisoners be freed?" is about that story, which never says; a recipe or a World Cup is about none.
"""

from __future__ import annotations

import pytest

from retrieval.answering import admit
from retrieval.answering.answerers.base import NO_ANSWER
from retrieval.answering.chain import closest_note
from retrieval.types import ArticleInfo

SEED_HEADLINE_START = "The Venezuelan government has announced the release of 88"


def test_a_near_miss_is_declined_and_points_to_its_story(seed_engine):
    ans = seed_engine.ask("When will the remaining prisoners be freed?")
    assert ans.abstained and ans.answer == NO_ANSWER and ans.citations == ()
    assert ans.note.startswith('closest story (it may not say): "' + SEED_HEADLINE_START)
    assert ans.to_json()["note"] == ans.note  # `--json` and the bot show the same line


@pytest.mark.parametrize(
    "question",
    ["How do I bake a Victoria sponge?", "Who won the 2030 World Cup?", "What is the capital of France?"],
)
def test_a_question_about_no_story_points_to_none(seed_engine, question):
    ans = seed_engine.ask(question)
    assert ans.abstained and "closest story" not in ans.note


def test_a_negative_question_no_sentence_negates_points_to_the_story_too(seed_engine):
    # "Who was not released?" is ranked well above the threshold, and declined by the extractive
    # answerer because its best sentence negates nothing: a decline, so the story is named.
    ans = seed_engine.ask("Who was not released?")
    assert ans.abstained and ans.note.startswith('closest story (it may not say): "' + SEED_HEADLINE_START)


def test_an_answer_points_to_no_story(seed_engine):
    ans = seed_engine.ask("How many people did Venezuela release?")
    assert not ans.abstained and "closest story" not in ans.note


def test_the_story_must_be_likely_enough(seed_engine, monkeypatch):
    monkeypatch.setattr(admit, "CLOSEST_STORY_MIN", 1.0)  # no story is that likely
    ans = seed_engine.ask("When will the remaining prisoners be freed?")
    assert ans.abstained and "closest story" not in ans.note


def test_the_note_names_the_story_its_source_date_and_link():
    article = ArticleInfo(id="a", title="Fears  raised over\nballet future", source="BBC",
                          url="https://example.org/ballet", published_at="2005-02-14T09:00:00+00:00")
    assert closest_note(article) == (
        'closest story (it may not say): "Fears raised over ballet future" (BBC, 2005-02-14) https://example.org/ballet'
    )
    assert closest_note(ArticleInfo(id="b", title="Untitled")) == 'closest story (it may not say): "Untitled"'
