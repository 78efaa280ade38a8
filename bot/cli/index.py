"""`newsbot ingest`, `stats` and `delete`: building and inspecting the index."""

from __future__ import annotations

import json
from pathlib import Path

import click

from bot.cli.shared import fail, friendly_errors, pass_settings
from retrieval.engine import Engine
from retrieval.settings import Settings
from retrieval.types import IngestReport


def _engine(settings: Settings) -> Engine:
    return Engine.open(settings)  # chromadb and onnxruntime load here, not at `newsbot --help`


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--url", "urls", multiple=True, help="Fetch an article page (repeatable); its main text is extracted.")
@click.option("--prune", is_flag=True, help="Also delete articles whose file under the given folders is gone.")
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: only on a terminal).")
@pass_settings
@friendly_errors
def ingest(settings: Settings, paths: tuple[Path, ...], urls: tuple[str, ...], prune: bool, progress: bool | None) -> None:
    """Add articles from files and folders (.txt .md .json .jsonl .html) to the index.

    Re-running is cheap: unchanged articles are not embedded again, changed files replace their
    old version, and the same text under two names is stored once.
    """
    if not paths and not urls:
        fail("give at least one file or folder (e.g. `newsbot ingest seeds/`) or --url URL", 2)
    engine = _engine(settings)
    report = engine.ingest_paths(paths, prune=prune, progress=progress) if paths else IngestReport()
    for url in urls:
        report.merge(engine.ingest_url(url))
    for item in report.skipped:
        click.echo(click.style("skipped ", fg="yellow") + f"{item.key}: {item.reason}", err=True)
    click.echo(report.summary())
    stored = report.added + report.replaced + report.unchanged + report.duplicates
    if stored == 0 and not report.deleted:
        fail("nothing could be ingested" + (" (see the skipped files above)" if report.skipped else ""))


@click.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object (keys: articles, sentences, chunks, ...).")
@pass_settings
@friendly_errors
def stats(settings: Settings, as_json: bool) -> None:
    """What the index holds: articles, sentences, chunks, sources, date range, size on disk."""
    figures = _engine(settings).stats()
    if as_json:
        click.echo(json.dumps(figures, ensure_ascii=False))
        return
    size = figures["size_bytes"]
    rows = [
        ("articles", f"{figures['articles']:,}"),
        ("sentences", f"{figures['sentences']:,}"),
        ("chunks", f"{figures['chunks']:,}"),
        ("sources", ", ".join(figures["sources"][:10]) + (" ..." if len(figures["sources"]) > 10 else "") or "-"),
        ("published", f"{figures['first_published'] or '?'} .. {figures['last_published'] or '?'}"),
        ("size on disk", f"{size / 1e6:,.1f} MB" if size is not None else "(Chroma server)"),
        ("embeddings", figures["embedding_model"]),
        ("index", figures["location"]),
    ]
    for name, value in rows:
        click.echo(f"{name:>13}  {value}")


@click.command()
@click.argument("article_ids", nargs=-1, required=True)
@pass_settings
@friendly_errors
def delete(settings: Settings, article_ids: tuple[str, ...]) -> None:
    """Remove articles (with all their sentences and chunks) by id."""
    engine = _engine(settings)
    missing = [a for a in article_ids if not engine.delete(a)]
    for a in article_ids:
        if a not in missing:
            click.echo(f"deleted {a}")
    if missing:
        fail(f"no article with id {', '.join(missing)}; `newsbot stats` and `newsbot ask --json` show ids")
