"""Render for Discord: answers in message chunks within 2,000 characters, sources embeds within limits,
the followed-feeds list, thread names and the help text.

Pure functions, no I/O. Nothing is ever dropped silently: long answers are split at sentence
boundaries, long source lists spill into more embeds and messages, and a quote shortened in the
compact sources embed ends with "…" and is shown whole by `full_sources_embeds` (the
"Show sources" button and `/sources`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import discord

from retrieval.text import MARKER, escape_discord
from retrieval.types import Answer, AppliedFilters, Citation, Digest, Feed, Listing

# Discord's limits (https://discord.com/developers/docs/resources/message#create-message).
MESSAGE_LIMIT = 2000
EMBED_TITLE_LIMIT = 256
THREAD_NAME_LIMIT = 100
EMBED_DESCRIPTION_LIMIT = 4096
EMBED_FIELDS_LIMIT = 25
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
EMBED_TOTAL_LIMIT = 6000  # across all embeds of one message
EMBEDS_PER_MESSAGE = 10

# Public messages one answer may post (text and sources); the rest is behind "Show sources".
MAX_ANSWER_MESSAGES = 3
SHORTENED = "\n\n-# Answer shortened: **Show sources** has every quote in full."
# Quotes longer than this are shortened in the compact embed that comes with every answer.
COMPACT_QUOTE_CHARS = 300
# Full-quote embeds aim below half the 6,000 total so two share a message.
FULL_DESCRIPTION_TARGET = 2900
EMBED_COLOUR = discord.Colour(0x2B6CB0)

# Nothing the bot posts may ping anyone: article text and questions can contain @everyone or <@id>.
NO_MENTIONS = discord.AllowedMentions.none()

# Split points, best first. A sentence ends after . ! ? … plus closing quotes/brackets and any
# citation markers that follow it ("... 88 people. [1] Next"), so a marker stays with its sentence.
_PARAGRAPH = re.compile(r"\n\s*\n")
_SENTENCE = re.compile(rf"(?<=[.!?…])[\"'”’)\]]*(?:\s*{MARKER.pattern})*(?=\s)")
_LINE = re.compile(r"\n")
_SPACE = re.compile(r"\s+")


def discord_len(text: str) -> int:
    """Length as Discord counts it (UTF-16 code units), so emoji-heavy text cannot overflow."""
    return len(text.encode("utf-16-le")) // 2


def _fit(text: str, limit: int) -> int:
    """The longest prefix length (in code points) whose Discord length is <= limit."""
    if discord_len(text) <= limit:
        return len(text)
    lo, hi = 0, min(len(text), limit)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if discord_len(text[:mid]) <= limit:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _ends(pattern: re.Pattern[str], head: str, window: int) -> list[int]:
    """Candidate chunk ends: a sentence ends after its closing marks, other boundaries where they start."""
    ends = (m.end() if pattern is _SENTENCE else m.start() for m in pattern.finditer(head))
    return [e for e in ends if 0 < e <= window]


def _cut_point(text: str, window: int) -> int:
    """Where to end the next chunk: the last good boundary in text[:window], else a hard cut."""
    head = text[: window + 1]  # a boundary may start right at the window's edge
    for pattern in (_PARAGRAPH, _SENTENCE, _LINE, _SPACE):
        ends = _ends(pattern, head, window)
        # Only take a boundary that keeps the chunk reasonably full; else try a finer kind.
        if ends and ends[-1] >= window // 2:
            return ends[-1]
    for pattern in (_SENTENCE, _SPACE):
        ends = _ends(pattern, head, window)
        if ends:
            return ends[-1]
    return max(window, 1)


def split_message(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Split text into non-empty chunks of at most `limit` (Discord-counted) characters.

    Breaks at paragraph, then sentence, then line, then word boundaries; only a single "word"
    longer than the limit is cut mid-word. Only whitespace at the break points is lost.
    """
    chunks: list[str] = []
    rest = text.strip()
    while rest:
        window = _fit(rest, limit)
        if window >= len(rest):
            chunks.append(rest)
            break
        cut = _cut_point(rest, window)
        chunk = rest[:cut].rstrip()
        if not chunk:  # only whitespace before the cut: take the hard cut instead
            chunk, cut = rest[:window], window
        chunks.append(chunk)
        rest = rest[cut:].lstrip()
    return chunks


