"""`newsbot ask --source --since --until`, dates in the question, `filters` in --json, --batch lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main

DATA = Path(__file__).resolve().parent.parent / "data" / "dated"


@pytest.fixture(scope="module")
def dated_dir(tmp_path_factory):
    from retrieval.engine import Engine
    from retrieval.settings import Settings

    data = tmp_path_factory.mktemp("cli-ask-filters")
    Engine.open(Settings(data_dir=data, threads=1)).ingest_paths([DATA])
    return data


def cli(data_dir, *args, input=None):
    return CliRunner().invoke(main, ["--data-dir", str(data_dir), *args], input=input)


def test_json_has_a_filters_object_always(dated_dir):
    res = cli(dated_dir, "ask", "--json", "When did the harbour museum reopen?")
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["filters"] == {"source": None, "since": None, "until": None, "window_from": None, "expression": "", "undated_skipped": 0}


def test_options_restrict_the_answer(dated_dir):
    res = cli(dated_dir, "ask", "--json", "--source", "capital times", "--since", "2025-03-01", "--until", "2025-03-31",
              "What did the Treasury say?")  # fmt: skip
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["filters"]["source"] == "Capital Times" and out["filters"]["window_from"] == "options"
    assert (out["filters"]["since"], out["filters"]["until"]) == ("2025-03-01T00:00:00Z", "2025-03-31T23:59:59Z")
    assert out["citations"] and all(c["source"] == "Capital Times" for c in out["citations"])


def test_dates_in_the_question_are_shown(dated_dir):
    res = cli(dated_dir, "ask", "What opened on 18 March 2025?")
    assert res.exit_code == 0, res.output
    assert 'only: 2025-03-18 .. 2025-03-18 ("on 18 March 2025")' in res.output
    assert "note: 1 undated article left out by the date window" in res.output
    assert "bridge" in res.output.split("\n")[0].lower()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--since", "nope"], "error: --since 'nope' is not understood; use a date (2025-03-01, 2025-03-01T14:00Z), a time ago (24h, 2d, 1w) or a word (today, yesterday, last week)"),
        (["--since", "2025-03-10", "--until", "2025-03-01"], "error: --until 2025-03-01 (2025-03-01) is before --since 2025-03-10 (2025-03-10)"),
        (["--source", "Harbor"], "error: unknown source 'Harbor'; closest known: \"Harbour News\""),
    ],
)
def test_bad_filters_are_one_line(dated_dir, args, expected):
    res = cli(dated_dir, "ask", *args, "What happened?")
    assert res.exit_code == 1
    assert res.output.count("\n") == 1 and res.output.startswith(expected)


def test_batch_lines_can_set_their_own_filters(dated_dir):
    lines = [
        {"id": 1, "question": "What did the operator say about the ferry fare?"},
        {"id": 2, "question": "What did the operator say about the ferry fare?", "source": "Harbour News"},
        {"id": 3, "question": "What happened?", "since": "later"},
    ]
    res = cli(dated_dir, "ask", "--batch", "-", "--source", "Coast Wire", input="".join(json.dumps(x) + "\n" for x in lines))
    assert res.exit_code == 1  # line 3 failed
    outs = [json.loads(line) for line in res.output.splitlines() if line.startswith("{")]
    assert outs[0]["filters"]["source"] == "Coast Wire" and outs[1]["filters"]["source"] == "Harbour News"
    assert "not understood" in outs[2]["error"]
