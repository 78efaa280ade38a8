"""The Discord bot: the real discord.py client against a fake Discord on loopback, and the renderer."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import threading
from dataclasses import dataclass, field

import pytest
from click.testing import CliRunner

from bot.discord.bot import NewsBot
from bot.discord.render import (
    MAX_ANSWER_MESSAGES,
    MESSAGE_LIMIT,
)
from retrieval.settings import Settings
from retrieval.sources.feed_store import list_feeds
from retrieval.sources.feeds import add_feed
from tests.fake_discord import ADMINISTRATOR, EPHEMERAL, FakeDiscord, InvalidFormBody, validate_message
from tests.helpers import SEED_QUESTION, run_newsbot
from tests.helpers import long_answer as make_long_answer

TOKEN = "MTA5.fake-discord-token.S3CR3T-do-not-log"


# ---------------------------------------------------------------------------------------------
# Harness: a fake Discord with one guild, the real bot connected to it


@dataclass
class World:
    fake: FakeDiscord
    bot: NewsBot
    guild: dict
    channel: dict
    alice: dict  # a reader
    admin: dict  # has the configured admin role
    other_bot: dict
    extra: dict = field(default_factory=dict)


@contextlib.asynccontextmanager
async def running_bot(monkeypatch, engine, settings: Settings, prepare=None):
    fake = await FakeDiscord(token=TOKEN).start()
    fake.patch(monkeypatch)
    guild = fake.add_guild("Newsroom", channels=("general", "random"))
    editors = fake.add_role(guild, "editors")
    world = World(fake, None, guild, guild["channels"][0], fake.add_user("alice", guild),  # type: ignore[arg-type]
                  fake.add_user("ed", guild, roles=(editors,)), fake.add_user("otherbot", guild, bot=True))
    if prepare:
        prepare(world)
    bot = NewsBot(engine, settings, guild_ready_timeout=0.05)
    world.bot = bot
    task = asyncio.create_task(bot.start(TOKEN))
    try:
        await asyncio.wait_for(bot.wait_until_ready(), 15)
        yield world
    finally:
        await bot.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 10)
        await fake.close()


@pytest.fixture
def bot_settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path / "data", threads=1, discord_token=TOKEN, discord_admin_role="editors",
                    discord_rate_per_minute=60.0, discord_burst=5, discord_max_concurrent=2,
                    allow_private_urls=True)  # the test HTTP server is on 127.0.0.1


@pytest.fixture
def run(monkeypatch, bot_settings):
    """run(scenario, engine, prepare=None, **settings changes): start fake + bot, await scenario(world), stop.

    `prepare(world)` runs before the bot connects (to add guilds, users...)."""

    def _run(scenario, engine, prepare=None, **changes):
        async def main():
            async with running_bot(monkeypatch, engine, bot_settings.with_(**changes), prepare) as world:
                await scenario(world)

        asyncio.run(main())

    return _run


async def quiet(fake: FakeDiscord, seconds: float = 0.3) -> int:
    """Let the bot react (or not) for a moment; return how many requests it made meanwhile."""
    before = len(fake.requests)
    await asyncio.sleep(seconds)
    return len(fake.requests) - before


class RecordingEngine:
    """The real engine, plus a note of every question and history it was handed."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.calls: list[tuple[str, tuple]] = []
        self.threads: set[str] = set()

    def ask(self, question, history=()):
        self.calls.append((question, tuple(history)))
        self.threads.add(threading.current_thread().name)
        return self.engine.ask(question, history)

    def __getattr__(self, name):  # everything else: the real engine's
        return getattr(self.engine, name)


@pytest.fixture
def fresh_engine(bot_settings):
    """A real Engine over an empty on-disk index in the bot's data folder (for tests that add articles or feeds)."""
    from retrieval.engine import Engine

    return Engine.open(bot_settings)


PROTEST_ARTICLE = {
    "title": "Harbour strike ends after nine days",
    "url": "https://news.example.org/2025/harbour-strike",
    "source": "Example Gazette",
    "published_at": "2025-03-04T08:00:00Z",
    "text": (
        "The harbour strike in Port Ellis ended on Monday after nine days. "
        "Dock workers accepted a pay rise of 7 percent, the union said. "
        "A notice pinned at the gate read: @everyone back to work at 6 am. "
        "Shipping companies said the backlog of 140 vessels would clear within two weeks."
    ),
}


def _done(inter) -> bool:
    """The deferred answer arrived (the "thinking..." message was replaced or followed up)."""
    msgs = [m for m in inter.messages if not m["flags"] & 128]
    return bool(inter.callback) and bool(msgs) and any(m["content"] or m["embeds"] for m in msgs)


# ---------------------------------------------------------------------------------------------
# Login, commands, /ask, sources


