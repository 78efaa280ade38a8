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
