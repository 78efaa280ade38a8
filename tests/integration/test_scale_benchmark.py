"""benchmarks/scale.py runs end to end at a tiny size and keeps the output scripts read."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

from tests.helpers import DATASETS, REPO


def test_scale_benchmark_runs_at_a_tiny_size(tmp_path):
    corpus = tmp_path / "bbc"
    for folder in ("business", "tech"):  # a few BBC articles are enough to recombine
        (corpus / folder).mkdir(parents=True)
        for f in sorted((DATASETS / "bbc_news_2225" / folder).glob("*.txt"))[:8]:
            shutil.copy(f, corpus / folder / f.name)
    done = subprocess.run(
        [sys.executable, "benchmarks/scale.py", "--sizes", "30,15", "--questions", "4", "--corpus", str(corpus),
         "--data-dir", str(tmp_path / "data")],
        cwd=REPO, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert "STAND-IN" in done.stdout  # the embedder is labelled as what it is
    assert any(line.startswith("| 15 |") for line in lines) and any(line.startswith("| 30 |") for line in lines)
    assert re.fullmatch(r"first question after adding 1 article: \d+\.\d\d s", lines[-2])
    assert re.fullmatch(r"p50 growth 30/15: \d+\.\d\d", lines[-1])
    assert not (tmp_path / "data" / "scale-30").exists()  # indexes are removed unless --keep


def test_scale_benchmark_refuses_bad_sizes_in_one_line():
    done = subprocess.run([sys.executable, "benchmarks/scale.py", "--sizes", "2k"], cwd=REPO, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode != 0
    assert done.stderr.strip().splitlines() == ["error: --sizes takes whole numbers separated by commas, not '2k'"]
