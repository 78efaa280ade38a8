"""Article -> what the store writes: its sentences, chunks of whole sentences, and their vectors.

No storage here (`retrieval.indexing.store` writes what this prepares). Sentences are embedded with
their article's title ("Title. Sentence"), since a sentence alone often lacks its subject; an
article's and a chunk's vector are the normalised mean of their sentences' vectors.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from retrieval.types import Article, Chunk, Sentence


class Encoder(Protocol):
    def encode(self, texts: list[str]) -> np.ndarray: ...


@dataclass(frozen=True)
class PreparedArticle:
    """One article ready to store: units and their (normalised where pooled) vectors."""

    article: Article
    sentences: list[Sentence]
    chunks: list[Chunk]
    sentence_vectors: np.ndarray
    article_vector: np.ndarray
    chunk_vectors: list[np.ndarray]


def embed_text(article: Article, sentence: Sentence) -> str:
    """What is embedded for a sentence: the sentence, after its title unless the title was derived from it."""
    return sentence.text if article.title_is_derived else f"{article.title}. {sentence.text}"


def normalise(v: np.ndarray) -> np.ndarray:
    return v / max(float(np.linalg.norm(v)), 1e-12)


def prepare_batch(
    items: Sequence[tuple[Article, list[Sentence]]], embeddings: Encoder, chunk_sentences: int, chunk_overlap: int
) -> list[PreparedArticle]:
    """Chunks and vectors for a batch of split articles; every sentence of the batch is embedded in one call."""
    vectors = embeddings.encode([embed_text(a, s) for a, sentences in items for s in sentences])
    out: list[PreparedArticle] = []
    row = 0
    for article, sentences in items:
        vecs = vectors[row : row + len(sentences)]
        row += len(sentences)
        chunks = build_chunks(sentences, article.text, chunk_sentences, chunk_overlap)
        out.append(
            PreparedArticle(
                article=article,
                sentences=sentences,
                chunks=chunks,
                sentence_vectors=vecs,
                article_vector=normalise(vecs.mean(axis=0)),
                chunk_vectors=[normalise(vecs[c.first : c.last + 1].mean(axis=0)) for c in chunks],
            )
        )
    return out


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