def test_login_syncs_commands_and_ask_defers_then_answers_with_sources(run, seed_engine, caplog):
    caplog.set_level(logging.DEBUG)  # every library debug line too: the token must appear in none

    async def scenario(w: World):
        f = w.fake
        assert f.intents is not None and f.intents & (1 << 15), "message content intent is needed for follow-ups"
        synced = {c["name"]: c for c in f.commands[None]}
        assert set(synced) == {"ask", "latest", "digest", "sources", "help", "stats", "ingest", "feeds"}
        for cmd in synced.values():
            assert cmd["description"]
            assert all(o["description"] for o in cmd.get("options", [])), cmd["name"]
        subs = {o["name"]: o for o in synced["feeds"]["options"]}
        assert set(subs) == {"add", "remove", "list"} and all(o["type"] == 1 for o in subs.values())
        for sub in subs.values():
            assert all(o["description"] for o in sub.get("options", [])), sub["name"]
        assert synced["ask"]["options"][0]["required"] is True

        inter = await f.slash("ask", w.alice, w.channel, {"question": SEED_QUESTION})
        await f.wait_for(lambda: _done(inter))
        assert inter.callback["type"] == 5, "must defer (thinking) first"
        assert inter.callback_at - inter.created < 3.0
        msg = inter.original
        assert "88" in msg["content"] and "[1]" in msg["content"]
        assert not msg["flags"] & EPHEMERAL
        assert msg["allowed_mentions"] == {"parse": []}
        field = msg["embeds"][0]["fields"][0]
        assert field["name"].startswith("[1] ")
        assert "88" in field["value"] and "> " in field["value"]
        # "Show sources" gives the full quotes, only to whoever presses it.
        button = msg["components"][0]["components"][0]
        assert button["label"] == "Show sources"
        click = await f.click(msg, button["custom_id"], w.alice)
        await f.wait_for(lambda: click.callback)
        assert click.callback["type"] == 4 and click.callback["data"]["flags"] & EPHEMERAL
        full = click.callback["data"]["embeds"][0]["description"]
        quote = seed_engine.ask(SEED_QUESTION).citations[0].quote
        assert quote in full.replace("\\", "")
        # /sources shows the same for the last answer in the channel.
        src = await f.slash("sources", w.alice, w.channel)
        await f.wait_for(lambda: src.callback)
        assert src.callback["data"]["embeds"] == click.callback["data"]["embeds"]
        failed = [(r.method, r.path, r.status, r.response) for r in f.requests if r.status >= 400]
        assert not failed

    run(scenario, seed_engine)
    assert TOKEN not in caplog.text
    assert TOKEN not in repr(Settings(discord_token=TOKEN)), "a settings object in a traceback or log line"
    assert "ready as newsbot" in caplog.text
    line = [r for r in caplog.records if r.name == "newsbot.discord" and r.getMessage().startswith("question ")]
    assert len(line) == 1 and "citations=" in line[0].getMessage() and "abstained=False" in line[0].getMessage()
    assert not [r for r in caplog.records if r.levelno >= logging.INFO and "Venezuela" in r.getMessage()], \
        "no question or answer text in logs at INFO"


def test_the_index_is_loaded_while_the_bot_connects_before_any_question(run, seed_settings, caplog):
    from retrieval.engine import Engine

    caplog.set_level(logging.INFO, logger="newsbot.discord")
    engine = RecordingEngine(Engine(seed_settings))  # the seed index, opened afresh: nothing loaded yet
    warmed = []
    real = engine.engine.warm_up
    engine.warm_up = lambda: (warmed.append(threading.current_thread().name), real())[1]

    async def scenario(w: World):
        await asyncio.wait_for(w.bot.warm_up_task, 60)
        assert len(warmed) == 1 and warmed[0].startswith("newsbot-engine")  # in a worker, off the event loop
        assert engine.engine._searcher is not None and engine.engine._searcher._lexical is not None
        assert engine.calls == []  # no question was asked for it

    run(scenario, engine)
    assert "index loaded for questions in" in caplog.text


def test_no_answer_is_private_and_help_stats_work(run, seed_engine):
    async def scenario(w: World):
        f = w.fake
        inter = await f.slash("ask", w.alice, w.channel, {"question": "What is the boiling point of tungsten?"})
        await f.wait_for(lambda: inter.followups)
        assert inter.original is None, "the public 'thinking' message is removed"
        assert inter.followups[0]["flags"] & EPHEMERAL
        assert not [m for m in f.bot_messages(w.channel) if m["content"]], "nothing public in the channel"
        nothing = await f.slash("sources", w.alice, w.guild["channels"][1])
        helped = await f.slash("help", w.alice, w.channel)
        stats = await f.slash("stats", w.alice, w.channel)
        await f.wait_for(lambda: nothing.callback and helped.callback and _done(stats))
        assert "No answer here yet" in nothing.callback["data"]["content"]
        assert "/ask" in helped.callback["data"]["content"] and helped.callback["data"]["flags"] & EPHEMERAL
        assert "**1** articles" in stats.original["content"] and "Latest article" in stats.original["content"]

    run(scenario, seed_engine)


