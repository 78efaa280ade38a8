"""`newsbot eval` end to end: seed corpus (jsonl), HotpotQA, --out files, isolated cached indexes, bad input."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from retrieval.engine import Engine
from retrieval.evaluation.runner import corpus_hash
from retrieval.settings import Settings
from retrieval.types import Article
from tests.helpers import DATASETS, SEEDS

HOTPOT = DATASETS / "hotpotqa_hipporag_100"

SEED_QUESTIONS = [
    {
        "id": "released",
        "question": "How many people did Venezuela release?",
        "answer": "88",
        "evidence": [
            {
                "doc": "000_51027276e70fa455.txt",
                "text": "said that 88 more people have been released in connection with",
            }
        ],
    },
    {
        "id": "jailed",
        "question": "How many political prisoners remain in jails?",
        "answer": "more than 900",
        "evidence": [
            {
                "doc": "000_51027276e70fa455.txt",
                "text": "estimates suggest that more than 900 political prisoners remain in various jails",
            }
        ],
    },
    {"id": "off-topic", "question": "Who won the 2030 football world cup final?"},
]


@pytest.fixture(autouse=True)
def _one_thread(monkeypatch):
    monkeypatch.setenv("NEWSBOT_THREADS", "1")  # the machine is shared: keep tests on one core


def newsbot(*args: str, data_dir: Path):
    result = CliRunner().invoke(main, ["--data-dir", str(data_dir), *args], catch_exceptions=False)
    return result


def write_questions(path: Path, rows) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_seed_corpus_jsonl_compare_and_out_files(tmp_path):
    questions = write_questions(tmp_path / "q.jsonl", SEED_QUESTIONS)
    out = tmp_path / "results"
    r = newsbot(
        "eval",
        "--dataset",
        "jsonl",
        "--path",
        str(questions),
        "--corpus",
        str(SEEDS),
        "--compare",
        "naive,dense,bm25,hybrid,answer",
        "--limit",
        "3",
        "--out",
        str(out),
        data_dir=tmp_path / "data",
    )
    assert r.exit_code == 0, r.output
    assert "| naive |" in r.output and "| hybrid |" in r.output and "| answer |" in r.output
    assert not (tmp_path / "data" / "chroma").exists()  # the user's main index was never created

    report = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert (report["questions"], report["answerable"], report["unanswerable"]) == (3, 2, 1)
    assert report["gold_units"] == 2 and report["gold_missing"] == 0
    configs = {c["name"]: c for c in report["configs"]}
    assert list(configs) == ["naive", "dense", "bm25", "hybrid", "answer"]
    # One article, two findable sentences: every sentence search puts both in its top 10.
    for name in ("dense", "bm25", "hybrid"):
        assert configs[name]["sentence"]["S@10"] == 1.0 and configs[name]["sentence"]["R@10"] == 1.0
    assert configs["hybrid"]["sentence"]["S@4"] == 1.0
    assert configs["naive"]["sentence"]["S@4"] == 1.0  # the whole article fits in a few chunks
    ans = configs["answer"]["answers"]
    assert ans["cited_gold"] == 1.0 and ans["answer_rate"] == 1.0 and ans["abstain_rate"] == 1.0
    assert configs["answer"]["latency"]["latency_p50_ms"] > 0
    per_q = {q["id"]: q for q in configs["answer"]["per_question"]}
    assert per_q["off-topic"]["abstained"] and per_q["released"]["cited_gold"] >= 1
    assert {q["id"]: q["gold_rank"] for q in configs["hybrid"]["per_question"]}["off-topic"] is None

    md = (out / "results.md").read_text(encoding="utf-8")
    assert "| config |" in md and "| answer |" in md and "machine:" in md
    assert "command: `newsbot eval --dataset jsonl --path " in md and "--compare naive,dense,bm25,hybrid,answer" in md
    png = (out / "results.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000


def test_jsonl_on_the_users_own_index_reads_it_without_writing(tmp_path):
    data = tmp_path / "data"
    own = Engine.open(Settings(data_dir=data, threads=1))
    own.ingest_paths([SEEDS])
    version = own.index.version()
    rows = SEED_QUESTIONS[:1] + [
        {"id": "lost", "question": "Where?", "evidence": [{"doc": "no-such-article.txt", "text": "x"}]}
    ]
    r = newsbot(
        "eval",
        "--dataset",
        "jsonl",
        "--path",
        str(write_questions(tmp_path / "q.jsonl", rows)),
        "--compare",
        "hybrid",
        data_dir=data,
    )
    assert r.exit_code == 0, r.output
    assert "1 gold evidence not found in the corpus" in r.output and "no-such-article.txt" in r.output
    assert re.search(r"\| hybrid \| \d+% \| 100% \|", r.output)  # Hit@4: the gold sentence is in the top 4
    assert own.index.version() == version


def test_hotpotqa_limit_runs_on_an_isolated_cached_index(tmp_path):
    if not HOTPOT.exists():
        pytest.skip(f"{HOTPOT} not present")
    data = tmp_path / "data"
    args = (
        "eval",
        "--dataset",
        "hotpotqa",
        "--path",
        str(HOTPOT),
        "--limit",
        "5",
        "--max-articles",
        "20",
        "--compare",
        "bm25,hybrid",
        "--out",
        str(tmp_path / "out"),
    )
    r = newsbot(*args, data_dir=data)
    assert r.exit_code == 0, r.output
    assert "dataset hotpotqa: 5 questions" in r.output and "| hybrid |" in r.output
    report = json.loads((tmp_path / "out" / "results.json").read_text())
    hybrid = report["configs"][1]["sentence"]
    assert hybrid["questions"] == 5 and 0.0 <= hybrid["R@5"] <= hybrid["R@10"] <= 1.0
    assert hybrid["S@10"] >= 0.6  # the gold paragraphs are among ~50: most questions find a fact
    folders = sorted((data / "eval").iterdir())
    assert len(folders) == 1 and folders[0].name.startswith("hotpotqa-")
    marker = folders[0] / "complete.json"
    stamp = marker.stat().st_mtime_ns
    # Same corpus: the index is reused, not rebuilt.
    assert newsbot(*args, data_dir=data).exit_code == 0
    assert marker.stat().st_mtime_ns == stamp and len(list((data / "eval").iterdir())) == 1


def test_the_corpus_hash_follows_the_corpus_and_what_shapes_the_index(settings):
    a = [Article(title="A", text="One. Two.", key="a.txt"), Article(title="B", text="Three.", key="b.txt")]
    h = corpus_hash(a, settings)
    assert corpus_hash(list(reversed(a)), settings) == h  # order does not matter
    assert corpus_hash(a[:1], settings) != h
    assert corpus_hash([a[0], Article(title="B", text="Three!", key="b.txt")], settings) != h
    assert corpus_hash(a, settings.with_(chunk_sentences=settings.chunk_sentences + 1)) != h
    assert corpus_hash(a, settings.with_(embeddings="ollama:nomic-embed-text")) != h


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--dataset", "hotpotqa", "--path", "/no/such/folder"), "does not exist"),
        (("--dataset", "squad", "--path", str(SEEDS)), "not a SQuAD folder"),
        (("--dataset", "jsonl", "--path", "{empty}"), "has no questions"),
        (("--dataset", "jsonl", "--path", "{questions}", "--compare", "naive,turbo"), "unknown configuration turbo"),
        (("--dataset", "jsonl", "--path", "{questions}", "--corpus", "/no/such/dir"), "does not exist"),
        (("--dataset", "jsonl", "--path", "{questions}"), "is empty"),
    ],
)
def test_bad_input_is_one_clear_line(args, message, tmp_path):
    (tmp_path / "empty.jsonl").write_text("")
    questions = write_questions(tmp_path / "q.jsonl", SEED_QUESTIONS[:1])
    args = [a.format(empty=tmp_path / "empty.jsonl", questions=questions) for a in args]
    r = CliRunner().invoke(main, ["--data-dir", str(tmp_path / "data"), "eval", *args])
    assert r.exit_code == 1, r.output
    lines = [line for line in r.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], r.output
    assert "Traceback" not in r.output
