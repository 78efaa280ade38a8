"""The `newsbot` command: the group, and every command registered on it in this one place.

Command modules never import the group (no import cycle): each defines plain click commands,
and this module adds them, as simonw/llm's CLI does with its plugins' commands.
"""

from bot.cli.articles import articles, latest
from bot.cli.ask import ask, chat
from bot.cli.digest import digest
from bot.cli.discord import discord_command
from bot.cli.eval import eval_command
from bot.cli.feedback import feedback
from bot.cli.feeds import feeds
from bot.cli.group import main
from bot.cli.index import delete, ingest, stats

for command in (ask, chat, latest, digest, articles, ingest, stats, delete, feeds, eval_command, feedback, discord_command):
    main.add_command(command)

__all__ = ["main"]
