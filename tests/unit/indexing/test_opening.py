"""Opening the index while the embedding model loads in a helper thread: one model, errors as before."""

from __future__ import annotations

import threading

import pytest

from retrieval.errors import ConfigError
from retrieval.indexing import embeddings as embeddings_module
from retrieval.indexing.embeddings import make_embeddings
from retrieval.indexing.opening import open_index


def _helpers_alive() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name == "newsbot-model-load"]


def test_the_model_is_loaded_once_and_shared_with_the_index(settings, monkeypatch):
    settings = settings.with_(embed_batch=7)  # a cache key no other test loaded
    builds = []
    real = embeddings_module._build
    monkeypatch.setattr(embeddings_module, "_build", lambda spec, s: builds.append(spec) or real(spec, s))
    index = open_index(settings)
    assert builds == [settings.embeddings]  # the helper and NewsIndex.open asked for it; one built it
    assert index.embeddings is make_embeddings(settings)
    assert index.article_count() == 0
    assert not _helpers_alive()


def test_a_bad_model_setting_is_still_one_clear_error(settings):
    with pytest.raises(ConfigError, match="NEWSBOT_EMBEDDINGS") as info:
        open_index(settings.with_(embeddings="no-such-model"))
    assert "\n" not in str(info.value)
    assert not _helpers_alive()  # joined, even on the error path
