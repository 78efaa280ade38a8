"""What every `newsbot` command shares: one-line failures and the Settings passed down by the group."""

from __future__ import annotations

import functools
import logging
import os
import sys

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

_exit_fast = False  # set by a command that wrote nothing: see `exit_fast_when_done`


def exit_fast_when_done() -> None:
    """Mark this run read-only: when it ends well, the program skips the interpreter's teardown.

    Freeing what a question loads (chromadb and its ~900 modules, the ONNX session) takes ~0.2 s at
    exit, a sixth of a one-off `newsbot ask` (measured on the seed index). Only the `newsbot`
    program acts on it (`bot.cli.run`), never a command invoked in-process, and only a run that
    changed nothing may set it: a write is never cut short.
    """
    global _exit_fast
    _exit_fast = True


def exit_now_if_done(code: int | str | None) -> None:
    """End the process at once after a successful read-only run (output flushed, logs closed)."""
    if not _exit_fast or code not in (None, 0):
        return
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`newsbot ask ... | head -1`): nothing left to say
            pass
    os._exit(0)
