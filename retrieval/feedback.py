"""Readers' 👍 / 👎 on answers: `<data_dir>/feedback.sqlite3` (SQLite, WAL), stats, and eval JSONL export.

- `answers`: one row per answer that got feedback: question, history, answer text, citations,
  backend, front end. `known` is 0 when the front end no longer had the answer (a restart): only
  the text the reader saw is stored then, and a later vote that knows more fills it in.
- `votes`: one row per (answer, reader): a second click changes the vote, it never adds one. The
  reader is an HMAC-SHA256 of the front end's user id under a salt generated once and kept in
  `<data_dir>/feedback.salt` (mode 600); the raw id or name is never stored.

Every write is one transaction (`synchronous=FULL`), so a process killed mid-write leaves the
votes before it intact. The export is the project's eval JSONL (`newsbot eval --dataset jsonl`):
👍 answers' citations become gold evidence; anything else is kept with a `review` reason, which
the loader skips.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import re
import secrets
import sqlite3
from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

from retrieval.errors import ConfigError, QuestionError
from retrieval.types import Answer, FeedbackRate, FeedbackStats, FeedbackVote

DB_NAME = "feedback.sqlite3"
SALT_NAME = "feedback.salt"
MAX_NOTE = 300  # "what was wrong": one line
MAX_TEXT = 20_000  # an answer or question as stored; Discord answers are far shorter
_ANSWER_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    answer_id TEXT PRIMARY KEY,
    question TEXT NOT NULL DEFAULT '',
    history TEXT NOT NULL DEFAULT '[]',     -- JSON [[question, answer], ...]
    answer TEXT NOT NULL DEFAULT '',
    abstained INTEGER NOT NULL DEFAULT 0,
    citations TEXT NOT NULL DEFAULT '[]',   -- JSON [{n, article_id, title, source, url, quote, ...}]
    backend TEXT NOT NULL DEFAULT '',
    front_end TEXT NOT NULL DEFAULT '',
    known INTEGER NOT NULL,                 -- 0: the answer was no longer in memory, only its text is known
    recorded_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS votes (
    answer_id TEXT NOT NULL REFERENCES answers(answer_id),
    user_hash TEXT NOT NULL,
    good INTEGER NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    voted_at TEXT NOT NULL,
    PRIMARY KEY (answer_id, user_hash)
);
CREATE INDEX IF NOT EXISTS votes_time ON votes(voted_at);
"""


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_answer_id() -> str:
    """A fresh answer id (12 hex digits): what a front end puts in a button's custom_id."""
    return secrets.token_hex(6)


def _one_line(text: str, limit: int) -> str:
    """Whitespace (newlines included) collapsed, control characters dropped, cut to `limit`."""
    clean = "".join(ch for ch in str(text) if ch.isprintable() or ch.isspace())
    return " ".join(clean.split())[:limit]