def test_a_declined_question_points_its_asker_to_the_closest_story(run, seed_engine):
    async def scenario(w: World):
        f = w.fake
        inter = await f.slash("ask", w.alice, w.channel, {"question": "When will the remaining prisoners be freed?"})
        await f.wait_for(lambda: inter.followups)
        reply = inter.followups[0]
        assert reply["flags"] & EPHEMERAL and reply["content"].startswith("The articles don't say.")
        assert '\n-# closest story (it may not say): "The Venezuelan government has announced' in reply["content"]

    run(scenario, seed_engine)


# ---------------------------------------------------------------------------------------------
# Mentions, threads, follow-ups, DMs


def test_mention_opens_thread_and_followup_uses_thread_history(run, seed_engine):
    engine = RecordingEngine(seed_engine)

    async def scenario(w: World):
        f = w.fake
        await f.message(w.alice, w.channel, SEED_QUESTION, mention_bot=True)
        thread = (await f.wait_for(lambda: f.threads(w.channel)))[0]
        assert thread["name"] == SEED_QUESTION
        first = await f.wait_for(lambda: f.bot_messages(thread))
        assert "88" in first[0]["content"] and first[0]["embeds"]
        assert not [m for m in f.bot_messages(w.channel)], "the answer goes in the thread, not the channel"

        await f.message(w.alice, thread, "and who claimed victory?")
        await f.wait_for(lambda: len(f.bot_messages(thread)) >= 2)
        question, history = engine.calls[-1]
        assert question == "and who claimed victory?"
        assert len(history) == 1 and history[0][0] == SEED_QUESTION and "88" in history[0][1]
        assert "[1]" not in history[0][1]
        # A message in the channel that doesn't mention the bot is none of its business.
        await quiet(f, 0.1)
        await f.message(w.alice, w.channel, "lunch anyone?")
        assert await quiet(f) == 0

    run(scenario, engine)
    assert engine.threads and all(t.startswith("newsbot-engine") for t in engine.threads), "engine runs off the loop"


def test_direct_message_is_answered_with_dm_history(run, seed_engine):
    engine = RecordingEngine(seed_engine)

    async def scenario(w: World):
        f = w.fake
        dm = f.dm_channel(w.alice)
        await f.message(w.alice, dm, SEED_QUESTION)
        await f.wait_for(lambda: f.bot_messages(dm))
        assert "88" in f.bot_messages(dm)[0]["content"]
        await f.message(w.alice, dm, "when were they detained?")
        await f.wait_for(lambda: len(f.bot_messages(dm)) >= 2)
        assert engine.calls[-1][1][0][0] == SEED_QUESTION

    run(scenario, engine)


def test_ignores_other_bots_and_itself(run, seed_engine):
    async def scenario(w: World):
        f = w.fake
        await f.message(w.other_bot, w.channel, SEED_QUESTION, mention_bot=True)
        assert await quiet(f) == 0
        # Its own answer comes back through the gateway as MESSAGE_CREATE: no reply loop.
        await f.message(w.alice, w.channel, SEED_QUESTION, mention_bot=True)
        thread = (await f.wait_for(lambda: f.threads(w.channel)))[0]
        await f.wait_for(lambda: f.bot_messages(thread))
        await asyncio.sleep(0.3)
        assert len(f.bot_messages(thread)) == 1

    run(scenario, seed_engine)


def test_allowlists_keep_the_bot_out_of_other_channels(run, seed_engine, bot_settings):
    async def scenario(w: World):
        f = w.fake
        await f.message(w.alice, w.channel, SEED_QUESTION, mention_bot=True)
        assert await quiet(f) == 0
        inter = await f.slash("ask", w.alice, w.channel, {"question": SEED_QUESTION})
        await f.wait_for(lambda: inter.callback)
        assert inter.callback["type"] == 4 and inter.callback["data"]["flags"] & EPHEMERAL
        assert "not enabled" in inter.callback["data"]["content"]

    run(scenario, seed_engine, discord_channels=(424242,))


