"""`newsbot digest`: the top stories of a window, each with one or two cited sentences (text, Markdown, JSON)."""

from __future__ import annotations

import json
import sys

import click

from bot.cli.shared import friendly_errors, pass_settings
from bot.terminal import TerminalStyle, filters_line, render_citation, wrap
from retrieval.text import cited, strip_controls
from retrieval.types import Digest, DigestStory


def _heading(i: int, story: DigestStory) -> str:
    n = len(story.sources)
    who = f"{n} sources: {', '.join(story.sources)}" if n > 1 else (story.sources[0] if story.sources else "")
    date = story.published_at[:10] if story.published_at else "undated"
    more = f", {story.articles} articles" if story.articles > 1 else ""
    return strip_controls(f"{i}. {story.title} ({who}{more}, {date})", keep_newlines=False)


def _cited(quote: str, n: int) -> str:
    """The overview's "Sentence [n]." form, on one line, with no terminal control characters."""
    return cited(" ".join(strip_controls(quote).split()), n)


def render_text(digest: Digest, style: TerminalStyle) -> str:
    """Numbered stories, their cited sentences, then the numbered sources."""
    out = []
    for i, story in enumerate(digest.stories, 1):
        out.append(style.s(wrap(_heading(i, story), style), bold=True))
        out.append(wrap(" ".join(_cited(c.quote, c.n) for c in story.citations), style, indent="   "))
        out.append("")
    sources = [render_citation(c, style, full_quote=False) for s in digest.stories for c in s.citations]
    return "\n".join(out + sources)


def render_markdown(digest: Digest) -> str:
    """A Markdown digest: a heading per story, its cited sentences, footnote-style sources with deep links."""
    lines = ["# News digest", ""]
    line = filters_line(digest.filters)
    if line or digest.topic:
        lines += [f"_{'; '.join(p for p in (f'topic: {digest.topic}' if digest.topic else '', line) if p)}_", ""]
    for i, story in enumerate(digest.stories, 1):
        lines += [f"## {_heading(i, story)}", ""]
        lines += [" ".join(_cited(c.quote, c.n) for c in story.citations), ""]
        for c in story.citations:
            title = strip_controls(c.title, keep_newlines=False).replace("]", "\\]")
            target = c.link or c.url
            ref = f"[{title}]({target})" if target else title
            date = c.published_at[:10] if c.published_at else "date unknown"
            lines.append(f"- [{c.n}] {ref} — {strip_controls(c.source)}, {date}")
        lines.append("")
    if digest.note:
        lines.append(f"_{strip_controls(digest.note)}_")
    return "\n".join(lines).rstrip() + "\n"


@click.command()
@click.option("--since", default="24h", show_default=True,
              help="The window: 24h, 2d, 1w, yesterday, 2025-03-01..., or `all` for every article (undated too).")
@click.option("--topic", help="Only stories about these words.")
@click.option("--source", help="Only stories this source reported (their other sources still count).")
@click.option("-n", "limit", type=click.IntRange(1, 100), default=8, show_default=True, help="At most this many stories.")
@click.option("--format", "fmt", type=click.Choice(["text", "md", "json"]), default="text", show_default=True)
@pass_settings
@friendly_errors
def digest(settings, since, topic, source, limit, fmt) -> None:
    """The top stories of the window, ranked by how many sources report them and how recent they are,
    each with one or two cited sentences."""
    from retrieval.engine import Engine  # imported here: chromadb and onnxruntime take seconds to load

    result = Engine.open(settings).digest(since=since, topic=topic, source=source, n=limit)
    if fmt == "json":
        click.echo(json.dumps(result.to_json(), ensure_ascii=False))
        return
    if fmt == "md":
        click.echo(render_markdown(result) if result.stories else f"_{result.note or 'No story found.'}_")
        return
    style = TerminalStyle.for_stream(sys.stdout)
    if not result.stories:
        click.echo(result.note or "No story found.")
        return
    click.echo(render_text(result, style), color=style.color)
    foot = [f"{len(result.stories)} of {result.total} stories"]
    if filters_line(result.filters):
        foot.append("only: " + filters_line(result.filters))
    if result.note:
        foot.append(result.note)
    click.echo(style.s(" · ".join(foot), dim=True), color=style.color)
