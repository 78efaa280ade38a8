"""Digests in Discord: /digest, and the scheduled digest driven by a fixed clock against the fake Discord."""

from __future__ import annotations

from datetime import UTC, datetime

from retrieval.types import Article
from tests.fake_discord import EPHEMERAL
from tests.integration.test_discord import World, bot_settings, fresh_engine, run  # noqa: F401  (fixtures)

STRIKE = (
    "The harbour strike in Port Ellis ended on Monday after nine days. Dock workers accepted a pay rise "
    "of 7 percent, the union said. Shipping companies said the backlog of 140 vessels would clear within "
    "two weeks. The port authority thanked residents for their patience during the dispute."
)
BRIDGE = (
    "The old swing bridge over the Ellis river will close for repairs from April. Engineers found "
    "corrosion in two of its steel girders during an inspection in February. A ferry will carry "
    "pedestrians and cyclists while the bridge is shut, the council said."
)


def _articles(day: str = "2025-03-04") -> list[Article]:
    return [
        Article(title="Harbour strike ends after nine days", text=STRIKE, source="Example Gazette",
                published_at=f"{day}T06:00:00Z", url="https://gazette.example.org/strike", key="g1"),
        Article(title="Port Ellis dockers end strike", text=STRIKE + " Trade resumed at noon.", source="Coast Times",
                published_at=f"{day}T07:00:00Z", url="https://coast.example.org/strike", key="c1"),
        Article(title="Swing bridge to close for repairs", text=BRIDGE, source="Coast Times",
                published_at=f"{day}T05:00:00Z", url="https://coast.example.org/bridge", key="c2"),
    ]


def test_scheduled_digest_posts_at_the_set_time_and_skips_when_nothing_is_new(run, fresh_engine):  # noqa: F811
    fresh_engine.index.add_articles(_articles())
    clock = [datetime(2025, 3, 4, 7, 59, tzinfo=UTC)]

    async def scenario(w: World):
        f, cog = w.fake, w.bot.get_cog("Digests")
        assert not cog.schedule.is_running()  # no channel configured
        w.bot.settings = w.bot.settings.with_(digest_channel=int(w.channel["id"]), digest_since="3d")
        cog.clock = lambda: clock[0]
        assert await cog.tick() == "started"  # a bot started before 08:00 posts at 08:00, not now
        assert not f.bot_messages(w.channel)
        clock[0] = datetime(2025, 3, 4, 8, 0, 30, tzinfo=UTC)
        assert await cog.tick() == "posted"
        msgs = f.bot_messages(w.channel)
        text = "\n".join(m["content"] for m in msgs)
        assert "News digest, Tuesday 04 March 2025" in text
        assert "2 sources: Coast Times, Example Gazette" in text  # the strike leads: two outlets carry it
        assert text.index("strike") < text.index("bridge")
        assert "[1]" in text and "open the sentence" in text
        assert all(len(m["content"]) <= 2000 and m["allowed_mentions"] == {"parse": []} for m in msgs)
        clock[0] = datetime(2025, 3, 4, 8, 5, tzinfo=UTC)
        assert await cog.tick() == "waiting"
        clock[0] = datetime(2025, 3, 5, 8, 1, tzinfo=UTC)
        assert await cog.tick() == "skipped"  # the same articles as yesterday's digest
        assert len(f.bot_messages(w.channel)) == len(msgs)
        fresh_engine.index.add_articles([Article(title="Ferry fares to rise", source="Example Gazette",
                                                 text="Ferry fares will rise by 5 percent in May, the operator said.",
                                                 published_at="2025-03-05T09:00:00Z", key="g2")])
        clock[0] = datetime(2025, 3, 6, 8, 0, tzinfo=UTC)
        assert await cog.tick() == "posted"
        assert "Ferry fares" in "\n".join(m["content"] for m in f.bot_messages(w.channel)[len(msgs):])

    run(scenario, fresh_engine)


def test_scheduled_digest_follows_the_time_zone_and_splits_long_digests(run, fresh_engine):  # noqa: F811
    topics = ["coal mine", "city orchestra", "rail timetable", "vaccine trial", "election count", "marathon route",
              "museum theft", "forest wildfire"]
    many = [Article(title=f"The {t} story, told at length: " + "details " * 20, source=f"Outlet {i}",
                    text=(f"Officials in charge of the {t} said on Tuesday that " + f"the {t} " * 25 + "was their main worry. ")
                    * 2 + f"Residents near the {t} were told to wait for news.",
                    published_at="2025-07-01T05:00:00Z", key=f"r{i}") for i, t in enumerate(topics)]
    fresh_engine.index.add_articles(many)
    clock = [datetime(2025, 7, 1, 5, 0, tzinfo=UTC)]  # 07:00 in Paris (UTC+2 in July)

    async def scenario(w: World):
        f, cog = w.fake, w.bot.get_cog("Digests")
        w.bot.settings = w.bot.settings.with_(digest_channel=int(w.channel["id"]), timezone="Europe/Paris")
        fresh_engine.settings = fresh_engine.settings.with_(timezone="Europe/Paris")  # one Settings in production
        cog.clock = lambda: clock[0]
        assert await cog.tick() == "started"
        clock[0] = datetime(2025, 7, 1, 6, 0, 5, tzinfo=UTC)  # 08:00:05 in Paris
        assert await cog.tick() == "posted"
        msgs = f.bot_messages(w.channel)
        assert len(msgs) > 1 and all(len(m["content"]) <= 2000 for m in msgs)
        text = "\n".join(m["content"] for m in msgs)
        assert all(f"Outlet {i}" in text for i in range(8))  # nothing dropped

    run(scenario, fresh_engine)


def test_digest_command_answers_publicly_and_says_why_when_empty(run, fresh_engine):  # noqa: F811
    fresh_engine.index.add_articles(_articles("2024-01-10"))

    async def scenario(w: World):
        f = w.fake
        inter = await f.slash("digest", w.alice, w.channel, {"since": "all"})
        await f.wait_for(lambda: inter.original and inter.original["content"])
        assert "News digest" in inter.original["content"] and not inter.original["flags"] & EPHEMERAL
        assert "Harbour strike" in inter.original["content"] or "dockers" in inter.original["content"]
        none = await f.slash("digest", w.alice, w.channel, {"since": "24h", "topic": "bridge"})
        await f.wait_for(lambda: none.followups)
        assert none.followups[0]["flags"] & EPHEMERAL and "newest article is from 2024-01-10" in none.followups[0]["content"]

    run(scenario, fresh_engine)
