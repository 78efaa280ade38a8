"""The Discord front end: slash commands, mentions that open threads, follow-ups and DMs.

Thin by design: parse what Discord sends, call `retrieval.engine.Engine` off the event loop (so
gateway heartbeats never stall), render with `bot.discord.render`. One Engine (index + model) is
shared by every shard and every question.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import secrets
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.render import (
    MESSAGE_LIMIT,
    NO_MENTIONS,
    answer_messages,
    discord_len,
    full_sources_embeds,
    pack_embeds,
    sources_embeds,
    split_message,
)
from retrieval.errors import NewsbotError
from retrieval.settings import Settings
from retrieval.sources.feeds import (
    Feed,
    add_feed,
    find_feed,
    last_refresh,
    list_feeds,
    refresh_feeds,
    refresh_interval,
    remove_feed,
)
from retrieval.sources.web import check_url
from retrieval.text import MARKER
from retrieval.types import Answer

log = logging.getLogger("newsbot.discord")

T = TypeVar("T")

INGEST_EXTENSIONS = (".txt", ".md", ".json", ".jsonl", ".html", ".htm")
HISTORY_MESSAGES = 30  # messages read back from a thread or DM to rebuild the conversation
HISTORY_TURNS = 6  # (question, answer) pairs handed to the engine's condense step
ANSWERS_KEPT = 500  # answers remembered for "Show sources" / `/sources`
THREAD_NAME_LIMIT = 100
WAITING_PER_SLOT = 4  # questions allowed to queue per concurrent slot before "busy"
FEED_URL_CHARS = 1000  # longer than any real feed address; keeps every reply under Discord's 2,000
FAILED_TEXT = "Something went wrong while answering; it has been logged. Please try again."
BUSY_TEXT = "I'm answering a lot of questions right now: try again in a minute."

HELP_TEXT = """\
**Ask about the news** and get an answer cited to the exact sentences of the articles.
• `/ask question:<text>`: answer here, with numbered sources.
• Mention me with a question: I answer in a new thread; reply in that thread for follow-ups \
("and who claimed victory?").
• Direct messages work too.
• `/sources` or the **Show sources** button: the full quoted sentences of the last answer.
• `/stats`: how many articles I know and the latest date.
• `/ingest file:<.txt .md .json .jsonl .html>`: add an article (administrators only).
• `/feeds add url:<feed>`, `/feeds remove url:<feed>`, `/feeds list`: the RSS/Atom feeds I follow \
(administrators only).
If the articles don't cover a question I say so instead of guessing."""


class TokenBucket:
    """Per-user rate limit: `burst` questions at once, refilled at `per_minute` per minute."""

    def __init__(self, per_minute: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = max(per_minute, 0.0) / 60.0
        self.burst = max(int(burst), 1)
        self.clock = clock
        self._state: dict[int, tuple[float, float]] = {}  # user id -> (tokens, last refill time)

    def take(self, user_id: int) -> float:
        """0.0 and one token spent if the user may ask now, else seconds until they may."""
        now = self.clock()
        tokens, last = self._state.get(user_id, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last) * self.rate)
        if tokens >= 1.0:
            self._state[user_id] = (tokens - 1.0, now)
            return 0.0
        self._state[user_id] = (tokens, now)
        return (1.0 - tokens) / self.rate if self.rate > 0 else float("inf")


class AnswerStore:
    """The last answers (bounded), by key for the button and by channel for `/sources`."""

    def __init__(self, size: int = ANSWERS_KEPT) -> None:
        self.size = size
        self._answers: OrderedDict[str, Answer] = OrderedDict()
        self._last: OrderedDict[int, str] = OrderedDict()

    def add(self, channel_id: int, answer: Answer) -> str:
        key = secrets.token_hex(6)
        self._answers[key] = answer
        self._last[channel_id] = key
        self._last.move_to_end(channel_id)
        for store in (self._answers, self._last):
            while len(store) > self.size:
                store.popitem(last=False)
        return key

    def get(self, key: str) -> Answer | None:
        return self._answers.get(key)

    def last_in(self, channel_id: int) -> Answer | None:
        key = self._last.get(channel_id)
        return self._answers.get(key) if key else None


class Busy(Exception):
    """Too many questions are waiting; the user is asked to retry."""

    def __init__(self) -> None:
        super().__init__(BUSY_TEXT)


_CITATION_MARKS = re.compile(rf"(?:\s*[,;]?\s*{MARKER.pattern})+")


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


def thread_name(question: str) -> str:
    name = " ".join(question.split()) or "Question"
    return name if len(name) <= THREAD_NAME_LIMIT else name[: THREAD_NAME_LIMIT - 1].rstrip() + "…"