def filters_text(f: AppliedFilters | None) -> str:
    """'only: Reuters, 2025-03-10 .. 2025-03-16 ("last week")'; '' when nothing was restricted."""
    if f is None or not f.active:
        return ""
    parts = [escape_discord(f.source)] if f.source else []
    if f.since or f.until:
        span = f"{(f.since or '')[:10] or '…'} .. {(f.until or '')[:10] or 'now'}"
        if f.expression and f.window_from == "question":
            span += f' ("{escape_discord(f.expression)}")'
        parts.append(span)
    return "only: " + ", ".join(parts)


def answer_messages(answer: Answer, limit: int = MESSAGE_LIMIT, max_messages: int = MAX_ANSWER_MESSAGES) -> list[str]:
    """The answer text (with its [n] markers), the filters it was restricted to and any note, as at
    most `max_messages` message contents.

    Article text is escaped: a masked link, spoiler or code fence in a quoted sentence shows as
    the characters it is. An answer longer than `max_messages` messages ends with a line that
    points at "Show sources" (every quote is there in full).
    """
    text = escape_discord(answer.answer.strip()) or "The articles don't say."
    # "-#" is Discord's subtext line: these read as footnotes, not as part of the answer.
    footnotes = [filters_text(answer.filters)] + ([_note_text(answer.note)] if answer.note else [])
    footnotes = [x for x in footnotes if x]
    if footnotes:
        text = text + "\n\n" + "\n".join(f"-# {x}" for x in footnotes)
    chunks = split_message(text, limit)
    if len(chunks) <= max_messages:
        return chunks
    kept = chunks[:max_messages]
    room = limit - discord_len(SHORTENED)
    kept[-1] = split_message(kept[-1], room)[0] + SHORTENED
    return kept


def source_matches(names: Sequence[str], typed: str, limit: int = 25) -> list[str]:
    """Source names for autocomplete: those starting with what was typed, then those containing it."""
    typed = typed.strip().casefold()
    starts = [n for n in names if n.casefold().startswith(typed)]
    inside = [n for n in names if typed in n.casefold() and n not in starts]
    return [n for n in starts + inside if len(n) <= 100][:limit]  # Discord's choice limit is 100 characters


def latest_embeds(listing: Listing) -> list[discord.Embed]:
    """`/latest`: one field per story (title, source, date, link, the cited lead sentence), within limits."""
    head = filters_text(listing.filters)
    extra = " · ".join(p for p in (head, listing.note) if p)
    embeds: list[discord.Embed] = []
    current = discord.Embed(title="Latest stories", description=_shorten(extra, 1000) if extra else None,
                            colour=EMBED_COLOUR)
    for h in listing.headlines:
        lead = h.lead
        copies = f" (+{len(h.copies)} cop{'ies' if len(h.copies) != 1 else 'y'})" if h.copies else ""
        if lead is None:
            name = _shorten(f"{h.article.title}{copies}", FIELD_NAME_LIMIT)
            value = " · ".join(p for p in (h.article.source, _date(h.article.published_at)) if p) or "-"
        else:
            name = _shorten(f"{citation_heading(lead)}{copies}", FIELD_NAME_LIMIT)
            meta = citation_meta(lead)
            room = FIELD_VALUE_LIMIT - discord_len(meta) - 1
            quote = _shorten(_quote_block(lead.quote), min(COMPACT_QUOTE_CHARS, room))
            value = f"{meta}\n{quote}" if meta else quote
        if len(current.fields) >= EMBED_FIELDS_LIMIT or embed_size(current) + len(name) + len(value) > EMBED_TOTAL_LIMIT:
            embeds.append(current)
            current = discord.Embed(title="Latest stories (continued)", colour=EMBED_COLOUR)
        current.add_field(name=name, value=value, inline=False)
    if current.fields:
        embeds.append(current)
    return embeds


