"""Message components: the "Show sources" button, and the bounded memory of answers it shows."""

from __future__ import annotations

import re
import secrets
from collections import OrderedDict

import discord

from retrieval.types import Answer

ANSWERS_KEPT = 500  # answers remembered for "Show sources" / `/sources`


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