def test_allowlists_apply_to_every_command_and_admin_guilds_limit_feeds_and_ingest(run, fresh_engine, server):
    # Issue 11: /feeds and /ingest used to skip the allowlists, so an administrator of any guild the bot
    # had joined could add a feed every reader would then be quoted.
    server.file("/rss2.xml", "rss2.xml", "application/rss+xml")
    data = json.dumps(PROTEST_ARTICLE).encode()

    async def outside(w: World):
        f = w.fake
        attachment = f.add_attachment("strike.json", data, "application/json")
        for name, user, options, attachments in (
            ("feeds add", w.admin, {"url": server.url("/rss2.xml")}, ()),
            ("feeds list", w.admin, {}, ()),
            ("ingest", w.admin, {"file": attachment["id"]}, (attachment,)),
            ("stats", w.alice, {}, ()),
            ("sources", w.alice, {}, ()),
            ("help", w.alice, {}, ()),
        ):
            inter = await f.slash(name, user, w.channel, options, attachments=attachments)
            await f.wait_for(lambda inter=inter: inter.callback)
            assert inter.callback["data"]["flags"] & EPHEMERAL, name
            assert "not enabled in this channel" in inter.callback["data"]["content"], name
        assert not server.requests("/rss2.xml") and fresh_engine.stats()["articles"] == 0
        assert list_feeds(w.bot.settings) == []

    run(outside, fresh_engine, discord_channels=(424242,))

    async def not_an_admin_guild(w: World):
        f = w.fake
        inter = await f.slash("feeds add", w.admin, w.channel, {"url": server.url("/rss2.xml")})
        await f.wait_for(lambda: inter.callback)
        assert "don't manage feeds in this server" in inter.callback["data"]["content"]
        attachment = f.add_attachment("strike.json", data, "application/json")
        up = await f.slash("ingest", w.admin, w.channel, {"file": attachment["id"]}, attachments=(attachment,))
        await f.wait_for(lambda: up.callback)
        assert "don't add articles in this server" in up.callback["data"]["content"]
        asked = await f.slash("ask", w.alice, w.channel, {"question": "What is new?"})  # readers still ask
        await f.wait_for(lambda: _done(asked))
        assert not server.requests("/rss2.xml") and fresh_engine.stats()["articles"] == 0

    run(not_an_admin_guild, fresh_engine, discord_admin_guilds=(777,))


def test_shard_count_setting_runs_that_many_shards(run, seed_engine, monkeypatch):
    async def no_wait(self, shard_id, *, initial=False):  # discord.py spaces IDENTIFYs 5 s apart
        return None

    monkeypatch.setattr(NewsBot, "before_identify_hook", no_wait)

    def prepare(w: World):
        while True:  # a second guild that Discord would route to shard 1
            guild = w.fake.add_guild("Desk")
            if FakeDiscord.shard_of(int(guild["id"]), 2) != FakeDiscord.shard_of(int(w.guild["id"]), 2):
                break
        w.extra.update(guild=guild, user=w.fake.add_user("bob", guild))

    async def scenario(w: World):
        assert sorted(i["shard"] for i in w.fake.identifies) == [[0, 2], [1, 2]]
        assert w.bot.shard_count == 2
        for guild, user in ((w.guild, w.alice), (w.extra["guild"], w.extra["user"])):
            inter = await w.fake.slash("ask", user, guild["channels"][0], {"question": SEED_QUESTION})
            await w.fake.wait_for(lambda inter=inter: _done(inter))
            assert "88" in inter.original["content"]

    run(scenario, seed_engine, prepare, discord_shards=2)


# ---------------------------------------------------------------------------------------------
# Limits and safety


def test_concurrent_questions_are_capped_and_the_overflow_is_told_to_wait(run, seed_engine):
    engine = RecordingEngine(seed_engine)
    gate, lock, active, peak = threading.Event(), threading.Lock(), [0], [0]
    real_ask = engine.ask

    def gated_ask(question, history=()):  # the real engine, held until the test opens the gate
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        try:
            gate.wait(10)
            return real_ask(question, history)
        finally:
            with lock:
                active[0] -= 1

    engine.ask = gated_ask

    async def scenario(w: World):
        f = w.fake
        # 1 worker and room for 4 waiting questions: the 5th is turned away politely.
        inters = [await f.slash("ask", w.alice, w.channel, {"question": SEED_QUESTION}) for _ in range(5)]
        busy = await f.wait_for(lambda: [i for i in inters if i.followups])
        assert len(busy) == 1 and "a lot of questions" in busy[0].followups[0]["content"]
        assert busy[0].followups[0]["flags"] & EPHEMERAL
        gate.set()
        await f.wait_for(lambda: sum(_done(i) for i in inters if i is not busy[0]) == 4)
        assert all("88" in i.original["content"] for i in inters if i is not busy[0])

    run(scenario, engine, discord_max_concurrent=1)
    assert peak[0] == 1


