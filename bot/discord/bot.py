"""The Discord bot's lifecycle and message flow: one Engine, a worker pool for it, mentions and DMs.

Thin by design: parse what Discord sends, call `retrieval.engine.Engine` off the event loop (so
gateway heartbeats never stall), render with `bot.discord.render`. One Engine (index + model) is
shared by every shard and every question. Slash commands live in cogs, one extension module each
(`bot/discord/cogs/`), loaded in `setup_hook`; who may do what is `bot.discord.policy`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import re
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import aiohttp
import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.policy import BUSY_TEXT, NOT_HERE_TEXT, Busy, NotAdmin, Policy
from bot.discord.render import (
    MAX_ANSWER_MESSAGES,
    NO_MENTIONS,
    answer_messages,
    full_sources_embeds,
    pack_embeds,
    sources_embeds,
    thread_name,
)
from bot.discord.views import AnswerStore, SourcesButton, VoteButton, vote_row
from retrieval.engine import Engine
from retrieval.errors import ConfigError, NewsbotError
from retrieval.settings import Settings
from retrieval.text import MARKER
from retrieval.types import Answer

log = logging.getLogger("newsbot.discord")

T = TypeVar("T")

EXTENSIONS = (
    "bot.discord.cogs.questions",  # /ask /sources /help
    "bot.discord.cogs.library",  # /stats /ingest
    "bot.discord.cogs.feeds",  # /feeds add|remove|list
    "bot.discord.cogs.refresh",  # the background feed refresh (when NEWSBOT_REFRESH_EVERY is set)
    "bot.discord.cogs.digest",  # /digest and the scheduled digest (when NEWSBOT_DIGEST_CHANNEL is set)
)
HISTORY_MESSAGES = 30  # messages read back from a thread or DM to rebuild the conversation
HISTORY_TURNS = 6  # (question, answer) pairs handed to the engine's condense step
WAITING_PER_SLOT = 4  # questions allowed to queue per concurrent slot before "busy"
FAILED_TEXT = "Something went wrong while answering; it has been logged. Please try again."


# One way to read the spaces between marks (a run of spaces took 28 s in 4 KB, written "\s*[,;]?\s*").
_CITATION_MARKS = re.compile(rf"(?<!\s)(?:\s*(?:[,;]\s*)?{MARKER.pattern})+")


def conversation_pairs(messages: Iterable[tuple[bool, str]], turns: int = HISTORY_TURNS) -> list[tuple[str, str]]:
    """(question, answer) pairs from a chat log of (is_bot, text), oldest first.

    Consecutive bot messages are one answer (long answers are split); a question the bot did not
    answer (rate-limited, error) is dropped. Citation markers and "-#" notes are stripped because
    the condense step only needs what was said.
    """
    pairs: list[tuple[str, str]] = []
    question: str | None = None
    answer: list[str] = []

    def flush() -> None:
        nonlocal question, answer
        if question and answer:
            pairs.append((question, " ".join(answer)))
        question, answer = None, []

    for is_bot, text in messages:
        text = text.strip()
        if not text:
            continue
        if is_bot:
            if question is not None:
                lines = [ln for ln in text.splitlines() if not ln.startswith("-# ")]
                cleaned = _CITATION_MARKS.sub("", " ".join(lines)).strip()
                if cleaned:
                    answer.append(cleaned)
        else:
            flush()
            question = text
    flush()
    return pairs[-turns:]


def strip_mentions(text: str, user_id: int) -> str:
    """The message without mentions of the bot, whitespace collapsed."""
    return " ".join(re.sub(rf"<@!?{user_id}>", " ", text).split())


class NewsBot(commands.AutoShardedBot):
    """The bot: one Engine, a worker pool for it, rate limits and allowlists from Settings."""

    def __init__(self, engine: Engine, settings: Settings, **options: Any) -> None:
        intents = discord.Intents.default()
        # Privileged: needed to read follow-ups in threads, which don't mention the bot.
        intents.message_content = True
        options.setdefault("shard_count", settings.discord_shards or None)
        super().__init__(command_prefix=commands.when_mentioned, intents=intents, help_command=None,
                         allowed_mentions=NO_MENTIONS, **options)
        self.engine = engine
        self.settings = settings
        self.policy = Policy(settings)
        self.answers = AnswerStore()
        slots = max(1, settings.discord_max_concurrent)
        self.slots = slots
        # The cap on concurrent questions: the engine runs only in these worker threads.
        self.executor = ThreadPoolExecutor(max_workers=slots, thread_name_prefix="newsbot-engine")
        self._pending = 0
        self.warm_up_task: asyncio.Task | None = None

    # -- lifecycle ------------------------------------------------------------------------------

    async def setup_hook(self) -> None:
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        self.add_dynamic_items(SourcesButton, VoteButton)
        self.tree.on_error = self.on_app_command_error
        self.tree.interaction_check = self.allowed_here  # the allowlists apply to every slash command
        self.warm_up_task = asyncio.create_task(self.warm_up(), name="newsbot-warm-up")
        await self.sync_commands()

    async def warm_up(self) -> None:
        """Load the index for questions while the bot connects, so the first reader does not wait for it.

        On a large local index Chroma reads its vector segments on the first query (7-20 s at 100,000
        articles). This runs in an engine worker, outside the cap on waiting questions.
        """
        start = time.perf_counter()
        try:
            await asyncio.get_running_loop().run_in_executor(self.executor, self.engine.warm_up)
        except Exception:  # noqa: BLE001  (the first question reports what is wrong, to the reader, in one line)
            log.warning("loading the index ahead of the first question failed", exc_info=True)
            return
        log.info("index loaded for questions in %.1f s", time.perf_counter() - start)

    async def sync_commands(self) -> None:
        """Register slash commands: per allowed guild (instant) when there is an allowlist, else globally."""
        if self.settings.discord_guilds:
            for gid in self.settings.discord_guilds:
                guild = discord.Object(id=gid)
                self.tree.copy_global_to(guild=guild)
                synced = await self.tree.sync(guild=guild)
                log.info("synced %d commands to guild %s", len(synced), gid)
        else:
            synced = await self.tree.sync()
            log.info("synced %d global commands", len(synced))

    async def on_ready(self) -> None:
        log.info("ready as %s (id %s) in %d guilds, %s shard(s)", self.user, self.user.id if self.user else "?",
                 len(self.guilds), self.shard_count)

    async def allowed_here(self, interaction: discord.Interaction) -> bool:
        """Every slash command: refused privately outside the guild and channel allowlists."""
        if self.policy.allowed_place(interaction.guild_id, interaction.channel):
            return True
        name = interaction.command.qualified_name if interaction.command else "?"
        log.info("refused /%s outside the allowlists (guild=%s channel=%s)", name, interaction.guild_id,
                 interaction.channel_id)
        with contextlib.suppress(discord.HTTPException):
            await interaction.response.send_message(NOT_HERE_TEXT, ephemeral=True)
        return False

    async def on_app_command_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        """A refused check gets its polite refusal; anything else is logged and the user told, privately.

        Never leaves a user looking at "thinking..." forever.
        """
        if isinstance(error, NotAdmin):
            text = str(error)
        else:
            name = interaction.command.name if interaction.command else "?"
            log.error("command /%s failed (guild=%s channel=%s)", name, interaction.guild_id, interaction.channel_id,
                      exc_info=error)
            text = FAILED_TEXT
        try:
            if interaction.response.is_done():
                await interaction.followup.send(text, ephemeral=True)
            else:
                await interaction.response.send_message(text, ephemeral=True)
        except discord.HTTPException:
            pass

    async def close(self) -> None:
        if self.warm_up_task is not None:
            self.warm_up_task.cancel()
        await super().close()  # unloads the extensions: the feed refresh loop stops
        self.executor.shutdown(wait=False, cancel_futures=True)

    # -- engine calls (always off the event loop) -------------------------------------------------

    async def run_engine(self, fn: Callable[..., T], *args: Any) -> T:
        """fn(*args) in the engine worker pool; Busy when too many calls are already waiting."""
        if self._pending >= self.slots * WAITING_PER_SLOT:
            raise Busy()
        self._pending += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self.executor, functools.partial(fn, *args))
        finally:
            self._pending -= 1

    async def answer(self, question: str, history: Sequence[tuple[str, str]], *, guild_id: int | None,
                     channel_id: int, kind: str, **filters: str | None) -> Answer:
        """Ask the engine (`filters`: source, since, until as typed); log one line (no content) per question."""
        start = time.perf_counter()
        where = f"kind={kind} guild={guild_id} channel={channel_id}"
        given = {k: v for k, v in filters.items() if v}
        try:
            answer = await self.run_engine(functools.partial(self.engine.ask, question, tuple(history), **given))
        except BaseException:
            log.info("question %s latency=%.2fs failed", where, time.perf_counter() - start)
            raise
        log.info("question %s latency=%.2fs citations=%d abstained=%s turns=%d", where, time.perf_counter() - start,
                 len(answer.citations), answer.abstained, len(history))
        return answer

    # -- sending --------------------------------------------------------------------------------

    async def send_answer(self, send: Callable[..., Awaitable[Any]], answer: Answer, channel_id: int,
                          history: Sequence[tuple[str, str]] = ()) -> None:
        """Post an answer: text chunks, then the sources embed, Show sources and 👍 / 👎 on the last one."""
        key = self.answers.add(channel_id, answer, history)
        texts = answer_messages(answer)
        groups = pack_embeds(sources_embeds(answer)) if answer.citations else []
        for text in texts[:-1]:
            await send(content=text, allowed_mentions=NO_MENTIONS)
        row = vote_row(key, sources=bool(groups), votes=self.settings.feedback)
        extra: dict[str, Any] = {"view": row} if row is not None else {}
        if groups:
            extra["embeds"] = groups[0]
        await send(content=texts[-1], allowed_mentions=NO_MENTIONS, **extra)
        # Bounded: more sources than fit stay behind the Show sources button.
        for group in groups[1 : 1 + max(0, MAX_ANSWER_MESSAGES - len(texts))]:
            await send(embeds=group, allowed_mentions=NO_MENTIONS)

    async def send_sources(self, interaction: discord.Interaction, answer: Answer) -> None:
        """The full quotes of an answer, privately to whoever asked for them."""
        groups = pack_embeds(full_sources_embeds(answer))
        if not groups:
            await interaction.response.send_message("That answer has no sources: the articles didn't cover it.",
                                                    ephemeral=True)
            return
        await interaction.response.send_message(embeds=groups[0], ephemeral=True, allowed_mentions=NO_MENTIONS)
        for group in groups[1:]:
            await interaction.followup.send(embeds=group, ephemeral=True, allowed_mentions=NO_MENTIONS)

    # -- messages: mentions, threads, DMs ---------------------------------------------------------

    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot or message.webhook_id is not None or self.user is None:
            return  # other bots, webhooks and our own posts
        channel = message.channel
        in_own_thread = isinstance(channel, discord.Thread) and channel.owner_id == self.user.id
        is_dm = message.guild is None
        if not (is_dm or in_own_thread or self.user in message.mentions):
            return
        if not self.policy.allowed_place(message.guild.id if message.guild else None, channel):
            if is_dm:
                await channel.send("I only answer in the servers I'm set up for.", allowed_mentions=NO_MENTIONS)
            return
        question = strip_mentions(message.content, self.user.id)
        if not question:
            await message.reply("Ask me a question about the news, e.g. `@me what happened in Venezuela?` "
                                "(`/help` for more).", allowed_mentions=NO_MENTIONS)
            return
        refusal = self.policy.rate_limited(message.author.id)
        if refusal:
            await message.reply(refusal, allowed_mentions=NO_MENTIONS)
            return
        if is_dm or in_own_thread:
            history = await self.history(channel, before=message)
            await self._answer_in(channel, question, history, message, kind="dm" if is_dm else "followup")
            return
        target: discord.abc.Messageable = channel
        if isinstance(channel, discord.TextChannel):
            try:
                target = await message.create_thread(name=thread_name(question), auto_archive_duration=1440)
            except discord.HTTPException as exc:  # no permission, or a channel without threads
                log.warning("could not open a thread in channel %s (%s); answering in place", channel.id, exc.status)
        await self._answer_in(target, question, (), message, kind="mention")

    async def _answer_in(self, target: discord.abc.Messageable, question: str, history: Sequence[tuple[str, str]],
                         message: discord.Message, *, kind: str) -> None:
        guild_id = message.guild.id if message.guild else None
        try:
            async with target.typing():
                answer = await self.answer(question, history, guild_id=guild_id,
                                           channel_id=message.channel.id, kind=kind)
        except Busy:
            await target.send(BUSY_TEXT, allowed_mentions=NO_MENTIONS)
            return
        except NewsbotError as exc:
            await target.send(str(exc), allowed_mentions=NO_MENTIONS)
            return
        except Exception:
            log.exception("answering failed (guild=%s channel=%s)", guild_id, message.channel.id)
            await target.send(FAILED_TEXT, allowed_mentions=NO_MENTIONS)
            return
        channel_id = getattr(target, "id", message.channel.id)
        await self.send_answer(target.send, answer, channel_id, history)

    async def history(self, channel: discord.abc.Messageable, before: discord.Message) -> list[tuple[str, str]]:
        """The conversation so far in a bot thread or DM, as (question, answer) pairs."""
        assert self.user is not None
        log_: list[tuple[bool, str]] = []
        if isinstance(channel, discord.Thread) and channel.parent is not None:
            # The question that opened the thread lives in the parent channel, under the thread's id.
            try:
                starter = await channel.parent.fetch_message(channel.id)
                log_.append((False, strip_mentions(starter.content, self.user.id)))
            except discord.HTTPException:
                pass
        messages = [m async for m in channel.history(limit=HISTORY_MESSAGES, before=before)]
        for m in reversed(messages):
            log_.append((m.author.id == self.user.id, strip_mentions(m.content, self.user.id)))
        return conversation_pairs(log_)


def run_bot(settings: Settings) -> None:
    """Open the engine once, then run the bot until interrupted. Needs settings.discord_token."""
    engine = Engine.open(settings)
    bot = NewsBot(engine, settings)
    try:
        bot.run(settings.discord_token, log_handler=None)
    except discord.LoginFailure:
        raise ConfigError("Discord rejected DISCORD_TOKEN: copy the bot token again from the Developer Portal "
                          "(your app > Bot > Reset Token) into .env") from None
    except discord.PrivilegedIntentsRequired:
        raise ConfigError("enable 'Message Content Intent' in the Discord Developer Portal (your app > Bot > "
                          "Privileged Gateway Intents), then start again") from None
    except (TimeoutError, OSError, aiohttp.ClientError, discord.GatewayNotFound, discord.DiscordServerError) as exc:
        # No network, DNS down, a proxy in the way, Discord having an outage: one line, not a traceback.
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise ConfigError(f"cannot reach Discord ({reason}); check this machine's network connection "
                          "(and proxy or firewall), then start the bot again") from None
