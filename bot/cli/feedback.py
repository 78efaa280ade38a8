"""`newsbot feedback stats|export`: what readers said of the answers (👍 / 👎 from Discord and chat).

Neither command opens the index or loads the model: the votes live in their own SQLite file.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from bot.cli.shared import fail, friendly_errors, pass_settings
from retrieval.engine import Engine
from retrieval.settings import Settings
from retrieval.types import FeedbackRate, FeedbackStats


@click.group()
def feedback() -> None:
    """Readers' 👍 / 👎 on answers (Discord buttons, `/good` and `/bad` in `newsbot chat`).

    \b
      newsbot feedback stats                          satisfaction by day, backend and source
      newsbot feedback export --format jsonl -o fb.jsonl
      newsbot eval --dataset jsonl --path fb.jsonl    re-ask what readers asked
    """


def _percent(rate: float | None) -> str:
    return "-" if rate is None else f"{rate:.0%}"


def _table(title: str, rows: tuple[FeedbackRate, ...]) -> list[str]:
    if not rows:
        return []
    width = max(len(r.key) for r in rows)
    return [f"by {title}:"] + [f"  {r.key:<{width}}  {r.good:>4} 👍 {r.bad:>4} 👎  {_percent(r.rate):>4}" for r in rows]


def stats_text(s: FeedbackStats) -> str:
    if not s.good + s.bad:
        return "No feedback yet: readers rate answers with 👍 / 👎 in Discord or /good and /bad in `newsbot chat`."
    head = (f"{s.good + s.bad} vote{'' if s.good + s.bad == 1 else 's'} on {s.answers} answer{'' if s.answers == 1 else 's'}: {_percent(s.rate)} 👍 ({s.good} 👍, {s.bad} 👎), "
            f"{s.notes} note{'s' if s.notes != 1 else ''} on what was wrong")
    if s.unknown_answers:
        head += f"; {s.unknown_answers} rated after a restart (only their text is known)"
    lines = [head]
    for title, rows in (("day", s.by_day), ("backend", s.by_backend), ("cited source", s.by_source)):
        lines += _table(title, rows)
    return "\n".join(lines)


@feedback.command("stats")
@click.option("--json", "as_json", is_flag=True, help="One JSON object (answers, good, bad, rate, by_day, ...).")
@pass_settings
@friendly_errors
def stats_command(settings: Settings, as_json: bool) -> None:
    """How satisfied readers are: 👍 rate overall, by day, by answer backend and by cited source."""
    figures = Engine(settings).feedback_stats()
    click.echo(json.dumps(figures.to_json(), ensure_ascii=False) if as_json else stats_text(figures))


@feedback.command("export")
@click.option("--format", "fmt", type=click.Choice(["jsonl"]), default="jsonl", show_default=True,
              help="jsonl: the questions file `newsbot eval --dataset jsonl` reads.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write here instead of standard output.")
@pass_settings
@friendly_errors
def export_command(settings: Settings, fmt: str, output: Path | None) -> None:
    """Rated answers as eval questions: 👍 answers' citations are the gold evidence.

    👎 answers (and answers rated after the bot forgot their question) are written too, with a
    "review" reason and what they cited; `newsbot eval` skips them until someone adds gold
    evidence and removes "review".
    """
    records = Engine(settings).feedback_records()
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    review = sum(1 for r in records if r.get("review"))
    summary = f"{len(records) - review} questions with gold evidence, {review} flagged for review"
    if output is None:
        sys.stdout.write(text)
        click.echo(summary, err=True)
        return
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        tmp = output.with_name(output.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(output)
    except OSError as exc:
        fail(f"cannot write {output} ({exc.strerror or exc}); pick another --output path")
    click.echo(f"{output}: {summary}")
