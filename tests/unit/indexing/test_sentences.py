"""Sentence splitting: exact offsets, hard line breaks, and the news cases that trip segmenters."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retrieval.indexing.sentences import split_sentences
from tests.helpers import SEEDS

SEED = next(SEEDS.glob("*.txt"))


def texts(text: str) -> list[str]:
    return [s.text for s in split_sentences("a1", text)]


def assert_exact(text: str) -> None:
    sents = split_sentences("a1", text)
    assert [s.index for s in sents] == list(range(len(sents)))
    prev_end = 0
    for s in sents:
        assert s.text == text[s.start : s.end]
        assert s.text == s.text.strip() and s.text
        assert s.start >= prev_end
        prev_end = s.end
    # Nothing but whitespace is left between or around sentences.
    assert "".join("".join(s.text for s in sents).split()) == "".join(text.split())


@pytest.mark.parametrize(
    "expected",
    [
        ["Mr. Smith went to Washington.", "He arrived on Monday."],
        ["The U.S. economy grew by 3.5% last year.", "Analysts had expected less."],
        ["Profits rose to $4bn (£2.1bn) in the year.", "Shares rose."],
        ['"We will win," he said.', "The crowd cheered."],
        ["He said: \u201cThis is over.\u201d", "Then he left."],
        ["No. 10 said the plan was on track.", "Critics disagreed."],
        ["J. K. Rowling wrote the books.", "They sold millions."],
        ["The firm moved to the U.S.", "It opened a plant in Ohio."],
        ["Wait for it...", "The result came at midnight."],
        ["The meeting starts at 9 a.m. on Friday.", "Bring ID."],
        ["Ms. Ardern resigned in Jan. 2023.", "Her deputy took over."],
        ["Providers want to hold on to customers.", "12% of those surveyed switched."],
        ['"What have they got to hide?" he asked.', "Nobody answered."],
        ["The firm is based in the US.", "It employs 500 people."],
        ["Some conmen try to cash in.", "Police are warning the public."],
        ["The index rose 5.07 points to 3,817.69.", "Investors were pleased."],
        ["The answer was no.", "The talks collapsed."],
        ["He works for Acme Inc.", "The company declined to comment."],
    ],
)
def test_tricky_news_cases(expected):
    text = " ".join(expected)
    assert texts(text) == expected
    assert_exact(text)


def test_line_breaks_are_hard_boundaries():
    text = "Headline without stop\n\nAlso Read: US strike kills 8\nHowever, more remain. Talks go on.\r\nLast line"
    assert texts(text) == ["Headline without stop", "Also Read: US strike kills 8", "However, more remain.", "Talks go on.", "Last line"]
    assert_exact(text)


def test_missing_space_between_sentences_is_split_but_domains_are_not():
    assert texts("Money went to victims of the tsunami.Steve will write.") == ["Money went to victims of the tsunami.", "Steve will write."]
    assert texts("See amazon.com or Bungie.Org for details.") == ["See amazon.com or Bungie.Org for details."]


def test_seed_article():
    text = SEED.read_text(encoding="utf-8")
    sents = split_sentences("seed", text)
    got = [s.text for s in sents]
    released = [s for s in got if "88 more people have been released" in s]
    assert released == [
        "In a statement published on Meta-owned Instagram, the Ministry of Penitentiary Service said that 88 more "
        "people have been released in connection with \u201ccrimes\u201d committed during post-election protests."
    ]
    assert "Also Read: US military strike on \u2018drug boats\u2019 kills 8" in got
    assert "US President Donald Trump has also been vocal about his desire to see Maduro step down." in got
    assert len(got) == 16
    assert_exact(text)


@pytest.mark.parametrize("text", ["", " ", "\n\n\t", "\u00a0\u2028"])
def test_blank_text_has_no_sentences(text):
    assert split_sentences("a1", text) == []


def test_ids_and_indexes():
    sents = split_sentences("abc", "One here. Two here.")
    assert [(s.id, s.index) for s in sents] == [("abc:s0", 0), ("abc:s1", 1)]


# Free text with the characters that matter to segmenters: stops, quotes, digits, breaks, spaces.
_alphabet = st.sampled_from(list("ab AB.?!\"'\u201c\u201d()$%0123456789,;:\n\r\t\u00a0\u2026-") + ["Mr.", "U.S.", "é", "😀", "\u2029"])
_text = st.lists(_alphabet, max_size=80).map("".join) | st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200
)


@settings(max_examples=300, deadline=None)
@given(_text)
def test_spans_are_exact_and_cover_every_non_space_character(text):
    sents = split_sentences("p", text)
    for i, s in enumerate(sents):
        assert s.index == i
        assert s.text == text[s.start : s.end] == s.text.strip() != ""
        assert "\n" not in s.text and "\r" not in s.text
    assert all(a.end <= b.start for a, b in zip(sents, sents[1:]))
    joined = "".join(s.text for s in sents)
    assert "".join(joined.split()) == "".join(text.split())
