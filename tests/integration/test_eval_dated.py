"""`newsbot eval --dataset dated`: windowed questions cite only in-window articles and still find their gold."""

from __future__ import annotations

import json

from click.testing import CliRunner

from bot.cli import main
from tests.unit.evaluation.test_dated import multihop_dir  # noqa: F401  (the fixture)


def test_dated_eval_reports_in_window_citations(tmp_path, multihop_dir, monkeypatch):  # noqa: F811
    monkeypatch.setenv("NEWSBOT_THREADS", "1")
    distractors = tmp_path / "undated"
    distractors.mkdir()
    # Undated look-alikes: without the window, these would compete with the gold.
    (distractors / "1.txt").write_text("Ferry fare news\n\nThe ferry fare rose to 4 euros on Monday in another port.\n", encoding="utf-8")
    (distractors / "2.txt").write_text("Bridge news\n\nThe new bridge opened to cyclists at dawn, far away.\n", encoding="utf-8")
    out = tmp_path / "out"
    res = CliRunner().invoke(
        main,
        ["--data-dir", str(tmp_path / "data"), "eval", "--dataset", "dated", "--path", str(multihop_dir),
         "--distractors", str(distractors), "--compare", "answer", "--out", str(out)],
        catch_exceptions=False,
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "dated: answer: of 5 questions with a date window" in res.output
    assert "answers citing only in-window articles 100% (target 100%)" in res.output
    report = json.loads((out / "results.json").read_text(encoding="utf-8"))
    windows = report["configs"][0]["answers"]
    assert windows["windowed"] == 5 and windows["cites_in_window"] == 1.0
    per_question = {q["id"]: q for q in report["configs"][0]["per_question"]}
    # The look-alike undated distractor can't take the place of the dated gold sentence.
    assert per_question["2-month"]["cited_gold"] == 1 and per_question["2-week"]["cited_gold"] == 1
    assert windows["window_gold_found"] > 0
