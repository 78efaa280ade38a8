"""Message components: "Show sources", 👍 / 👎 (with the "what was wrong" modal), and the bounded memory of answers.

Buttons carry the answer's id in their custom_id and are `DynamicItem`s, so they keep working
after a restart: a vote on an answer no longer in memory is stored with the text the reader saw.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
from collections import OrderedDict

import discord

from bot.discord.render import NO_MENTIONS, split_message
from retrieval.types import Answer

log = logging.getLogger("newsbot.discord")

ANSWERS_KEPT = 500  # answers remembered for "Show sources" / `/sources`
NOTE_CHARS = 300  # the "what was wrong" line
VOTE_FAILED_TEXT = "I couldn't store that vote just now; it has been logged. Please try again later."


class AnswerStore:
    """The last answers (bounded), by key for the button and by channel for `/sources`."""

    def __init__(self, size: int = ANSWERS_KEPT) -> None:
        self.size = size
        self._answers: OrderedDict[str, Answer] = OrderedDict()
        self._last: OrderedDict[int, str] = OrderedDict()
        self._history: dict[str, tuple[tuple[str, str], ...]] = {}  # the conversation each answer followed

    def add(self, channel_id: int, answer: Answer, history=()) -> str:
        key = secrets.token_hex(6)
        self._answers[key] = answer
        if history:
            self._history[key] = tuple(history)
        self._last[channel_id] = key
        self._last.move_to_end(channel_id)
        for store in (self._answers, self._last):
            while len(store) > self.size:
                key_out, _ = store.popitem(last=False)
                if store is self._answers:
                    self._history.pop(key_out, None)
        return key

    def history(self, key: str) -> tuple[tuple[str, str], ...]:
        return self._history.get(key, ())

    def get(self, key: str) -> Answer | None:
        return self._answers.get(key)

    def last_in(self, channel_id: int) -> Answer | None:
        key = self._last.get(channel_id)
        return self._answers.get(key) if key else None


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
        bot = interaction.client  # the NewsBot (not imported here: bot.py imports this module)
        answer = bot.answers.get(self.key)
        if answer is None:
            await interaction.response.send_message(
                "I no longer have that answer in memory (I was restarted or it is old): ask again.", ephemeral=True)
            return
        await bot.send_sources(interaction, answer)


def vote_row(key: str, *, sources: bool, votes: bool = True) -> discord.ui.View | None:
    """The buttons under an answer: Show sources (when it cites any), 👍, 👎 (unless feedback is off);
    None when that leaves none."""
    view = discord.ui.View(timeout=None)
    if sources:
        view.add_item(SourcesButton(key))
    if votes:
        view.add_item(VoteButton(key, good=True))
        view.add_item(VoteButton(key, good=False))
    return view if view.children else None


async def record_vote(interaction: discord.Interaction, key: str, good: bool, note: str = ""):
    """Store this reader's vote on answer `key` (off the event loop); None, and logged, if storing failed."""
    bot = interaction.client
    answer = bot.answers.get(key)
    seen = interaction.message.content if answer is None and interaction.message is not None else ""
    try:
        return await asyncio.to_thread(
            bot.engine.record_feedback, key, f"discord:{interaction.user.id}", good, note=note, answer=answer,
            history=bot.answers.history(key), seen_text=seen, front_end="discord")
    except Exception:  # a damaged store or a full disk: the reader is told, the operator gets the details
        log.exception("storing feedback failed (guild=%s channel=%s)", interaction.guild_id, interaction.channel_id)
        return None


class VoteButton(discord.ui.DynamicItem[discord.ui.Button],
                 template=r"newsbot:vote:(?P<vote>up|down):(?P<key>[0-9a-f]{12})"):
    """👍 / 👎 under an answer: one vote per reader and answer (a second click changes it); 👎 asks what was wrong."""

    def __init__(self, key: str, good: bool) -> None:
        vote = "up" if good else "down"
        super().__init__(discord.ui.Button(emoji="👍" if good else "👎", style=discord.ButtonStyle.secondary,
                                           custom_id=f"newsbot:vote:{vote}:{key}"))
        self.key = key
        self.good = good

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]):
        return cls(match["key"], good=match["vote"] == "up")

    async def callback(self, interaction: discord.Interaction) -> None:
        vote = await record_vote(interaction, self.key, self.good)
        if vote is None:
            await interaction.response.send_message(VOTE_FAILED_TEXT, ephemeral=True)
        elif not self.good:
            # The 👎 is stored already; the note is optional (closing the form keeps the vote).
            await interaction.response.send_modal(WhatWasWrong(self.key))
        else:
            text = {"new": "Thanks for the 👍: it helps me learn which answers work.",
                    "changed": "Changed your vote to 👍.",
                    "same": "Your 👍 is already counted (one vote per reader)."}[vote.outcome]
            await interaction.response.send_message(text, ephemeral=True)


class WhatWasWrong(discord.ui.Modal, title="What was wrong with this answer?"):
    """The optional one-line note after a 👎."""

    note = discord.ui.TextInput(label="What was wrong? (optional)", style=discord.TextStyle.short, required=False,
                                max_length=NOTE_CHARS, placeholder="e.g. the number is out of date; wrong person")

    def __init__(self, key: str) -> None:
        # Unique per opening: two readers' forms on one answer must not replace each other in the view store.
        super().__init__(custom_id=f"newsbot:note:{key}:{secrets.token_hex(4)}", timeout=900)
        self.key = key

    async def on_submit(self, interaction: discord.Interaction) -> None:
        vote = await record_vote(interaction, self.key, False, self.note.value or "")
        if vote is None:
            await interaction.response.send_message(VOTE_FAILED_TEXT, ephemeral=True)
            return
        await interaction.response.send_message(
            "Thanks: your 👎 and note are stored." if vote.note else "Thanks: your 👎 is stored.", ephemeral=True)


async def reply_privately(interaction: discord.Interaction, text: str, view: discord.ui.View | None = None) -> None:
    """Replace the public "thinking..." with a reply only the asker sees (`view` under its last part)."""
    try:
        await interaction.delete_original_response()
    except discord.HTTPException:
        pass
    chunks = split_message(text)
    for i, chunk in enumerate(chunks, 1):
        extra = {"view": view} if view is not None and i == len(chunks) else {}
        await interaction.followup.send(chunk, ephemeral=True, allowed_mentions=NO_MENTIONS, **extra)
