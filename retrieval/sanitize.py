"""Text from strangers made safe to store, print and post.

Articles, feeds and pages are written by people we do not know. Two kinds of text in them act
on the reader's screen rather than being read:

- control characters: `ESC]0;...BEL` retitles a terminal, `ESC[2J` clears it, an ESC inside a URL
  breaks out of a clickable (OSC 8) link; C1 controls (U+0080-U+009F) do the same on terminals
  that honour 8-bit controls. `strip_controls` removes C0 and C1 controls (keeping newline and
  tab) and the bidirectional overrides that make text display in another order than it reads;
  it runs on stored titles, text and URLs and again before anything is printed.
- Discord Markdown: a masked link `[verify your account](https://evil.example)` shows words
  and hides where they lead, spoilers hide text, code fences and headings restyle a public
  message. `escape_discord` makes all of that literal while keeping newsbot's own `[n]`
  citation markers readable.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from urllib.parse import urlsplit

from retrieval.types import Article

# C0 except \t and \n, DEL, C1; plus bidi embeddings/overrides/isolates (U+202A-202E, U+2066-2069).
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_BREAKS = re.compile(r"[\r\v\f\x1c-\x1e\x85]")
_CONTROLS_ALL = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

# Markdown syntax characters Discord reacts to, escaped with a backslash wherever they appear.
_DISCORD_SPECIAL = re.compile(r"([\\*_`~|>#\[\]<])")
_LINE_START_DASH = re.compile(r"(?m)^(\s*)-")  # "- item" lists and "-# subtext"
_MARKER = re.compile(r"\\\[(\d{1,3}(?:,\s?\d{1,3})*)\\\](?!\()")


def strip_controls(text: str, keep_newlines: bool = True) -> str:
    """`text` without control characters (newline and tab kept unless `keep_newlines` is False)."""
    if not text:
        return text
    if keep_newlines:
        # Line breaks in other spellings (a lone CR rewrites the terminal line) become newlines.
        return _CONTROLS.sub("", _BREAKS.sub("\n", text.replace("\r\n", "\n")))
    return _CONTROLS_ALL.sub("", _BREAKS.sub(" ", text))


def clean_url(url: str) -> str:
    """A stored URL: no control characters and no whitespace inside (both only ever break links)."""
    if not url:
        return url
    return "".join(strip_controls(url, keep_newlines=False).split())


def clean_line(text: str) -> str:
    """A one-line field (title, source, author): controls removed, whitespace runs made one space."""
    return " ".join(strip_controls(text or "", keep_newlines=False).split())


def escape_discord(text: str) -> str:
    """Discord Markdown in `text` made literal; newsbot's `[1]` and `[1, 2]` markers stay as they are.

    Every syntax character is backslash-escaped (Discord renders `\\x` as `x` for punctuation),
    so no masked link, spoiler, code block, heading, quote, list, subtext, mention or custom
    emoji can form. Our own markers are restored unless a `(` follows, which would make them
    the text of a masked link again.
    """
    if not text:
        return text
    escaped = _DISCORD_SPECIAL.sub(r"\\\1", strip_controls(text))
    escaped = _LINE_START_DASH.sub(r"\1\\-", escaped)
    return _MARKER.sub(lambda m: f"[{m.group(1)}]", escaped)


def clean_article(article: Article) -> Article:
    """The article as it may be stored: no control characters anywhere, an http(s) URL or none."""
    url = clean_url(article.url)
    if url and urlsplit(url).scheme.lower() not in ("http", "https"):
        url = ""  # a javascript: or file: "link" would only ever be a trap in a citation
    cleaned = replace(
        article,
        title=clean_line(article.title),
        text=strip_controls(article.text),
        source=clean_line(article.source),
        author=clean_line(article.author),
        url=url,
        external_id=clean_line(article.external_id),
    )
    return article if cleaned == article else cleaned


_JSON_UNSAFE = re.compile(r"[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def terminal_json(value, **kwargs) -> str:
    """`json.dumps` for printing: C1 and bidi controls escaped too (json only escapes C0 itself)."""
    text = json.dumps(value, ensure_ascii=False, **kwargs)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
