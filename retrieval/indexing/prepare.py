"""Article -> what the store writes: its sentences, chunks of whole sentences, and their vectors.

No storage here (`retrieval.indexing.store` writes what this prepares). Sentences are embedded with
their article's title ("Title. Sentence"), since a sentence alone often lacks its subject; an
article's and a chunk's vector are the normalised mean of their sentences' vectors.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from retrieval.indexing.sentences import split_sentences
from retrieval.types import Article, Chunk, Sentence

log = logging.getLogger(__name__)


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
    items: Sequence[tuple[Article, list[Sentence]]],
    embeddings: Encoder,
    chunk_sentences: int,
    chunk_overlap: int,
    ready: Mapping[str, PreparedArticle] | None = None,
) -> list[PreparedArticle]:
    """Chunks and vectors for a batch of split articles; every sentence of the batch is embedded in one call.

    `ready`: articles prepared ahead (`PrepareAhead`), used where they match the article exactly.
    """
    ready = ready or {}
    done = {a.id: p for a, sentences in items if (p := ready.get(a.id)) and p.article == a and p.sentences == sentences}
    todo = [(a, sentences) for a, sentences in items if a.id not in done]
    fresh = iter(_prepare(todo, embeddings, chunk_sentences, chunk_overlap) if todo else ())
    return [done[a.id] if a.id in done else next(fresh) for a, _ in items]


def _prepare(
    items: Sequence[tuple[Article, list[Sentence]]], embeddings: Encoder, chunk_sentences: int, chunk_overlap: int
) -> list[PreparedArticle]:
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


class PrepareAhead:
    """Splits and embeds the next write step's new articles in a worker thread while the current
    step is stored, so the model runs while Chroma writes instead of after it.

    Only a head start: what it prepared is used for an article that is unchanged by then
    (`prepare_batch(ready=...)`); anything it could not prepare is prepared again in line, where an
    error surfaces as usual. One step ahead at most, so memory stays flat.
    """

    def __init__(self, embeddings: Encoder, chunk_sentences: int, chunk_overlap: int) -> None:
        self._args = (embeddings, chunk_sentences, chunk_overlap)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="newsbot-prepare-ahead")
        self._future: Future | None = None

    def start(self, articles: Sequence[Article]) -> None:
        """Begin preparing these articles (those with sentences); the previous result is dropped."""
        self._future = self._pool.submit(self._run, list(articles)) if articles else None

    def _run(self, articles: list[Article]) -> list[PreparedArticle]:
        items = [(a, s) for a in articles if (s := split_sentences(a.id, a.text))]
        return _prepare(items, *self._args) if items else []

    def take(self) -> dict[str, PreparedArticle]:
        """What the last `start` prepared, by article id (waits for it; {} if it failed)."""
        future, self._future = self._future, None
        if future is None:
            return {}
        try:
            return {p.article.id: p for p in future.result()}
        except Exception:  # noqa: BLE001  (prepared again in line, where the error is reported)
            log.debug("preparing articles ahead failed; they are prepared in line", exc_info=True)
            return {}

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
