"""`newsbot eval` end to end: seed corpus (jsonl), a BBC-style --corpus, HotpotQA, --out files, cached indexes, bad input."""

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


# A BBC-style corpus: category folders with the same file names, headline then body.
BBC_FILES = {
    "sport/001.txt": (
        "Harbour club wins county cup",
        "The Harbour club won the county cup on Saturday. Its captain, Tom Reed, scored twice in the final. "
        "Fans celebrated in the town square until midnight.",
    ),
    "tech/001.txt": (
        "Chip maker opens Welsh plant",
        "A chip maker opened a new plant in Wales on Monday. The factory will employ 400 engineers by next spring. "
        "Production of the first wafers starts in May.",
    ),
    "business/002.txt": (
        "Bakery chain to expand",
        "The Crumb bakery chain will open 30 new shops this year. Its chief executive said flour prices had fallen "
        "sharply. Shares in the chain rose 4% on the news.",
    ),
    "politics/003.txt": (
        "Minister defends budget",
        "The finance minister defended the budget in parliament. Opposition members noted that flour prices had "
        "fallen sharply. The debate lasted six hours.",
    ),
}
BBC_QUESTIONS = [
    {
        "id": "sport",
        "kind": "single",
        "needs_context": True,
        "question": "How many goals did the Harbour club captain score in the county cup final?",
        "answer": "two",
        "evidence": [{"doc": "sport/001.txt", "text": "Its captain, Tom Reed, scored twice in the final."}],
    },
    {
        "id": "tech",
        "kind": "single",
        "needs_context": False,
        "question": "How many engineers will the Welsh chip factory employ?",
        "answer": "400",
        "evidence": [{"doc": "tech/001.txt", "text": "The factory will employ 400 engineers by next spring."}],
    },
    {
        "id": "by-text",  # the doc names no file: the evidence text is in one article only
        "kind": "followup",
        "history": [["What did the Crumb bakery chief say?", "Flour prices had fallen sharply."]],
        "question": "And how many shops will the Crumb bakery chain open?",
        "answer": "30",
        "evidence": [{"doc": "archive/crumb.txt", "text": "The Crumb bakery chain will open 30 new shops this year."}],
    },
    {
        "id": "ambiguous",  # the text is in two articles: not placed
        "kind": "single",
        "needs_context": False,
        "question": "What happened to flour prices?",
        "evidence": [{"doc": "gone.txt", "text": "flour prices had fallen sharply"}],
    },
    {"id": "off", "kind": "unanswerable", "question": "Who won the 2030 football world cup final?", "evidence": []},
]


def write_bbc(root: Path, fillers: int = 0) -> Path:
    files = dict(BBC_FILES)
    for n in range(fillers):
        files[f"entertainment/{100 + n}.txt"] = (
            f"Band {n} announces tour",
            f"The band number {n} will tour {n + 3} cities this autumn. Tickets go on sale on Friday.",
        )
    for rel, (title, body) in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(f"{title}\n\n{body}\n", encoding="utf-8")
    (root / "README.TXT").write_text("Research use only.\n", encoding="utf-8")
    return root


def test_jsonl_docs_relative_to_the_corpus_or_found_by_text_are_scored_per_kind(tmp_path):
    corpus = write_bbc(tmp_path / "bbc_news")
    out = tmp_path / "out"
    r = newsbot(
        "eval",
        "--dataset",
        "jsonl",
        "--path",
        str(write_questions(tmp_path / "q.jsonl", BBC_QUESTIONS)),
        "--corpus",
        str(corpus),
        "--compare",
        "naive,answer",
        "--out",
        str(out),
        data_dir=tmp_path / "data",
    )
    assert r.exit_code == 0, r.output
    report = json.loads((out / "results.json").read_text(encoding="utf-8"))
    # sport/001.txt and tech/001.txt (same file name) by their path under --corpus, the bakery by its text;
    # the flour sentence is in two articles, so it stays unplaced.
    assert (report["gold_units"], report["gold_missing"], report["questions_without_gold"]) == (3, 1, 1)
    assert report["missing_examples"] == ["article 'gone.txt' is not in the index"]
    configs = {c["name"]: c for c in report["configs"]}
    kinds = ["single, needs context", "single, names its subject", "followup", "unanswerable"]
    for name in ("naive", "answer"):
        assert list(configs[name]["by_kind"]) == kinds
        assert configs[name]["answers"]["first_cited_gold"] is not None
        for kind in kinds:
            figures = configs[name]["by_kind"][kind]["answers"]
            assert {"cited_gold", "first_cited_gold", "cites_per_answer", "answer_rate", "abstain_rate"} <= set(figures)
    naive = configs["naive"]
    assert naive["sentence"]["questions"] == 3 and naive["by_kind"]["single, names its subject"]["questions"] == 2
    # Three short articles, one chunk each: the naive top chunk holds the gold exactly when Hit@1 does.
    assert naive["answers"]["first_cited_gold"] == naive["sentence"]["S@1"]
    answer = configs["answer"]
    assert answer["answers"]["first_cited_gold"] <= answer["answers"]["cited_gold"]
    per_q = {q["id"]: q for q in answer["per_question"]}
    assert per_q["sport"]["kind"] == "single, needs context" and "first_gold" in per_q["sport"]
    assert per_q["tech"]["cited_gold"] >= 1  # the sentence names its subject: the answer cites it
    for text in (r.output, (out / "results.md").read_text(encoding="utf-8")):
        header = next(line for line in text.splitlines() if line.startswith("| config |") and "cited gold" in line)
        assert "| cited gold | first cited |" in header
        assert "Answers by question type, answer:" in text and "| single, needs context | 1 |" in text


