"""/stats and /ingest: what is in the index, and adding to it (a discord.py extension with one cog)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.bot import NewsBot
from bot.discord.policy import Busy, admin_only
from bot.discord.render import NO_MENTIONS, split_message
from retrieval.errors import NewsbotError

log = logging.getLogger("newsbot.discord")

INGEST_EXTENSIONS = (".txt", ".md", ".json", ".jsonl", ".html", ".htm")


class Library(commands.Cog):
    """/stats and /ingest: what is in the index, and adding to it."""

    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot

    @app_commands.command(name="stats", description="How many articles I know, and the latest article date.")
    async def stats(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            stats = await self.bot.run_engine(self.bot.engine.stats)
            refreshed = await asyncio.to_thread(self.bot.engine.last_refresh)
            rated = await asyncio.to_thread(self.bot.engine.feedback_stats)
        except (NewsbotError, Busy) as exc:
            await interaction.followup.send(str(exc), ephemeral=True)
            return
        latest = (stats.get("last_published") or "")[:10] or "unknown"
        sources = stats.get("sources") or []
        named = f" ({', '.join(sources)})" if 0 < len(sources) <= 5 else ""
        lines = [f"**{stats.get('articles', 0)}** articles from **{len(sources)}** sources{named}, "
                 f"**{stats.get('sentences', 0)}** sentences.", f"Latest article: **{latest}**."]
        if refreshed is not None:
            when = refreshed.finished_at[:16].replace("T", " ")
            lines.append(f"Feeds last refreshed {when} UTC: {refreshed.summary()}")
        if rated.rate is not None:
            lines.append(f"Readers' satisfaction: **{rated.rate:.0%}** 👍 ({rated.good} 👍, {rated.bad} 👎 "
                         f"on {rated.answers} answers).")
        else:
            lines.append("Readers' satisfaction: no 👍 / 👎 on answers yet.")
        await interaction.followup.send("\n".join(lines), ephemeral=True)

    @app_commands.command(name="ingest", description="Add an article from an attached file (administrators only).")
    @app_commands.describe(file="The article: a .txt, .md, .json, .jsonl or .html file")
    @app_commands.guild_only()
    @admin_only("add articles")
    async def ingest(self, interaction: discord.Interaction, file: discord.Attachment) -> None:
        assert interaction.guild is not None  # admin_only refuses DMs
        name = Path(file.filename).name
        if not name.lower().endswith(INGEST_EXTENSIONS):
            await interaction.response.send_message(
                f"I can't read `{discord.utils.escape_markdown(name)}`: attach a {', '.join(INGEST_EXTENSIONS)} file.",
                ephemeral=True)
            return
        limit_mb = self.bot.settings.max_file_mb
        if file.size > limit_mb * 1024 * 1024:
            await interaction.response.send_message(
                f"`{discord.utils.escape_markdown(name)}` is {file.size / 1e6:.1f} MB; the limit is {limit_mb:g} MB "
                "(NEWSBOT_MAX_FILE_MB).", ephemeral=True)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        # Kept under a stable path per guild, so uploading a new version of a file replaces the old article.
        folder = self.bot.settings.data_dir / "discord-uploads" / str(interaction.guild.id)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / name
        try:
            path.write_bytes(await file.read())
            report = await self.bot.run_engine(self.bot.engine.ingest_paths, [path])
        except discord.HTTPException:
            await interaction.followup.send("I couldn't download that attachment from Discord: try again.",
                                            ephemeral=True)
            return
        except (NewsbotError, Busy, OSError) as exc:
            await interaction.followup.send(f"Not added: {exc}", ephemeral=True)
            return
        log.info("ingest guild=%s added=%d replaced=%d skipped=%d", interaction.guild.id, report.added,
                 report.replaced, len(report.skipped))
        lines = [report.summary()] + [f"• skipped: {s.reason}" for s in report.skipped]
        for chunk in split_message("\n".join(lines)):
            await interaction.followup.send(chunk, ephemeral=True, allowed_mentions=NO_MENTIONS)


async def setup(bot: NewsBot) -> None:
    await bot.add_cog(Library(bot))
