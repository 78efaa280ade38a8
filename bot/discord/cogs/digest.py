"""/digest, and the scheduled digest posted to NEWSBOT_DIGEST_CHANNEL at NEWSBOT_DIGEST_AT (one cog).

The schedule is a `discord.ext.tasks` loop that looks at the clock once a minute: when a new
scheduled moment (NEWSBOT_DIGEST_AT in NEWSBOT_TIMEZONE) has passed since the bot started, it
posts the digest of the last NEWSBOT_DIGEST_SINCE, unless no article arrived since the last digest
posted (then it logs that it skipped). The clock is an attribute (`self.clock`), so tests set it
instead of waiting for 08:00; a bot started after 08:00 waits for the next day's.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from datetime import UTC, datetime

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.discord.bot import NewsBot
from bot.discord.policy import Busy
from bot.discord.render import NO_MENTIONS, digest_messages
from bot.discord.views import reply_privately
from retrieval.errors import NewsbotError

log = logging.getLogger("newsbot.discord")

DIGEST_STORIES = 8
BUSY_TEXT = "I'm answering a lot of questions right now: try again in a moment."


class Digests(commands.Cog):
    """/digest on demand, and the daily digest in the configured channel."""

    def __init__(self, bot: NewsBot, clock: Callable[[], datetime] | None = None) -> None:
        self.bot = bot
        self.clock = clock or (lambda: datetime.now(UTC))
        self.done_slot: datetime | None = None  # the last scheduled moment handled (posted or skipped)

    async def cog_load(self) -> None:
        if self.bot.settings.digest_channel:
            self.schedule.start()

    async def cog_unload(self) -> None:
        self.schedule.cancel()

    @app_commands.command(name="digest", description="The top stories of a period, each with cited sentences.")
    @app_commands.describe(since="The period: 24h (default), 2d, 1w, yesterday, 2025-03-01, or all",
                           topic="Only stories about these words")
    async def digest(self, interaction: discord.Interaction, since: app_commands.Range[str, 1, 40] | None = None,
                     topic: app_commands.Range[str, 1, 200] | None = None) -> None:
        await interaction.response.defer(thinking=True)
        try:
            result = await self.bot.run_engine(
                functools.partial(self.bot.engine.digest, since=since or "24h", topic=topic, n=DIGEST_STORIES))
        except (Busy, NewsbotError) as exc:
            await reply_privately(interaction, BUSY_TEXT if isinstance(exc, Busy) else str(exc))
            return
        if not result.stories:
            await reply_privately(interaction, result.note or "No story found.")
            return
        for chunk in digest_messages(result):
            await interaction.followup.send(chunk, allowed_mentions=NO_MENTIONS, suppress_embeds=True)

    # -- the schedule ---------------------------------------------------------------------------

    @tasks.loop(minutes=1)
    async def schedule(self) -> None:
        try:
            await self.tick()
        except Exception:  # a failed digest is logged; the next minute tries the next moment again
            log.exception("scheduled digest failed")

    @schedule.before_loop
    async def before_schedule(self) -> None:
        await self.bot.wait_until_ready()

    async def tick(self) -> str:
        """One look at the clock: "started", "waiting", "skipped" (nothing new) or "posted"."""
        engine = self.bot.engine
        now = self.clock()
        slot = engine.digest_slot(now)
        if self.done_slot is None:
            self.done_slot = slot  # started after this moment: wait for the next one
            return "started"
        if slot <= self.done_slot:
            return "waiting"
        channel_id = self.bot.settings.digest_channel
        digest = await asyncio.to_thread(engine.scheduled_digest, now)
        self.done_slot = slot
        if digest is None:
            log.info("scheduled digest skipped: no new article since the last one")
            return "skipped"
        channel = self.bot.get_channel(channel_id) or await self.bot.fetch_channel(channel_id)
        heading = f"News digest, {slot.strftime('%A %d %B %Y')}"
        for chunk in digest_messages(digest, heading=heading):
            await channel.send(chunk, allowed_mentions=NO_MENTIONS, suppress_embeds=True)
        await asyncio.to_thread(engine.digest_posted, digest, now)
        log.info("scheduled digest posted: channel=%s stories=%d", channel_id, len(digest.stories))
        return "posted"


async def setup(bot: NewsBot) -> None:
    await bot.add_cog(Digests(bot))
