"""benchmarks/roles.py: what it refuses before doing any work."""

from __future__ import annotations

import subprocess
import sys

from tests.helpers import REPO


def test_a_data_dir_without_an_index_is_one_line_and_stays_empty(tmp_path):
    done = subprocess.run(
        [sys.executable, "benchmarks/roles.py", "--data-dir", str(tmp_path)],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"--data-dir: {tmp_path} holds no index; build one first with "
        f"`newsbot --data-dir {tmp_path} ingest seeds/ ../shared/datasets/bbc_news_2225/`"
    ]
    assert list(tmp_path.iterdir()) == []  # no index was built
