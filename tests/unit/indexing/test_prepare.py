"""Chunks are made of whole sentences and carry the sentence range they cover."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from retrieval.indexing.prepare import build_chunks
from retrieval.indexing.sentences import split_sentences

TEXT = " ".join(f"Sentence number {i} says something." for i in range(12))


def test_windows_with_overlap_cover_every_sentence():
    sentences = split_sentences("a1", TEXT)
    chunks = build_chunks(sentences, TEXT, size=5, overlap=1)
    assert [(c.first, c.last) for c in chunks] == [(0, 4), (4, 8), (8, 11)]
    for c in chunks:
        assert c.text == TEXT[c.start : c.end]
        assert c.text.startswith(sentences[c.first].text) and c.text.endswith(sentences[c.last].text)


def test_short_and_empty_articles():
    assert build_chunks([], "", 5, 1) == []
    sentences = split_sentences("a1", "Only one sentence.")
    assert [(c.first, c.last) for c in build_chunks(sentences, "Only one sentence.", 5, 1)] == [(0, 0)]


@given(n=st.integers(1, 40), size=st.integers(1, 8), overlap=st.integers(0, 9))
def test_chunks_never_cut_a_sentence(n, size, overlap):
    text = " ".join(f"Item {i} is here." for i in range(n))
    sentences = split_sentences("a1", text)
    chunks = build_chunks(sentences, text, size, overlap)
    covered = {i for c in chunks for i in range(c.first, c.last + 1)}
    assert covered == set(range(len(sentences)))
    starts = {s.start for s in sentences}
    ends = {s.end for s in sentences}
    assert all(c.start in starts and c.end in ends for c in chunks)
