"""Chat `/since`, `/until`, `/source`: a window for the conversation, shown in the prompt."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bot.cli.chat import ChatSession
from bot.terminal import TerminalStyle

DATA = Path(__file__).resolve().parent.parent / "data" / "dated"


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    from retrieval.engine import Engine
    from retrieval.settings import Settings

    engine = Engine.open(Settings(data_dir=tmp_path_factory.mktemp("chat-filters"), threads=1))
    engine.ingest_paths([DATA])
    return engine


def session(engine, interactive=False):
    out, err = io.StringIO(), io.StringIO()
    return ChatSession(engine, out, err, TerminalStyle(), interactive), out, err


def test_filters_apply_to_every_question_and_show_in_the_prompt(engine):
    s, out, err = session(engine, interactive=True)
    assert s.prompt() == "you> "
    s.handle("/source coast wire")
    s.handle("/since 2025-03-17")
    assert "Filters: Coast Wire · since 2025-03-17." in out.getvalue()
    assert s.prompt() == "you [Coast Wire · since 2025-03-17]> "
    s.handle("What did the operator say about the ferry fare?")
    assert not err.getvalue()
    f = s.last.filters
    assert (f.source, f.since, f.window_from) == ("Coast Wire", "2025-03-17T00:00:00Z", "chat")
    assert s.last.citations and all(c.source == "Coast Wire" and c.published_at >= "2025-03-17" for c in s.last.citations)
    s.handle("/since")
    s.handle("/source")
    assert s.prompt() == "you> " and "Filters: none (every source, any date)." in out.getvalue()


def test_bad_filters_are_one_line_errors_and_change_nothing(engine):
    s, out, err = session(engine)
    s.handle("/source Coast Wires")
    s.handle("/since 2025-03-18")
    s.handle("/until 2025-03-01")
    s.handle("/since whenever")
    lines = err.getvalue().splitlines()
    assert len(lines) == 3
    assert 'unknown source \'Coast Wires\'; closest known: "Coast Wire"' in lines[0]
    assert "is before --since" in lines[1] and "not understood" in lines[2]
    assert (s.source, s.since, s.until) == (None, "2025-03-18", None)
