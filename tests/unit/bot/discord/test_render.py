"""Discord rendering (pure functions): messages within limits, nothing dropped, the feed list."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from bot.discord.render import (
    EMBED_TOTAL_LIMIT,
    MESSAGE_LIMIT,
    answer_messages,
    discord_len,
    feeds_text,
    full_sources_embeds,
    pack_embeds,
    sources_embeds,
    split_message,
)
from retrieval.types import Answer, Feed
from tests.fake_discord import validate_message
from tests.helpers import citation, long_answer


@hsettings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab .!?\n😀[]1")), max_size=6000), st.integers(20, 2000))
def test_split_message_never_drops_text_and_respects_the_limit(text, limit):
    chunks = split_message(text, limit)
    assert all(chunk and discord_len(chunk) <= limit for chunk in chunks)
    assert re.sub(r"\s+", "", "".join(chunks)) == re.sub(r"\s+", "", text)


def test_split_message_prefers_sentence_boundaries():
    text = " ".join(f"This is sentence number {i} of the answer [2]." for i in range(200))
    chunks = split_message(text)
    assert len(chunks) > 1
    assert all(c.endswith("[2].") and len(c) <= MESSAGE_LIMIT for c in chunks)
    after = " ".join(f"Sentence {i} of the answer ends here. [{i % 9 + 1}]" for i in range(300))
    assert all(re.search(r"here\. \[\d\]$", c) for c in split_message(after)), "markers stay with their sentence"


def test_sources_embeds_stay_within_discord_limits_and_keep_everycitation():
    answer = long_answer(10, 60)
    embeds = sources_embeds(answer)
    names = [f.name for e in embeds for f in e.fields]
    assert [n.split("]")[0] for n in names] == [f"[{i}" for i in range(1, 61)]
    for group in pack_embeds(embeds):
        validate_message({"embeds": [e.to_dict() for e in group]})
        assert sum(len(e) for e in group) <= EMBED_TOTAL_LIMIT and len(group) <= 10
    assert all("#:~:text=" in f.value and f.value.endswith("…") for e in embeds for f in e.fields)
    full = full_sources_embeds(answer)
    for group in pack_embeds(full):
        validate_message({"embeds": [e.to_dict() for e in group]})
    text = "".join(e.description for e in full).replace("\\", "")
    assert text.count("lasting long hours") == 60 * 40, "full view keeps whole quotes"


def test_huge_quote_and_url_without_link_still_fit():
    quote = "word " * 3000
    answer = Answer("q", "A [1].", False, "extractive", (citation(1, quote, url="https://x.org/" + "p" * 3000),
                                                         citation(2, "Short one.", url="")))
    for group in pack_embeds(sources_embeds(answer)) + pack_embeds(full_sources_embeds(answer)):
        validate_message({"embeds": [e.to_dict() for e in group]})
    full = "".join(e.description for e in full_sources_embeds(answer))
    assert full.count("word") == 3000 and "Short one." in full


def test_answer_messages_carry_the_note():
    answer = Answer("q", "Venezuela released 88 people [1].", False, "extractive", note="LLM unreachable; extractive answer")
    assert answer_messages(answer) == ["Venezuela released 88 people [1].\n\n-# LLM unreachable; extractive answer"]


def test_feeds_text_fits_one_message_and_says_how_many_more():
    feeds = [Feed(f"https://news{i}.example.org/" + "section/" * 30 + "rss.xml", f"Gazette {i} 😀 " * 5,
                  articles=i, pending=1, last_error="HTTP 500 from the server; " * 5) for i in range(200)]
    text = feeds_text(feeds, "-# Feeds are refreshed every 15m.")
    validate_message({"content": text})
    shown = text.count("\n• ")
    assert 0 < shown < 200 and f"... and {200 - shown} more" in text and text.endswith("every 15m.")
    assert discord_len(text) > MESSAGE_LIMIT - 700, "cut only when the next feed would not fit"
    assert feeds_text(feeds[:2]).count("\n• ") == 2 and "more" not in feeds_text(feeds[:2])
