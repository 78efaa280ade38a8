"""Follow-up questions rewritten with the conversation's earlier turns, without an LLM."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from retrieval.answering.condense import condense_question, is_follow_up

FIRST = ("How many people did Venezuela release?", "88 more people were released in connection with the protests [1].")


def test_an_elliptical_follow_up_carries_the_topic_over():
    out = condense_question("and how many remain in jail?", [FIRST])
    assert out.startswith("and how many remain in jail?")
    assert "Venezuela" in out
    assert "Instagram" not in out  # the previous answer's names would drown "remain in jail"


def test_a_self_contained_question_is_unchanged():
    q = "Who is the president of the United States?"
    assert condense_question(q, [FIRST]) == q


def test_no_history_means_no_change():
    assert condense_question("and how many remain in jail?", []) == "and how many remain in jail?"


def test_a_pronoun_is_resolved_with_names_from_the_previous_answer():
    history = [("Who is the president of Venezuela?", "Nicolas Maduro was declared the winner [1].")]
    out = condense_question("When was he elected?", history)
    assert "Nicolas Maduro" in out and "Venezuela" in out


def test_a_follow_up_to_a_follow_up_keeps_the_original_topic():
    history = [FIRST, ("and how many remain in jail?", "More than 900 political prisoners remain [1].")]
    assert "Venezuela" in condense_question("and who claimed victory?", history)
    out = condense_question("what about the US?", history)
    assert "jail" in out and "Venezuela" not in out  # a new subject replaces the old one


def test_the_abstention_answer_adds_no_names():
    history = [("What did the ministry say about Caracas?", "The articles don't say.")]
    out = condense_question("why?", history)
    assert "Caracas" in out and "articles" not in out.split("(", 1)[1]


def test_the_earlier_questions_topic_words_come_with_its_names_and_names_come_once():
    history = [
        ("Who issued the guidance to householders in England and Wales on burglars?", "The Crown Prosecution Service."),
    ]
    out = condense_question("What does it say counts as going too far?", history)
    carried = out.split("(", 1)[1]
    assert "England Wales" in carried and "issued guidance" in carried  # not the names alone
    history = [("Why did the US object to the World Trade Organisation talks?", "It did not say.")]
    carried = condense_question("Why did they object?", history).split("(", 1)[1]
    assert carried.count("World Trade Organisation") == 1 and "talks" in carried


def test_a_contraction_is_no_topic_word():
    history = [("What's the name of the system volunteers are building?", "They call it ARC.")]
    carried = condense_question("What can it do?", history).split("(", 1)[1]
    assert "What" not in carried and "name" in carried


def test_follow_up_detection():
    assert is_follow_up("and the US?")
    assert is_follow_up("What did they say?")
    assert is_follow_up("why?")
    assert not is_follow_up("What did the Venezuelan ministry say about prisoners?")


def test_whitespace_is_normalised():
    assert condense_question("  How   many?\n", []) == "How many?"


@settings(max_examples=60, deadline=None)
@given(
    st.text(max_size=80),
    st.lists(st.tuples(st.text(max_size=60), st.text(max_size=60)), max_size=3),
)
def test_any_text_gives_a_question_that_keeps_the_original(question, history):
    out = condense_question(question, history)
    assert isinstance(out, str)
    assert " ".join(question.split()) in out


def test_follow_ups_retrieve_their_own_answer_on_the_seed_corpus(seed_engine):
    first = seed_engine.ask("How many people did Venezuela release?")
    history = [("How many people did Venezuela release?", first.answer)]
    jail = seed_engine.ask("And how many remain in jail?", history)
    assert "900" in jail.answer and jail.citations[0].sentence_index == 8
    victory = seed_engine.ask("and who claimed victory?", history)
    assert any("Edmundo Gonzalez Urrutia" in c.quote for c in victory.citations)
