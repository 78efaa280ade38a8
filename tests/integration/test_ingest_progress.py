"""The ingest progress bar knows its total for any path spelling (`../news`, `./seeds`) and counts JSONL lines."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

from retrieval.sources.ingest import count_inputs
from tests.helpers import REPO


def _corpus(root):
    """Three text articles, a JSONL file of two, a hidden file and a README (skipped, but counted as read)."""
    corpus = root / "news"
    (corpus / "sub").mkdir(parents=True)
    for i in range(3):
        (corpus / "sub" / f"{i}.txt").write_text(
            f"Council story {i}\n\nThe council met on day {i} to vote on the budget. It passed by {i + 3} votes.",
            encoding="utf-8")
    records = [{"title": f"Harbour story {i}", "text": f"The ferry ran {i} hours late on Tuesday. Passengers waited."}
               for i in range(2)]
    (corpus / "feed.jsonl").write_text("\n".join(json.dumps(r) for r in records) + "\n\n", encoding="utf-8")
    (corpus / ".hidden.txt").write_text("Never read. Not counted.", encoding="utf-8")
    (corpus / "README.txt").write_text("About this folder.", encoding="utf-8")
    return corpus


def test_count_inputs_counts_files_and_jsonl_lines_whatever_the_path_spelling(tmp_path, monkeypatch):
    _corpus(tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    assert count_inputs(["../news"], 2**20) == 6  # 3 txt + 2 JSONL lines + README; the hidden file is not read
    assert count_inputs(["./../news/sub"], 2**20) == 3
    assert count_inputs(["../news/feed.jsonl", "../news/missing"], 2**20) == 2
    assert count_inputs(["../news/feed.jsonl"], 10) == 1  # too large to read: one skipped item


def test_ingest_bar_through_the_cli_shows_the_total_for_a_dotdot_path(tmp_path):
    _corpus(tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    env = {**os.environ, "NEWSBOT_DATA_DIR": str(tmp_path / "data"), "NEWSBOT_THREADS": "1",
           "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.run([sys.executable, "-m", "bot", "ingest", "--progress", "../news"], cwd=work, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "5 added" in proc.stdout
    frames = re.findall(r"(\d+)/(\d+) \[", proc.stderr.replace("\r", "\n"))
    assert frames, f"no 'n/total' in the progress bar: {proc.stderr[-500:]!r}"
    assert {total for _, total in frames} == {"6"}
    assert frames[-1] == ("6", "6")
    assert re.search(r"article/s", proc.stderr)  # a rate, not '?it/s'
