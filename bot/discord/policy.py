"""Who may ask what, where and how often: channel allowlists, a per-user token bucket, the admin check.

Admin-only slash commands carry `admin_only(action)`, an `app_commands.check`: discord.py runs it
before the command, and the bot's tree error handler turns its `NotAdmin` into a polite private
refusal. Administrators always pass; so do members with NEWSBOT_DISCORD_ADMIN_ROLE.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import discord
from discord import app_commands

from retrieval.settings import Settings

BUSY_TEXT = "I'm answering a lot of questions right now: try again in a minute."


class Busy(Exception):
    """Too many questions are waiting; the user is asked to retry."""

    def __init__(self) -> None:
        super().__init__(BUSY_TEXT)


class NotAdmin(app_commands.CheckFailure):
    """An admin-only command used by someone else (or in a DM); the message is the refusal to show."""


class TokenBucket:
    """Per-user rate limit: `burst` questions at once, refilled at `per_minute` per minute."""

    def __init__(self, per_minute: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = max(per_minute, 0.0) / 60.0
        self.burst = max(int(burst), 1)
        self.clock = clock
        self._state: dict[int, tuple[float, float]] = {}  # user id -> (tokens, last refill time)

    def take(self, user_id: int) -> float:
        """0.0 and one token spent if the user may ask now, else seconds until they may."""
        now = self.clock()
        tokens, last = self._state.get(user_id, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last) * self.rate)
        if tokens >= 1.0:
            self._state[user_id] = (tokens - 1.0, now)
            return 0.0
        self._state[user_id] = (tokens, now)
        return (1.0 - tokens) / self.rate if self.rate > 0 else float("inf")


def _wait_text(seconds: float) -> str:
    return f"{max(1, round(seconds))} s" if seconds < 120 else f"{round(seconds / 60)} min"


class Policy:
    """The allowlists, rate limits and admin rule of one bot, from Settings."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.buckets = TokenBucket(settings.discord_rate_per_minute, settings.discord_burst)

    def allowed_place(self, guild_id: int | None, channel: Any) -> bool:
        """Guild and channel allowlists; DMs only when no allowlist is set (a private deployment)."""
        guilds, channels = self.settings.discord_guilds, self.settings.discord_channels
        if guild_id is None:
            return not guilds and not channels
        if guilds and guild_id not in guilds:
            return False
        if channels:
            ids = {getattr(channel, "id", None), getattr(channel, "parent_id", None)}
            return bool(ids & set(channels))
        return True

    def rate_limited(self, user_id: int) -> str | None:
        """A friendly refusal if this user asks too fast, else None (and a token is spent)."""
        wait = self.buckets.take(user_id)
        if wait <= 0:
            return None
        return f"You're asking faster than I can keep up: try again in {_wait_text(wait)}."

    def is_admin(self, member: Any, permissions: discord.Permissions) -> bool:
        if permissions.administrator:
            return True
        role = self.settings.discord_admin_role.strip()
        return bool(role) and any(r.name == role for r in getattr(member, "roles", ()))

    def admin_refusal(self, action: str) -> str:
        role = self.settings.discord_admin_role
        who = f"server administrators and members with the **{role}** role" if role else "server administrators"
        return f"Sorry, only {who} can {action}."


def admin_only(action: str) -> Callable:
    """An `app_commands` check: only admins, in a server; `action` completes "Sorry, only ... can <action>"."""

    async def predicate(interaction: discord.Interaction) -> bool:
        policy: Policy = interaction.client.policy  # type: ignore[attr-defined]
        if interaction.guild is not None and policy.is_admin(interaction.user, interaction.permissions):
            return True
        raise NotAdmin(policy.admin_refusal(action))

    return app_commands.check(predicate)
