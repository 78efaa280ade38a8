"""The naive LangChain RAG recipe a user would otherwise pick, as the baseline for every comparison.

RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200) over "title + blank line +
text" (what loading the article file gives; the text alone when it has no title), the same
MiniLM embeddings as newsbot, one Chroma collection, top-k chunks by similarity. Its
"citations" are whole chunks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from langchain_text_splitters import RecursiveCharacterTextSplitter

from retrieval.errors import IndexUnavailableError
from retrieval.types import Article

CHUNK_SIZE = 1000
CHUNK_OVERLAP = 200
FORMAT = 2  # bump when what a naive store holds changes: its cache key includes it
_ADD_BATCH = 2000


@dataclass(frozen=True)
class NaiveChunk:
    """A retrieved chunk of the naive pipeline."""

    id: str
    article_id: str
    text: str
    score: float


class NaiveRAG:
    """Fixed-size character chunks in their own Chroma store (never the newsbot index)."""

    def __init__(self, path: Path, embeddings, collection: str = "naive_chunks") -> None:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        self.embeddings = embeddings
        self.splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP)
        try:
            Path(path).mkdir(parents=True, exist_ok=True)
            self.client = chromadb.PersistentClient(path=str(path), settings=ChromaSettings(anonymized_telemetry=False))
            # No embedding function: vectors always come from `embeddings` (chromadb's default downloads a model).
            self.collection = self.client.get_or_create_collection(
                collection, embedding_function=None, metadata={"hnsw:space": "cosine"}
            )
        except Exception as exc:  # chromadb raises many types for a broken store
            raise IndexUnavailableError(f"cannot open the naive baseline store at {path}: {exc}") from exc

    def count(self) -> int:
        return self.collection.count()

    def split(self, article: Article) -> list[str]:
        """The chunks of one article, as the recipe makes them from its file (a title only if it has one)."""
        page = article.text if article.title_is_derived else f"{article.title}\n\n{article.text}"
        return self.splitter.split_text(page)

    def build(self, articles: Iterable[Article], progress=None) -> int:
        """Chunk, embed and store every article; returns the number of chunks. `progress(n)` per article."""
        ids: list[str] = []
        docs: list[str] = []
        metas: list[dict] = []
        total = 0

        def flush() -> None:
            nonlocal total
            if ids:
                total += len(ids)
                vectors = np.asarray(self.embeddings.encode(docs), dtype=np.float32)
                self.collection.upsert(ids=list(ids), embeddings=vectors, documents=list(docs), metadatas=list(metas))
                ids.clear()
                docs.clear()
                metas.clear()

        seen: set[str] = set()
        for article in articles:
            if article.id in seen:  # the same text under two names (98 pairs in the BBC set)
                continue
            seen.add(article.id)
            for i, text in enumerate(self.split(article)):
                ids.append(f"{article.id}:n{i}")
                docs.append(text)
                metas.append({"article_id": article.id, "i": i})
            if progress:
                progress(1)
            if len(ids) >= _ADD_BATCH:
                flush()
        flush()
        return total

    def search(self, question: str, k: int = 10) -> list[NaiveChunk]:
        """Top-k chunks by cosine similarity."""
        n = self.collection.count()
        if n == 0:
            return []
        vector = np.asarray(self.embeddings.embed_query(question), dtype=np.float32)
        res = self.collection.query(
            query_embeddings=[vector], n_results=min(k, n), include=["documents", "metadatas", "distances"]
        )
        return [
            NaiveChunk(cid, m["article_id"], d, 1.0 - float(dist))
            for cid, d, m, dist in zip(
                res["ids"][0], res["documents"][0], res["metadatas"][0], res["distances"][0], strict=True
            )
        ]
