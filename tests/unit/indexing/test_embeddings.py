"""The offline MiniLM int8 embeddings: shape, norm, meaning, batching."""

from __future__ import annotations

import numpy as np

from retrieval.indexing.embeddings import NewsbotEmbeddingFunction


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
