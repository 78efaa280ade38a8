"""`newsbot articles list|show` and `newsbot latest`: what the index holds, by source, date and words."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict

import click

from bot.cli.shared import fail, friendly_errors, pass_settings
from bot.terminal import TerminalStyle, filters_line, hyperlink, wrap
from retrieval.settings import Settings
from retrieval.types import ArticleInfo, Listing


def _engine(settings: Settings):
    from retrieval.engine import Engine  # imported here: chromadb and onnxruntime take seconds to load

    return Engine.open(settings)


def _date(a: ArticleInfo) -> str:
    return a.published_at[:10] if a.published_at else "undated   "


def _footer(listing: Listing, shown: int, what: str, style: TerminalStyle) -> str:
    head = f"{shown} of {listing.total} {what}" if listing.total != shown else f"{shown} {what}"
    bits = [head]
    fl = filters_line(listing.filters)
    if fl:
        bits.append("only: " + fl)
    if listing.note:
        bits.append(listing.note)
    return style.s(" · ".join(bits), dim=True)


@click.group()
def articles() -> None:
    """Browse the index: list articles by source, date and words, or show one in full."""


@articles.command("list")
@click.option("--source", help="Only this source (as `newsbot stats` lists it; case-insensitive).")
@click.option("--since", help="Published on or after: 2025-03-01, 24h, 2d, 1w, yesterday, last week...")
@click.option("--until", help="Published on or before (a bare date means the end of that day).")
@click.option("--query", "-q", help="Only articles whose sentences match these words, best first.")
@click.option("-n", "--limit", type=click.IntRange(1, 10000), default=50, show_default=True, help="At most this many.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object: articles, total, filters, note.")
@pass_settings
@friendly_errors
def list_command(settings, source, since, until, query, limit, as_json) -> None:
    """Articles newest first (undated last), with id, date, source and title."""
    listing = _engine(settings).find_articles(source=source, since=since, until=until, query=query, limit=limit)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "articles": [asdict(a) for a in listing.articles],
                    "total": listing.total,
                    "filters": listing.filters.to_json(),
                    "note": listing.note,
                },
                ensure_ascii=False,
            )
        )
        return
    style = TerminalStyle.for_stream(sys.stdout)
    for a in listing.articles:
        source_col = (a.source or "-")[:24]
        click.echo(f"{a.id}  {_date(a)}  {source_col:<24}  {a.title}", color=style.color)
    if not listing.articles:
        click.echo("No article matches." if listing.filters.active or query else "The index is empty.")
    click.echo(_footer(listing, len(listing.articles), "articles", style), color=style.color)


@articles.command("show")
@click.argument("article_id")
@click.option("--json", "as_json", is_flag=True, help="One JSON object: the article's metadata, path, link, sentences.")
@pass_settings
@friendly_errors
def show_command(settings, article_id: str, as_json: bool) -> None:
    """One article: title, source, date, URL or file path, then its numbered sentences."""
    shown = _engine(settings).article(article_id.strip())
    if shown is None:
        fail(f"no article with id {article_id!r}; `newsbot articles list` shows ids")
    if as_json:
        out = {
            **asdict(shown.article),
            "path": shown.path,
            "link": shown.link,
            "sentences": [{"index": s.index, "text": s.text} for s in shown.sentences],
        }
        click.echo(json.dumps(out, ensure_ascii=False))
        return
    style = TerminalStyle.for_stream(sys.stdout)
    a = shown.article
    click.echo(style.s(wrap(a.title, style), bold=True), color=style.color)
    updated = f"updated {a.updated_at[:16].replace('T', ' ')} UTC" if a.updated_at else ""
    meta = " · ".join(p for p in (a.source, a.published_at[:10] if a.published_at else "date unknown", updated, a.author) if p)
    click.echo(style.s(meta, dim=True), color=style.color)
    if shown.link:
        label = a.url or shown.path
        click.echo(style.s(hyperlink(shown.link, label, style), fg="blue", underline=style.links), color=style.color)
    click.echo(style.s(f"id {a.id}", dim=True), color=style.color)
    click.echo("")
    for s in shown.sentences:
        click.echo(wrap(f"s{s.index}  {s.text}", style, indent="") , color=style.color)


@click.command()
@click.option("--source", help="Only this source (case-insensitive).")
@click.option("--since", help="Published on or after: 2d (default: no limit), 24h, 1w, yesterday, 2025-03-01...")
@click.option("-n", "--limit", type=click.IntRange(1, 200), default=10, show_default=True, help="How many stories.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object: headlines (article, lead citation, copies), filters, note.")
@pass_settings
@friendly_errors
def latest(settings, source, since, limit, as_json) -> None:
    """The newest stories, copies of one story shown once, each with its lead sentence cited."""
    listing = _engine(settings).latest(source=source, since=since, n=limit)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "headlines": [h.to_json() for h in listing.headlines],
                    "filters": listing.filters.to_json(),
                    "note": listing.note,
                },
                ensure_ascii=False,
            )
        )
        return
    style = TerminalStyle.for_stream(sys.stdout)
    for i, h in enumerate(listing.headlines, 1):
        a = h.article
        copies = f"  (+{len(h.copies)} cop{'ies' if len(h.copies) != 1 else 'y'})" if h.copies else ""
        head = f"[{i}] {a.published_at[:10]}  {a.title} — {a.source or 'unknown source'}{copies}"
        click.echo(style.s(wrap(head, style), bold=True), color=style.color)
        if h.lead is not None:
            click.echo(wrap(f"“{h.lead.quote}”", style, indent="    "), color=style.color)
            target = h.lead.link or h.lead.url or h.lead.path
            if target:
                label = h.lead.url or h.lead.path
                click.echo("    " + style.s(hyperlink(target, label, style), fg="blue", underline=style.links), color=style.color)
    if not listing.headlines:
        click.echo(listing.note or "No article matches.")
        return
    shown = len(listing.headlines)
    head = f"{shown} newest stor{'ies' if shown != 1 else 'y'} of {listing.total} dated article{'s' if listing.total != 1 else ''}"
    bits = [head, *(["only: " + filters_line(listing.filters)] if listing.filters.active else []), listing.note]
    click.echo(style.s(" · ".join(b for b in bits if b), dim=True), color=style.color)
