"""`newsbot ask` (one question, `--json`, `--batch FILE`) and `newsbot chat`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from bot.cli.chat import ChatSession
from bot.cli.shared import exit_fast_when_done, fail, friendly_errors, pass_settings
from bot.terminal import StreamWriter, TerminalStyle, render_filters, render_note, render_sources
from retrieval.engine import Engine
from retrieval.errors import NewsbotError
from retrieval.settings import Settings
from retrieval.text import terminal_json
from retrieval.types import Answer


def ready(engine: Engine, quiet: bool = False) -> bool:
    """Open the engine's index; a fresh, empty index gets the seed articles first. True when it did
    (the run wrote to the index)."""
    if engine.article_count() > 0:
        return False
    if not quiet:
        click.echo("The index is empty: adding the seed articles first (one time)...", err=True)
    engine.ensure_seeded()
    if engine.article_count() == 0:
        raise NewsbotError(
            f"the index at {engine.settings.data_dir} is empty; add articles with `newsbot ingest PATH` first"
        )
    return True


def _print_answer(engine: Engine, question: str, out_style: TerminalStyle, filters: dict) -> None:
    writer = StreamWriter(sys.stdout, out_style)
    answer: Answer | None = None
    for item in engine.stream(question, **filters):
        if isinstance(item, Answer):
            answer = item
        else:
            writer.write(item)
    writer.finish()
    if answer is None:
        fail("no answer was produced; try again")
    for extra in (render_filters(answer, out_style), render_note(answer, out_style)):
        if extra:
            click.echo(extra, color=out_style.color)
    if answer.citations:
        click.echo("", color=out_style.color)
        click.echo(render_sources(answer, out_style), color=out_style.color)


def _run_batch(engine: Engine, path: str, filters: dict) -> int:
    """Answer each JSONL line of `path` ("-" = stdin); returns how many lines failed.

    A line's own "source", "since" and "until" override the command line's options.
    """
    raw = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    failed = 0
    for lineno, line in enumerate(raw.splitlines(), 1):
        if not line.strip():
            continue
        rid = None
        try:
            try:
                record = json.loads(line.decode("utf-8"))
            except UnicodeDecodeError:
                raise NewsbotError("not UTF-8 text") from None
            except json.JSONDecodeError as exc:
                raise NewsbotError(f"not valid JSON ({exc.msg} at column {exc.colno})") from None
            if not isinstance(record, dict):
                raise NewsbotError('each line must be a JSON object like {"id": 1, "question": "..."}')
            rid = record.get("id", lineno)
            if "question" not in record:
                raise NewsbotError('missing "question"')
            if not isinstance(record["question"], str):
                raise NewsbotError('"question" must be a string')
            history = engine.check_history(record.get("history") or [])
            mine = {k: record[k] for k in ("source", "since", "until") if record.get(k) is not None}
            if any(not isinstance(v, str) for v in mine.values()):
                raise NewsbotError('"source", "since" and "until" must be strings')
            answer = engine.ask(record["question"], history, **{**filters, **mine})
            out = {"id": rid, **answer.to_json()}
        except NewsbotError as exc:
            failed += 1
            click.echo(f"error: {path}:{lineno}: {exc}", err=True)
            out = {"id": rid if rid is not None else lineno, "error": str(exc)}
        click.echo(terminal_json(out))
        sys.stdout.flush()
    return failed


@click.command()
@click.argument("question", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON (schema in the README).")
@click.option(
    "--batch",
    type=click.Path(dir_okay=False, allow_dash=True),
    help='Answer every line of a JSONL file ({"id", "question", "history"}); one JSON answer per line.',
)
@click.option("--source", help="Only articles from this source (as `newsbot stats` lists it; case-insensitive).")
@click.option("--since", help="Only articles published since: 2025-03-01, 24h, 2d, 1w, yesterday, last week...")
@click.option("--until", help="Only articles published until (a bare date means the end of that day).")
@pass_settings
@friendly_errors
def ask(
    settings: Settings,
    question: tuple[str, ...],
    as_json: bool,
    batch: str | None,
    source: str | None,
    since: str | None,
    until: str | None,
) -> None:
    """Answer QUESTION from the indexed articles, citing the exact sentences.

    Dates in the question ("last week", "since Monday", "in March 2005") restrict the answer to
    articles published then; --since/--until win over them.

    \b
    Examples:
      newsbot ask "How many people did Venezuela release?"
      newsbot ask "What did the Treasury say last week?"
      newsbot ask --source Reuters --since 2025-03-01 --until 2025-03-31 "What did the Treasury say?"
      newsbot ask --json "Who won the election?"
      newsbot ask --batch questions.jsonl > answers.jsonl
    """
    filters = {"source": source, "since": since, "until": until}
    if batch and question:
        fail("give either a QUESTION or --batch FILE, not both")
    if batch:
        if batch != "-" and not Path(batch).is_file():
            fail(f"{batch}: no such file; give a JSONL file with one {{\"id\", \"question\"}} object per line")
        engine = Engine(settings)
        ready(engine, quiet=True)
        if _run_batch(engine, batch, filters):
            sys.exit(1)
        return
    if not question:
        fail('give a question, e.g. newsbot ask "How many people did Venezuela release?"')
    engine = Engine(settings)  # opens the index on first use
    text = engine.check_question(" ".join(question))  # before loading anything: fail fast
    if not ready(engine, quiet=as_json):  # nothing seeded: this run only reads
        exit_fast_when_done()
    if as_json:
        click.echo(terminal_json(engine.ask(text, **filters).to_json(), indent=2))
        return
    _print_answer(engine, text, TerminalStyle.for_stream(sys.stdout), filters)


@click.command()
@pass_settings
@friendly_errors
def chat(settings: Settings) -> None:
    """Chat about the indexed articles, with follow-up questions.

    Commands inside the chat: /sources, /good, /bad [note], /reset, /help, /quit. Piped input works too:
    each line is a question, and only answers and sources are printed.
    """
    interactive = sys.stdin.isatty() and sys.stdout.isatty()
    style = TerminalStyle.for_stream(sys.stdout)
    engine = Engine(settings)
    ready(engine, quiet=not interactive)
    session = ChatSession(engine, sys.stdout, sys.stderr, style, interactive)
    if interactive:
        try:
            import readline  # noqa: F401  (line editing and history for input())
        except ImportError:
            pass
        n = engine.article_count()
        click.echo(style.s(f"newsbot chat: ask about {n} article{'s' if n != 1 else ''}. /help for commands.", dim=True))
        session.run(input)
    else:
        def read_line(_prompt: str) -> str:
            line = sys.stdin.buffer.readline()
            if not line:
                raise EOFError
            # Undecodable bytes become surrogates, which the question check rejects in one line.
            return line.decode("utf-8", "surrogateescape")

        session.run(read_line)