def test_fifty_questions_at_once_are_each_answered_or_told_to_wait_and_heartbeats_keep_going(run, seed_engine, caplog):
    # Issue 11's load test: 50 people ask at the same moment. Every one gets a reply (the answer, or
    # the polite "try again"), none is lost or left "thinking...", and the gateway heartbeat keeps
    # going while the engine is busy (it never runs on the event loop).
    engine = RecordingEngine(seed_engine)
    gate = threading.Event()
    real_ask = engine.ask

    def held_ask(question, history=()):
        gate.wait(30)
        return real_ask(question, history)

    engine.ask = held_ask
    interval_s = 0.5

    def prepare(w: World):
        w.fake.heartbeat_interval_ms = int(interval_s * 1000)
        w.extra["readers"] = [w.fake.add_user(f"reader{i}", w.guild) for i in range(50)]

    async def scenario(w: World):
        f = w.fake
        inters = await asyncio.gather(*(f.slash("ask", r, w.channel, {"question": SEED_QUESTION})
                                        for r in w.extra["readers"]))
        # Everyone is acknowledged at once; those beyond the queue are told to wait right away.
        await f.wait_for(lambda: all(i.callback for i in inters), timeout=30)
        slots = w.bot.slots * 4  # running + waiting questions the bot accepts (WAITING_PER_SLOT)
        told = await f.wait_for(lambda: (b := [i for i in inters if i.followups]) and len(b) == 50 - slots and b,
                                timeout=30)
        assert all("a lot of questions" in i.followups[0]["content"] and i.followups[0]["flags"] & EPHEMERAL
                   for i in told)
        # The engine is now holding `slots` questions; the gateway must stay alive meanwhile: two more
        # heartbeats arrive while they are held (a generous deadline, not a timing check: a blocked
        # event loop sends none at all, however long we wait).
        beats_before = len(f.heartbeats)
        await f.wait_for(lambda: len(f.heartbeats) - beats_before >= 2, timeout=60)
        assert not gate.is_set()
        gate.set()
        waiting = [i for i in inters if i not in told]
        await f.wait_for(lambda: all(_done(i) for i in waiting), timeout=60)
        assert all("88" in i.original["content"] for i in waiting)
        assert len(told) + len(waiting) == 50  # none lost
        assert len(f.identifies) == 1, "no reconnect"
        assert all(r.status < 400 for r in f.requests), [r.response for r in f.requests if r.status >= 400]

    with caplog.at_level(logging.WARNING, logger="discord"):
        run(scenario, engine, prepare, discord_max_concurrent=2)
    assert not [r for r in caplog.records if "heartbeat blocked" in r.getMessage()]


def test_long_answer_is_split_at_sentences_bounded_and_every_source_is_kept(run):
    long_answer = make_long_answer(n_sentences=90, n_citations=40)

    class ScriptedEngine:  # the exact long answer this test needs (the real engine's answers are short)
        def ask(self, question, history=()):
            return long_answer

    async def scenario(w: World):
        f = w.fake
        inter = await f.slash("ask", w.alice, w.channel, {"question": "everything about the strike"})
        await f.wait_for(lambda: _done(inter) and len(inter.messages) >= MAX_ANSWER_MESSAGES)
        await quiet(f, 0.3)
        assert all(r.status < 400 for r in f.requests), [r.response for r in f.requests if r.status >= 400]
        msgs = inter.messages
        # Issue 11: one answer posts at most MAX_ANSWER_MESSAGES public messages, the rest is one click away.
        assert len(msgs) <= MAX_ANSWER_MESSAGES
        texts = [m["content"] for m in msgs if m["content"]]
        assert all(len(t) <= MESSAGE_LIMIT for t in texts)
        assert all(t.rstrip().endswith((".", "]")) for t in texts[:-1]), "split at sentence ends"
        assert "Answer shortened" in texts[-1] and "Show sources" in texts[-1]
        shown = re.sub(r"\s+", "", "".join(texts).split("-# Answer shortened")[0])
        assert re.sub(r"\s+", "", long_answer.answer).startswith(shown)
        button = next(m for m in msgs if m["components"])["components"][0]["components"][0]
        click = await f.click(next(m for m in msgs if m["components"]), button["custom_id"], w.alice)
        await f.wait_for(lambda: click.callback)
        await quiet(f, 0.3)
        full = json.dumps(click.callback["data"]["embeds"]) + json.dumps(
            [r.body for r in f.requests if "/webhooks/" in r.path and r.method == "POST"], default=str)
        assert all(f"[{i}]" in full for i in range(1, 41)), "every source is behind Show sources"

    run(scenario, ScriptedEngine())


