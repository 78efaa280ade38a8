"""Terminal chat: follow-up questions with history, and a few slash commands.

On a terminal it shows a prompt, colours and clickable links; piped (`echo q | newsbot chat`) it
prints only answers and sources, so its output can be read by a script.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable
from typing import TextIO

from bot.terminal import StreamWriter, TerminalStyle, render_filters, render_note, render_sources
from retrieval.engine import Engine
from retrieval.errors import NewsbotError
from retrieval.types import Answer

MAX_TURNS = 10  # history kept for follow-ups; older turns rarely matter

HELP = """\
Ask a question in plain words; follow-ups ("and how many remain?") use the conversation so far.
  /sources   full quotes and links of the last answer's sources
  /since D   only articles published since D (2025-03-01, 24h, 2d, 1w, yesterday, last week); /since alone: any date
  /until D   only articles published until D; /until alone: no end
  /source S  only articles from source S; /source alone: every source
  /good      the last answer was right; /bad [what was wrong]: it was not (stored to improve newsbot)
  /reset     forget the conversation (start a new topic; the filters stay)
  /help      this help
  /quit      leave (Ctrl-D works too)"""


class ChatSession:
    """One conversation: reads lines, answers questions through the engine, runs slash commands."""

    def __init__(self, engine: Engine, out: TextIO, err: TextIO, style: TerminalStyle, interactive: bool) -> None:
        self.engine = engine
        self.out = out
        self.err = err
        self.style = style
        self.interactive = interactive
        self.history: list[tuple[str, str]] = []
        self.last: Answer | None = None
        self.last_id = ""  # names the last answer in /good and /bad
        self.last_history: tuple[tuple[str, str], ...] = ()  # the conversation it answered
        self.errors = 0
        # The conversation's filters, as typed ("2d" stays relative: it is read again at each question).
        self.since: str | None = None
        self.until: str | None = None
        self.source: str | None = None

    def filters_label(self) -> str:
        """'Reuters · since 2d · until 2025-03-31' for the prompt; '' when nothing is set."""
        parts = [self.source or "", f"since {self.since}" if self.since else "", f"until {self.until}" if self.until else ""]
        return " · ".join(p for p in parts if p)

    def prompt(self) -> str:
        if not self.interactive:
            return ""
        label = self.filters_label()
        return self.style.s(f"you [{label}]> " if label else "you> ", fg="green", bold=True)

    def _print(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def _error(self, message: str) -> None:
        self.errors += 1
        self.err.write(self.style.s("error: ", fg="red", bold=True) + message + "\n")
        self.err.flush()

    def handle(self, line: str) -> bool:
        """Handle one input line; False when the user asked to quit."""
        text = line.strip()
        if not text:
            return True  # an empty line at the prompt is not a question: just ask again
        if text.startswith("/"):
            return self.command(text)
        self.ask(line)
        return True

    def command(self, text: str) -> bool:
        name = text.split()[0].lower()
        if name in ("/quit", "/exit", "/q"):
            return False
        if name == "/help":
            self._print(HELP)
        elif name == "/reset":
            self.history.clear()
            self.last = None
            self._print(self.style.s("Conversation cleared.", dim=True))
        elif name == "/sources":
            if self.last is None or not self.last.citations:
                self._print("No sources yet: the last answer cited none." if self.last else "Ask a question first.")
            else:
                self._print(render_sources(self.last, self.style, full_quotes=True))
        elif name in ("/good", "/bad"):
            self.rate(name == "/good", text[len(name) :].strip())
        elif name in ("/since", "/until", "/source"):
            self.set_filter(name[1:], text[len(name) :].strip())
        else:
            self._error(f"unknown command {name}; /help lists the commands")
        return True

    def set_filter(self, which: str, value: str) -> None:
        """`/since 2d`, `/until 2025-03-31`, `/source Reuters`; no value clears that filter."""
        value = value or None
        try:
            if which == "source":
                value = self.engine.check_source(value) if value else None
            else:
                since = value if which == "since" else self.since
                until = value if which == "until" else self.until
                self.engine.check_window(since, until)
        except NewsbotError as exc:
            self._error(str(exc))
            return
        setattr(self, which, value)
        label = self.filters_label()
        self._print(self.style.s(f"Filters: {label}." if label else "Filters: none (every source, any date).", dim=True))

    def rate(self, good: bool, note: str) -> None:
        """`/good` or `/bad [what was wrong]` on the last answer; a second one changes the vote."""
        if not self.engine.settings.feedback:
            self._error("readers' feedback is turned off (NEWSBOT_FEEDBACK=off); set NEWSBOT_FEEDBACK=on to rate answers")
            return
        if self.last is None:
            self._error("no answer to rate yet: ask a question first")
            return
        if good and note:
            self._error("/good takes no note; /bad NOTE says what was wrong")
            return
        try:
            vote = self.engine.record_feedback(self.last_id, chat_user(), good, note=note, answer=self.last,
                                               history=self.last_history, front_end="chat")
        except NewsbotError as exc:
            self._error(str(exc))
            return
        mark = "👍" if good else "👎"
        said = {"new": f"Thanks: recorded {mark} for the last answer", "changed": f"Changed your vote to {mark}",
                "same": f"Already recorded {mark}; still one vote"}[vote.outcome]
        self._print(self.style.s(said + (" with your note." if vote.note and not good else "."), dim=True))

    def ask(self, question: str) -> None:
        writer = StreamWriter(self.out, self.style)
        answer: Answer | None = None
        try:
            pieces = self.engine.stream(
                question,
                tuple(self.history),
                source=self.source,
                since=self.since,
                until=self.until,
                window_from="chat",
            )
            for item in pieces:
                if isinstance(item, Answer):
                    answer = item
                else:
                    writer.write(item)
        except NewsbotError as exc:  # a bad question, or the index gone: say so, keep chatting
            writer.finish()
            self._error(str(exc))
            return
        writer.finish()
        if answer is None:  # the chain always ends with an Answer; guard against a broken backend
            self._error("no answer was produced; try again")
            return
        for extra in (render_filters(answer, self.style) if answer.filters and answer.filters.window_from == "question" else "",
                      render_note(answer, self.style)):
            if extra:
                self._print(extra)
        if answer.citations:
            self._print()
            self._print(render_sources(answer, self.style, full_quotes=False))
        self._print()
        self.last = answer
        self.last_id = self.engine.new_answer_id()
        self.last_history = tuple(self.history)
        self.history.append((question.strip(), answer.answer))
        del self.history[:-MAX_TURNS]

    def run(self, read_line: Callable[[str], str]) -> None:
        """Loop until /quit or end of input. `read_line(prompt)` raises EOFError at the end."""
        while True:
            try:
                line = read_line(self.prompt())
            except EOFError:
                if self.interactive:
                    self._print()
                return
            except KeyboardInterrupt:  # Ctrl-C at the prompt leaves, like a shell's Ctrl-D
                self._print()
                return
            try:
                if not self.handle(line):
                    return
            except KeyboardInterrupt:  # Ctrl-C during an answer cancels that answer only
                self._print(self.style.s("(interrupted)", dim=True))


def chat_user() -> str:
    """Who rates in the terminal: the login name (stored only as a salted hash)."""
    try:
        return "cli:" + getpass.getuser()
    except (OSError, KeyError):  # no login name in a bare container
        return "cli:local"