def digest_messages(digest: Digest, heading: str = "News digest", limit: int = MESSAGE_LIMIT) -> list[str]:
    """A digest as message contents within `limit`: per story a bold heading, its cited sentences
    quoted, then one subtext line per citation (source, date, link to the sentence). Split between
    stories where possible, never dropping one."""
    head = [f"**{escape_discord(heading)}**"]
    extra = " · ".join(p for p in (f"topic: {escape_discord(digest.topic)}" if digest.topic else "",
                                   filters_text(digest.filters)) if p)
    if extra:
        head.append(f"-# {extra}")
    blocks = ["\n".join(head)]
    for i, story in enumerate(digest.stories, 1):
        n = len(story.sources)
        who = f"{n} sources: {', '.join(story.sources)}" if n > 1 else (story.sources[0] if story.sources else "")
        title = _shorten(f"{i}. {story.title}", EMBED_TITLE_LIMIT)
        lines = [f"**{escape_discord(title)}** · {escape_discord(_shorten(who, 300))}"]
        lines += [_quote_block(f"{c.quote} [{c.n}]") for c in story.citations]
        lines += [f"-# [{c.n}] {citation_meta(c, 400)}" for c in story.citations]
        blocks.append("\n".join(lines))
    if digest.note:
        blocks.append(f"-# {escape_discord(digest.note)}")
    return split_message("\n\n".join(blocks), limit)


def _date(published_at: str) -> str:
    return published_at[:10] if published_at else ""


_WEB_LINK = re.compile(r"https?://[^\s<>]+")


def _note_text(note: str) -> str:
    """A note on one line with its Markdown escaped, and a web link in it still a link (escaping its "_"
    would break it): kept as <link>, which Discord links without unfurling a preview."""
    note = " ".join(note.split())
    parts, at = [], 0
    for m in _WEB_LINK.finditer(note):
        parts += [escape_discord(note[at : m.start()]), f"<{m.group(0)}>"]
        at = m.end()
    return "".join([*parts, escape_discord(note[at:])])


def _link_target(url: str) -> str:
    # A masked link ends at the first ")" or space, so encode those inside the url.
    return url.replace(" ", "%20").replace("(", "%28").replace(")", "%29")


