"""The contract every answer backend keeps, and the fixed phrase for "the articles don't say".

An `Answerer` turns a question and its ranked hits into answer text, piece by piece, citing
`hits[n-1]` with an `[n]` marker (`retrieval.text.MARKER`). It never builds an `Answer`: the
chain (`retrieval.answering.chain`) validates every backend's text the same way, numbers the
citations and decides the fallbacks. A backend that cannot answer raises `AnswererUnavailable`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol

from retrieval.errors import NewsbotError
from retrieval.types import Hit

NO_ANSWER = "The articles don't say."


class AnswererUnavailable(NewsbotError):
    """The backend could not be reached or failed; the message says why, in one line."""


class Answerer(Protocol):
    """Question + hits -> text pieces with [n] markers naming `hits[n-1]`."""

    name: str  # what `Answer.backend` says, e.g. "extractive" or "ollama:llama3.2"

    def stream(self, question: str, hits: Sequence[Hit]) -> Iterator[str]: ...
