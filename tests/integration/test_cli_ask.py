"""`newsbot ask`: human output, `--json` and `--batch` against the schema, and every bad input."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from bot.cli import main
from tests.helpers import SEED_QUESTION, SEEDS, free_port, run_newsbot

ANSWER_KEYS = {"question", "answer", "abstained", "backend", "citations"}
CITATION_KEYS = {"n", "article_id", "title", "source", "url", "published_at", "sentence_index", "quote", "path",
                 "story_id", "also_reported_by", "updated_at"}
SEED_TEXT = next(SEEDS.glob("*.txt")).read_text(encoding="utf-8")
ANSI = re.compile(r"\x1b[\[\]]")


@pytest.fixture(scope="module")
def seeded_dir(tmp_path_factory):
    from retrieval.engine import Engine
    from retrieval.settings import Settings

    data = tmp_path_factory.mktemp("cli-ask")
    Engine.open(Settings(data_dir=data, threads=1)).ingest_paths([SEEDS])
    return data


def cli(data_dir, *args, input=None):
    return CliRunner().invoke(main, ["--data-dir", str(data_dir), *args], input=input)


def check_schema(obj: dict) -> None:
    assert ANSWER_KEYS <= obj.keys()
    assert isinstance(obj["question"], str) and isinstance(obj["answer"], str)
    assert isinstance(obj["abstained"], bool) and isinstance(obj["backend"], str)
    for n, c in enumerate(obj["citations"], 1):
        assert set(c) == CITATION_KEYS
        assert c["n"] == n and isinstance(c["sentence_index"], int)
        assert c["quote"] in SEED_TEXT  # the exact stored sentence
        assert c["story_id"].startswith("s") and c["also_reported_by"] == []  # the seeds: one source


def test_fresh_install_answers_the_readme_question(tmp_path):
    # A real subprocess on an empty data dir: seeds/ is ingested first, then the answer printed.
    res = run_newsbot("ask", SEED_QUESTION, data_dir=tmp_path / "fresh")
    assert res.returncode == 0, res.stderr
    assert "seed articles" in res.stderr
    assert "88" in res.stdout and "[1]" in res.stdout
    assert not ANSI.search(res.stdout)  # piped: no colours, no escape-code links
    assert "Traceback" not in res.stderr


def test_ask_human_output_lists_numbered_sources(seeded_dir):
    res = cli(seeded_dir, "ask", "How", "many", "people", "did", "Venezuela", "release?")
    assert res.exit_code == 0, res.output
    answer, _, sources = res.output.partition("\n\n")
    assert "88" in answer
    assert sources.startswith("[1] “") and "date unknown" in sources


def test_ask_json_matches_the_schema(seeded_dir):
    res = cli(seeded_dir, "ask", "--json", SEED_QUESTION)
    assert res.exit_code == 0, res.output
    obj = json.loads(res.output)
    check_schema(obj)
    assert obj["question"] == SEED_QUESTION and not obj["abstained"] and obj["backend"] == "extractive"
    assert any("88" in c["quote"] for c in obj["citations"])

    res = cli(seeded_dir, "ask", "--json", "Who won the 2022 FIFA World Cup final in Qatar?")
    obj = json.loads(res.output)
    check_schema(obj)
    assert obj["abstained"] and obj["citations"] == []


def test_batch_writes_one_answer_per_line_with_ids(seeded_dir, tmp_path):
    lines = [
        json.dumps({"id": "q1", "question": SEED_QUESTION}),
        "",
        json.dumps({"id": 7, "question": "And how many remain in jail?", "history": [[SEED_QUESTION, "88 [1]."]]}),
        "{not json",
        json.dumps({"id": "q4", "question": "   "}),
        json.dumps({"id": "q5", "question": "ok?", "history": "nope"}),
    ]
    path = tmp_path / "questions.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    res = cli(seeded_dir, "ask", "--batch", str(path))
    assert res.exit_code == 1  # some lines failed: said on stderr, and in their output lines
    out = [json.loads(line) for line in res.stdout.splitlines() if line.startswith("{")]
    assert [o["id"] for o in out] == ["q1", 7, 4, "q4", "q5"]
    check_schema(out[0])
    check_schema(out[1])
    assert "88" in out[0]["answer"]
    assert "not valid JSON" in out[2]["error"]
    assert "empty" in out[3]["error"]
    assert "history" in out[4]["error"]


def test_batch_from_stdin_all_good_exits_zero(seeded_dir):
    res = cli(seeded_dir, "ask", "--batch", "-", input=json.dumps({"id": 1, "question": SEED_QUESTION}) + "\n")
    assert res.exit_code == 0, res.output
    (line,) = res.stdout.splitlines()
    obj = json.loads(line)
    assert obj["id"] == 1
    check_schema(obj)


@pytest.mark.parametrize(
    "args, words",
    [
        (["ask", ""], "empty"),
        (["ask", "   "], "empty"),
        (["ask", "x" * 1001], "limit is 1000"),
        (["ask", "bad\x07bell"], "non-text"),
        (["ask"], "give a question"),
        (["ask", "--batch", "missing.jsonl"], "no such file"),
        (["ask", "--batch", "-", "and a question"], "not both"),
    ],
)
def test_bad_input_is_one_line_and_non_zero(seeded_dir, args, words):
    res = cli(seeded_dir, *args)
    assert res.exit_code != 0
    assert words in res.output and "Traceback" not in res.output
    assert len([ln for ln in res.output.splitlines() if ln.strip()]) == 1


def test_index_built_with_another_model_is_refused(seeded_dir):
    res = run_newsbot(
        "ask", SEED_QUESTION, data_dir=seeded_dir, env={"NEWSBOT_EMBEDDINGS": "ollama:nomic-embed-text"}
    )
    assert res.returncode != 0 and "Traceback" not in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1 and "NEWSBOT_EMBEDDINGS" in res.stderr


def test_unreachable_chroma_server_is_one_line(tmp_path):
    res = run_newsbot(
        "ask", SEED_QUESTION, data_dir=tmp_path, env={"CHROMA_HOST": "127.0.0.1", "CHROMA_PORT": str(free_port())}
    )
    assert res.returncode != 0 and "Traceback" not in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
