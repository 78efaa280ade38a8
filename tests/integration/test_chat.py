"""`newsbot chat`: piped stdin end to end, a pseudo-terminal session, the session logic and rendering."""

from __future__ import annotations

import io
import os
import pty
import re
import select
import subprocess
import sys
import time

from bot.cli.chat import ChatSession
from bot.terminal import StreamWriter, TerminalStyle, hyperlink, render_note, render_sources
from retrieval.answering.citations import make_citation
from retrieval.types import Answer, ArticleInfo, Hit, Sentence
from tests.helpers import REPO, SEED_QUESTION, run_newsbot

ANSI = re.compile(r"\x1b[\[\]]")


def test_piped_chat_answers_follow_ups_and_commands(tmp_path):
    script = "\n".join(
        [SEED_QUESTION, "/sources", "And how many remain in jail?", "", "/reset", "/help", "/bogus", "/quit", "Never asked?"]
    )
    res = run_newsbot("chat", data_dir=tmp_path / "data", input=script + "\n")
    assert res.returncode == 0, res.stderr
    out = res.stdout
    assert not ANSI.search(out) and "you>" not in out  # piped: no colours, no prompt noise
    assert "88" in out
    # /sources shows whole quotes (the list under an answer shortens long ones).
    assert "post-election protests.”" in " ".join(out.split())
    assert "Conversation cleared." in out and "/sources" in out  # /reset, /help
    assert "unknown command /bogus" in res.stderr
    assert "Traceback" not in res.stderr


def test_piped_chat_reports_bad_lines_and_goes_on(tmp_path):
    script = "x" * 1200 + "\n" + "bad\x01control\n" + SEED_QUESTION + "\n"
    res = run_newsbot("chat", data_dir=tmp_path / "data", input=script)
    assert res.returncode == 0
    errors = [ln for ln in res.stderr.splitlines() if ln.startswith("error:")]
    assert len(errors) == 2 and "limit is 1000" in errors[0] and "non-text" in errors[1]
    assert "88" in res.stdout


def test_chat_in_a_pseudo_terminal_shows_prompt_and_colours(tmp_path):
    master, slave = pty.openpty()
    env = {**os.environ, "NEWSBOT_DATA_DIR": str(tmp_path / "data"), "NEWSBOT_THREADS": "1", "COLUMNS": "72"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "chat"], stdin=slave, stdout=slave, stderr=slave, cwd=REPO, env=env
    )
    os.close(slave)
    seen = b""

    def read_until(marker: bytes, timeout: float = 90) -> None:
        nonlocal seen
        deadline = time.monotonic() + timeout
        while marker not in seen and time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    seen += os.read(master, 4096)
                except OSError:
                    break
        assert marker in seen, seen[-500:]

    try:
        read_until(b"you> ")
        os.write(master, (SEED_QUESTION + "\r").encode())
        read_until(b"88")
        read_until(b"you> ")
        os.write(master, b"/quit\r")
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    text = seen.decode("utf-8", "replace")
    assert "/help for commands" in text
    assert "\x1b[" in text  # colours on a terminal
    assert proc.returncode == 0


# -- session logic, in process ------------------------------------------------------------------


def session(engine, interactive=False):
    out, err = io.StringIO(), io.StringIO()
    return ChatSession(engine, out, err, TerminalStyle(width=60), interactive), out, err


def test_session_keeps_history_and_reset_clears_it(seed_engine):
    s, out, _ = session(seed_engine)
    assert s.handle(SEED_QUESTION)
    assert s.history and s.history[0][0] == SEED_QUESTION
    assert s.handle("and how many remain in jail?")
    assert len(s.history) == 2 and s.last.standalone_question != "and how many remain in jail?"
    s.handle("/reset")
    assert s.history == [] and s.last is None
    assert s.handle("/quit") is False and s.handle("/exit") is False
    lines = out.getvalue().splitlines()
    assert all(len(line) <= 60 or "://" in line for line in lines)  # wrapped to the width


def test_run_stops_at_end_of_input(seed_engine):
    s, out, _ = session(seed_engine)
    lines = iter([SEED_QUESTION])

    def read(prompt):
        try:
            return next(lines)
        except StopIteration:
            raise EOFError from None

    s.run(read)
    assert "88" in out.getvalue()


# -- rendering -----------------------------------------------------------------------------------


ARTICLE = ArticleInfo(id="a1", title="Venezuela frees 88", source="Example News", url="https://example.com/v", published_at="2024-12-27T00:00:00Z")
HIT = Hit(Sentence("a1", 0, 0, 40, "The government released 88 more people."), ARTICLE, 1.0)
ANSWER = Answer("q", "Venezuela released 88 more people [1]. " * 6, False, "extractive", (make_citation(1, HIT),), note="a note")


def test_piped_rendering_has_plain_links_with_text_fragment():
    style = TerminalStyle(color=False, links=False, width=50)
    text = render_sources(ANSWER, style) + "\n" + render_note(ANSWER, style)
    assert not ANSI.search(text)
    assert "https://example.com/v#:~:text=The%20government%20released%2088%20more%20people." in text
    assert "Venezuela frees 88 — Example News, 2024-12-27" in text
    assert "note: a note" in text
    assert all(len(line) <= 50 for line in text.splitlines() if "://" not in line)


def test_terminal_rendering_uses_osc8_hyperlinks_and_colours():
    style = TerminalStyle(color=True, links=True, width=80)
    link = "https://example.com/v#:~:text=x"
    assert hyperlink(link, "https://example.com/v", style) == f"\x1b]8;;{link}\x1b\\https://example.com/v\x1b]8;;\x1b\\"
    text = render_sources(ANSWER, style)
    assert "\x1b]8;;https://example.com/v#:~:text=" in text and "\x1b[" in text


def test_stream_writer_wraps_at_word_boundaries():
    buf = io.StringIO()
    w = StreamWriter(buf, TerminalStyle(width=30))
    for piece in ["Venezuela released 88", " more people in connection", " with protests [1].", " More than 900 remain [2]."]:
        w.write(piece)
    w.finish()
    lines = buf.getvalue().splitlines()
    assert all(len(line) <= 30 for line in lines)
    assert " ".join(lines) == "Venezuela released 88 more people in connection with protests [1]. More than 900 remain [2]."
