"""The `newsbot` command: the group, and every command registered on it in this one place.

Command modules never import the group (no import cycle): each defines plain click commands,
and this module registers them by import path, with the short help `newsbot --help` shows, so
that a command's module (and what it imports) is loaded only when that command runs.
"""

from bot.cli.group import main
from bot.cli.shared import exit_now_if_done

COMMANDS = {
    "ask": ("bot.cli.ask:ask", "Answer QUESTION from the indexed articles, citing the exact sentences."),
    "chat": ("bot.cli.ask:chat", "Chat about the indexed articles, with follow-up questions."),
    "latest": (
        "bot.cli.articles:latest",
        "The newest stories, copies of one story shown once, each with its lead sentence cited.",
    ),
    "articles": (
        "bot.cli.articles:articles",
        "Browse the index: list articles by source, date and words, or show one in full.",
    ),
    "ingest": ("bot.cli.index:ingest", "Add articles from files and folders (.txt .md .json .jsonl .html) to the index."),
    "stats": ("bot.cli.index:stats", "What the index holds: articles, sentences, chunks, sources, date range, size on disk."),
    "delete": ("bot.cli.index:delete", "Remove articles (with all their sentences and chunks) by id."),
    "digest": (
        "bot.cli.digest:digest",
        "The top stories of the window, ranked by how many sources report them and how recent they are, each with one or two cited sentences.",
    ),
    "feeds": ("bot.cli.feeds:feeds", "Follow RSS and Atom feeds and keep the index up to date with them."),
    "eval": (
        "bot.cli.eval:eval_command",
        "Evaluate retrieval and citations on a dataset (HotpotQA, MultiHop-RAG, SQuAD 2.0, BEIR, JSONL).",
    ),
    "feedback": ("bot.cli.feedback:feedback", "Readers' 👍 / 👎 on answers (Discord buttons, `/good` and `/bad` in `newsbot chat`)."),
    "discord": (
        "bot.cli.discord:discord_command",
        "Run the Discord bot: /ask, mentions (answered in a thread), DMs, /sources, /stats, /ingest, /feeds.",
    ),
}

for _name, (_target, _short_help) in COMMANDS.items():
    main.lazy(_name, _target, _short_help)



def run() -> None:
    """The `newsbot` program: the command group, ended without teardown after a read-only command."""
    try:
        main(prog_name="newsbot")
    except SystemExit as done:
        exit_now_if_done(done.code)
        raise


__all__ = ["COMMANDS", "main", "run"]
