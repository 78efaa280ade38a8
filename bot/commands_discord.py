"""`newsbot discord`: run the Discord bot."""

from __future__ import annotations

import logging

import click

from bot.cli import fail, friendly_errors, main, pass_settings
from retrieval.settings import Settings

TOKEN_HELP = (
    "DISCORD_TOKEN is not set: put DISCORD_TOKEN=<your bot token> in .env (see .env.example) or the environment; "
    "the token is under your app > Bot > Reset Token at https://discord.com/developers/applications"
)


@main.command(name="discord")
@click.option("-v", "--verbose", is_flag=True, help="Debug logging (never shows the token or message text at INFO).")
@pass_settings
@friendly_errors
def discord_command(settings: Settings, verbose: bool) -> None:
    """Run the Discord bot: /ask, mentions (answered in a thread), DMs, /sources, /stats, /ingest.

    \b
    Needs DISCORD_TOKEN; optional NEWSBOT_DISCORD_GUILDS / NEWSBOT_DISCORD_CHANNELS allowlists,
    NEWSBOT_DISCORD_ADMIN_ROLE for /ingest. Enable "Message Content Intent" for the bot.
    """
    if not settings.discord_token.strip():
        fail(TOKEN_HELP)
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    from bot.discord_app import run_bot  # discord.py and the engine load only when the bot runs

    run_bot(settings)
