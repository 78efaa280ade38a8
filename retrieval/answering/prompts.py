"""Prompt files in `prompts/` (shipped as package data), loaded by name and filled with `{placeholder}` values.

Filling is a plain substitution of `{name}` for known names only (not `str.format`), so braces
inside a prompt file or inside article text can never be taken for a placeholder.
"""

from __future__ import annotations

import functools
import re

from retrieval.errors import ConfigError
from retrieval.package_data import data_folder

PROMPTS_DIR = data_folder("prompts")

_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


@functools.cache
def load_prompt(name: str) -> str:
    """The text of `prompts/<name>.md`, without its trailing newline."""
    path = PROMPTS_DIR / f"{name}.md"
    try:
        return path.read_text(encoding="utf-8").rstrip("\n")
    except OSError:
        raise ConfigError(f"prompt file {path} is missing; reinstall newsbot or restore prompts/{name}.md") from None


def fill_prompt(template: str, **values: str) -> str:
    """Replace each `{name}` in `template` by `values[name]`; every placeholder must be given."""
    missing = sorted({m.group(1) for m in _PLACEHOLDER.finditer(template)} - values.keys())
    if missing:
        raise ConfigError(f"prompt needs values for {', '.join(missing)}; the prompt file and the code disagree")
    # One pass over the template: substituted values are never scanned again.
    return _PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), template)


def render_prompt(name: str, **values: str) -> str:
    """Load `prompts/<name>.md` and fill it."""
    return fill_prompt(load_prompt(name), **values)