def _wait_text(seconds: float) -> str:
    return f"{max(1, round(seconds))} s" if seconds < 120 else f"{round(seconds / 60)} min"


def clip(text: str, limit: int) -> str:
    """text on one line, cut to `limit` Discord characters ending in "…" (messages quote the user's input)."""
    text = " ".join(text.split())
    if discord_len(text) <= limit:
        return text
    cut = text[: limit - 1]
    while discord_len(cut) > limit - 1:  # emoji count twice
        cut = cut[:-1]
    return cut.rstrip() + "…"


def feed_line(feed: Feed) -> str:
    """One followed feed as a list item: title, address, counts, and the last error if there was one."""
    title = discord.utils.escape_markdown(clip(feed.title, 100)) if feed.title else "(no title yet)"
    # <...> stops Discord unfurling a preview of every feed.
    line = f"• **{title}** <{clip(feed.url, 300)}>: {feed.articles} articles, {feed.pending} to fetch"
    if feed.last_error:
        line += f"; last error: {clip(feed.last_error, 200)}"
    return line


def feeds_text(feeds: Sequence[Feed], footer: str = "", limit: int = MESSAGE_LIMIT) -> str:
    """The followed feeds as one message of at most `limit` characters, ending "... and N more" if cut."""
    if not feeds:
        return "I'm not following any feeds yet: add one with `/feeds add url:<feed address>`."
    lines = [f"Following **{len(feeds)}** feed{'s' if len(feeds) != 1 else ''}:"]
    tail = [footer] if footer else []
    for i, feed in enumerate(feeds):
        line = feed_line(feed)
        # Keep room for the "... and N more" that would follow if the next feed does not fit.
        reserve = [f"... and {len(feeds) - i} more"] if i < len(feeds) - 1 else []
        if discord_len("\n".join(lines + [line] + reserve + tail)) > limit:
            lines.append(f"... and {len(feeds) - i} more")
            break
        lines.append(line)
    return "\n".join(lines + tail)


class SourcesButton(discord.ui.DynamicItem[discord.ui.Button], template=r"newsbot:sources:(?P<key>[0-9a-f]{12})"):
    """"Show sources" under an answer: the full quotes, only to whoever presses it."""

    def __init__(self, key: str) -> None:
        super().__init__(discord.ui.Button(label="Show sources", style=discord.ButtonStyle.secondary,
                                           custom_id=f"newsbot:sources:{key}"))
        self.key = key

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]):
        return cls(match["key"])

    async def callback(self, interaction: discord.Interaction) -> None:
        bot: NewsBot = interaction.client  # type: ignore[assignment]
        answer = bot.answers.get(self.key)
        if answer is None:
            await interaction.response.send_message(
                "I no longer have that answer in memory (I was restarted or it is old): ask again.", ephemeral=True)
            return
        await bot.send_sources(interaction, answer)


