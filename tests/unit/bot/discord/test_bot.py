"""Small pieces of the bot's logic: conversation history from a thread, mentions, thread names."""

from __future__ import annotations

import pytest

from bot.discord.bot import NewsBot, conversation_pairs, strip_mentions
from bot.discord.render import thread_name
from retrieval.settings import Settings


def test_conversation_pairs_from_a_thread_log():
    log = [(False, "How many?"), (True, "88 were released [1]."), (True, "-# note"), (False, "ignored?"),
           (False, "and who won?"), (True, "Maduro [2], [3]."), (False, "pending")]
    assert conversation_pairs(log) == [("How many?", "88 were released."), ("and who won?", "Maduro.")]
    assert strip_mentions("<@42> hi <@!42> there", 42) == "hi there"
    assert len(thread_name("x " * 200)) <= 100


def test_bad_refresh_interval_stops_start_up_with_one_line():
    from retrieval.errors import ConfigError

    with pytest.raises(ConfigError, match="15m"):
        NewsBot(None, Settings(refresh_every="soon"))