class FeedbackStore:
    """The feedback database of one data dir; a connection per call, so any thread may use it."""

    def __init__(self, data_dir: Path | str, enabled: bool = True) -> None:
        self.enabled = enabled  # NEWSBOT_FEEDBACK=off: votes are refused, nothing is stored
        self.folder = Path(data_dir)
        self.path = self.folder / DB_NAME
        self.salt_path = self.folder / SALT_NAME
        self._salt: bytes | None = None

    # -- storage ----------------------------------------------------------------------------------

    @contextlib.contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise ConfigError(f"cannot open {self.path} ({exc}); check NEWSBOT_DATA_DIR points at a writable folder") from None
        try:
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")  # the bot writes while `feedback stats` reads
            conn.execute("PRAGMA synchronous=FULL")  # a vote acknowledged is a vote kept
            conn.executescript(_SCHEMA)
            yield conn
        except sqlite3.DatabaseError as exc:
            raise ConfigError(
                f"the feedback store {self.path} is damaged ({exc}); move it away to start a new one"
            ) from None
        finally:
            conn.close()

    def salt(self) -> bytes:
        """The per-data-dir secret for user hashes: made once (atomically, even with two processes racing)."""
        if self._salt is None:
            if not self.salt_path.exists():
                self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
                tmp = self.folder / f".{SALT_NAME}.{os.getpid()}.{secrets.token_hex(4)}"
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                try:
                    os.write(fd, secrets.token_hex(32).encode("ascii"))
                    os.fsync(fd)
                finally:
                    os.close(fd)
                with contextlib.suppress(FileExistsError):
                    os.link(tmp, self.salt_path)  # publish only a complete file; the first process wins
                tmp.unlink()
            try:
                text = self.salt_path.read_text(encoding="ascii").strip()
                salt = bytes.fromhex(text)
            except (OSError, ValueError):
                salt = b""
            if len(salt) < 16:
                raise ConfigError(
                    f"{self.salt_path} is not a feedback salt (64 hex digits); restore it from a backup, or delete "
                    "it to make a new one (earlier votes then no longer count as the same readers')"
                )
            self._salt = salt
        return self._salt

    def user_hash(self, user: str) -> str:
        """The stored stand-in for a reader: HMAC-SHA256(salt, "front-end:id"), 32 hex digits."""
        return hmac.new(self.salt(), user.encode("utf-8"), hashlib.sha256).hexdigest()[:32]

    # -- writing ----------------------------------------------------------------------------------

    def record(
        self,
        answer_id: str,
        user: str,
        good: bool,
        *,
        note: str = "",
        answer: Answer | None = None,
        history: Sequence[tuple[str, str]] = (),
        seen_text: str = "",
        front_end: str = "",
    ) -> FeedbackVote:
        """Store one reader's vote on one answer (a repeat replaces it); `answer` None = only `seen_text` is known."""
        if not self.enabled:
            raise ConfigError("readers' feedback is turned off (NEWSBOT_FEEDBACK=off); set NEWSBOT_FEEDBACK=on to store votes")
        answer_id = str(answer_id or "").strip()
        if not _ANSWER_ID.fullmatch(answer_id):
            raise QuestionError("that feedback names no valid answer id (letters, digits, - or _); ask again and vote on the new answer")
        if not str(user or "").strip():
            raise QuestionError("feedback needs to know who gives it; this front end passed no user id")
        who = self.user_hash(str(user))
        note = _one_line(note, MAX_NOTE)
        now = _now()
        row = self._answer_row(answer_id, answer, history, seen_text, front_end, now)
        with self.connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.execute(
                    """INSERT INTO answers (answer_id, question, history, answer, abstained, citations, backend,
                                            front_end, known, recorded_at)
                       VALUES (:answer_id, :question, :history, :answer, :abstained, :citations, :backend,
                               :front_end, :known, :recorded_at)
                       ON CONFLICT(answer_id) DO UPDATE SET
                           question=excluded.question, history=excluded.history, answer=excluded.answer,
                           abstained=excluded.abstained, citations=excluded.citations, backend=excluded.backend,
                           front_end=excluded.front_end, known=1
                       WHERE answers.known = 0 AND excluded.known = 1""",
                    row,
                )
                before = conn.execute(
                    "SELECT good, note FROM votes WHERE answer_id = ? AND user_hash = ?", (answer_id, who)
                ).fetchone()
                if before is None:
                    outcome = "new"
                else:
                    outcome = "same" if bool(before["good"]) == good else "changed"
                    if not note and outcome == "same":
                        note = before["note"]  # clicking 👎 again without a note keeps the one given
                conn.execute(
                    """INSERT INTO votes (answer_id, user_hash, good, note, voted_at) VALUES (?, ?, ?, ?, ?)
                       ON CONFLICT(answer_id, user_hash) DO UPDATE SET
                           good=excluded.good, note=excluded.note, voted_at=excluded.voted_at""",
                    (answer_id, who, int(good), note, now),
                )
                known = bool(conn.execute("SELECT known FROM answers WHERE answer_id = ?", (answer_id,)).fetchone()[0])
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return FeedbackVote(answer_id=answer_id, good=good, outcome=outcome, known=known, note=note)

    @staticmethod
    def _answer_row(answer_id, answer, history, seen_text, front_end, now) -> dict:
        if answer is None:
            return {"answer_id": answer_id, "question": "", "history": "[]", "answer": _one_line(seen_text, MAX_TEXT),
                    "abstained": 0, "citations": "[]", "backend": "", "front_end": front_end, "known": 0,
                    "recorded_at": now}
        citations = [
            {"n": c.n, "article_id": c.article_id, "title": c.title, "source": c.source, "url": c.url,
             "published_at": c.published_at, "sentence_index": c.sentence_index, "quote": c.quote}
            for c in answer.citations
        ]
        pairs = [[str(q)[:MAX_TEXT], str(a)[:MAX_TEXT]] for q, a in history]
        return {"answer_id": answer_id, "question": answer.question[:MAX_TEXT], "history": json.dumps(pairs),
                "answer": answer.answer[:MAX_TEXT], "abstained": int(answer.abstained),
                "citations": json.dumps(citations, ensure_ascii=False), "backend": answer.backend,
                "front_end": front_end, "known": 1, "recorded_at": now}

    # -- reading ----------------------------------------------------------------------------------

    def _answers(self) -> list[dict]:
        """Every answer with feedback and its vote counts and notes, oldest first."""
        if not self.path.exists():
            return []
        with self.connect() as conn:
            answers = {r["answer_id"]: dict(r, good=0, bad=0, notes=[], days=[])
                       for r in conn.execute("SELECT * FROM answers ORDER BY rowid")}
            for v in conn.execute("SELECT answer_id, good, note, voted_at FROM votes ORDER BY voted_at"):
                a = answers.get(v["answer_id"])
                if a is None:
                    continue
                a["good" if v["good"] else "bad"] += 1
                a["days"].append((v["voted_at"][:10], bool(v["good"])))
                if v["note"]:
                    a["notes"].append(v["note"])
        for a in answers.values():
            a["history"] = json.loads(a["history"] or "[]")
            a["citations"] = json.loads(a["citations"] or "[]")
        return list(answers.values())

    def stats(self) -> FeedbackStats:
        """Votes and the 👍 rate overall, by day (of the vote), by answer backend and by cited source."""
        answers = self._answers()
        by_day: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        by_backend: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        by_source: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for a in answers:
            for day, good in a["days"]:
                by_day[day][0 if good else 1] += 1
            by_backend[a["backend"] or "unknown"][0] += a["good"]
            by_backend[a["backend"] or "unknown"][1] += a["bad"]
            for source in dict.fromkeys(c.get("source") or "unknown" for c in a["citations"]):
                by_source[source][0] += a["good"]
                by_source[source][1] += a["bad"]

        def rates(table: dict[str, list[int]], order=None) -> tuple[FeedbackRate, ...]:
            keys = sorted(table, key=order) if order else sorted(table)
            return tuple(FeedbackRate(k, *table[k]) for k in keys)

        return FeedbackStats(
            answers=len(answers),
            good=sum(a["good"] for a in answers),
            bad=sum(a["bad"] for a in answers),
            notes=sum(len(a["notes"]) for a in answers),
            unknown_answers=sum(1 for a in answers if not a["known"]),
            by_day=rates(by_day),
            by_backend=rates(by_backend, lambda k: (-sum(by_backend[k]), k)),
            by_source=rates(by_source, lambda k: (-sum(by_source[k]), k)),
        )

    def export(self) -> list[dict]:
        """Eval JSONL records, one per answer with votes: 👍 ones with gold evidence, the rest flagged `review`."""
        return [_record(a) for a in self._answers() if a["good"] or a["bad"]]


