"""Fixtures for the sources tests: a fetcher with short timeouts and an index on disk."""

from __future__ import annotations

import pytest

from retrieval.indexing.store import NewsIndex
from retrieval.sources.web import Fetcher


@pytest.fixture
def fetcher(fast):
    with Fetcher(fast, retries=0, backoff=0.01) as f:
        yield f


@pytest.fixture
def index(fast, embeddings):
    return NewsIndex.open(fast, embeddings=embeddings)
