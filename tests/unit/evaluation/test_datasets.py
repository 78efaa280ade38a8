"""Evaluation dataset loaders: each format on a tiny fixture, the shared copies, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from retrieval.errors import InputFileError
from retrieval.evaluation.datasets import DATASETS, load_dataset
from retrieval.evaluation.questions import EvalQuestion, id_parity, report_kind
from tests.helpers import DATASETS as SHARED_DATASETS


def write_json(path: Path, data) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def write_jsonl(path: Path, rows) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture
def hotpot_dir(tmp_path) -> Path:
    folder = tmp_path / "hotpot"
    corpus = {
        "Alpha": ["Alpha is a town.", " It has a river."],
        "Beta": ["Beta is a city.", " It lies on the Alpha river."],
        "Gamma": ["Gamma is unrelated."],
    }
    questions = [
        {
            "_id": "h1",
            "question": "Which river flows through Beta?",
            "answer": "Alpha",
            "type": "bridge",
            "supporting_facts": [["Alpha", 1], ["Beta", 1]],
            "context": [["Alpha", corpus["Alpha"]], ["Beta", corpus["Beta"]]],
        },
        {
            "_id": "h2",
            "question": "What is Gamma?",
            "answer": "unrelated",
            "type": "comparison",
            "supporting_facts": [["Gamma", 0], ["Delta", 0], ["Gamma", 5]],
            "context": [["Gamma", corpus["Gamma"]]],
        },
    ]
    write_json(folder / "questions.json", questions)
    write_json(folder / "corpus.json", corpus)
    return folder


def test_hotpotqa_fixture(hotpot_dir):
    ds = load_dataset("hotpotqa", hotpot_dir)
    assert ds.name == "hotpotqa" and len(ds.corpus) == 3
    by_title = {a.title: a for a in ds.corpus}
    assert by_title["Beta"].text == "Beta is a city. It lies on the Alpha river."
    h1, h2 = ds.questions
    assert [(e.doc, e.text) for e in h1.evidence] == [
        (by_title["Alpha"].id, "It has a river."),
        (by_title["Beta"].id, "It lies on the Alpha river."),
    ]
    assert h1.kind == "bridge" and h1.answerable and h1.answer == "Alpha"
    assert len(h2.evidence) == 1 and len(h2.missing) == 2  # unknown title, sentence index out of range


def test_hotpotqa_without_corpus_file_uses_the_contexts(hotpot_dir):
    (hotpot_dir / "corpus.json").unlink()
    ds = load_dataset("hotpotqa", hotpot_dir / "questions.json")
    assert {a.title for a in ds.corpus} == {"Alpha", "Beta", "Gamma"}
    assert any("context" in n for n in ds.notes)


@pytest.fixture
def multihop_dir(tmp_path) -> Path:
    folder = tmp_path / "multihop"
    write_json(
        folder / "queries.json",
        {
            "task": "multihop_rag",
            "queries": [
                {"id": "0", "question": "Did both outlets report the merger?", "question_type": "comparison_query"},
                {"id": "1", "question": "Who won the race on Mars?", "question_type": "null_query"},
            ],
        },
    )
    ev = {
        "title": "Merger news",
        "url": "https://ex.com/a",
        "source": "Ex",
        "published_at": "2023-10-01T00:00:00+00:00",
    }
    write_json(
        folder / "ground_truth.json",
        {
            "0": {
                "answer": "yes",
                "evidence_list": [
                    {**ev, "fact": "The firms agreed to merge."},
                    {**ev, "url": "https://ex.com/missing", "fact": "Not in the corpus."},
                ],
            },
            "1": {"answer": "Insufficient information.", "evidence_list": []},
        },
    )
    write_json(
        folder / "derived_facts_by_article.json",
        [
            {
                **ev,
                "author": "A. Writer",
                "category": "business",
                "facts": ["The firms agreed to merge.", "Shares rose 5%."],
                "cited_by": ["0"],
            },
        ],
    )
    return folder


def test_multihop_fixture_with_distractors(multihop_dir, tmp_path):
    bbc = tmp_path / "bbc" / "business"
    bbc.mkdir(parents=True)
    (bbc / "001.txt").write_text("Headline one\n\nBody of the first story.\n", encoding="utf-8")
    (bbc / "002.txt").write_text("Headline one\n\nBody of the first story.\n", encoding="utf-8")  # exact duplicate
    ds = load_dataset("multihop", multihop_dir, distractors=tmp_path / "bbc")
    assert len(ds.corpus) == 2  # one fact article + one distractor (duplicate stored once)
    art = next(a for a in ds.corpus if a.url == "https://ex.com/a")
    assert art.text == "The firms agreed to merge.\n\nShares rose 5%."
    assert art.source == "Ex" and art.published_at.startswith("2023-10-01") and art.author == "A. Writer"
    q0, q1 = ds.questions
    assert [e.text for e in q0.evidence] == ["The firms agreed to merge."] and len(q0.missing) == 1
    assert q0.kind == "comparison_query"
    assert not q1.answerable and not q1.evidence
    assert any("distractor" in n for n in ds.notes)


@pytest.fixture
def squad_dir(tmp_path) -> Path:
    folder = tmp_path / "squad"
    ctx = "Baran worked at RAND. He studied survivable networks in 1961. Packets came later."
    write_json(
        folder / "queries.json",
        {
            "task": "squad2",
            "queries": [
                {"id": "s1", "context": ctx, "question": "When did Baran study networks?"},
                {"id": "s2", "context": ctx, "question": "When did Baran retire?"},
                {"id": "s3", "context": "Another passage.", "question": "What is here?"},
            ],
        },
    )
    write_json(
        folder / "ground_truth.json",
        {
            "s1": {"answers": ["1961", "in 1961", "1961"], "is_impossible": False},
            "s2": {"answers": [""], "is_impossible": True},
            "s3": {"answers": ["nowhere"], "is_impossible": False},
        },
    )
    return folder


def test_squad_fixture(squad_dir):
    ds = load_dataset("squad", squad_dir)
    assert len(ds.corpus) == 2  # one article per distinct passage
    s1, s2, s3 = ds.questions
    (ev,) = s1.evidence
    assert ev.kind == "answer" and ev.text == "1961" and ev.alternatives == ("in 1961",)
    assert not s2.answerable and not s2.evidence and s2.related == s1.related
    assert s3.answerable and not s3.evidence and "nowhere" in s3.missing[0]
    assert all(a.title_is_derived for a in ds.corpus)


def test_beir_fixture(tmp_path):
    folder = tmp_path / "beir"
    write_jsonl(
        folder / "corpus.jsonl",
        [
            {"_id": "d1", "title": "Solar", "text": "Solar power grew."},
            {"_id": "d2", "title": "", "text": "Wind power grew too."},
            {"_id": "d3", "title": "Empty", "text": ""},
        ],
    )
    write_jsonl(folder / "queries.jsonl", [{"_id": "q1", "text": "renewables growth"}, {"_id": "q2", "text": "x"}])
    (folder / "qrels").mkdir()
    (folder / "qrels" / "test.tsv").write_text(
        "query-id\tcorpus-id\tscore\nq1\td1\t2\nq1\td2\t1\nq1\td9\t1\nq2\td1\t0\n"
    )
    ds = load_dataset("beir", folder)
    assert len(ds.corpus) == 2  # the empty document is skipped
    (q1, q2) = ds.questions
    assert sorted(e.grade for e in q1.evidence) == [1, 2] and all(e.kind == "article" for e in q1.evidence)
    assert len(q1.missing) == 1  # d9 is not in the corpus
    assert not q2.evidence  # a zero grade is not relevant


def test_project_jsonl_fixture(tmp_path):
    path = write_jsonl(
        tmp_path / "q.jsonl",
        [
            {
                "id": "a",
                "question": "How many were released?",
                "history": [["Who?", "Venezuela."]],
                "answer": "88",
                "evidence": [{"doc": "seeds/x.txt", "text": "88 more people have been released"}],
            },
            {"id": "b", "question": "Unanswerable?"},
            {"id": "c", "question": "Whole article gold?", "evidence": [{"doc": "a1234"}]},
        ],
    )
    ds = load_dataset("jsonl", path)
    assert ds.corpus is None
    a, b, c = ds.questions
    assert a.history == (("Who?", "Venezuela."),) and a.evidence[0].doc == "seeds/x.txt"
    assert not b.answerable
    assert c.evidence[0].kind == "article"


def test_project_jsonl_keeps_kind_and_needs_context_and_stays_backward_compatible(tmp_path):
    ev = [{"doc": "sport/001.txt", "text": "Its captain scored twice."}]
    rows = [
        {"id": "s1", "kind": "single", "question": "Who scored?", "evidence": ev, "needs_context": True},
        {"id": "s2", "kind": "single", "question": "Did the captain score?", "evidence": ev, "needs_context": False},
        {"id": "s3", "kind": "single", "question": "Which cup?", "evidence": ev},
        {"id": "f1", "kind": "followup", "question": "And then?", "history": [["Who?", "He."]], "evidence": ev},
        {"id": "u1", "kind": "unanswerable", "question": "Who won in 2030?", "answer": "", "evidence": []},
        {"id": "old", "question": "No kind at all?", "evidence": ev},
    ]
    qs = {q.id: q for q in load_dataset("jsonl", write_jsonl(tmp_path / "q.jsonl", rows)).questions}
    assert (qs["s1"].kind, qs["s1"].needs_context) == ("single", True)
    assert (qs["s2"].needs_context, qs["s3"].needs_context, qs["old"].kind) == (False, None, "")
    assert {k: report_kind(q) for k, q in qs.items()} == {
        "s1": "single, needs context",
        "s2": "single, names its subject",
        "s3": "single",
        "f1": "followup",
        "u1": "unanswerable",
        "old": "",
    }
    assert not qs["u1"].answerable and qs["f1"].history == (("Who?", "He."),)


def test_id_parity_is_the_calibration_split_of_the_benchmarks():
    import hashlib

    for qid in ("dev-1-01", "dev-1-02", "5a8b57f25542995d1e6f1371", "0", "é"):
        even = int(hashlib.sha1(qid.encode()).hexdigest(), 16) % 2 == 0  # benchmarks/calibrate.py's rule
        assert id_parity(qid) == ("even" if even else "odd")


@pytest.mark.parametrize("kind", ["jsonl", "hotpotqa"])
def test_subset_even_and_odd_split_every_dataset_in_two(kind, hotpot_dir):
    if kind == "jsonl":
        ds = load_dataset("jsonl", write_jsonl(hotpot_dir / "q.jsonl", [{"question": f"q{i}?"} for i in range(40)]))
    else:
        ds = load_dataset("hotpotqa", hotpot_dir)
    even, odd = ds.subset("even"), ds.subset("odd")
    assert all(id_parity(q.id) == "even" for q in even.questions)
    assert all(id_parity(q.id) == "odd" for q in odd.questions)
    assert sorted(q.id for q in even.questions + odd.questions) == sorted(q.id for q in ds.questions)
    assert even.corpus == ds.corpus and ds.subset(None) is ds
    if kind == "jsonl":
        assert even.questions and odd.questions and "subset even" in even.notes[-1]


def test_an_empty_subset_is_one_clear_error():
    from retrieval.evaluation.questions import EvalDataset

    ds = EvalDataset("x", [EvalQuestion(id="dev-1-01", question="?")])
    other = "odd" if id_parity("dev-1-01") == "even" else "even"
    with pytest.raises(InputFileError, match=f"no question of this dataset is in the {other} subset"):
        ds.subset(other)


def test_sample_is_reproducible_and_keeps_order(hotpot_dir):
    ds = load_dataset("jsonl", write_jsonl(hotpot_dir / "q.jsonl", [{"question": f"q{i}?"} for i in range(50)]))
    a, b = ds.sample(10, seed=3), ds.sample(10, seed=3)
    assert [q.id for q in a.questions] == [q.id for q in b.questions]
    assert [int(q.id) for q in a.questions] == sorted(int(q.id) for q in a.questions)
    assert ds.sample(None, 3) is ds


def test_shrink_keeps_every_gold_article_then_related_ones(hotpot_dir):
    ds = load_dataset("hotpotqa", hotpot_dir).sample(1, seed=0)
    gold = {e.doc for q in ds.questions for e in q.evidence}
    assert {a.id for a in ds.shrink(1, seed=0).corpus} == gold  # gold is never dropped
    related = {d for q in ds.questions for d in q.related}
    assert {a.id for a in ds.shrink(len(gold | related), seed=0).corpus} == gold | related
    assert ds.shrink(None, seed=0) is ds


# -- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", DATASETS)
def test_missing_path_is_one_clear_error(kind, tmp_path):
    with pytest.raises(InputFileError, match="does not exist"):
        load_dataset(kind, tmp_path / "nope")


@pytest.mark.parametrize(
    ("kind", "setup", "message"),
    [
        ("hotpotqa", lambda d: write_json(d / "x.json", {"not": "hotpot"}), "no HotpotQA questions"),
        ("hotpotqa", lambda d: (d / "x.json").write_text("{broken"), "not valid JSON"),
        ("multihop", lambda d: write_json(d / "queries.json", []), "missing ground_truth.json"),
        ("squad", lambda d: write_json(d / "queries.json", {}), "missing ground_truth.json"),
        ("beir", lambda d: write_jsonl(d / "corpus.jsonl", []), "not a BEIR folder"),
        ("jsonl", lambda d: (d / "q.jsonl").write_text("not json\n"), "not a JSON object"),
        ("jsonl", lambda d: (d / "q.jsonl").write_bytes(b"\xff\xfe\x00bin"), "not UTF-8"),
        ("jsonl", lambda d: write_jsonl(d / "q.jsonl", [{"question": ""}]), 'no "question" text'),
        (
            "jsonl",
            lambda d: write_jsonl(d / "q.jsonl", [{"id": 1, "question": "a?"}, {"id": 1, "question": "b?"}]),
            "repeats the id",
        ),
    ],
)
def test_wrong_format_is_one_clear_error(kind, setup, message, tmp_path):
    setup(tmp_path)
    target = tmp_path / "q.jsonl" if kind == "jsonl" else tmp_path
    with pytest.raises(InputFileError, match=message) as info:
        load_dataset(kind, target)
    assert "\n" not in str(info.value)


def test_empty_question_file_is_one_clear_error(tmp_path):
    (tmp_path / "q.jsonl").write_text("\n\n")
    with pytest.raises(InputFileError, match="has no questions"):
        load_dataset("jsonl", tmp_path / "q.jsonl")
    write_json(tmp_path / "h" / "q.json", [])
    with pytest.raises(InputFileError, match="has no"):
        load_dataset("hotpotqa", tmp_path / "h")


def test_distractors_must_be_a_folder_of_articles(hotpot_dir, tmp_path):
    with pytest.raises(InputFileError, match="not a folder"):
        load_dataset("hotpotqa", hotpot_dir, distractors=tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputFileError, match="no .txt articles"):
        load_dataset("hotpotqa", hotpot_dir, distractors=tmp_path / "empty")


# -- the shared copies (read-only; skipped where the folder is absent) -------------------------


def _shared(name: str) -> Path:
    path = SHARED_DATASETS / name
    if not path.exists():
        pytest.skip(f"{path} not present")
    return path


def test_shared_hotpotqa_loads_completely():
    ds = load_dataset("hotpotqa", _shared("hotpotqa_hipporag_100"))
    assert len(ds.questions) == 100 and len(ds.corpus) == 994
    assert sum(len(q.evidence) for q in ds.questions) == 229 and not any(q.missing for q in ds.questions)


def test_shared_squad_loads_completely():
    ds = load_dataset("squad", _shared("squad2_500"))
    assert len(ds.questions) == 500 and len(ds.corpus) == 411
    assert sum(q.answerable for q in ds.questions) == 242


def test_shared_multihop_with_bbc_distractors_loads_completely():
    ds = load_dataset("multihop", _shared("multihop_rag_500"), distractors=_shared("bbc_news_2225"))
    assert len(ds.questions) == 500 and sum(not q.answerable for q in ds.questions) == 71
    assert len(ds.corpus) == 326 + 2225 - 98  # the BBC set's exact duplicate pairs are stored once
    assert not any(q.missing for q in ds.questions)
