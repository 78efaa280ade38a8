"""The background feed refresh: every NEWSBOT_REFRESH_EVERY, a `discord.ext.tasks` loop (one cog).

The refresh runs in a worker thread, so answers never wait for it; a failure is logged and the
next round runs as planned. Loaded only when a refresh interval is set.
"""

from __future__ import annotations

import asyncio
import logging

from discord.ext import commands, tasks

from bot.discord.bot import NewsBot
from retrieval.errors import NewsbotError

log = logging.getLogger("newsbot.discord")


class FeedRefresh(commands.Cog):
    """Refreshes the followed feeds every `settings.refresh_seconds`."""

    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot
        self.refresh.change_interval(seconds=bot.settings.refresh_seconds)

    async def cog_load(self) -> None:
        self.refresh.start()

    async def cog_unload(self) -> None:
        self.refresh.cancel()

    @tasks.loop(minutes=15)  # the real interval is set from Settings in __init__
    async def refresh(self) -> None:
        try:
            report = await asyncio.to_thread(self.bot.engine.refresh_feeds)
            log.info("feeds refreshed: %s", report.summary())
        except NewsbotError as exc:
            log.warning("feed refresh failed: %s", exc)
        except Exception:
            log.exception("feed refresh failed")

    @refresh.before_loop
    async def before_refresh(self) -> None:
        await self.bot.wait_until_ready()


async def setup(bot: NewsBot) -> None:
    if bot.settings.refresh_seconds:
        await bot.add_cog(FeedRefresh(bot))
