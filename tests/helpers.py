"""What tests share besides fixtures: paths, the seed question, ports, running the real CLI."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from retrieval.answering.citations import text_fragment_link
from retrieval.types import Answer, Citation
from tests.http_server import LocalServer, Route

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
SHARED = REPO.parent / "shared"
DATASETS = SHARED / "datasets"
SEED_QUESTION = "How many people did Venezuela release?"


def engine_over(folder: Path, settings, articles: list[dict], engine=None):
    """An Engine over a real index of these articles (dicts of title, text, published_at...), written
    to `folder` as one more JSON file and ingested (into `engine` when given, to add to it)."""
    import json

    from retrieval.engine import Engine

    folder.mkdir(parents=True, exist_ok=True)
    n = len(list(folder.glob("*.json")))
    (folder / f"articles-{n}.json").write_text(json.dumps(articles), encoding="utf-8")
    engine = engine or Engine.open(settings)
    engine.ingest_paths([folder])
    return engine


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen | None = None, timeout: float = 60) -> bool:
    """Wait until something listens on 127.0.0.1:port; False on time-out or if `proc` exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            if proc is not None and proc.poll() is not None:
                return False
            time.sleep(0.1)
    return False


def run_newsbot(*args: str, data_dir: Path, input: str | None = None, env: dict | None = None, timeout: float = 120):
    """Run the real `newsbot` CLI in a subprocess, as a user would."""
    full_env = {**os.environ, "NEWSBOT_DATA_DIR": str(data_dir), "NEWSBOT_THREADS": "1", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=input,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
        cwd=REPO,
    )


def citation(n: int, quote: str, url: str = "https://news.example.org/a") -> Citation:
    """A citation with a long headline, as the Discord rendering tests need."""
    return Citation(n, f"a{n}", f"Article {n} " + "headline " * 5, "Example Gazette", url, "2025-03-04T08:00:00Z",
                    n, quote, text_fragment_link(url, quote))


def long_answer(n_sentences: int, n_citations: int) -> Answer:
    """An answer of `n_sentences` cited sentences in two paragraphs, with `n_citations` long quotes."""
    sentences = [f"Sentence {i} says the strike cost the harbour {i * 13} thousand in lost fees [{i % n_citations + 1}]."
                 for i in range(n_sentences)]
    text = " ".join(sentences[: n_sentences // 2]) + "\n\n" + " ".join(sentences[n_sentences // 2:])
    quote = "Dock workers accepted a pay rise of 7 percent, the union said, after talks " + "lasting long hours " * 40
    return Answer("q", text, False, "extractive", tuple(citation(i, quote) for i in range(1, n_citations + 1)))


def serve_site(server: LocalServer) -> None:
    """Three feeds (RSS 2.0, RSS 1.0, Atom) and their article pages, as a news site would serve them."""
    server.routes["/robots.txt"] = Route(b"User-agent: *\nDisallow: /private/\n", "text/plain")
    server.file("/rss2.xml", "rss2.xml", "application/rss+xml")
    server.file("/rss1.rdf", "rss1.rdf", "application/rdf+xml")
    server.file("/atom.xml", "atom.xml", "application/atom+xml")
    server.file("/articles/ferry.html?utm_source=rss", "ferry.html")
    server.file("/articles/library.html", "library.html")
    server.file("/articles/avalanche.html", "avalanche.html")
    server.file("/mirror/ferry.html", "ferry.html")  # the same story syndicated under another URL
    server.file("/private/budget.html", "library.html")
