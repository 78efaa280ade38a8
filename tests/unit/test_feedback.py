"""The feedback store: one vote per reader and answer, salted user hashes, stats, eval export, crash safety."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import pytest

from retrieval.errors import ConfigError, InputFileError, QuestionError
from retrieval.evaluation.datasets import load_jsonl
from retrieval.feedback import DB_NAME, SALT_NAME, FeedbackStore
from retrieval.types import Answer, Citation
from tests.helpers import REPO


def answer(question="How many people did Venezuela release?", text="88 were released [1].", source="Reuters",
           abstained=False, backend="extractive", article_id="a1") -> Answer:
    cites = () if abstained else (
        Citation(1, article_id, "Venezuela releases 88", source, "https://news.example.org/v", "2025-01-02T00:00:00Z",
                 3, "The ministry said that 88 more people have been released."),)
    return Answer(question, "The articles don't say." if abstained else text, abstained, backend, cites)


@pytest.fixture
def store(tmp_path) -> FeedbackStore:
    return FeedbackStore(tmp_path / "data")


def rows(store: FeedbackStore, sql: str) -> list[tuple]:
    with sqlite3.connect(store.path) as conn:
        return conn.execute(sql).fetchall()


def test_a_repeat_click_changes_the_vote_and_never_adds_one(store):
    a = answer()
    assert store.record("abc123", "discord:42", True, answer=a).outcome == "new"
    assert store.record("abc123", "discord:42", True, answer=a).outcome == "same"
    changed = store.record("abc123", "discord:42", False, note="the number\nis old", answer=a)
    assert changed.outcome == "changed" and changed.note == "the number is old"  # one line
    assert store.record("abc123", "discord:42", False, answer=a).note == "the number is old"  # kept on a repeat
    assert store.record("abc123", "discord:7", True, answer=a).outcome == "new"  # another reader: another vote
    assert rows(store, "SELECT COUNT(*) FROM votes") == [(2,)]
    stats = store.stats()
    assert (stats.answers, stats.good, stats.bad, stats.notes) == (1, 1, 1, 1)
    # Back to 👍: the note about what was wrong no longer applies.
    assert store.record("abc123", "discord:42", True, answer=a).note == ""
    assert store.stats().rate == 1.0


def test_readers_are_stored_as_salted_hashes_only(store, tmp_path):
    store.record("abc123", "discord:123456789012345678", False, note="wrong", answer=answer())
    raw = b"".join(p.read_bytes() for p in store.folder.iterdir() if p.name.startswith(DB_NAME))
    assert b"123456789012345678" not in raw and b"discord:" not in raw
    salt_file = store.folder / SALT_NAME
    assert oct(salt_file.stat().st_mode & 0o777) == "0o600" and len(salt_file.read_text().strip()) == 64
    # The same reader hashes the same across processes (a new store object) and differently in another data dir.
    assert FeedbackStore(store.folder).user_hash("discord:1") == store.user_hash("discord:1")
    assert FeedbackStore(tmp_path / "other").user_hash("discord:1") != store.user_hash("discord:1")


def test_two_processes_creating_the_salt_agree_on_one(tmp_path):
    stores = [FeedbackStore(tmp_path / "data") for _ in range(8)]
    hashes: list[str] = []
    threads = [threading.Thread(target=lambda s=s: hashes.append(s.user_hash("discord:1"))) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(hashes)) == 1
    assert [p.name for p in (tmp_path / "data").iterdir()] == [SALT_NAME]  # no temp file left behind


def test_an_answer_no_longer_in_memory_is_accepted_then_completed(store):
    vote = store.record("abc123", "discord:1", True, seen_text="88 were released [1].")
    assert vote.known is False
    assert rows(store, "SELECT answer, question, known FROM answers") == [("88 were released [1].", "", 0)]
    (rec,) = store.export()
    assert rec["review"].startswith("the bot no longer remembered") and rec["evidence"] == []
    # A reader whose click still reached the answer in memory fills in the rest.
    assert store.record("abc123", "discord:2", True, answer=answer()).known is True
    assert rows(store, "SELECT question, known FROM answers") == [("How many people did Venezuela release?", 1)]
    # ... and a later forgetful vote does not erase it.
    store.record("abc123", "discord:3", True, seen_text="other text")
    assert rows(store, "SELECT answer FROM answers") == [("88 were released [1].",)]


@pytest.mark.parametrize(
    ("answer_id", "user", "expected"),
    [("", "discord:1", "no valid answer id"), ("../etc", "discord:1", "no valid answer id"),
     ("x" * 65, "discord:1", "no valid answer id"), ("abc", "  ", "no user id")],
)
def test_bad_feedback_is_one_line_and_loses_nothing(store, answer_id, user, expected):
    store.record("keep01", "discord:1", True, answer=answer())
    with pytest.raises(QuestionError) as err:
        store.record(answer_id, user, True, answer=answer())
    assert expected in str(err.value) and "\n" not in str(err.value)
    assert rows(store, "SELECT answer_id FROM votes") == [("keep01",)]


def test_stats_by_day_backend_and_cited_source(store):
    store.record("a1", "u:1", True, answer=answer(source="Reuters"))
    store.record("a1", "u:2", False, answer=answer(source="Reuters"))
    store.record("a2", "u:1", True, answer=answer(source="BBC", backend="ollama"))
    store.record("a3", "u:1", True, answer=answer(abstained=True))
    s = store.stats()
    assert (s.answers, s.good, s.bad) == (3, 3, 1) and s.rate == 0.75
    assert [(r.key, r.good, r.bad) for r in s.by_backend] == [("extractive", 2, 1), ("ollama", 1, 0)]
    assert {r.key: (r.good, r.bad) for r in s.by_source} == {"Reuters": (1, 1), "BBC": (1, 0)}
    assert len(s.by_day) == 1 and (s.by_day[0].good, s.by_day[0].bad) == (3, 1)
    assert json.loads(json.dumps(s.to_json()))["by_source"][0]["rate"] == 0.5


def test_no_feedback_yet_reads_nothing_and_creates_nothing(store):
    assert store.stats().rate is None and store.export() == []
    assert not store.folder.exists()


def test_export_is_eval_jsonl_with_good_answers_as_gold_and_the_rest_for_review(store, tmp_path):
    store.record("good01", "u:1", True, answer=answer(), history=[("Who is in jail?", "Protesters [1].")])
    store.record("none01", "u:1", True, answer=answer(question="Who won the 2030 World Cup?", abstained=True))
    store.record("bad001", "u:1", False, note="that is last year's figure", answer=answer(article_id="a2"))
    records = {r["id"]: r for r in store.export()}
    good = records["fb-good01"]
    assert good["evidence"] == [{"doc": "a1", "text": "The ministry said that 88 more people have been released."}]
    assert good["history"] == [["Who is in jail?", "Protesters [1]."]] and good["kind"] == "followup"
    assert "review" not in good
    assert records["fb-none01"]["evidence"] == [] and records["fb-none01"]["kind"] == "unanswerable"
    bad = records["fb-bad001"]
    assert bad["review"] and bad["evidence"] == [] and bad["cited"][0]["article_id"] == "a2"
    assert bad["feedback"]["notes"] == ["that is last year's figure"]

    path = tmp_path / "fb.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records.values()), encoding="utf-8")
    ds = load_jsonl(path)
    assert [q.id for q in ds.questions] == ["fb-good01", "fb-none01"]
    assert ds.questions[0].history == (("Who is in jail?", "Protesters [1]."),)
    assert not ds.questions[1].answerable
    assert any("1 record(s) flagged for review skipped" in n for n in ds.notes)
    path.write_text(json.dumps(bad) + "\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="every record is flagged for review"):
        load_jsonl(path)


def test_a_damaged_store_or_salt_is_one_line_that_says_what_to_do(store):
    store.folder.mkdir(parents=True)
    (store.folder / DB_NAME).write_bytes(b"this is not a database" * 100)
    with pytest.raises(ConfigError, match="is damaged .*move it away"):
        store.stats()
    other = FeedbackStore(store.folder / "x")
    other.folder.mkdir()
    (other.folder / SALT_NAME).write_text("not hex")
    with pytest.raises(ConfigError, match="is not a feedback salt"):
        other.record("abc", "u:1", True, answer=answer())


WRITER = """
import sys
from retrieval.feedback import FeedbackStore
from retrieval.types import Answer
store = FeedbackStore(sys.argv[1])
i = 0
while True:
    text = f"answer {i} " + "long text " * 2000  # big rows: the kill lands inside a write more often
    store.record(f"id{i:06d}", f"u:{i}", i % 3 != 0, note=f"note {i}", answer=Answer(f"question {i}", text, False, "x"))
    i += 1
