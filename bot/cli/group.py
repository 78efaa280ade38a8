"""The `newsbot` click group: reads Settings once and hands them to every command."""

from __future__ import annotations

from pathlib import Path

import click

from bot.cli.shared import friendly_errors
from retrieval.settings import Settings


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
