"""The shared vocabulary: retrieval terms, support terms, citation markers."""

from __future__ import annotations

import re

import pytest

from retrieval.text import (
    MARKER,
    cited_numbers,
    content_terms,
    numbers_in,
    restore_case,
    strip_citations,
    tokenize,
    uncased,
)


def test_tokenize_drops_stopwords_and_plurals():
    assert tokenize("the banks' rates") == tokenize("bank rate")
    assert "the" not in tokenize("the bank")


def test_tokenize_matches_word_forms_with_the_snowball_stemmer():
    pytest.importorskip("Stemmer", reason="PyStemmer is a dependency; without it only plurals are matched")
    assert tokenize("How many people did Venezuela release?") == tokenize("people Venezuela released")


def test_the_us_in_capitals_is_a_term_and_the_pronoun_is_not():
    assert tokenize("The US economy grew; he told us so.") == tokenize("US economy grew so")
    assert "us" in tokenize("the US's deficit") and "us" not in tokenize("told us")
    assert tokenize("IT firms") == ["it", "firm"] and tokenize("WHO warns") == ["who", "warn"]
    assert tokenize("WHO IS THE US PRESIDENT") == tokenize("president")  # a text in capitals throughout
    assert tokenize("US") == ["us"]


def test_support_terms_join_thousands_and_cut_long_words():
    assert numbers_in("It cost 2,400 dollars") == {"2400"}
    assert content_terms("Venezuela released prisoners") == {"venez", "relea", "priso"}


def test_marker_syntax_is_shared_by_parsing_and_stripping():
    text = "Venezuela freed 88 people [1][2, 3]. More [Source 4]."
    assert cited_numbers(text) == [1, 2, 3, 4]
    assert strip_citations(text) == "Venezuela freed 88 people. More."
    assert [m.group(0) for m in MARKER.finditer(text)] == ["[1]", "[2, 3]"]
    assert re.fullmatch(MARKER, "[2-4]")


def test_a_question_typed_without_capitals_takes_the_sources_casing():
    sources = ["Arsenal manager Arsene Wenger said the US economy grew.", "The US economy grew 3.7%, he told us.",
               "Fans of Arsenal cheered.", "Arsenal won."]
    assert uncased("who is the manager of arsenal") and uncased("WHO IS THE TORY LEADER?")
    assert not uncased("Who is the manager of Arsenal?") and not uncased("who is the manager of Arsenal?")
    assert restore_case("who is the manager of arsenal", sources) == "who is the manager of Arsenal"
    # "US" is written so in 2 of its 3 uses; a word seen only at a sentence's start keeps no capital.
    assert restore_case("HOW FAST DID THE US ECONOMY GROW?", sources) == "how fast did the US economy grow?"
    assert restore_case("did the economy grow", sources) == "did the economy grow"
    # A question with capitals of its own is read as typed.
    assert restore_case("Who is the manager of arsenal?", sources) == "Who is the manager of arsenal?"
