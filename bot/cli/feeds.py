"""`newsbot feeds add|list|remove|refresh`: following RSS/Atom feeds.

The engine imports the feed machinery (feedparser, lxml, httpx) and the index only when a
command needs them, so other commands start fast and `feeds list` never opens the index.
"""

from __future__ import annotations

import sys

import click

from bot.cli.shared import fail, friendly_errors, pass_settings
from retrieval.engine import Engine
from retrieval.errors import NewsbotError
from retrieval.settings import Settings


@click.group()
def feeds() -> None:
    """Follow RSS and Atom feeds and keep the index up to date with them.

    \b
      newsbot feeds add https://example.org/rss.xml
      newsbot feeds refresh        fetch every feed once: new and updated articles
      newsbot feeds list
      newsbot feeds remove https://example.org/rss.xml
    """


@feeds.command("add")
@click.argument("urls", nargs=-1, required=True)
@click.option("--no-check", is_flag=True, help="Add without fetching the feed now (e.g. while offline).")
@pass_settings
@friendly_errors
def add_command(settings: Settings, urls: tuple[str, ...], no_check: bool) -> None:
    """Follow feeds (RSS 2.0, RSS 1.0, Atom); a site's page is fine if it advertises its feed.

    Each feed is fetched once to check it; its entries are stored by the next `newsbot feeds refresh`.
    """
    engine = Engine(settings)
    failed = 0
    for url in urls:
        try:
            feed, added = engine.follow_feed(url, check=not no_check)
        except NewsbotError as exc:  # one bad URL must not hide the result of the others
            click.echo(click.style("error: ", fg="red", bold=True) + str(exc), err=True)
            failed += 1
            continue
        if not added:
            click.echo(f"already following {feed.url} ({feed.title or 'no title yet'})")
            continue
        title = f" ({feed.title})" if feed.title else ""
        waiting = f", {feed.pending} entries to fetch" if feed.pending else ""
        click.echo(f"following {feed.url}{title}{waiting}")
    if failed:
        fail(f"{failed} of {len(urls)} feeds could not be added (see above)")
    click.echo("run `newsbot feeds refresh` to fetch their articles")


@feeds.command("list")
@pass_settings
@friendly_errors
def list_command(settings: Settings) -> None:
    """The followed feeds, with when each was last fetched and how it went."""
    engine = Engine(settings)
    rows = engine.feeds()
    if not rows:
        click.echo("no feeds followed yet; add one with `newsbot feeds add URL`")
        return
    for f in rows:
        click.echo(f"{f.url}")
        status = f"last fetched {f.last_checked}" if f.last_checked else "not fetched yet"
        click.echo(f"    {f.title or '(no title yet)'} · {f.articles} articles · {f.pending} pending · {status}")
        if f.last_error:
            click.echo("    " + click.style("last error: ", fg="yellow") + f.last_error)
    report = engine.last_refresh()
    if report:
        click.echo(f"last refresh {report.finished_at}: {report.summary()}")


@feeds.command("remove")
@click.argument("urls", nargs=-1, required=True)
@pass_settings
@friendly_errors
def remove_command(settings: Settings, urls: tuple[str, ...]) -> None:
    """Stop following feeds. Articles already stored stay (remove them with `newsbot delete`)."""
    engine = Engine(settings)
    missing = [u for u in urls if not engine.unfollow_feed(u)]
    for u in urls:
        if u not in missing:
            click.echo(f"stopped following {u}")
    if missing:
        fail(f"not following {', '.join(missing)}; `newsbot feeds list` shows the followed feeds")


@feeds.command("refresh")
@click.argument("urls", nargs=-1)
@click.option("--full", is_flag=True, help="Ignore what was fetched before and re-read every entry.")
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: only on a terminal).")
@pass_settings
@friendly_errors
def refresh_command(settings: Settings, urls: tuple[str, ...], full: bool, progress: bool | None) -> None:
    """Fetch every followed feed (or just URLS) once and store new and updated articles.

    Unchanged feeds and pages cost one small request and no embedding. A refresh that was
    interrupted resumes where it stopped.
    """
    from tqdm import tqdm

    engine = Engine(settings)
    if not engine.feeds():
        fail("no feeds followed yet; add one with `newsbot feeds add URL`")
    show = sys.stderr.isatty() if progress is None else progress
    with tqdm(unit="entry", disable=not show, dynamic_ncols=True) as bar:

        def on_progress(done: int, total: int) -> None:
            bar.total = total
            bar.n = done
            bar.refresh()

        report = engine.refresh_feeds(urls, full=full, progress=on_progress)
    for item in report.feeds_failed:
        click.echo(click.style("feed failed ", fg="red") + item.reason, err=True)
    for warning in report.warnings:
        click.echo(click.style("warning ", fg="yellow") + warning, err=True)
    for item in report.skipped:
        click.echo(click.style("skipped ", fg="yellow") + f"{item.key}: {item.reason}", err=True)
    click.echo(report.summary())
    if report.feeds and len(report.feeds_failed) == report.feeds:
        fail("every feed failed (see above)")
