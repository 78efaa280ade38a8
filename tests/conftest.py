"""Shared fixtures: a temp data dir per test, one embedding model and one seeded engine per session."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from retrieval.indexing.embeddings import MiniLMEmbeddings
from retrieval.settings import Settings
from tests.helpers import SEEDS, free_port, wait_for_port


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path_factory):
    """No test reads the developer's .env or writes to their real data folder."""
    for name in list(os.environ):
        if name.startswith("NEWSBOT_") or name in ("CHROMA_HOST", "CHROMA_PORT", "DISCORD_TOKEN", "OPENAI_API_KEY"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NEWSBOT_DATA_DIR", str(tmp_path_factory.mktemp("default-data")))


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path / "data", threads=1)


@pytest.fixture(scope="session")
def embeddings() -> MiniLMEmbeddings:
    return MiniLMEmbeddings(threads=1)


@pytest.fixture(scope="session")
def seed_settings(tmp_path_factory) -> Settings:
    return Settings(data_dir=tmp_path_factory.mktemp("seed-data"), threads=1)


@pytest.fixture(scope="session")
def seed_engine(seed_settings):
    """An Engine over a real on-disk index of `seeds/` (the Venezuela article). Treat as read-only."""
    from retrieval.engine import Engine

    engine = Engine.open(seed_settings)
    engine.ingest_paths([SEEDS])
    return engine


@pytest.fixture
def server():
    """A local HTTP server (tests/http_server.py) for feeds and article pages."""
    from tests.http_server import LocalServer

    with LocalServer() as s:
        yield s


@pytest.fixture
def fast(settings):
    """Settings with short fetch timeouts so failure tests stay fast."""
    return settings.with_(fetch_timeout=0.5)


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory):
    """A real `chroma run` server on 127.0.0.1 (CI installs chromadb, which ships the CLI)."""
    exe = shutil.which("chroma")
    if exe is None:
        pytest.fail("the `chroma` command is missing: `pip install -e .[dev]` installs it with chromadb")
    port = free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    proc = subprocess.Popen(
        [exe, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    if not wait_for_port(port, proc):
        proc.kill()
        pytest.fail(f"chroma run did not start listening within 60 s (exit code {proc.poll()})")
    yield ("127.0.0.1", port)
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
