"""/feeds add|remove|list: the RSS and Atom feeds the bot follows (a discord.py extension with one cog)."""

from __future__ import annotations

import asyncio
import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.bot import NewsBot
from bot.discord.policy import admin_only
from bot.discord.render import MESSAGE_LIMIT, NO_MENTIONS, clip, discord_len, feeds_text
from retrieval.errors import NewsbotError

log = logging.getLogger("newsbot.discord")

FEED_URL_CHARS = 1000  # longer than any real feed address; keeps every reply under Discord's 2,000


class Feeds(commands.Cog):
    """/feeds add|remove|list: the RSS and Atom feeds the bot follows (administrators only)."""

    feeds = app_commands.Group(name="feeds", description="The RSS and Atom feeds I follow (administrators only).",
                               guild_only=True)

    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot

    def _schedule(self) -> str:
        """When new articles from followed feeds arrive, as a small note under a reply."""
        if self.bot.settings.refresh_seconds:
            return f"-# Feeds are refreshed every {self.bot.settings.refresh_every.strip()}."
        return ("-# No background refresh: start the bot with `newsbot discord --refresh-every 15m`, "
                "or run `newsbot feeds refresh`.")

    async def _reply(self, interaction: discord.Interaction, text: str) -> None:
        """Replace "thinking..." with a private reply; never more than one message can hold."""
        if discord_len(text) > MESSAGE_LIMIT:
            text = clip(text, MESSAGE_LIMIT)
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @feeds.command(name="add", description="Follow an RSS or Atom feed; its articles arrive with the next refresh.")
    @app_commands.describe(url="The feed's address, e.g. https://example.org/rss.xml (a page that links its feed works too)")
    @admin_only("manage feeds")
    async def add(self, interaction: discord.Interaction, url: app_commands.Range[str, 1, FEED_URL_CHARS]) -> None:
        # Checking the feed is a network fetch (timeouts, retries): acknowledge first, fetch off the loop.
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            feed, added = await asyncio.to_thread(self.bot.engine.follow_feed, url)
        except NewsbotError as exc:
            await self._reply(interaction, f"Not added: {exc}")
            return
        except ValueError:  # urlsplit on a malformed port or host
            await self._reply(interaction, f"Not added: `{clip(url, 300)}` is not a valid address; "
                                           "give a full one like https://example.org/rss.xml")
            return
        log.info("feeds add guild=%s added=%s pending=%d", interaction.guild_id, added, feed.pending)
        title = f" (**{discord.utils.escape_markdown(clip(feed.title, 100))}**)" if feed.title else ""
        if not added:
            text = f"Already following <{feed.url}>{title}."
        else:
            waiting = f"; {feed.pending} articles to fetch at the next refresh" if feed.pending else ""
            text = f"Now following <{feed.url}>{title}{waiting}."
        await self._reply(interaction, f"{text}\n{self._schedule()}")

    @feeds.command(name="remove", description="Stop following a feed; articles already stored stay.")
    @app_commands.describe(url="The feed's address, as `/feeds list` shows it")
    @admin_only("manage feeds")
    async def remove(self, interaction: discord.Interaction, url: app_commands.Range[str, 1, FEED_URL_CHARS]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            removed = await asyncio.to_thread(self.bot.engine.unfollow_feed, url)
        except (NewsbotError, ValueError):
            removed = False  # not a URL, so not a followed feed
        log.info("feeds remove guild=%s removed=%s", interaction.guild_id, removed)
        if removed:
            text = f"Stopped following <{clip(url, 300)}>. Articles already stored stay."
        else:
            shown = discord.utils.escape_markdown(clip(url, 300))
            text = f"I'm not following {shown}: `/feeds list` shows the followed feeds."
        await self._reply(interaction, text)

    @feeds.command(name="list", description="The feeds I follow, with article counts and the last error.")
    @admin_only("manage feeds")
    async def list_(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            feeds = await asyncio.to_thread(self.bot.engine.feeds)
        except NewsbotError as exc:
            await self._reply(interaction, str(exc))
            return
        await self._reply(interaction, feeds_text(feeds, self._schedule() if feeds else ""))


async def setup(bot: NewsBot) -> None:
    await bot.add_cog(Feeds(bot))
