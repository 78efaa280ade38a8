"""A mixed index for answer-quality tests: the seed article among real BBC news (other stories, other words)."""

from __future__ import annotations

import pytest

from retrieval.settings import Settings
from tests.helpers import DATASETS, SEEDS

BBC_SAMPLE_EVERY = 10  # every 10th BBC file, sorted by path: ~220 articles of every section


@pytest.fixture(scope="session")
def news_engine(tmp_path_factory):
    """An Engine over seeds/ plus a fixed sample of the BBC set (read-only in tests)."""
    from retrieval.engine import Engine

    bbc = DATASETS / "bbc_news_2225"
    if not bbc.is_dir():
        pytest.fail(f"{bbc} is missing: the shared datasets must sit beside the checkout (../shared)")
    files = sorted(p for p in bbc.rglob("*.txt") if p.name != "README.TXT")[::BBC_SAMPLE_EVERY]
    engine = Engine.open(Settings(data_dir=tmp_path_factory.mktemp("news-data"), threads=1))
    engine.ingest_paths([SEEDS, *files])
    return engine
