"""👍 / 👎 under Discord answers: the real discord.py client against the fake Discord, votes in real SQLite."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3

import pytest

from bot.discord.bot import NewsBot
from retrieval.engine import Engine
from retrieval.settings import Settings
from tests.fake_discord import EPHEMERAL, FakeDiscord
from tests.helpers import SEED_QUESTION
from tests.integration.test_discord import TOKEN, World, _done, running_bot

NOTE_LABEL = "What was wrong? (optional)"


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path / "data", threads=1, discord_token=TOKEN, discord_rate_per_minute=60.0,
                    discord_burst=5, discord_max_concurrent=2)


@pytest.fixture
def engine(settings, seed_engine) -> Engine:
    """The seed index, with the votes going to this test's own data dir."""
    return Engine(settings, index=seed_engine.index)


def buttons(message: dict) -> dict[str, str]:
    """{label or emoji: custom_id} of a message's buttons."""
    return {(c.get("label") or c["emoji"]["name"]): c["custom_id"]
            for row in message.get("components") or [] for c in row["components"]}


def votes(settings: Settings) -> list[tuple]:
    with sqlite3.connect(settings.data_dir / "feedback.sqlite3") as conn:
        return conn.execute("SELECT a.question, a.answer, a.known, a.abstained, a.history, a.front_end, v.good, "
                            "v.note, v.user_hash FROM votes v JOIN answers a USING (answer_id) "
                            "ORDER BY v.rowid").fetchall()


def run_scenario(monkeypatch, engine, settings, scenario) -> None:
    async def main():
        async with running_bot(monkeypatch, engine, settings) as world:
            await scenario(world)

    asyncio.run(main())


async def reply(f: FakeDiscord, inter) -> dict:
    await f.wait_for(lambda: inter.callback)
    return inter.callback


def test_thumbs_on_an_answer_count_once_per_reader_and_thumbs_down_asks_what_was_wrong(monkeypatch, engine, settings):
    async def scenario(w: World):
        f = w.fake
        inter = await f.slash("ask", w.alice, w.channel, {"question": SEED_QUESTION})
        await f.wait_for(lambda: _done(inter))
        msg = inter.original
        ids = buttons(msg)
        assert list(ids) == ["Show sources", "👍", "👎"]
        key = ids["👍"].rsplit(":", 1)[1]
        assert ids["👍"] == f"newsbot:vote:up:{key}" and ids["👎"] == f"newsbot:vote:down:{key}"

        first = await reply(f, await f.click(msg, ids["👍"], w.alice))
        assert first["type"] == 4 and first["data"]["flags"] & EPHEMERAL and "Thanks for the 👍" in first["data"]["content"]
        again = await reply(f, await f.click(msg, ids["👍"], w.alice))
        assert "already counted" in again["data"]["content"]

        # Two readers press 👎 before either submits: each gets a form, each note is kept.
        down_ed = await f.click(msg, ids["👎"], w.admin)
        down_alice = await f.click(msg, ids["👎"], w.alice)  # alice changes her mind
        for down in (down_ed, down_alice):
            modal = (await reply(f, down))
            assert modal["type"] == 9 and modal["data"]["title"] == "What was wrong with this answer?"
        sub_ed = await f.submit_modal(down_ed, {NOTE_LABEL: "The figure is\nout of date"}, w.admin)
        sub_alice = await f.submit_modal(down_alice, {}, w.alice)  # the note is optional
        assert "your 👎 and note are stored" in (await reply(f, sub_ed))["data"]["content"]
        assert (await reply(f, sub_alice))["data"]["content"] == "Thanks: your 👎 is stored."

        stats = await f.slash("stats", w.alice, w.channel)
        await f.wait_for(lambda: _done(stats))
        assert "Readers' satisfaction: **0%** 👍 (0 👍, 2 👎 on 1 answers)" in stats.original["content"]
        failed = [(r.method, r.path, r.status) for r in f.requests if r.status >= 400]
        assert not failed
        rows = votes(settings)
        assert [(r[0], r[2], r[5], r[6], r[7]) for r in rows] == [
            (SEED_QUESTION, 1, "discord", 0, ""), (SEED_QUESTION, 1, "discord", 0, "The figure is out of date")]
        # Readers are salted hashes of their ids; neither ids nor names are stored.
        assert [r[8] for r in rows] == [engine.feedback.user_hash(f"discord:{u['id']}") for u in (w.alice, w.admin)]
        dump = "\n".join(sqlite3.connect(settings.data_dir / "feedback.sqlite3").iterdump())
        assert "discord:" not in dump and "alice" not in dump and f"'{w.alice['id']}'" not in dump

    run_scenario(monkeypatch, engine, settings, scenario)


