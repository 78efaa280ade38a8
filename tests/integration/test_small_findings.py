"""Finding 8 of issue 11: the smaller ones, each a one-line answer instead of a surprise."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import stat

import discord
from click.testing import CliRunner

from retrieval.indexing.store import NewsIndex
from retrieval.settings import Settings
from retrieval.sources.feeds import add_feed, refresh_feeds
from tests.helpers import SEED_QUESTION, SEEDS, run_newsbot
from tests.http_server import Route


def test_newsbot_discord_without_network_fails_in_one_line(tmp_path, monkeypatch):
    from bot.cli import main

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens there once the block ends: "no network"
    monkeypatch.setattr(discord.http.Route, "BASE", f"http://127.0.0.1:{port}/api/v10")
    handlers = list(logging.getLogger().handlers)
    try:
        result = CliRunner().invoke(main, ["--env-file", str(tmp_path / "none.env"), "--data-dir", str(tmp_path),
                                           "discord"], env={"DISCORD_TOKEN": "abc.def.ghi", "NEWSBOT_THREADS": "1"})
    finally:
        logging.getLogger().handlers[:] = handlers
    errors = [ln for ln in result.output.splitlines() if ln.startswith("error: ")]
    assert result.exit_code == 1 and len(errors) == 1 and "cannot reach Discord" in errors[0], result.output
    assert "Traceback" not in result.output and "abc.def.ghi" not in result.output
    assert not isinstance(result.exception, (asyncio.TimeoutError, OSError))


def test_a_feed_date_in_year_9999_is_not_stored(server, fast, embeddings):
    feed = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Odd Dates</title>
    <item><title>Forever news</title><guid>far</guid><pubDate>Fri, 31 Dec 9999 23:59:59 GMT</pubDate>
      <description>The harbour council approved the new ferry timetable for the islands.</description></item>
    <item><title>Normal news</title><guid>normal</guid><pubDate>Tue, 05 Mar 2024 09:00:00 GMT</pubDate>
      <description>The library extends its opening hours during the winter months.</description></item>
    </channel></rss>"""
    server.routes["/odd.xml"] = Route(feed, "application/rss+xml")
    index = NewsIndex.open(fast, embeddings=embeddings)
    add_feed(fast, server.url("/odd.xml"))
    assert refresh_feeds(index, fast).added == 2
    dates = {a.title: a.published_at for a in index.list_articles()}
    assert dates == {"Forever news": "", "Normal news": "2024-03-05T09:00:00Z"}
    assert index.stats()["last_published"] == "2024-03-05T09:00:00Z"


def test_an_empty_index_file_is_reported_and_kept_not_reseeded(tmp_path):
    data = tmp_path / "data"
    assert run_newsbot("ingest", str(SEEDS), data_dir=data).returncode == 0
    database = data / "chroma" / "chroma.sqlite3"
    database.write_bytes(b"")
    out = run_newsbot("ask", SEED_QUESTION, data_dir=data)
    assert out.returncode == 1 and "Traceback" not in out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "is empty (0 bytes)" in lines[0] and "move the folder" in lines[0], out.stderr
    assert "seed" not in out.stderr.lower()
    assert database.stat().st_size == 0, "the damaged file is kept as it was"


def test_env_file_values_are_not_interpolated(tmp_path, monkeypatch):
    env_file = tmp_path / ".env"
    env_file.write_text("NEWSBOT_USER_AGENT=newsbot/1 (${DISCORD_TOKEN})\n")
    monkeypatch.setenv("DISCORD_TOKEN", "super-secret-token")
    settings = Settings.load(env_file)
    assert settings.user_agent == "newsbot/1 (${DISCORD_TOKEN})"
    assert "super-secret-token" not in settings.user_agent


def test_a_missing_path_is_one_error_line_and_the_data_dir_is_private(tmp_path):
    data = tmp_path / "data"
    out = run_newsbot("ingest", str(tmp_path / "no-such-folder"), data_dir=data)
    assert out.returncode == 1 and out.stdout == ""
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "no-such-folder" in lines[0] and "no such file or folder" in lines[0], out.stderr
    assert run_newsbot("ingest", str(SEEDS), data_dir=data).returncode == 0
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert json.loads(run_newsbot("stats", "--json", data_dir=data).stdout)["articles"] == 1
