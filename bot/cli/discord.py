"""`newsbot discord`: run the Discord bot."""

from __future__ import annotations

import logging

import click

from bot.cli.shared import fail, friendly_errors, pass_settings
from retrieval.settings import Settings

TOKEN_HELP = (
    "DISCORD_TOKEN is not set: put DISCORD_TOKEN=<your bot token> in .env (see .env.example) or the environment; "
    "the token is under your app > Bot > Reset Token at https://discord.com/developers/applications"
)


@click.command(name="discord")
@click.option("-v", "--verbose", is_flag=True, help="Debug logging (never shows the token or message text at INFO).")
@click.option("--refresh-every", metavar="TEXT", default=None,
              help="Refresh followed feeds in the background this often, e.g. 15m, 2h, 1d "
                   "(overrides NEWSBOT_REFRESH_EVERY).")
@pass_settings
@friendly_errors
def discord_command(settings: Settings, verbose: bool, refresh_every: str | None) -> None:
    """Run the Discord bot: /ask, mentions (answered in a thread), DMs, /sources, /stats, /ingest, /feeds.

    \b
    Needs DISCORD_TOKEN; optional NEWSBOT_DISCORD_GUILDS / NEWSBOT_DISCORD_CHANNELS allowlists,
    NEWSBOT_DISCORD_ADMIN_ROLE for /ingest and /feeds. Enable "Message Content Intent" for the bot.
    """
    if refresh_every is not None:
        # Parsed by Settings: a bad value stops here with one line, before the engine loads.
        settings = settings.with_(refresh_every=refresh_every)
    if not settings.discord_token.strip():
        fail(TOKEN_HELP)
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    from bot.discord.bot import run_bot  # discord.py and the engine load only when the bot runs

    run_bot(settings)
