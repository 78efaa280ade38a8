"""Both front ends show who else reported a cited sentence."""

from __future__ import annotations

from bot.discord.render import citation_meta, sources_embeds
from bot.terminal import TerminalStyle, render_citation
from retrieval.types import Answer, Citation

CITED = Citation(1, "a1", "Venezuela frees 88", "Wire", "https://wire.example/v", "2025-01-05T10:00:00Z", 0,
                 "88 more people have been released.", story_id="s1", also_reported_by=("AP", "Reuters"))


def test_terminal_citation_lists_the_other_sources():
    out = render_citation(CITED, TerminalStyle())
    assert "also reported by 2 sources: AP, Reuters" in out
    plain = render_citation(Citation(1, "a1", "t", "Wire", "", "", 0, "q"), TerminalStyle())
    assert "also reported" not in plain


def test_discord_sources_embed_lists_the_other_sources_within_limits():
    assert "also reported by 2 sources: AP, Reuters" in citation_meta(CITED)
    many = Citation(**{**CITED.__dict__, "also_reported_by": tuple(f"Outlet {i} @everyone" for i in range(300))})
    meta = citation_meta(many)
    assert len(meta) <= 512 and meta.endswith("…")  # shortened, never past the field limit
    embeds = sources_embeds(Answer("q", "a [1].", False, "extractive", (many,)))
    assert all(len(e) <= 6000 for e in embeds)