"""


def test_the_store_survives_a_sigkill_mid_write(tmp_path):
    data = tmp_path / "data"
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(data)], cwd=REPO)
    store = FeedbackStore(data)
    try:
        deadline = time.monotonic() + 60
        count = 0
        while count < 40 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
            if store.path.exists():
                with contextlib.suppress(sqlite3.OperationalError):  # the writer may hold it a moment
                    count = rows(store, "SELECT COUNT(*) FROM votes")[0][0]
        assert count >= 40, f"the writer stored only {count} votes (exit code {proc.poll()})"
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    assert rows(store, "PRAGMA integrity_check") == [("ok",)]
    stored = rows(store, "SELECT v.answer_id, v.good, v.note, a.question FROM votes v JOIN answers a USING (answer_id) "
                         "ORDER BY v.answer_id")
    assert len(stored) >= count
    for n, (answer_id, good, note, question) in enumerate(stored):  # every earlier row whole and in order
        assert (answer_id, good, note, question) == (f"id{n:06d}", int(n % 3 != 0), f"note {n}", f"question {n}")
    assert rows(store, "SELECT COUNT(*) FROM answers") == [(len(stored),)]  # no answer without its vote
    assert store.record("after1", "u:x", True, answer=answer()).outcome == "new"  # and it takes new votes



def test_feedback_turned_off_refuses_votes_in_one_line_and_stores_nothing(tmp_path):
    from retrieval.engine import Engine
    from retrieval.errors import ConfigError
    from retrieval.settings import Settings

    settings = Settings.from_mapping({"NEWSBOT_DATA_DIR": str(tmp_path), "NEWSBOT_FEEDBACK": "off"})
    assert settings.feedback is False
    engine = Engine(settings)
    with pytest.raises(ConfigError, match=r"NEWSBOT_FEEDBACK=on") as caught:
        engine.record_feedback("a1b2c3d4e5f6", "chat:me", True, seen_text="An answer.")
    assert "\n" not in str(caught.value)
    assert not (tmp_path / "feedback.sqlite3").exists() and not (tmp_path / "feedback.salt").exists()