def test_votes_after_a_restart_are_accepted_with_what_is_known(monkeypatch, engine, settings):
    """The buttons carry the answer id: a new process with an empty memory still takes the vote."""

    async def main():
        fake = await FakeDiscord(token=TOKEN).start()
        fake.patch(monkeypatch)
        guild = fake.add_guild("Newsroom")
        channel, alice = guild["channels"][0], fake.add_user("alice", guild)

        async def start() -> tuple[NewsBot, asyncio.Task]:
            bot = NewsBot(engine, settings, guild_ready_timeout=0.05)
            task = asyncio.create_task(bot.start(TOKEN))
            await asyncio.wait_for(bot.wait_until_ready(), 15)
            return bot, task

        async def stop(bot: NewsBot, task: asyncio.Task) -> None:
            await bot.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(task, 10)

        try:
            bot, task = await start()
            await fake.message(alice, channel, SEED_QUESTION, mention_bot=True)
            thread = (await fake.wait_for(lambda: fake.threads(channel)))[0]
            await fake.wait_for(lambda: fake.bot_messages(thread))
            await fake.message(alice, thread, "and how many remain in jail?")  # a follow-up: it has history
            answers = await fake.wait_for(lambda: fake.bot_messages(thread)[1:])
            first, follow_up = fake.bot_messages(thread)[0], answers[0]
            up = await fake.click(follow_up, buttons(follow_up)["👍"], alice)  # remembered: stored in full
            await fake.wait_for(lambda: up.callback)
            await stop(bot, task)

            bot, task = await start()  # a restart: the bot's memory of answers is empty
            assert bot.answers.get(buttons(first)["👍"].rsplit(":", 1)[1]) is None
            down = await fake.click(first, buttons(first)["👎"], alice)
            assert (await reply(fake, down))["type"] == 9
            sent = await fake.submit_modal(down, {NOTE_LABEL: "wrong country"}, alice)
            assert "stored" in (await reply(fake, sent))["data"]["content"]
            await stop(bot, task)
        finally:
            await fake.close()

    asyncio.run(main())
    (follow_q, _, known_f, _, history, *_), (q, text, known, _, _, front, good, note, _) = votes(settings)
    assert known_f == 1 and follow_q == "and how many remain in jail?" and SEED_QUESTION in history
    assert (q, known, front, good, note) == ("", 0, "discord", 0, "wrong country")
    assert "88" in text  # what the reader saw


def test_a_private_no_answer_can_be_rated_too(monkeypatch, engine, settings):
    async def scenario(w: World):
        f = w.fake
        inter = await f.slash("ask", w.alice, w.channel, {"question": "What is the boiling point of tungsten?"})
        await f.wait_for(lambda: inter.followups)
        msg = inter.followups[-1]
        assert msg["flags"] & EPHEMERAL and list(buttons(msg)) == ["👍", "👎"]
        up = await f.click(msg, buttons(msg)["👍"], w.alice)
        assert "Thanks" in (await reply(f, up))["data"]["content"]

    run_scenario(monkeypatch, engine, settings, scenario)
    ((question, _, known, abstained, *_),) = votes(settings)
    assert (question, known, abstained) == ("What is the boiling point of tungsten?", 1, 1)
    assert engine.feedback_records()[0]["kind"] == "unanswerable"


def test_feedback_turned_off_shows_no_vote_buttons(monkeypatch, engine, settings):
    off = settings.with_(feedback=False)
    engine = Engine(off, index=engine.index)

    async def scenario(w: World):
        f = w.fake
        inter = await f.slash("ask", w.alice, w.channel, {"question": SEED_QUESTION})
        await f.wait_for(lambda: _done(inter))
        assert "88" in inter.original["content"]
        assert list(buttons(inter.original)) == ["Show sources"]  # sources stay; no 👍 / 👎
        private = await f.slash("ask", w.alice, w.channel, {"question": "Who won the 2030 World Cup?"})
        await f.wait_for(lambda: _done(private))
        assert not [r for r in f.requests if r.status >= 400]

    run_scenario(monkeypatch, engine, off, scenario)
    assert not (off.data_dir / "feedback.sqlite3").exists()