class NewsBot(commands.AutoShardedBot):
    """The bot: one Engine, a worker pool for it, rate limits and allowlists from Settings."""

    def __init__(self, engine: Any, settings: Settings, **options: Any) -> None:
        intents = discord.Intents.default()
        # Privileged: needed to read follow-ups in threads, which don't mention the bot.
        intents.message_content = True
        options.setdefault("shard_count", settings.discord_shards or None)
        super().__init__(command_prefix=commands.when_mentioned, intents=intents, help_command=None,
                         allowed_mentions=NO_MENTIONS, **options)
        self.engine = engine
        self.settings = settings
        self.buckets = TokenBucket(settings.discord_rate_per_minute, settings.discord_burst)
        self.answers = AnswerStore()
        slots = max(1, settings.discord_max_concurrent)
        self.slots = slots
        # The cap on concurrent questions: the engine runs only in these worker threads.
        self.executor = ThreadPoolExecutor(max_workers=slots, thread_name_prefix="newsbot-engine")
        self._pending = 0
        # Validated now so a bad NEWSBOT_REFRESH_EVERY stops start-up with one clear line.
        self.refresh_every = refresh_interval(settings.refresh_every) if settings.refresh_every.strip() else 0.0
        self._refresh_task: asyncio.Task | None = None

    # -- lifecycle ------------------------------------------------------------------------------

    async def setup_hook(self) -> None:
        await self.add_cog(Questions(self))
        await self.add_cog(Library(self))
        await self.add_cog(Feeds(self))
        self.add_dynamic_items(SourcesButton)
        self.tree.on_error = self.on_app_command_error
        await self.sync_commands()
        if self.refresh_every:
            self._refresh_task = asyncio.create_task(self.refresh_feeds_forever())

    async def refresh_feeds_forever(self) -> None:
        """Refresh followed feeds every NEWSBOT_REFRESH_EVERY, in a worker thread; failures are logged."""
        await self.wait_until_ready()
        while not self.is_closed():
            try:
                report = await asyncio.to_thread(refresh_feeds, self.engine.index, self.settings)
                log.info("feeds refreshed: %s", report.summary())
            except NewsbotError as exc:
                log.warning("feed refresh failed: %s", exc)
            except Exception:
                log.exception("feed refresh failed")
            await asyncio.sleep(self.refresh_every)

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

    async def on_app_command_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        """Never leave a user looking at "thinking..." forever: log it and say so, privately."""
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
        if self._refresh_task:
            self._refresh_task.cancel()
        await super().close()
        self.executor.shutdown(wait=False, cancel_futures=True)

    # -- policy ---------------------------------------------------------------------------------

    def allowed_place(self, guild_id: int | None, channel: Any) -> bool:
        """Guild and channel allowlists; DMs only when no allowlist is set (a private deployment)."""
        guilds, channels = self.settings.discord_guilds, self.settings.discord_channels
        if guild_id is None:
            return not guilds and not channels
        if guilds and guild_id not in guilds:
            return False
        if channels:
            ids = {getattr(channel, "id", None), getattr(channel, "parent_id", None)}
            return bool(ids & set(channels))
        return True

    def rate_limited(self, user_id: int) -> str | None:
        """A friendly refusal if this user asks too fast, else None (and a token is spent)."""
        wait = self.buckets.take(user_id)
        if wait <= 0:
            return None
        return f"You're asking faster than I can keep up: try again in {_wait_text(wait)}."

    def is_admin(self, member: Any, permissions: discord.Permissions) -> bool:
        if permissions.administrator:
            return True
        role = self.settings.discord_admin_role.strip()
        return bool(role) and any(r.name == role for r in getattr(member, "roles", ()))

    async def refuse_non_admin(self, interaction: discord.Interaction, action: str) -> bool:
        """True, after a polite private refusal, unless the user is an admin in a server; `action` is what they tried."""
        if interaction.guild is not None and self.is_admin(interaction.user, interaction.permissions):
            return False
        role = self.settings.discord_admin_role
        who = f"server administrators and members with the **{role}** role" if role else "server administrators"
        await interaction.response.send_message(f"Sorry, only {who} can {action}.", ephemeral=True)
        return True

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
                     channel_id: int, kind: str) -> Answer:
        """Ask the engine; log one line (no content) per question."""
        start = time.perf_counter()
        where = f"kind={kind} guild={guild_id} channel={channel_id}"
        try:
            answer = await self.run_engine(self.engine.ask, question, tuple(history))
        except BaseException:
            log.info("question %s latency=%.2fs failed", where, time.perf_counter() - start)
            raise
        log.info("question %s latency=%.2fs citations=%d abstained=%s turns=%d", where, time.perf_counter() - start,
                 len(answer.citations), answer.abstained, len(history))
        return answer

    # -- sending --------------------------------------------------------------------------------

    async def send_answer(self, send: Callable[..., Awaitable[Any]], answer: Answer, channel_id: int) -> None:
        """Post an answer: text chunks, then the sources embed and Show sources button on the last one."""
        key = self.answers.add(channel_id, answer)
        texts = answer_messages(answer)
        groups = pack_embeds(sources_embeds(answer)) if answer.citations else []
        for text in texts[:-1]:
            await send(content=text, allowed_mentions=NO_MENTIONS)
        extra: dict[str, Any] = {}
        if groups:
            view = discord.ui.View(timeout=None)
            view.add_item(SourcesButton(key))
            extra = {"embeds": groups[0], "view": view}
        await send(content=texts[-1], allowed_mentions=NO_MENTIONS, **extra)
        for group in groups[1:]:
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
        if not self.allowed_place(message.guild.id if message.guild else None, channel):
            if is_dm:
                await channel.send("I only answer in the servers I'm set up for.", allowed_mentions=NO_MENTIONS)
            return
        question = strip_mentions(message.content, self.user.id)
        if not question:
            await message.reply("Ask me a question about the news, e.g. `@me what happened in Venezuela?` "
                                "(`/help` for more).", allowed_mentions=NO_MENTIONS)
            return
        refusal = self.rate_limited(message.author.id)
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
        await self.send_answer(target.send, answer, channel_id)

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