def test_everyone_in_an_article_pings_nobody_and_links_to_the_sentence(run, fresh_engine, tmp_path):
    (tmp_path / "strike.json").write_text(json.dumps(PROTEST_ARTICLE))
    fresh_engine.ingest_paths([tmp_path / "strike.json"])

    async def scenario(w: World):
        f = w.fake
        inter = await f.slash("ask", w.alice, w.channel, {"question": "What did the notice at the gate say?"})
        await f.wait_for(lambda: _done(inter))
        msg = inter.original
        assert "@everyone" in msg["content"] + json.dumps(msg["embeds"])
        assert msg["allowed_mentions"] == {"parse": []} and msg["mention_everyone"] is False
        assert "https://news.example.org/2025/harbour-strike#:~:text=" in json.dumps(msg["embeds"])
        # A question full of pings, asked by mention: the thread and answer ping nobody either.
        await f.message(w.alice, w.channel, f"@everyone <@{w.admin['id']}> what did the notice say?", mention_bot=True)
        thread = (await f.wait_for(lambda: f.threads(w.channel)))[0]
        posted = await f.wait_for(lambda: f.bot_messages(thread))
        assert all(m["allowed_mentions"] == {"parse": []} and not m["mention_everyone"] and not m["mentions"]
                   for m in posted)

    run(scenario, fresh_engine)


def test_rate_limit_replies_politely(run, seed_engine):
    async def scenario(w: World):
        f = w.fake
        first = await f.slash("ask", w.alice, w.channel, {"question": SEED_QUESTION})
        await f.wait_for(lambda: _done(first))
        second = await f.slash("ask", w.alice, w.channel, {"question": SEED_QUESTION})
        await f.wait_for(lambda: second.callback)
        assert second.callback["type"] == 4 and second.callback["data"]["flags"] & EPHEMERAL
        assert "try again in" in second.callback["data"]["content"]
        # Someone else still gets an answer; by mention the refusal is a reply.
        other = await f.slash("ask", w.admin, w.channel, {"question": SEED_QUESTION})
        await f.wait_for(lambda: _done(other))
        await f.message(w.alice, w.channel, SEED_QUESTION, mention_bot=True)
        reply = await f.wait_for(lambda: [m for m in f.bot_messages(w.channel) if "try again in" in m["content"]])
        assert reply[0]["allowed_mentions"] == {"parse": []}

    run(scenario, seed_engine, discord_rate_per_minute=1.0, discord_burst=1)


def test_discord_429s_are_waited_out_and_retried(run, seed_engine):
    async def scenario(w: World):
        f = w.fake
        f.rate_limit("POST", r"^/webhooks/", times=1, retry_after=0.3)
        f.rate_limit("POST", r"^/channels/\d+/messages$", times=1, retry_after=0.3)
        inter = await f.slash("ask", w.alice, w.channel, {"question": SEED_QUESTION})
        await f.wait_for(lambda: _done(inter))
        hooks = f.sent("POST", r"^/webhooks/")
        assert [r.status for r in hooks] == [429, 200] and hooks[1].at - hooks[0].at >= 0.25
        await f.message(w.alice, w.channel, SEED_QUESTION, mention_bot=True)
        thread = (await f.wait_for(lambda: f.threads(w.channel)))[0]
        await f.wait_for(lambda: f.bot_messages(thread))
        assert [r.status for r in f.sent("POST", r"^/channels/\d+/messages$")][:2] == [429, 200]

    run(scenario, seed_engine)


def test_fake_discord_enforces_the_interaction_deadline(run, seed_engine):
    async def scenario(w: World):
        w.fake.interaction_deadline = 0.0  # as if the bot took longer than 3 s to acknowledge
        inter = await w.fake.slash("ask", w.alice, w.channel, {"question": SEED_QUESTION})
        await w.fake.wait_for(lambda: w.fake.sent("POST", r"/callback$"))
        rec = w.fake.sent("POST", r"/callback$")[0]
        assert rec.status == 404 and rec.response == {"message": "Unknown interaction", "code": 10062}
        assert inter.callback is None

    run(scenario, seed_engine)


def test_fake_discord_rejects_what_discord_rejects():
    validate_message({"content": "x" * 2000})
    with pytest.raises(InvalidFormBody) as exc:
        validate_message({"content": "x" * 2001})
    assert exc.value.body["code"] == 50035 and "content" in exc.value.body["errors"]
    with pytest.raises(InvalidFormBody):
        validate_message({"embeds": [{"description": "d" * 4097}]})
    with pytest.raises(InvalidFormBody):
        validate_message({"embeds": [{"fields": [{"name": "n", "value": "v"}] * 26}]})
    with pytest.raises(InvalidFormBody) as exc:
        validate_message({"embeds": [{"description": "d" * 3500}, {"description": "d" * 3500}]})
    assert "MAX_EMBED_SIZE_EXCEEDED" in json.dumps(exc.value.body)
    with pytest.raises(InvalidFormBody) as exc:
        validate_message({"content": ""})
    assert exc.value.body["code"] == 50006


