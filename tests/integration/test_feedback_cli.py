"""Feedback through the real `newsbot` command: /good and /bad in chat, `feedback stats|export`, eval on the export."""

from __future__ import annotations

import json
import sqlite3

from tests.helpers import SEED_QUESTION, run_newsbot

FOLLOW_UP = "And how many political prisoners remain in jails?"
OFF_TOPIC = "Who won the 2030 football world cup final?"


def test_chat_votes_stats_export_and_eval_on_the_export(tmp_path):
    data = tmp_path / "data"
    script = "\n".join([
        "/good",  # nothing to rate yet
        SEED_QUESTION, "/good", "/good", "/good but why",  # a repeat is one vote; /good takes no note
        FOLLOW_UP, "/bad", "/bad the number is from last year",  # a follow-up, its history stored with it
        OFF_TOPIC, "/bad", "/good",  # changed its mind: one 👍, no 👎
    ])
    chat = run_newsbot("chat", data_dir=data, input=script + "\n")
    assert chat.returncode == 0, chat.stderr
    out = chat.stdout
    assert out.count("Thanks: recorded 👍") == 1 and "Already recorded 👍; still one vote" in out
    assert "Thanks: recorded 👎 for the last answer." in out and "Already recorded 👎; still one vote with your note." in out
    assert "Changed your vote to 👍." in out
    errors = [ln for ln in chat.stderr.splitlines() if ln.startswith("error:")]
    assert errors == ["error: no answer to rate yet: ask a question first",
                      "error: /good takes no note; /bad NOTE says what was wrong"]

    with sqlite3.connect(data / "feedback.sqlite3") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        votes = conn.execute("SELECT a.question, a.history, v.good, v.note FROM votes v JOIN answers a USING (answer_id) "
                             "ORDER BY a.recorded_at, a.rowid").fetchall()
    assert [(q, g, n) for q, _, g, n in votes] == [
        (SEED_QUESTION, 1, ""), (FOLLOW_UP, 0, "the number is from last year"), (OFF_TOPIC, 1, "")]
    assert json.loads(votes[1][1])[0][0] == SEED_QUESTION  # the follow-up's conversation

    stats = run_newsbot("feedback", "stats", data_dir=data)
    assert stats.returncode == 0, stats.stderr
    assert "3 votes on 3 answers: 67% 👍 (2 👍, 1 👎), 1 note on what was wrong" in stats.stdout
    assert "by day:" in stats.stdout and "by backend:" in stats.stdout and "by cited source:" in stats.stdout
    figures = json.loads(run_newsbot("feedback", "stats", "--json", data_dir=data).stdout)
    assert figures["good"] == 2 and figures["bad"] == 1 and figures["by_backend"][0]["key"] == "extractive"

    export = tmp_path / "out" / "feedback.jsonl"
    res = run_newsbot("feedback", "export", "--format", "jsonl", "-o", str(export), data_dir=data)
    assert res.returncode == 0, res.stderr
    assert "2 questions with gold evidence, 1 flagged for review" in res.stdout
    records = [json.loads(line) for line in export.read_text(encoding="utf-8").splitlines()]
    good, bad, none = records
    assert good["question"] == SEED_QUESTION and "88" in good["evidence"][0]["text"]
    assert bad["review"] and bad["feedback"]["notes"] == ["the number is from last year"]
    assert none["kind"] == "unanswerable" and none["evidence"] == []
    piped = run_newsbot("feedback", "export", data_dir=data)  # standard output by default
    assert [json.loads(line) for line in piped.stdout.splitlines()] == records

    evaluated = run_newsbot("eval", "--dataset", "jsonl", "--path", str(export), "--compare", "hybrid,answer",
                            data_dir=data)
    assert evaluated.returncode == 0, evaluated.stderr
    assert "1 record(s) flagged for review skipped" in evaluated.stdout
    assert "| hybrid |" in evaluated.stdout and "| answer |" in evaluated.stdout


def test_feedback_commands_on_a_fresh_data_dir_and_bad_output(tmp_path):
    data = tmp_path / "data"
    res = run_newsbot("feedback", "stats", data_dir=data)
    assert res.returncode == 0 and "No feedback yet" in res.stdout
    assert not (data / "feedback.sqlite3").exists()
    blocked = tmp_path / "file"
    blocked.write_text("x")
    res = run_newsbot("feedback", "export", "-o", str(blocked / "fb.jsonl"), data_dir=data)
    assert res.returncode == 1 and res.stderr.startswith("error: cannot write") and "Traceback" not in res.stderr
    res = run_newsbot("feedback", "export", "--format", "csv", data_dir=data)
    assert res.returncode == 2 and "'csv' is not 'jsonl'" in res.stderr


def test_chat_with_feedback_turned_off_says_so_in_one_line_and_stores_nothing(tmp_path):
    data = tmp_path / "data"
    chat = run_newsbot("chat", data_dir=data, input="\n".join([SEED_QUESTION, "/good", "/bad wrong"]) + "\n",
                       env={"NEWSBOT_FEEDBACK": "off"})
    assert chat.returncode == 0, chat.stderr
    assert "88" in chat.stdout and "Thanks" not in chat.stdout
    errors = [ln for ln in chat.stderr.splitlines() if ln.startswith("error:")]
    assert errors == ["error: readers' feedback is turned off (NEWSBOT_FEEDBACK=off); set NEWSBOT_FEEDBACK=on to rate answers"] * 2
    assert not (data / "feedback.sqlite3").exists()