class Questions(commands.Cog):
    """/ask, /sources, /help: what every reader uses."""

    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot

    async def _refuse_place(self, interaction: discord.Interaction) -> bool:
        if self.bot.allowed_place(interaction.guild_id, interaction.channel):
            return False
        await interaction.response.send_message("I'm not enabled in this channel.", ephemeral=True)
        return True

    @app_commands.command(name="ask", description="Ask about the news; the answer cites the exact sentences.")
    @app_commands.describe(question="Your question, e.g. How many people did Venezuela release?")
    async def ask(self, interaction: discord.Interaction, question: app_commands.Range[str, 1, 1000]) -> None:
        if await self._refuse_place(interaction):
            return
        refusal = self.bot.rate_limited(interaction.user.id)
        if refusal:
            await interaction.response.send_message(refusal, ephemeral=True)
            return
        # Acknowledge within Discord's 3-second window; the answer can take longer.
        await interaction.response.defer(thinking=True)
        try:
            answer = await self.bot.answer(question, (), guild_id=interaction.guild_id,
                                           channel_id=interaction.channel_id or 0, kind="slash")
        except Busy:
            await self._private(interaction, BUSY_TEXT)
            return
        except NewsbotError as exc:
            await self._private(interaction, str(exc))
            return
        except Exception:
            log.exception("answering failed (guild=%s channel=%s)", interaction.guild_id, interaction.channel_id)
            await self._private(interaction, FAILED_TEXT)
            return
        if answer.abstained:
            # Nothing to share with the channel: tell only the asker.
            self.bot.answers.add(interaction.channel_id or 0, answer)
            await self._private(interaction, "\n\n".join(answer_messages(answer)))
            return
        await self.bot.send_answer(interaction.followup.send, answer, interaction.channel_id or 0)

    async def _private(self, interaction: discord.Interaction, text: str) -> None:
        """Replace the public "thinking..." with a reply only the asker sees."""
        try:
            await interaction.delete_original_response()
        except discord.HTTPException:
            pass
        for chunk in split_message(text):
            await interaction.followup.send(chunk, ephemeral=True, allowed_mentions=NO_MENTIONS)

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


class Library(commands.Cog):
    """/stats and /ingest: what is in the index, and adding to it."""

    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot

    @app_commands.command(name="stats", description="How many articles I know, and the latest article date.")
    async def stats(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            stats = await self.bot.run_engine(self.bot.engine.stats)
            refreshed = await asyncio.to_thread(last_refresh, self.bot.settings)
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
        await interaction.followup.send("\n".join(lines), ephemeral=True)

    @app_commands.command(name="ingest", description="Add an article from an attached file (administrators only).")
    @app_commands.describe(file="The article: a .txt, .md, .json, .jsonl or .html file")
    @app_commands.guild_only()
    async def ingest(self, interaction: discord.Interaction, file: discord.Attachment) -> None:
        if await self.bot.refuse_non_admin(interaction, "add articles"):
            return
        assert interaction.guild is not None  # refuse_non_admin refuses DMs
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


def _follow(settings: Settings, url: str) -> tuple[Feed, bool]:
    """(the feed, True) after following `url` (fetched once to check it), or (it, False) if already followed."""
    check_url(url)  # a plain "not an http(s) URL" before any lookup
    before = find_feed(settings, url)
    return (before, False) if before else (add_feed(settings, url), True)


class Feeds(commands.Cog):
    """/feeds add|remove|list: the RSS and Atom feeds the bot follows (administrators only)."""

    feeds = app_commands.Group(name="feeds", description="The RSS and Atom feeds I follow (administrators only).",
                               guild_only=True)

    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot

    def _schedule(self) -> str:
        """When new articles from followed feeds arrive, as a small note under a reply."""
        if self.bot.refresh_every:
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
    async def add(self, interaction: discord.Interaction, url: app_commands.Range[str, 1, FEED_URL_CHARS]) -> None:
        if await self.bot.refuse_non_admin(interaction, "manage feeds"):
            return
        # Checking the feed is a network fetch (timeouts, retries): acknowledge first, fetch off the loop.
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            feed, added = await asyncio.to_thread(_follow, self.bot.settings, url)
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
    async def remove(self, interaction: discord.Interaction, url: app_commands.Range[str, 1, FEED_URL_CHARS]) -> None:
        if await self.bot.refuse_non_admin(interaction, "manage feeds"):
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            removed = await asyncio.to_thread(remove_feed, self.bot.settings, url)
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
    async def list_(self, interaction: discord.Interaction) -> None:
        if await self.bot.refuse_non_admin(interaction, "manage feeds"):
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            feeds = await asyncio.to_thread(list_feeds, self.bot.settings)
        except NewsbotError as exc:
            await self._reply(interaction, str(exc))
            return
        await self._reply(interaction, feeds_text(feeds, self._schedule() if feeds else ""))


def run_bot(settings: Settings) -> None:
    """Open the engine once, then run the bot until interrupted. Needs settings.discord_token."""
    from retrieval.engine import Engine
    from retrieval.errors import ConfigError

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
