"""The `newsbot` click group: reads Settings once and hands them to every command.

Commands are registered by import path and loaded only when run (click's "lazily loading
subcommands" pattern), so `newsbot --help` and `newsbot ask` do not import what other commands
need (Discord, evaluation, feeds). The group's own help lists each command's short help from the
registry, so listing them loads none; a test checks the registry against the commands' docstrings.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import click

from bot.cli.shared import friendly_errors
from retrieval.settings import Settings


class LazyGroup(click.Group):
    """A click group whose commands are imported on first use: name -> ("module:attribute", short help)."""

    def __init__(self, *args, lazy_commands: dict[str, tuple[str, str]] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_commands: dict[str, tuple[str, str]] = dict(lazy_commands or {})

    def lazy(self, name: str, target: str, short_help: str) -> None:
        """Register command `name`, found at `target` ("package.module:attribute") when it is run."""
        self.lazy_commands[name] = (target, short_help)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy_commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy_commands:
            module, _, attribute = self.lazy_commands[cmd_name][0].partition(":")
            command = getattr(importlib.import_module(module), attribute)
            if not isinstance(command, click.Command):
                raise TypeError(f"{module}:{attribute} is not a click command")
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list, with registered short helps for commands not loaded (so none is imported)."""
        rows = []
        for name in self.list_commands(ctx):
            command = self.commands.get(name) or click.Command(name, help=self.lazy_commands[name][1])
            if not command.hidden:
                rows.append((name, command))
        if rows:
            limit = formatter.width - 6 - max(len(name) for name, _ in rows)
            with formatter.section("Commands"):
                formatter.write_dl([(name, command.get_short_help_str(limit)) for name, command in rows])


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
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
