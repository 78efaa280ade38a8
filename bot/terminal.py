"""Answers as terminal text: wrapped, coloured on a TTY, links clickable (OSC 8) or plain when piped."""

from __future__ import annotations

import shutil
import textwrap
from dataclasses import dataclass
from typing import TextIO

import click

from retrieval.text import clean_url, strip_controls
from retrieval.types import Answer, AppliedFilters, Citation

MAX_WIDTH = 100  # beyond this, lines are tiring to read even on a wide terminal
SHORT_QUOTE_CHARS = 160


@dataclass(frozen=True)
class TerminalStyle:
    """How to draw for one output stream: colours and OSC 8 links only on a real terminal."""

    color: bool = False
    links: bool = False
    width: int = 80

    @classmethod
    def for_stream(cls, stream: TextIO) -> TerminalStyle:
        tty = bool(getattr(stream, "isatty", lambda: False)())
        width = min(shutil.get_terminal_size((80, 24)).columns, MAX_WIDTH) if tty else 80
        return cls(color=tty, links=tty, width=max(width, 40))

    def s(self, text: str, **style) -> str:
        """`text` styled with click's colours when colour is on."""
        return click.style(text, **style) if self.color else text


def hyperlink(url: str, text: str, style: TerminalStyle) -> str:
    """An OSC 8 hyperlink on a terminal (shows `text`, opens `url`); the plain url otherwise."""
    url, text = clean_url(url), strip_controls(text, keep_newlines=False)
    if not style.links:
        return url
    return f"\x1b]8;;{url}\x1b\\{text}\x1b]8;;\x1b\\"


def wrap(text: str, style: TerminalStyle, indent: str = "") -> str:
    """Wrap prose to the terminal width, keeping words (and [n] markers) whole."""
    return "\n".join(
        textwrap.fill(para, width=style.width, initial_indent=indent, subsequent_indent=indent,
                      break_long_words=False, break_on_hyphens=False)
        for para in text.splitlines() or [""]
    )


def _short(quote: str) -> str:
    if len(quote) <= SHORT_QUOTE_CHARS:
        return quote
    return quote[:SHORT_QUOTE_CHARS].rsplit(" ", 1)[0] + " …"


def render_citation(c: Citation, style: TerminalStyle, full_quote: bool = True) -> str:
    """`[n] "quote"` then title, source, date, then the link to the exact sentence."""
    # Article text never reaches the terminal with its control characters (ESC sequences retitle,
    # clear or take over the terminal): stripped when stored, and again here for older indexes.
    quote = strip_controls(c.quote if full_quote else _short(c.quote), keep_newlines=False)
    marker = f"[{c.n}]"
    head = textwrap.fill(f"{marker} “{quote}”", width=style.width, subsequent_indent="    ",
                         break_long_words=False, break_on_hyphens=False)
    meta = strip_controls(" — ".join(p for p in (c.title, c.source) if p), keep_newlines=False)
    date = strip_controls(c.published_at[:10], keep_newlines=False) if c.published_at else "date unknown"
    if c.updated_at:  # the publisher corrected the article after publication: say since when this text holds
        date += ", updated " + strip_controls(c.updated_at[:16].replace("T", " "), keep_newlines=False) + " UTC"
    out = [style.s(marker, fg="cyan", bold=True) + head[len(marker):]]
    out.append(style.s(wrap(f"{meta}, {date}" if meta else date, style, indent="    "), dim=True))
    if c.also_reported_by:
        out.append(style.s(wrap(strip_controls(c.also_reported(), keep_newlines=False), style, indent="    "), dim=True))
    if c.link or c.url:
        target = c.link or c.url
        # A local file shows its path (a clickable file:// link on a terminal that supports it).
        label = c.url or c.path or target
        shown = hyperlink(target, label, style) if style.links or not c.path else c.path
        out.append("    " + style.s(shown, fg="blue", underline=style.links))
    return "\n".join(out)


def render_sources(answer: Answer, style: TerminalStyle, full_quotes: bool = True) -> str:
    """The numbered sources of an answer, "" when it has none."""
    return "\n".join(render_citation(c, style, full_quotes) for c in answer.citations)


def filters_line(f: AppliedFilters | None) -> str:
    """'Reuters, 2025-03-10 .. 2025-03-16 ("last week")'; '' when nothing is restricted."""
    if f is None:
        return ""
    parts = []
    if f.source:
        parts.append(strip_controls(f.source))
    if f.since or f.until:
        span = f"{(f.since or '')[:10] or '…'} .. {(f.until or '')[:10] or 'now'}"
        if f.expression and f.window_from == "question":
            span += f' ("{strip_controls(f.expression)}")'
        parts.append(span)
    return ", ".join(parts)


def render_filters(answer: Answer, style: TerminalStyle) -> str:
    """A dim 'only: Reuters, 2025-03-10 .. 2025-03-16' line when the answer was restricted, else ''."""
    line = filters_line(answer.filters)
    return style.s(wrap(f"only: {line}", style), dim=True) if line else ""


def render_note(answer: Answer, style: TerminalStyle) -> str:
    return style.s(wrap(f"note: {strip_controls(answer.note)}", style), fg="yellow") if answer.note else ""


class StreamWriter:
    """Writes streamed answer pieces as they come, wrapping at word boundaries."""

    def __init__(self, out: TextIO, style: TerminalStyle) -> None:
        self.out = out
        self.style = style
        self.column = 0
        self._pending_space = False

    def write(self, piece: str) -> None:
        piece = strip_controls(piece)
        for i, word in enumerate(piece.split(" ")):
            if i > 0:
                self._pending_space = True
            if not word:
                continue
            need = len(word) + (1 if self._pending_space and self.column else 0)
            if self.column and self.column + need > self.style.width:
                self.out.write("\n")
                self.column = 0
            elif self._pending_space and self.column:
                self.out.write(" ")
                self.column += 1
            self.out.write(word)
            self.column += len(word)
            self._pending_space = False
        self.out.flush()

    def finish(self) -> None:
        if self.column:
            self.out.write("\n")
            self.column = 0
        self.out.flush()