def _record(a: dict) -> dict:
    """One answer as a `newsbot eval --dataset jsonl` question (see `retrieval/evaluation/datasets.py`)."""
    rec: dict = {"id": f"fb-{a['answer_id']}", "question": a["question"], "history": a["history"], "answer": a["answer"]}
    citations = a["citations"]
    evidence = [{"doc": c["article_id"], "text": c["quote"]} for c in citations if c.get("article_id") and c.get("quote")]
    if not a["known"] or not a["question"]:
        review = "the bot no longer remembered this answer's question when it was rated: only its text is known"
    elif a["bad"] >= a["good"]:
        review = f"readers rated the answer {a['good']} 👍 / {a['bad']} 👎: find the sentence that answers, or confirm none does"
    elif a["abstained"]:
        review = ""  # readers agree the articles don't say: an unanswerable question (no evidence)
        evidence = []
    elif not evidence:
        review = "rated 👍 but the answer cites no sentence to use as evidence"
    else:
        review = ""
    if a["abstained"] and not review:
        rec["kind"] = "unanswerable"
    else:
        rec["kind"] = "followup" if a["history"] else "single"
    rec["evidence"] = evidence
    if review:
        rec["review"] = review
        rec["evidence"] = []
        rec["cited"] = [{k: c.get(k, "") for k in ("n", "article_id", "title", "source", "url", "quote")}
                        for c in citations]
    rec["feedback"] = {"good": a["good"], "bad": a["bad"], "notes": a["notes"], "backend": a["backend"],
                       "front_end": a["front_end"], "rated_at": a["days"][-1][0] if a["days"] else ""}
    return rec