# ---------------------------------------------------------------------------------------------
# /ingest


def test_ingest_by_admin_and_polite_refusal_for_others(run, fresh_engine, tmp_path):
    data = json.dumps(PROTEST_ARTICLE).encode()

    async def scenario(w: World):
        f = w.fake
        attachment = f.add_attachment("strike.json", data, "application/json")
        refused = await f.slash("ingest", w.alice, w.channel, {"file": attachment["id"]}, attachments=(attachment,))
        await f.wait_for(lambda: refused.callback)
        assert refused.callback["data"]["flags"] & EPHEMERAL and "only" in refused.callback["data"]["content"]
        assert fresh_engine.stats()["articles"] == 0

        bad = f.add_attachment("photo.png", b"\x89PNG", "image/png")
        nope = await f.slash("ingest", w.admin, w.channel, {"file": bad["id"]}, attachments=(bad,))
        await f.wait_for(lambda: nope.callback)
        assert ".json" in nope.callback["data"]["content"] and fresh_engine.stats()["articles"] == 0

        done = await f.slash("ingest", w.admin, w.channel, {"file": attachment["id"]}, attachments=(attachment,))
        await f.wait_for(lambda: _done(done))
        assert done.original["flags"] & EPHEMERAL and "1 added" in done.original["content"]
        assert fresh_engine.stats()["articles"] == 1

        # A server administrator (Discord permission, no role) may too; the same file again changes nothing.
        boss_role = f.add_role(w.guild, "boss", ADMINISTRATOR)
        boss = f.add_user("boss", w.guild, roles=(boss_role,))
        again = await f.slash("ingest", boss, w.channel, {"file": attachment["id"]}, attachments=(attachment,))
        await f.wait_for(lambda: _done(again))
        assert "1 unchanged" in again.original["content"] and fresh_engine.stats()["articles"] == 1

        asked = await f.slash("ask", w.alice, w.channel, {"question": "What pay rise did dock workers accept?"})
        await f.wait_for(lambda: _done(asked))
        assert "7 percent" in asked.original["content"]

    run(scenario, fresh_engine)


def test_background_feed_refresh_runs_and_shows_in_stats(run, fresh_engine):
    from retrieval.sources.feed_store import last_refresh

    async def scenario(w: World):
        for _ in range(100):
            if await asyncio.to_thread(last_refresh, w.bot.settings):
                break
            await asyncio.sleep(0.05)
        stats = await w.fake.slash("stats", w.alice, w.channel)
        await w.fake.wait_for(lambda: _done(stats))
        assert "Feeds last refreshed" in stats.original["content"] and "0 checked" in stats.original["content"]

    run(scenario, fresh_engine, refresh_every="1h")


# ---------------------------------------------------------------------------------------------
# /feeds


def _private_reply(inter) -> str:
    """The text of a deferred ephemeral reply (one message, within Discord's limit)."""
    msg = inter.original
    assert msg["flags"] & EPHEMERAL and msg["allowed_mentions"] == {"parse": []}
    assert len(inter.messages) == 1 and 0 < len(msg["content"]) <= MESSAGE_LIMIT
    return msg["content"]


def test_feeds_add_list_remove_by_admin(run, fresh_engine, server):
    server.file("/rss2.xml", "rss2.xml", "application/rss+xml")
    url = server.url("/rss2.xml")

    async def scenario(w: World):
        f = w.fake
        added = await f.slash("feeds add", w.admin, w.channel, {"url": url})
        await f.wait_for(lambda: _done(added))
        assert added.callback["type"] == 5, "the feed is fetched after acknowledging, not before"
        text = _private_reply(added)
        assert f"Now following <{url}>" in text and "Harbour Gazette" in text and "2 articles to fetch" in text
        assert "No background refresh" in text, "says how new articles will arrive"
        assert [r.status for r in server.requests("/rss2.xml")] == [200]
        assert [(x.url, x.title, x.pending) for x in list_feeds(w.bot.settings)] == [(url, "Harbour Gazette", 2)]

        listed = await f.slash("feeds list", w.admin, w.channel)
        await f.wait_for(lambda: _done(listed))
        text = _private_reply(listed)
        assert text.startswith("Following **1** feed:") and f"**Harbour Gazette** <{url}>" in text
        assert "0 articles, 2 to fetch" in text

        again = await f.slash("feeds add", w.admin, w.channel, {"url": url})
        await f.wait_for(lambda: _done(again))
        assert "Already following" in _private_reply(again) and len(list_feeds(w.bot.settings)) == 1

        removed = await f.slash("feeds remove", w.admin, w.channel, {"url": url})
        await f.wait_for(lambda: _done(removed))
        assert f"Stopped following <{url}>" in _private_reply(removed)
        assert list_feeds(w.bot.settings) == []
        gone = await f.slash("feeds remove", w.admin, w.channel, {"url": url})
        empty = await f.slash("feeds list", w.admin, w.channel)
        await f.wait_for(lambda: _done(gone) and _done(empty))
        assert "I'm not following" in _private_reply(gone) and "/feeds list" in _private_reply(gone)
        assert "not following any feeds yet" in _private_reply(empty)
        assert all(r.status < 400 for r in f.requests), [r.response for r in f.requests if r.status >= 400]

    run(scenario, fresh_engine)


