"""The `newsbot` command: thin wrappers that parse arguments, call the engine and render."""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import click

from retrieval.errors import NewsbotError
from retrieval.settings import Settings


def fail(message: str, code: int = 1) -> None:
    """Print one error line to stderr and exit: what every user-fixable failure looks like."""
    click.echo(click.style("error: ", fg="red", bold=True) + message, err=True)
    sys.exit(code)


def friendly_errors(fn):
    """Turn project errors into one clear line and a non-zero exit code, never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except NewsbotError as exc:
            fail(str(exc))
        except KeyboardInterrupt:
            fail("interrupted", 130)

    return wrapper


pass_settings = click.make_pass_decorator(Settings)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where the index lives (default: NEWSBOT_DATA_DIR, else your user data folder).",
)
@click.option("--env-file", default=".env", show_default=True, help="Settings file read before the environment.")
@click.version_option(package_name="newsbot")
@click.pass_context
@friendly_errors
def main(ctx: click.Context, data_dir: Path | None, env_file: str) -> None:
    """Ask questions about news articles and get answers cited to the exact sentences.

    \b
    Quick start:
      newsbot ingest seeds/          build the index from a folder of articles
      newsbot ask "How many people did Venezuela release?"
      newsbot chat                   interactive chat with follow-ups
    """
    ctx.obj = Settings.load(env_file, data_dir=data_dir)


# Sub-commands live in their own modules and register here.
from bot.cli import (
    ask,  # noqa: E402,F401  (ask, chat)
    discord,  # noqa: E402,F401  (discord)
    eval,  # noqa: E402,F401  (eval)
    feeds,  # noqa: E402,F401  (feeds add|list|remove|refresh)
    index,  # noqa: E402,F401  (ingest, stats, delete)
)
