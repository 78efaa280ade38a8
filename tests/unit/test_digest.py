"""Digests: ranking by sources and recency, citations, the schedule's clock, `newsbot digest` output."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from bot.cli import main
from retrieval.digest import has_news, latest_slot, rank, record_posted
from retrieval.types import ArticleInfo, Digest, DigestStory
from tests.integration.test_discord_digest import _articles

NOW = datetime(2025, 3, 5, 12, 0, tzinfo=UTC)


def info(aid, story, source, when=""):
    return ArticleInfo(id=aid, title=aid, source=source, published_at=when, story_id=story)


def test_more_sources_lead_until_the_story_is_a_day_older():
    fresh = [info("f", "s-fresh", "A", "2025-03-05T11:00:00Z")]
    two_recent = [info("r1", "s-two", "A", "2025-03-04T20:00:00Z"), info("r2", "s-two", "B", "2025-03-04T21:00:00Z")]
    two_old = [info("o1", "s-old", "A", "2025-03-04T00:00:00Z"), info("o2", "s-old", "B", "2025-03-04T01:00:00Z")]
    order = [sid for _, sid, _ in rank({"s-fresh": fresh, "s-two": two_recent, "s-old": two_old}, NOW)]
    assert order == ["s-two", "s-fresh", "s-old"]  # 2 x 0.5^(15/24) > 1 > 2 x 0.5^(35/24)


def test_undated_articles_group_by_story_and_missing_ids_are_their_own_story():
    groups = {"s1": [info("a", "s1", "A"), info("b", "s1", "A")], "c": [info("c", "", "B")]}
    assert [sid for _, sid, _ in rank(groups, NOW)] == ["s1", "c"]  # more articles first on equal scores


@pytest.mark.parametrize(
    ("now", "zone", "expected"),
    [
        (datetime(2025, 3, 5, 7, 59, tzinfo=UTC), "UTC", datetime(2025, 3, 4, 8, 0, tzinfo=UTC)),
        (datetime(2025, 3, 5, 8, 0, tzinfo=UTC), "UTC", datetime(2025, 3, 5, 8, 0, tzinfo=UTC)),
        (datetime(2025, 7, 1, 6, 0, tzinfo=UTC), "Europe/Paris", datetime(2025, 7, 1, 6, 0, tzinfo=UTC)),
        (datetime(2025, 3, 30, 6, 30, tzinfo=UTC), "Europe/Paris", datetime(2025, 3, 30, 6, 0, tzinfo=UTC)),  # DST day
    ],
)
def test_latest_slot_is_digest_at_in_the_time_zone(now, zone, expected):
    assert latest_slot(now, "08:00", zone) == expected


def test_news_since_the_last_posted_digest(tmp_path):
    story = DigestStory("s1", "t", ("A",), 1, "", ())
    first = Digest(stories=(story,), article_ids=("a1",))
    assert has_news(first, tmp_path)
    record_posted(tmp_path, first, NOW)
    assert not has_news(first, tmp_path)
    assert has_news(Digest(stories=(story,), article_ids=("a1", "a2")), tmp_path)
    assert not has_news(Digest(), tmp_path)  # an empty digest is never posted
    (tmp_path / "digest.json").write_text("{broken")
    assert has_news(first, tmp_path)  # an unreadable log: post rather than stay silent


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    from retrieval.engine import Engine
    from retrieval.settings import Settings

    data = tmp_path_factory.mktemp("digest")
    Engine.open(Settings(data_dir=data, threads=1)).index.add_articles(_articles())
    return data


def cli(data_dir, *args):
    return CliRunner().invoke(main, ["--data-dir", str(data_dir), "digest", *args])


def test_cli_json_ranks_the_two_source_story_first_with_deep_links(data_dir):
    out = cli(data_dir, "--since", "2025-03-01", "--format", "json")
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    first = data["stories"][0]
    assert first["sources"] == ["Coast Times", "Example Gazette"] and first["articles"] == 2
    assert 1 <= len(first["citations"]) <= 2
    assert [c["n"] for s in data["stories"] for c in s["citations"]] == list(range(1, 1 + sum(len(s["citations"]) for s in data["stories"])))
    assert data["filters"]["since"].startswith("2025-03-01") and data["total"] == 2


def test_cli_markdown_and_text(data_dir):
    md = cli(data_dir, "--since", "2025-03-01", "--format", "md", "-n", "1")
    assert md.exit_code == 0 and md.output.startswith("# News digest")
    assert "## 1. " in md.output and "#:~:text=" in md.output and "## 2." not in md.output
    text = cli(data_dir, "--since", "2025-03-01", "--topic", "bridge repairs")
    assert text.exit_code == 0 and "Swing bridge" in text.output and "strike" not in text.output.lower()
    assert "1 of 1 stories" in text.output


def test_cli_bad_input_is_one_line(data_dir):
    bad = cli(data_dir, "--since", "soonish")
    assert bad.exit_code == 1 and bad.output.count("\n") == 1 and "error:" in bad.output
    unknown = cli(data_dir, "--since", "all", "--source", "Coast Tims")
    assert unknown.exit_code == 1 and "Coast Times" in unknown.output
    empty = cli(data_dir, "--since", "24h")
    assert empty.exit_code == 0 and "newest article is from 2025-03-04" in empty.output


@pytest.mark.parametrize(("name", "value", "says"), [("NEWSBOT_DIGEST_AT", "8am", "HH:MM"),
                                                     ("NEWSBOT_TIMEZONE", "Mars/Olympus", "IANA")])
def test_bad_schedule_settings_are_one_line_at_start(tmp_path, name, value, says):
    out = CliRunner().invoke(main, ["--data-dir", str(tmp_path), "digest"], env={name: value})
    assert out.exit_code != 0 and says in out.output and out.output.count("\n") == 1