def test_max_articles_cuts_a_corpus_build_into_its_own_index(tmp_path):
    corpus = write_bbc(tmp_path / "bbc_news", fillers=8)  # 12 files
    data = tmp_path / "data"
    questions = str(write_questions(tmp_path / "q.jsonl", BBC_QUESTIONS))
    args = ["eval", "--dataset", "jsonl", "--path", questions, "--corpus", str(corpus), "--compare", "bm25"]
    cut = [*args, "--max-articles", "5", "--out", str(tmp_path / "cut")]
    r = newsbot(*cut, data_dir=data)
    assert r.exit_code == 0, r.output
    assert "corpus cut to 5 of 12 files (--max-articles 5, seed 13); 3 gold articles kept" in r.output
    report = json.loads((tmp_path / "cut" / "results.json").read_text())
    assert report["corpus_articles"] == 5
    # The three placed gold articles are in the sample (the bakery's found by its text in the whole corpus);
    # the ambiguous flour sentence stays unplaced even if the sample holds only one of its two articles.
    assert (report["gold_units"], report["gold_missing"]) == (3, 1)
    [sample] = list((data / "eval").iterdir())
    assert sample.name.startswith("files-sample-")
    stamp = (sample / "complete.json").stat().st_mtime_ns
    assert newsbot(*cut, data_dir=data).exit_code == 0  # same files: the sample index is reused
    assert (sample / "complete.json").stat().st_mtime_ns == stamp

    r = newsbot(*args, "--out", str(tmp_path / "full"), data_dir=data)
    assert r.exit_code == 0, r.output
    assert json.loads((tmp_path / "full" / "results.json").read_text())["corpus_articles"] == 12
    assert len(list((data / "eval").iterdir())) == 2  # the full build never reuses the cut one
    r = newsbot(*args, "--max-articles", "5", "--seed", "14", data_dir=data)
    assert r.exit_code == 0, r.output
    assert "corpus cut to 5 of 12 files (--max-articles 5, seed 14)" in r.output


def test_subset_evaluates_one_half_of_the_sha1_split(tmp_path):
    import hashlib

    corpus = write_bbc(tmp_path / "bbc_news")
    questions = str(write_questions(tmp_path / "q.jsonl", BBC_QUESTIONS))
    counts = {}
    for half in ("even", "odd"):
        out = tmp_path / half
        args = ["eval", "--dataset", "jsonl", "--path", questions, "--corpus", str(corpus), "--compare", "bm25"]
        r = newsbot(*args, "--subset", half, "--out", str(out), data_dir=tmp_path / "data")
        assert r.exit_code == 0, r.output
        report = json.loads((out / "results.json").read_text())
        ids = {q["id"] for q in report["configs"][0]["per_question"]}
        want = {
            q["id"]
            for q in BBC_QUESTIONS
            if (int(hashlib.sha1(q["id"].encode()).hexdigest(), 16) % 2 == 0) == (half == "even")
        }
        assert ids == want and f"subset {half}" in r.output and f"--subset {half}" in report["command"]
        counts[half] = report["questions"]
    assert counts["even"] + counts["odd"] == len(BBC_QUESTIONS)


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