def _shorten(text: str, limit: int) -> str:
    """text, or its first words up to `limit` characters ending in "…" (the caller shows the rest elsewhere)."""
    text = " ".join(text.split())
    if discord_len(text) <= limit:
        return text
    head = text[: _fit(text, limit - 1)]
    if " " in head[len(head) // 2 :]:
        head = head[: head.rindex(" ")]
    return head.rstrip() + "…"


def citation_heading(c: Citation) -> str:
    """`[n] Title` for a field name or a block heading."""
    return _shorten(f"[{c.n}] {escape_discord(c.title) or 'Untitled article'}", FIELD_NAME_LIMIT)


def citation_meta(c: Citation, limit: int = FIELD_VALUE_LIMIT // 2) -> str:
    """`source · date · [open the sentence](link)`; unknown parts are left out.

    A link too long for `limit` falls back to the bare article url, then to no link (the full
    sources view has room for it).
    """
    head = [escape_discord(c.source) if c.source else "", escape_discord(_date(c.published_at))]
    if c.also_reported_by:
        head.append(escape_discord(_shorten(c.also_reported(), limit // 3)))
    if c.updated_at:  # the publisher corrected the article: the quote is from the version of this time
        head.append("updated " + escape_discord(c.updated_at[:16].replace("T", " ")) + " UTC")
    if c.path and not c.url:
        # Only the file's name: a Discord reader can't open the bot's disk, and its layout is private.
        head.append("file " + escape_discord(c.path.replace("\\", "/").rsplit("/", 1)[-1]))
    web = c.link.startswith(("http://", "https://"))
    for link in (f"[open the sentence]({_link_target(c.link)})" if c.link and web else "",
                 f"[open the article]({_link_target(c.url)})" if c.url else "", ""):
        meta = " · ".join(p for p in (*head, link) if p)
        if discord_len(meta) <= limit:
            return meta
    return _shorten(" · ".join(p for p in head if p), limit)


def _quote_block(quote: str) -> str:
    return "> " + escape_discord(" ".join(quote.split()))


def embed_size(embed: discord.Embed) -> int:
    """Characters Discord counts toward the 6,000 total: title, description, fields, footer, author."""
    return len(embed)


def _new_embed(title: str) -> discord.Embed:
    return discord.Embed(title=title, colour=EMBED_COLOUR)


def sources_embeds(answer: Answer) -> list[discord.Embed]:
    """The compact sources embed(s) posted with an answer: one field per citation, short quotes.

    One embed holds at most 25 fields and 6,000 characters; more citations spill into
    "Sources (continued)" embeds rather than being dropped. No citations -> no embeds.
    """
    embeds: list[discord.Embed] = []
    current = _new_embed("Sources")
    for c in answer.citations:
        meta = citation_meta(c)
        room = FIELD_VALUE_LIMIT - discord_len(meta) - 1
        quote = _shorten(_quote_block(c.quote), min(COMPACT_QUOTE_CHARS, room))
        value = f"{meta}\n{quote}" if meta else quote
        name = citation_heading(c)
        too_big = embed_size(current) + len(name) + len(value) > EMBED_TOTAL_LIMIT
        if len(current.fields) >= EMBED_FIELDS_LIMIT or too_big:
            embeds.append(current)
            current = _new_embed("Sources (continued)")
        current.add_field(name=name, value=value, inline=False)
    if current.fields:
        embeds.append(current)
    return embeds


def full_sources_embeds(answer: Answer) -> list[discord.Embed]:
    """Every citation with its whole quote, in embed descriptions well within the 4,096 limit."""
    blocks: list[str] = []
    for c in answer.citations:
        head = f"**{citation_heading(c)}**"
        meta = citation_meta(c, EMBED_DESCRIPTION_LIMIT // 2)
        blocks.append("\n".join(p for p in (head, meta, _quote_block(c.quote)) if p))
    pieces: list[str] = []
    for block in blocks:
        # A quote too long for one description (messy input) continues in the next embed.
        pieces.extend(split_message(block, FULL_DESCRIPTION_TARGET))
    embeds: list[discord.Embed] = []
    description = ""
    for piece in pieces:
        candidate = f"{description}\n\n{piece}" if description else piece
        if discord_len(candidate) > FULL_DESCRIPTION_TARGET:
            embeds.append(discord.Embed(title="Sources", description=description, colour=EMBED_COLOUR))
            description = piece
        else:
            description = candidate
    if description:
        embeds.append(discord.Embed(title="Sources", description=description, colour=EMBED_COLOUR))
    if len(embeds) > 1:
        for i, embed in enumerate(embeds, 1):
            embed.title = f"Sources ({i}/{len(embeds)})"
    return embeds


def pack_embeds(embeds: list[discord.Embed]) -> list[list[discord.Embed]]:
    """Group embeds into messages: at most 10 per message and 6,000 characters in total."""
    groups: list[list[discord.Embed]] = []
    size = 0
    for embed in embeds:
        n = embed_size(embed)
        if not groups or len(groups[-1]) >= EMBEDS_PER_MESSAGE or size + n > EMBED_TOTAL_LIMIT:
            groups.append([])
            size = 0
        groups[-1].append(embed)
        size += n
    return groups


def thread_name(question: str) -> str:
    name = " ".join(question.split()) or "Question"
    return name if len(name) <= THREAD_NAME_LIMIT else name[: THREAD_NAME_LIMIT - 1].rstrip() + "…"


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


HELP_TEXT = """\
**Ask about the news** and get an answer cited to the exact sentences of the articles.
• `/ask question:<text>`: answer here, with numbered sources. Options `source:`, `since:` and `until:` \
(2025-03-01, 2d, 24h, yesterday, last week) restrict it; dates in the question ("last week") do too.
• `/latest`: the newest stories, each with its first sentence cited (options `source:`, `since:`).
• `/digest`: the top stories of the last 24 hours, ranked by how many sources report them \
(options `since:`, `topic:`).
• Mention me with a question: I answer in a new thread; reply in that thread for follow-ups \
("and who claimed victory?").
• Direct messages work too.
• `/sources` or the **Show sources** button: the full quoted sentences of the last answer.
• 👍 / 👎 under an answer: tell me whether it was right (👎 asks what was wrong, optionally). Votes are \
stored with the question and answer, never your name or id.
• `/stats`: how many articles I know, the latest date, and how satisfied readers are.
• `/ingest file:<.txt .md .json .jsonl .html>`: add an article (administrators only).
• `/feeds add url:<feed>`, `/feeds remove url:<feed>`, `/feeds list`: the RSS/Atom feeds I follow \
(administrators only).
If the articles don't cover a question I say so instead of guessing."""
