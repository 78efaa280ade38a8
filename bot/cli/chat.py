"""Terminal chat: follow-up questions with history, and a few slash commands.

On a terminal it shows a prompt, colours and clickable links; piped (`echo q | newsbot chat`) it
prints only answers and sources, so its output can be read by a script.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TextIO

from bot.terminal import StreamWriter, TerminalStyle, render_note, render_sources
from retrieval.errors import NewsbotError
from retrieval.types import Answer

MAX_TURNS = 10  # history kept for follow-ups; older turns rarely matter

HELP = """\
Ask a question in plain words; follow-ups ("and how many remain?") use the conversation so far.
  /sources   full quotes and links of the last answer's sources
  /reset     forget the conversation (start a new topic)
  /help      this help
  /quit      leave (Ctrl-D works too)"""


class ChatSession:
    """One conversation: reads lines, answers questions through the engine, runs slash commands."""

    def __init__(self, engine, out: TextIO, err: TextIO, style: TerminalStyle, interactive: bool) -> None:
        self.engine = engine
        self.out = out
        self.err = err
        self.style = style
        self.interactive = interactive
        self.history: list[tuple[str, str]] = []
        self.last: Answer | None = None
        self.errors = 0

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
        else:
            self._error(f"unknown command {name}; /help lists the commands")
        return True

    def ask(self, question: str) -> None:
        writer = StreamWriter(self.out, self.style)
        answer: Answer | None = None
        try:
            for item in self.engine.stream(question, tuple(self.history)):
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
        note = render_note(answer, self.style)
        if note:
            self._print(note)
        if answer.citations:
            self._print()
            self._print(render_sources(answer, self.style, full_quotes=False))
        self._print()
        self.last = answer
        self.history.append((question.strip(), answer.answer))
        del self.history[:-MAX_TURNS]

    def run(self, read_line: Callable[[str], str]) -> None:
        """Loop until /quit or end of input. `read_line(prompt)` raises EOFError at the end."""
        prompt = self.style.s("you> ", fg="green", bold=True) if self.interactive else ""
        while True:
            try:
                line = read_line(prompt)
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
