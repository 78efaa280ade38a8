"""The offline MiniLM int8 embeddings: shape, norm, meaning, batching; the LangChain and chromadb faces."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import numpy as np
import pytest

from retrieval.indexing import embeddings as embeddings_module
from retrieval.indexing.embeddings import MAX_BATCH_TOKENS, MAX_TOKENS, NewsbotEmbeddingFunction
from tests.helpers import REPO


def test_unit_norm_384_dims(embeddings):
    v = embeddings.encode(["Parliament passed the bill.", "", "x" * 5000])
    assert v.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)


def test_paraphrase_is_closer_than_unrelated(embeddings):
    a, para, other = embeddings.encode(
        ["The government freed 88 prisoners.", "Authorities released 88 detainees.", "The striker scored twice in the final."]
    )
    assert a @ para > a @ other + 0.3


def test_length_sorted_batches_keep_input_order(embeddings):
    texts = ["short", "a much longer sentence about elections and the results of the vote", "mid length text here"]
    batched = embeddings.encode(texts)
    single = np.vstack([embeddings.encode([t]) for t in texts])
    np.testing.assert_allclose(batched, single, atol=1e-4)


def test_batches_are_capped_by_rows_and_tokens(embeddings):
    """Long texts run in smaller batches (ONNX memory grows with rows x width); short ones 32 at a time."""
    lengths = [12] * 100 + [MAX_TOKENS] * 20 + [100] * 30 + [MAX_BATCH_TOKENS * 2]
    batches = list(embeddings.batches(lengths))
    assert sorted(i for rows in batches for i in rows) == list(range(len(lengths)))
    for rows in batches:
        width = max(lengths[i] for i in rows)
        assert len(rows) <= embeddings.batch_size
        assert len(rows) == 1 or len(rows) * width <= MAX_BATCH_TOKENS
    assert max(len(rows) for rows in batches) == embeddings.batch_size  # short texts still fill a batch
    assert any(len(rows) == MAX_BATCH_TOKENS // MAX_TOKENS for rows in batches)


def test_token_capped_batches_embed_like_single_texts(embeddings):
    long_text = " ".join(["The council voted on the harbour budget after a long debate about ferries."] * 30)
    texts = [long_text + f" Item {i}." for i in range(10)] + ["short one", "another short sentence"]
    np.testing.assert_allclose(embeddings.encode(texts), np.vstack([embeddings.encode([t]) for t in texts]), atol=1e-4)


def test_langchain_interface(embeddings):
    docs = embeddings.embed_documents(["one", "two"])
    q = embeddings.embed_query("one")
    assert len(docs) == 2 and len(docs[0]) == 384
    assert np.dot(docs[0], q) > 0.99


def test_chroma_embedding_function_round_trips_its_config():
    ef = NewsbotEmbeddingFunction(threads=1)
    again = NewsbotEmbeddingFunction.build_from_config(ef.get_config())
    assert again.get_config() == {"embeddings": "minilm-l6-int8", "base_url": "", "threads": 1}
    assert np.allclose(ef(["hello world"])[0], again(["hello world"])[0])


def test_embeddings_module_loads_neither_chromadb_nor_langchain():
    """Both are imported only when asked for (~0.7 s of a one-off `newsbot ask` together)."""
    code = "import sys, retrieval.indexing.embeddings; print(' '.join(sorted(sys.modules)))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert proc.returncode == 0, proc.stderr
    roots = {m.split(".")[0] for m in proc.stdout.split()}
    assert "retrieval" in roots and not roots & {"chromadb", "langchain_core", "langsmith", "onnxruntime"}


def test_chroma_embedding_function_is_registered_on_first_lookup():
    from chromadb.api.types import EmbeddingFunction
    from chromadb.utils.embedding_functions import known_embedding_functions

    cls = embeddings_module.NewsbotEmbeddingFunction
    assert cls is embeddings_module.chroma_embedding_function()  # one class per process
    assert issubclass(cls, EmbeddingFunction) and known_embedding_functions["newsbot"] is cls
    assert cls.__qualname__ == "NewsbotEmbeddingFunction"
    with pytest.raises(AttributeError):
        embeddings_module.NoSuchThing  # noqa: B018


def test_as_langchain_makes_it_a_langchain_embeddings(embeddings):
    from langchain_core.embeddings import Embeddings

    assert isinstance(embeddings.as_langchain(), Embeddings)
    assert asyncio.run(embeddings.aembed_query("one")) == pytest.approx(embeddings.embed_query("one"), abs=1e-5)


def test_an_embedder_without_encode_cannot_be_made():
    from retrieval.indexing.embeddings import EncoderEmbeddings

    class Half(EncoderEmbeddings):
        name, dims = "half", 2

    with pytest.raises(TypeError, match="encode"):
        Half()
