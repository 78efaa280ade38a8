"""Retrieval chunks made of whole sentences, each carrying the sentence range it covers."""

from __future__ import annotations

from collections.abc import Sequence

from retrieval.types import Chunk, Sentence


def build_chunks(sentences: Sequence[Sentence], text: str, size: int = 5, overlap: int = 1) -> list[Chunk]:
    """Windows of `size` consecutive sentences sharing `overlap` with the previous one; never cut a sentence.

    The chunk text is the article text from the first sentence's start to the last one's end, so
    a chunk quotes the article exactly (including the line breaks between paragraphs).
    """
    if not sentences:
        return []
    size = max(1, size)
    step = max(1, size - max(0, min(overlap, size - 1)))
    chunks: list[Chunk] = []
    first = 0
    while True:
        last = min(first + size, len(sentences)) - 1
        a, b = sentences[first], sentences[last]
        chunks.append(Chunk(a.article_id, len(chunks), a.index, b.index, a.start, b.end, text[a.start : b.end]))
        if last >= len(sentences) - 1:
            return chunks
        first += step
