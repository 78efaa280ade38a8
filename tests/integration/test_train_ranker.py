"""benchmarks/train_ranker.py: what it refuses before doing any work."""

from __future__ import annotations

import subprocess
import sys

from tests.helpers import REPO


def test_a_missing_train_questions_file_is_one_line_before_any_work(tmp_path):
    done = subprocess.run(
        [sys.executable, "benchmarks/train_ranker.py", "--no-write", "--data-dir", str(tmp_path),
         "--train-questions", str(tmp_path / "nope.jsonl")],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode != 0
    assert done.stderr.strip().splitlines() == [
        f"--train-questions: {tmp_path / 'nope.jsonl'} is not a file; give a JSONL file in the dev set's format"
    ]
    assert list(tmp_path.iterdir()) == []  # no index was opened or built


def test_the_threshold_answers_exactly_the_floor_share_of_the_fitted_answerables():
    # 100 answerables scored 0.01 .. 1.00: answering >= 92% of them allows declining the 8 lowest, so the
    # threshold is the 9th lowest score (0.09). 100 * (1 - 0.92) is 7.999... in floating point; truncating it
    # took the 8th (0.08) and answered 93%.
    import importlib.util

    import numpy as np

    spec = importlib.util.spec_from_file_location("train_ranker", REPO / "benchmarks" / "train_ranker.py")
    train_ranker = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(train_ranker)
    recs = [
        {"id": f"q{i}", "set": "bbc", "answerable": True, "kind": "single", "rows": np.arange(1),
         "y": np.ones(1, dtype=bool), "score": np.asarray([i / 100])}
        for i in range(1, 101)
    ]
    threshold, _ = train_ranker.choose(lambda r: r["score"], recs)
    assert threshold == 0.09
    answered = sum(r["score"].max() >= threshold for r in recs)
    assert answered == 92
