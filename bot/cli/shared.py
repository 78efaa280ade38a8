"""What every `newsbot` command shares: one-line failures and the Settings passed down by the group."""

from __future__ import annotations

import functools
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
