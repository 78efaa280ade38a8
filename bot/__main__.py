"""`python -m bot` runs the `newsbot` command."""

from bot.cli import run

run()
