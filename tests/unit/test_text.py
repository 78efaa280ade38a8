"""The shared vocabulary: retrieval terms, support terms, citation markers."""

from __future__ import annotations

import re

import pytest

from retrieval.text import MARKER, cited_numbers, content_terms, numbers_in, strip_citations, tokenize


def test_tokenize_drops_stopwords_and_plurals():
    assert tokenize("the banks' rates") == tokenize("bank rate")
    assert "the" not in tokenize("the bank")


def test_tokenize_matches_word_forms_with_the_snowball_stemmer():
    pytest.importorskip("Stemmer", reason="PyStemmer is a dependency; without it only plurals are matched")
    assert tokenize("How many people did Venezuela release?") == tokenize("people Venezuela released")


def test_support_terms_join_thousands_and_cut_long_words():
    assert numbers_in("It cost 2,400 dollars") == {"2400"}
    assert content_terms("Venezuela released prisoners") == {"venez", "relea", "priso"}


def test_marker_syntax_is_shared_by_parsing_and_stripping():
    text = "Venezuela freed 88 people [1][2, 3]. More [Source 4]."
    assert cited_numbers(text) == [1, 2, 3, 4]
    assert strip_citations(text) == "Venezuela freed 88 people. More."
    assert [m.group(0) for m in MARKER.finditer(text)] == ["[1]", "[2, 3]"]
    assert re.fullmatch(MARKER, "[2-4]")
