"""Finding 6 of issue 11: article text cannot restyle Discord posts or take over a terminal."""

from __future__ import annotations

import io
import json
import re

from bot.discord.render import answer_messages, full_sources_embeds, sources_embeds
from bot.terminal import StreamWriter, TerminalStyle, render_note, render_sources
from retrieval.sanitize import clean_article
from retrieval.text import escape_discord, strip_controls
from retrieval.types import Answer, Article, Citation
from tests.helpers import run_newsbot

ESC_TITLE = "\x1b]0;pwned\x07Harbour \x1b[2Jstrike\x9b31m ends"
ESC_URL = "https://news.example.org/strike\x1b]8;;https://evil.example\x1b\\"
HOSTILE_TEXT = (
    "Dock workers ended the strike on Monday after the port accepted a pay rise of seven percent. "
    "[verify your account](https://evil.example/login) to read the full settlement today. "
    "The union called it ||a secret deal|| reached late at night.\n"
    "```\nrm -rf /\n```\n"
    "# HEADLINE IN HUGE LETTERS\n"
    "-# tiny print says the harbour master resigned\x1b]0;owned\x07 on Tuesday."
)
# A masked link is `[text](url)` with neither bracket escaped.
MASKED_LINK = re.compile(r"(?<!\\)\[[^\]\n]*(?<!\\)\]\((?:https?:)?//")
UNESCAPED = [re.compile(r"(?<!\\)\|\|"), re.compile(r"(?<!\\)```"), re.compile(r"(?m)^#"), re.compile(r"(?m)^-#(?! Answer shortened)")]


def citation(quote: str, n: int = 1) -> Citation:
    return Citation(n, "a1", "Harbour [click](https://evil.example) strike", "Port ||News||", "https://news.example.org/s",
                    "2025-03-03T00:00:00Z", 0, quote, "https://news.example.org/s#:~:text=Dock")


def test_discord_posts_show_markdown_from_articles_as_text():
    quote = HOSTILE_TEXT.split("\n")[0]
    answer = Answer("q", HOSTILE_TEXT + " [1]", False, "extractive", (citation(quote),))
    posted = "\n".join(answer_messages(answer))
    embeds = [e.to_dict() for e in sources_embeds(answer) + full_sources_embeds(answer)]
    strings = [e.get("description", "") for e in embeds] + [
        part for e in embeds for f in e.get("fields", []) for part in (f["name"], f["value"])
    ]
    for text in (posted, *strings):
        ours = re.sub(r"\[open the (sentence|article)\]\(https://news\.example\.org/", "", text)
        assert not MASKED_LINK.search(ours), text
        for pattern in UNESCAPED:
            assert not pattern.search(text), (pattern, text)
        assert "\x1b" not in text
    assert "[1]" in posted  # our own citation markers still read as [1]
    assert "verify your account" in posted and "a secret deal" in posted  # shown, not hidden


def test_escape_keeps_markers_but_never_lets_them_become_links():
    assert escape_discord("Fees rose [1]. Ships left [2, 3].") == "Fees rose [1]. Ships left [2, 3]."
    assert not MASKED_LINK.search(escape_discord("[1](https://evil.example)"))
    assert escape_discord("<@123> <t:0:R> <:emoji:1>").count("\\<") == 3


def test_control_characters_are_stripped_when_stored_and_before_printing():
    stored = clean_article(Article(title=ESC_TITLE, text=HOSTILE_TEXT + "\r\x00end\x85", url=ESC_URL, source="Port\x07"))
    for value in (stored.title, stored.text, stored.url, stored.source):
        assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", value), repr(value)
    assert stored.title == "]0;pwnedHarbour [2Jstrike31m ends"
    assert "\x1b" not in stored.url and " " not in stored.url
    assert clean_article(Article(title="t", text="x", url="javascript:alert(1)")).url == ""
    quote = "The harbour\x1b[2J master\x1b]0;owned\x07 resigned."
    c = Citation(1, "a1", ESC_TITLE, "Port", ESC_URL, "", 0, quote, ESC_URL + "#:~:text=x")
    answer = Answer("q", "He resigned\x1b[31m [1].", False, "extractive", (c,), note="odd\x1b]0;x\x07 note")
    style = TerminalStyle(links=True)
    out = io.StringIO()
    writer = StreamWriter(out, style)
    writer.write(answer.answer)
    writer.finish()
    printed = out.getvalue() + render_note(answer, style) + render_sources(answer, style)
    # Only our own OSC 8 link sequences remain, and the URL inside them is clean.
    ours = re.compile(r"\x1b\]8;;[^\x1b\x07]*\x1b\\")
    assert "\x1b" not in ours.sub("", printed) and "\x07" not in printed
    assert strip_controls("a\x1b[2Jb\u202ec") == "a[2Jbc"


def test_cli_never_prints_escape_sequences_from_articles(tmp_path):
    article = {"title": ESC_TITLE, "text": HOSTILE_TEXT, "url": ESC_URL, "source": "Port\x1b[5m"}
    (tmp_path / "strike.json").write_text(json.dumps(article))
    data = tmp_path / "data"
    assert run_newsbot("ingest", str(tmp_path / "strike.json"), data_dir=data).returncode == 0
    for args in (("ask", "When did the dock workers end the strike?"), ("ask", "--json", "When did the strike end?")):
        out = run_newsbot(*args, data_dir=data)
        assert out.returncode == 0, out.stderr
        assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", out.stdout + out.stderr), repr(out.stdout)
        assert "seven percent" in out.stdout
