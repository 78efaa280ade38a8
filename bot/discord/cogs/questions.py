"""/ask, /latest, /sources, /help: what every reader uses (a discord.py extension with one cog)."""

from __future__ import annotations

import functools
import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.bot import FAILED_TEXT, NewsBot
from bot.discord.policy import BUSY_TEXT, Busy
from bot.discord.render import (
    HELP_TEXT,
    NO_MENTIONS,
    answer_messages,
    latest_embeds,
    pack_embeds,
    source_matches,
)
from bot.discord.views import reply_privately, vote_row
from retrieval.errors import NewsbotError

log = logging.getLogger("newsbot.discord")


LATEST_STORIES = 5  # /latest: one embed field each, newest first


async def source_choices(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    """Autocomplete for `source:`: the index's source names matching what has been typed."""
    bot = interaction.client
    try:
        names = await bot.run_engine(bot.engine.sources)
    except (NewsbotError, Busy):
        return []
    return [app_commands.Choice(name=n, value=n) for n in source_matches(names, current)]


class Questions(commands.Cog):
    """/ask, /sources, /help: what every reader uses."""

    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot

    async def _refuse_place(self, interaction: discord.Interaction) -> bool:
        if self.bot.policy.allowed_place(interaction.guild_id, interaction.channel):
            return False
        await interaction.response.send_message("I'm not enabled in this channel.", ephemeral=True)
        return True

    async def _refuse(self, interaction: discord.Interaction) -> bool:
        """True (and the asker told why, privately) when this place or this user's rate says no."""
        if await self._refuse_place(interaction):
            return True
        refusal = self.bot.policy.rate_limited(interaction.user.id)
        if refusal:
            await interaction.response.send_message(refusal, ephemeral=True)
            return True
        return False

    @app_commands.command(name="ask", description="Ask about the news; the answer cites the exact sentences.")
    @app_commands.describe(
        question="Your question, e.g. How many people did Venezuela release?",
        source="Only articles from this source (start typing to pick one)",
        since="Only articles published since: 2025-03-01, 24h, 2d, 1w, yesterday, last week",
        until="Only articles published until: 2025-03-31, yesterday, last week",
    )
    @app_commands.autocomplete(source=source_choices)
    async def ask(self, interaction: discord.Interaction, question: app_commands.Range[str, 1, 1000],
                  source: app_commands.Range[str, 1, 100] | None = None,
                  since: app_commands.Range[str, 1, 40] | None = None,
                  until: app_commands.Range[str, 1, 40] | None = None) -> None:
        if await self._refuse(interaction):
            return
        # Acknowledge within Discord's 3-second window; the answer can take longer.
        await interaction.response.defer(thinking=True)
        try:
            answer = await self.bot.answer(question, (), guild_id=interaction.guild_id,
                                           channel_id=interaction.channel_id or 0, kind="slash",
                                           source=source, since=since, until=until)
        except (Busy, NewsbotError) as exc:
            await reply_privately(interaction, BUSY_TEXT if isinstance(exc, Busy) else str(exc))
            return
        except Exception:
            log.exception("answering failed (guild=%s channel=%s)", interaction.guild_id, interaction.channel_id)
            await reply_privately(interaction, FAILED_TEXT)
            return
        if answer.abstained:
            # Nothing to share with the channel: tell only the asker.
            key = self.bot.answers.add(interaction.channel_id or 0, answer)
            await reply_privately(interaction, "\n\n".join(answer_messages(answer)), vote_row(key, sources=False, votes=self.bot.settings.feedback))
            return
        await self.bot.send_answer(interaction.followup.send, answer, interaction.channel_id or 0)

    @app_commands.command(name="latest", description="The newest stories, each with its first sentence cited.")
    @app_commands.describe(
        source="Only this source (start typing to pick one)",
        since="Only stories published since: 2d, 24h, 1w, yesterday, 2025-03-01",
    )
    @app_commands.autocomplete(source=source_choices)
    async def latest(self, interaction: discord.Interaction, source: app_commands.Range[str, 1, 100] | None = None,
                     since: app_commands.Range[str, 1, 40] | None = None) -> None:
        if await self._refuse(interaction):
            return
        await interaction.response.defer(thinking=True)
        try:
            listing = await self.bot.run_engine(
                functools.partial(self.bot.engine.latest, source=source, since=since, n=LATEST_STORIES))
        except (Busy, NewsbotError) as exc:
            await reply_privately(interaction, BUSY_TEXT if isinstance(exc, Busy) else str(exc))
            return
        if not listing.headlines:
            await reply_privately(interaction, listing.note or "No article matches.")
            return
        groups = pack_embeds(latest_embeds(listing))
        await interaction.followup.send(embeds=groups[0], allowed_mentions=NO_MENTIONS)
        for group in groups[1:]:
            await interaction.followup.send(embeds=group, allowed_mentions=NO_MENTIONS)

    @app_commands.command(name="sources", description="Show the full quoted sources of the last answer here.")
    async def sources(self, interaction: discord.Interaction) -> None:
        answer = self.bot.answers.last_in(interaction.channel_id or 0)
        if answer is None:
            await interaction.response.send_message("No answer here yet: ask with `/ask`.", ephemeral=True)
            return
        await self.bot.send_sources(interaction, answer)

    @app_commands.command(name="help", description="How to ask me about the news.")
    async def help(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(HELP_TEXT, ephemeral=True)


async def setup(bot: NewsBot) -> None:
    await bot.add_cog(Questions(bot))