def test_feeds_refused_for_readers_and_bad_urls_fail_in_one_line(run, fresh_engine, server, bot_settings):
    server.file("/rss2.xml", "rss2.xml", "application/rss+xml")
    server.file("/page.html", "ferry.html")  # an article page that advertises no feed
    url = server.url("/rss2.xml")
    add_feed(bot_settings, url)

    def followed(settings):  # counts change as the background refresh stores the entries
        return [(x.url, x.title) for x in list_feeds(settings)]

    before = followed(bot_settings)

    async def scenario(w: World):
        f = w.fake
        for name, options in (("feeds add", {"url": server.url("/atom.xml")}), ("feeds remove", {"url": url}),
                              ("feeds list", {})):
            refused = await f.slash(name, w.alice, w.channel, options)
            await f.wait_for(lambda refused=refused: refused.callback)
            assert refused.callback["type"] == 4 and refused.callback["data"]["flags"] & EPHEMERAL, name
            assert "Sorry, only server administrators and members with the **editors** role can manage feeds" \
                in refused.callback["data"]["content"]
        assert followed(w.bot.settings) == before and not server.requests("/atom.xml")

        for bad, says in (("not a url", "is not an http(s) URL"), (server.url("/missing.xml"), "HTTP 404"),
                          (server.url("/page.html"), "advertises no feed"), ("http://host:port/rss", "not a valid")):
            inter = await f.slash("feeds add", w.admin, w.channel, {"url": bad})
            await f.wait_for(lambda inter=inter: _done(inter))
            text = _private_reply(inter)
            assert text.startswith("Not added: ") and says in text and "\n" not in text, text
        assert followed(w.bot.settings) == before, "a failed add changes nothing"
        listed = await f.slash("feeds list", w.admin, w.channel)
        await f.wait_for(lambda: _done(listed))
        assert "Harbour Gazette" in _private_reply(listed) and "refreshed every 1h" in _private_reply(listed)

    run(scenario, fresh_engine, refresh_every="1h")


# ---------------------------------------------------------------------------------------------
# `newsbot discord`


def test_newsbot_discord_bad_refresh_every_fails_in_one_line(tmp_path):
    result = run_newsbot("--env-file", str(tmp_path / "none.env"), "discord", "--refresh-every", "nonsense",
                         data_dir=tmp_path, env={"DISCORD_TOKEN": "x"})
    lines = [ln for ln in (result.stdout + result.stderr).splitlines() if ln.strip()]
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert len(lines) == 1 and lines[0].startswith("error: ") and "15m" in lines[0], lines


def test_newsbot_discord_without_token_says_how_to_set_it(tmp_path):
    from bot.cli import main

    result = CliRunner().invoke(main, ["--env-file", str(tmp_path / "none.env"), "discord"], env={"DISCORD_TOKEN": ""})
    assert result.exit_code != 0
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and "DISCORD_TOKEN" in lines[0] and ".env" in lines[0]


def test_newsbot_discord_with_a_rejected_token_fails_in_one_line(tmp_path, monkeypatch):
    from bot.cli import main

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    fake = asyncio.run_coroutine_threadsafe(FakeDiscord(token=TOKEN).start(), loop).result(10)
    fake.patch(monkeypatch)
    handlers = list(logging.getLogger().handlers)
    wrong = "wrong-token-0123456789"
    try:
        result = CliRunner().invoke(main, ["--env-file", str(tmp_path / "none.env"), "--data-dir", str(tmp_path),
                                           "discord"], env={"DISCORD_TOKEN": wrong, "NEWSBOT_THREADS": "1"})
    finally:
        logging.getLogger().handlers[:] = handlers  # basicConfig bound a handler to CliRunner's stream
        asyncio.run_coroutine_threadsafe(fake.close(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
    errors = [ln for ln in result.output.splitlines() if ln.startswith("error: ")]
    assert result.exit_code == 1 and len(errors) == 1 and "DISCORD_TOKEN" in errors[0], result.output
    assert "Traceback" not in result.output and wrong not in result.output
    assert [r.status for r in fake.requests] == [401]
