"""Discord `/ask source: since: until:` (source autocomplete from the index) and `/latest`, on the fake Discord."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.discord.render import answer_messages, latest_embeds, source_matches
from retrieval.types import Answer, AppliedFilters, ArticleInfo, Citation, Headline, Listing
from tests.fake_discord import EPHEMERAL
from tests.integration.test_discord import _done, bot_settings, run  # noqa: F401  (fixtures)

DATA = Path(__file__).resolve().parent.parent / "data" / "dated"


@pytest.fixture
def dated_engine(bot_settings):  # noqa: F811
    from retrieval.engine import Engine

    engine = Engine.open(bot_settings)
    engine.ingest_paths([DATA])
    return engine


def test_ask_options_autocomplete_and_latest(run, dated_engine):  # noqa: F811
    async def scenario(w):
        f = w.fake
        ask = next(c for c in f.commands[None] if c["name"] == "ask")
        options = {o["name"]: o for o in ask["options"]}
        assert set(options) == {"question", "source", "since", "until"} and options["source"]["autocomplete"]
        assert all(not options[n].get("required") for n in ("source", "since", "until"))

        typed = await f.autocomplete("ask", w.alice, w.channel, {"question": "fares", "source": "wi"}, "source")
        await f.wait_for(lambda: typed.callback)
        assert typed.callback["type"] == 8
        assert [c["value"] for c in typed.callback["data"]["choices"]] == ["Coast Wire"]

        inter = await f.slash("ask", w.alice, w.channel, {"question": "What did the operator say about the ferry fare?",
                                                         "source": "Coast Wire", "since": "2025-03-01"})
        await f.wait_for(lambda: _done(inter))
        msg = inter.original
        assert not msg["flags"] & EPHEMERAL
        assert "-# only: Coast Wire, 2025-03-01 .. now" in msg["content"]
        assert all("Coast Wire" in field["value"] for field in msg["embeds"][0]["fields"])

        bad = await f.slash("ask", w.alice, w.channel, {"question": "What happened?", "since": "whenever"})
        await f.wait_for(lambda: bad.followups)
        assert bad.followups[0]["flags"] & EPHEMERAL and "--since 'whenever' is not understood" in bad.followups[0]["content"]

        latest = await f.slash("latest", w.alice, w.channel, {"source": "Harbour News"})
        await f.wait_for(lambda: _done(latest))
        embed = latest.messages[-1]["embeds"][0]
        assert embed["title"] == "Latest stories"
        names = [field["name"] for field in embed["fields"]]
        assert names[0].startswith("[1] Bridge opens to cyclists") and len(names) == 3
        assert "> The new bridge opened to cyclists at dawn on Tuesday." in embed["fields"][0]["value"]
        assert "[open the sentence](https://harbour.example/bridge#:~:text=" in embed["fields"][0]["value"]

        unknown = await f.slash("latest", w.alice, w.channel, {"source": "Harbor News"})
        await f.wait_for(lambda: unknown.followups)
        assert unknown.followups[0]["flags"] & EPHEMERAL
        assert 'closest known: "Harbour News"' in unknown.followups[0]["content"]

    run(scenario, dated_engine)


def test_source_matches():
    names = ["Coast Wire", "Harbour News", "Capital Times", "The Wire Service", "x" * 101]
    assert source_matches(names, "wi") == ["Coast Wire", "The Wire Service"]
    assert source_matches(names, "") == names[:4]
    assert source_matches(names, "t") == ["The Wire Service", "Coast Wire", "Capital Times"]  # starts-with first
    assert len(source_matches([f"s{i}" for i in range(40)], "s")) == 25


def test_rendering_shows_filters_and_local_files_by_name_only():
    c = Citation(1, "a1", "Museum reopens", "notes", "", "", 0, "The museum reopened.",
                 link="file:///srv/private/notes/museum.txt", path="/srv/private/notes/museum.txt")
    answer = Answer("q", "The museum reopened [1].", False, "extractive", (c,), note="1 undated article left out",
                    filters=AppliedFilters(source="notes", since="2025-03-10T00:00:00Z", until="2025-03-16T23:59:59Z",
                                           window_from="question", expression="last week"))
    text = answer_messages(answer)[0]
    assert text.endswith('-# only: notes, 2025-03-10 .. 2025-03-16 ("last week")\n-# 1 undated article left out')
    listing = Listing(headlines=(Headline(ArticleInfo("a1", "Museum reopens", "notes"), c),))
    value = latest_embeds(listing)[0].fields[0].value
    assert "file museum.txt" in value and "/srv/private" not in value and "file://" not in value


def test_a_note_keeps_its_link_a_link_and_escapes_the_rest():
    answer = Answer("q", "The articles don't say.", True, "extractive", (),
                    note='closest story (it may not say): "Fears_raised *over* ballet" (BBC, 2005-02-14) '
                         "https://www.bbc.co.uk/news/uk_politics-123")
    assert answer_messages(answer)[0].endswith(
        '-# closest story (it may not say): "Fears\\_raised \\*over\\* ballet" (BBC, 2005-02-14) '
        "<https://www.bbc.co.uk/news/uk_politics-123>"
    )
