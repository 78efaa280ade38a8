"""A small fake Discord on loopback (REST under /api/v10 + a gateway websocket) for the real discord.py client.

There is no network to Discord in tests, and dpytest cannot send slash commands or make threads, so
this server speaks just enough of Discord's API for discord.py 2.x to log in, sync commands, receive
events and answer them. It enforces the limits a regression could break (2,000-character messages,
embed limits, the 3-second interaction deadline, 429s with a `Via` header) with Discord's own error
bodies, and records every request so tests can assert on what the bot sent.

Use it with `FakeDiscord.patch(monkeypatch)` so `discord.http.Route.BASE` and
`DiscordWebSocket.DEFAULT_GATEWAY` point here; then inject traffic with `message()`, `slash()` and
`click()`, and wait for the bot's reaction with `wait_for()`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import json
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import discord
import yarl
from aiohttp import web

API = "/api/v10"
ADMINISTRATOR = 1 << 3
SEND_MESSAGES = 1 << 11
VIEW_CHANNEL = 1 << 10
EVERYONE_PERMS = VIEW_CHANNEL | SEND_MESSAGES | (1 << 31)  # + use application commands
MESSAGE_CONTENT_INTENT = 1 << 15
EPHEMERAL = 1 << 6
LOADING = 1 << 7

# Discord's documented limits, enforced the way Discord does (400 + code 50035 "Invalid Form Body").
MAX_CONTENT = 2000
MAX_EMBEDS = 10
MAX_EMBED_TOTAL = 6000
EMBED_LIMITS = {"title": 256, "description": 4096}
MAX_FIELDS = 25
MAX_FIELD_NAME = 256
MAX_FIELD_VALUE = 1024
MAX_FOOTER = 2048
MAX_AUTHOR = 256
MAX_BUTTON_LABEL = 80
MAX_CUSTOM_ID = 100


class InvalidFormBody(Exception):
    """A request body Discord would refuse; carries Discord's nested `errors` object."""

    def __init__(self, errors: dict, code: int = 50035, message: str = "Invalid Form Body") -> None:
        super().__init__(message)
        self.body = {"code": code, "errors": errors, "message": message} if errors else {"code": code, "message": message}


def _err(code: str, message: str) -> dict:
    return {"_errors": [{"code": code, "message": message}]}


def validate_message(body: dict) -> None:
    """Raise InvalidFormBody where Discord would reject this message create/edit body."""
    content = body.get("content")
    embeds = body.get("embeds") or []
    components = body.get("components") or []
    attachments = body.get("attachments") or []
    errors: dict = {}
    if content is not None and len(str(content)) > MAX_CONTENT:
        errors["content"] = _err("BASE_TYPE_MAX_LENGTH", f"Must be {MAX_CONTENT} or fewer in length.")
    if len(embeds) > MAX_EMBEDS:
        errors["embeds"] = _err("BASE_TYPE_MAX_LENGTH", f"Must be {MAX_EMBEDS} or fewer in length.")
    total = 0
    embed_errors: dict = {}
    for i, embed in enumerate(embeds):
        e: dict = {}
        for key, limit in EMBED_LIMITS.items():
            value = embed.get(key) or ""
            total += len(value)
            if len(value) > limit:
                e[key] = _err("BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")
        if embed.get("url") and not re.match(r"^https?://\S+$", embed["url"]):
            e["url"] = _err("URL_TYPE_INVALID_URL", "Not a well formed URL.")
        fields = embed.get("fields") or []
        if len(fields) > MAX_FIELDS:
            e["fields"] = _err("BASE_TYPE_MAX_LENGTH", f"Must be {MAX_FIELDS} or fewer in length.")
        f_errors: dict = {}
        for j, f in enumerate(fields):
            fe: dict = {}
            name, value = str(f.get("name") or ""), str(f.get("value") or "")
            total += len(name) + len(value)
            if not name.strip():
                fe["name"] = _err("BASE_TYPE_REQUIRED", "This field is required")
            elif len(name) > MAX_FIELD_NAME:
                fe["name"] = _err("BASE_TYPE_MAX_LENGTH", f"Must be {MAX_FIELD_NAME} or fewer in length.")
            if not value.strip():
                fe["value"] = _err("BASE_TYPE_REQUIRED", "This field is required")
            elif len(value) > MAX_FIELD_VALUE:
                fe["value"] = _err("BASE_TYPE_MAX_LENGTH", f"Must be {MAX_FIELD_VALUE} or fewer in length.")
            if fe:
                f_errors[str(j)] = fe
        if f_errors:
            e.setdefault("fields", {}).update(f_errors)
        footer = (embed.get("footer") or {}).get("text") or ""
        author = (embed.get("author") or {}).get("name") or ""
        total += len(footer) + len(author)
        if len(footer) > MAX_FOOTER:
            e["footer"] = {"text": _err("BASE_TYPE_MAX_LENGTH", f"Must be {MAX_FOOTER} or fewer in length.")}
        if len(author) > MAX_AUTHOR:
            e["author"] = {"name": _err("BASE_TYPE_MAX_LENGTH", f"Must be {MAX_AUTHOR} or fewer in length.")}
        if e:
            embed_errors[str(i)] = e
    if embed_errors:
        errors.setdefault("embeds", {}).update(embed_errors)
    if total > MAX_EMBED_TOTAL:
        errors.setdefault("embeds", {}).update(
            _err("MAX_EMBED_SIZE_EXCEEDED", f"Embed size exceeds maximum size of {MAX_EMBED_TOTAL}")
        )
    for r, row in enumerate(components):
        for c, comp in enumerate(row.get("components") or []):
            ce: dict = {}
            if len(comp.get("label") or "") > MAX_BUTTON_LABEL:
                ce["label"] = _err("BASE_TYPE_MAX_LENGTH", f"Must be {MAX_BUTTON_LABEL} or fewer in length.")
            if len(comp.get("custom_id") or "") > MAX_CUSTOM_ID:
                ce["custom_id"] = _err("BASE_TYPE_MAX_LENGTH", f"Must be {MAX_CUSTOM_ID} or fewer in length.")
            if ce:
                errors.setdefault("components", {}).setdefault(str(r), {}).setdefault("components", {})[str(c)] = ce
    if errors:
        raise InvalidFormBody(errors)
    if not (content or embeds or components or attachments or body.get("sticker_ids") or body.get("poll")):
        raise InvalidFormBody({}, code=50006, message="Cannot send an empty message")


def validate_modal(data: dict) -> str:
    """What Discord would refuse in a modal (callback type 9): '' when it is fine."""
    title, custom_id, rows = data.get("title") or "", data.get("custom_id") or "", data.get("components") or []
    if not 1 <= len(title) <= 45:
        return "title must be 1-45 characters"
    if not 1 <= len(custom_id) <= 100:
        return "custom_id must be 1-100 characters"
    if not 1 <= len(rows) <= 5:
        return "1 to 5 components"
    for row in rows:
        for c in row.get("components") or []:
            if c.get("type") != 4:
                return "only text inputs in this fake"
            if not 1 <= len(c.get("label") or "") <= 45:
                return "a text input label must be 1-45 characters"
            if len(c.get("placeholder") or "") > 100:
                return "a placeholder is at most 100 characters"
            if not 1 <= c.get("max_length", 4000) <= 4000:
                return "max_length must be 1-4000"
    return ""


def effective_pings(content: str, allowed: dict | None) -> tuple[bool, list[int], list[int]]:
    """(mention_everyone, user ids, role ids) that a message with this content would actually ping."""
    # Without allowed_mentions Discord parses everything; with it, only what `parse` or the id lists allow.
    parse = {"everyone", "users", "roles"} if allowed is None else set(allowed.get("parse") or [])
    allowed_users = {int(u) for u in (allowed or {}).get("users") or []}
    allowed_roles = {int(r) for r in (allowed or {}).get("roles") or []}
    everyone = "everyone" in parse and bool(re.search(r"@(everyone|here)", content))
    users = [int(u) for u in re.findall(r"<@!?(\d+)>", content) if "users" in parse or int(u) in allowed_users]
    roles = [int(r) for r in re.findall(r"<@&(\d+)>", content) if "roles" in parse or int(r) in allowed_roles]
    return everyone, users, roles


@dataclass
class Recorded:
    """One HTTP request the bot made, and what the fake answered."""

    method: str
    path: str  # without the /api/v10 prefix
    query: dict
    body: Any  # parsed JSON (or payload_json of a multipart body), None when empty
    status: int = 0
    response: Any = None
    at: float = field(default_factory=time.monotonic)
    headers: dict = field(default_factory=dict)


@dataclass
class Interaction:
    """An interaction the fake sent, and the bot's responses to it."""

    id: int
    token: str
    channel_id: int
    guild_id: int | None
    created: float
    payload: dict
    callback: dict | None = None  # {"type": ..., "data": ...} once acknowledged
    callback_at: float | None = None
    original: dict | None = None  # the original response message
    followups: list[dict] = field(default_factory=list)

    @property
    def messages(self) -> list[dict]:
        """Every message the bot made for this interaction (original first)."""
        return ([self.original] if self.original else []) + self.followups


@dataclass
class _RateLimit:
    method: str
    pattern: re.Pattern
    times: int
    retry_after: float
    is_global: bool


_RECORDED = web.RequestKey("recorded", Recorded)


class FakeDiscord:
    """Fake Discord server: one bot, guilds with channels/roles/members, threads, DMs and interactions."""

    def __init__(self, *, token: str = "fake-bot-token", interaction_deadline: float = 3.0) -> None:
        self.token = token
        self.interaction_deadline = interaction_deadline
        self.heartbeat_interval_ms = 41250  # what Discord sends; a load test sets it shorter
        self.heartbeats: list[float] = []  # monotonic times of the heartbeats received
        self._ids = itertools.count(1)
        self.application_id = self._snowflake()
        self.bot_user = self._user_payload(self.application_id, "newsbot", bot=True)
        self.guilds: dict[int, dict] = {}
        self.channels: dict[int, dict] = {}
        self.members: dict[tuple[int, int], dict] = {}  # (guild id, user id) -> member payload
        self.messages: dict[int, list[dict]] = {}  # channel id -> messages, oldest first
        self.attachments: dict[str, bytes] = {}  # url path -> bytes
        self.interactions: dict[int, Interaction] = {}
        self.commands: dict[int | None, list[dict]] = {}  # guild id (None = global) -> synced commands
        self.requests: list[Recorded] = []
        self.intents: int | None = None
        self.recommended_shards = 1  # what GET /gateway/bot tells an AutoShardedBot to run
        self.identified = asyncio.Event()
        self._rate_limits: list[_RateLimit] = []
        self._sockets: dict[web.WebSocketResponse, tuple[int, int]] = {}  # socket -> (shard id, shard count)
        self.identifies: list[dict] = []  # IDENTIFY payloads without the token
        self._seq = 0
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- lifecycle ------------------------------------------------------------------------------

    async def start(self) -> FakeDiscord:
        """Serve on 127.0.0.1 at a random free port."""
        app = web.Application(middlewares=[self._record], client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/attachments/{id}/{name}", self._attachment)
        app.router.add_route("*", API + "/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def close(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    def patch(self, monkeypatch) -> None:
        """Point discord.py's REST base and default gateway at this server (undone by monkeypatch)."""
        monkeypatch.setattr(discord.http.Route, "BASE", self.base_url + API)
        monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(self.gateway_url))

    # -- world building -------------------------------------------------------------------------

    def _snowflake(self) -> int:
        # Real-looking ids whose embedded timestamps increase, so `before=`/history ordering works.
        return discord.utils.time_snowflake(dt.datetime.now(dt.UTC)) + next(self._ids)

    @staticmethod
    def _user_payload(uid: int, name: str, *, bot: bool = False) -> dict:
        return {"id": str(uid), "username": name, "discriminator": "0", "global_name": name, "avatar": None,
                "bot": bot, "public_flags": 0}

    def add_guild(self, name: str = "Newsroom", channels: tuple[str, ...] = ("general",)) -> dict:
        """A guild with an @everyone role, the bot as member and text channels; returns its payload."""
        gid = self._snowflake()
        guild = {
            "id": str(gid), "name": name, "icon": None, "owner_id": "1", "afk_timeout": 300,
            "verification_level": 0, "default_message_notifications": 0, "explicit_content_filter": 0,
            "roles": [self._role_payload(gid, "@everyone", EVERYONE_PERMS, position=0)], "emojis": [],
            "stickers": [], "features": [], "mfa_level": 0, "system_channel_id": None, "member_count": 1,
            "large": False, "unavailable": False, "channels": [], "threads": [], "members": [],
            "presences": [], "voice_states": [], "premium_tier": 0, "preferred_locale": "en-US",
            "nsfw_level": 0, "joined_at": "2024-01-01T00:00:00+00:00", "application_id": None,
        }
        self.guilds[gid] = guild
        self._add_member(gid, self.bot_user, [])
        for channel in channels:
            self.add_channel(gid, channel)
        return guild

    @staticmethod
    def _role_payload(rid: int, name: str, permissions: int, position: int) -> dict:
        return {"id": str(rid), "name": name, "color": 0, "hoist": False, "position": position,
                "permissions": str(permissions), "managed": False, "mentionable": False, "flags": 0,
                "icon": None, "unicode_emoji": None}

    def add_role(self, guild: dict, name: str, permissions: int = 0) -> dict:
        role = self._role_payload(self._snowflake(), name, permissions, position=len(guild["roles"]))
        guild["roles"].append(role)
        return role

    def add_channel(self, gid: int, name: str) -> dict:
        cid = self._snowflake()
        channel = {"id": str(cid), "type": 0, "guild_id": str(gid), "name": name, "position": 0,
                   "permission_overwrites": [], "nsfw": False, "parent_id": None, "topic": None,
                   "last_message_id": None, "rate_limit_per_user": 0, "flags": 0}
        self.channels[cid] = channel
        self.guilds[gid]["channels"].append(channel)
        self.messages[cid] = []
        return channel

    def add_user(self, name: str, guild: dict | None = None, roles: tuple[dict, ...] = (), *, bot: bool = False) -> dict:
        """A user (and, with a guild, its member with those roles); returns the user payload."""
        user = self._user_payload(self._snowflake(), name, bot=bot)
        if guild is not None:
            self._add_member(int(guild["id"]), user, [r["id"] for r in roles])
        return user

    def _add_member(self, gid: int, user: dict, role_ids: list[str]) -> None:
        member = {"user": user, "roles": role_ids, "nick": None, "joined_at": "2024-01-01T00:00:00+00:00",
                  "deaf": False, "mute": False, "flags": 0, "pending": False, "avatar": None}
        self.members[(gid, int(user["id"]))] = member
        self.guilds[gid]["members"].append(member)
        self.guilds[gid]["member_count"] = len(self.guilds[gid]["members"])

    def permissions(self, gid: int, uid: int) -> int:
        """A member's guild-wide permissions: @everyone plus its roles (no channel overwrites)."""
        guild = self.guilds[gid]
        member = self.members[(gid, uid)]
        perms = 0
        for role in guild["roles"]:
            if role["id"] == guild["id"] or role["id"] in member["roles"]:
                perms |= int(role["permissions"])
        return perms

    def dm_channel(self, user: dict) -> dict:
        """The DM channel between the bot and this user (created on first use)."""
        for channel in self.channels.values():
            if channel["type"] == 1 and channel["recipients"][0]["id"] == user["id"]:
                return channel
        cid = self._snowflake()
        channel = {"id": str(cid), "type": 1, "recipients": [user], "last_message_id": None, "flags": 0}
        self.channels[cid] = channel
        self.messages[cid] = []
        return channel

    def add_attachment(self, filename: str, data: bytes, content_type: str = "text/plain") -> dict:
        aid = self._snowflake()
        path = f"/attachments/{aid}/{filename}"
        self.attachments[path] = data
        return {"id": str(aid), "filename": filename, "size": len(data), "url": self.base_url + path,
                "proxy_url": self.base_url + path, "content_type": content_type}

    # -- injecting traffic ----------------------------------------------------------------------

    async def message(self, author: dict, channel: dict, content: str, *, mention_bot: bool = False) -> dict:
        """A user posts a message (mentioning the bot first when asked); dispatches MESSAGE_CREATE."""
        if mention_bot:
            content = f"<@{self.bot_user['id']}> {content}"
        body = {"content": content}
        msg = self._store_message(int(channel["id"]), author, body, allowed_mentions=None)
        await self._dispatch_message(msg)
        return msg

    def _command(self, name: str, guild_id: int | None) -> dict:
        for cmd in self.commands.get(guild_id, []) + self.commands.get(None, []):
            if cmd["name"] == name:
                return cmd
        raise AssertionError(f"command /{name} was never synced (synced: {self.commands})")

    async def slash(self, name: str, user: dict, channel: dict, options: dict | None = None,
                    attachments: tuple[dict, ...] = ()) -> Interaction:
        """A user runs `/name` with these option values; dispatches INTERACTION_CREATE.

        `name` may name a subcommand, "feeds add": its options are nested as Discord nests them."""
        gid = int(channel["guild_id"]) if channel.get("guild_id") else None
        if gid is None and channel["type"] == 11:
            gid = int(self.channels[int(channel["parent_id"])]["guild_id"])
        top, *subs = name.split()
        cmd = self._command(top, gid)
        node, path = cmd, []
        for sub in subs:  # SUB_COMMAND (1) / SUB_COMMAND_GROUP (2) options, outermost first
            found = [o for o in node.get("options", []) if o["name"] == sub and o["type"] in (1, 2)]
            if not found:
                raise AssertionError(f"/{top} has no subcommand {sub!r}")
            node = found[0]
            path.append(node)
        known = {o["name"]: o for o in node.get("options", [])}
        opts = []
        for key, value in (options or {}).items():
            if key not in known:
                raise AssertionError(f"/{name} has no option {key!r} (has {list(known)})")
            opts.append({"name": key, "type": known[key]["type"], "value": value})
        missing = [o["name"] for o in known.values() if o.get("required") and o["name"] not in (options or {})]
        if missing:
            raise AssertionError(f"/{name} needs {missing}")
        for sub in reversed(path):
            opts = [{"name": sub["name"], "type": sub["type"], "options": opts}]
        data: dict = {"id": cmd["id"], "name": top, "type": 1, "options": opts}
        if attachments:
            data["resolved"] = {"attachments": {a["id"]: a for a in attachments}}
        if cmd.get("guild_id"):
            data["guild_id"] = cmd["guild_id"]
        return await self._interact(2, data, user, channel, gid)

    async def autocomplete(self, name: str, user: dict, channel: dict, options: dict, focused: str) -> Interaction:
        """A user is typing in option `focused` of `/name`: dispatches an autocomplete interaction (type 4).

        The bot answers with callback type 8 and at most 25 choices of at most 100 characters each,
        as Discord requires (checked in `_callback`)."""
        gid = int(channel["guild_id"]) if channel.get("guild_id") else None
        cmd = self._command(name, gid)
        known = {o["name"]: o for o in cmd.get("options", [])}
        if not known.get(focused, {}).get("autocomplete"):
            raise AssertionError(f"/{name} option {focused!r} has no autocomplete")
        opts = [{"name": k, "type": known[k]["type"], "value": v, **({"focused": True} if k == focused else {})}
                for k, v in options.items()]
        data: dict = {"id": cmd["id"], "name": name, "type": 1, "options": opts}
        return await self._interact(4, data, user, channel, gid)

    async def click(self, message: dict, custom_id: str, user: dict) -> Interaction:
        """A user presses the button `custom_id` on a message the bot posted."""
        ids = [c.get("custom_id") for row in message.get("components") or [] for c in row.get("components") or []]
        if custom_id not in ids:
            raise AssertionError(f"no button {custom_id!r} on that message (has {ids})")
        channel = self.channels[int(message["channel_id"])]
        gid = int(channel["guild_id"]) if channel.get("guild_id") else None
        data = {"custom_id": custom_id, "component_type": 2}
        return await self._interact(3, data, user, channel, gid, message=message)

    async def submit_modal(self, shown: Interaction, values: dict[str, str], user: dict) -> Interaction:
        """A user fills in the modal the bot opened in answer to `shown` (text inputs by label) and submits it."""
        if not shown.callback or shown.callback.get("type") != 9:
            raise AssertionError(f"the bot opened no modal for that interaction (callback {shown.callback})")
        modal = shown.callback["data"]
        rows = []
        for row in modal["components"]:
            inputs = []
            for c in row["components"]:
                value = values.get(c.get("label", ""), "")
                if c.get("required", True) and not value:
                    raise AssertionError(f"modal field {c.get('label')!r} is required: Discord would not submit")
                if len(value) > c.get("max_length", 4000):
                    raise AssertionError(f"modal field {c.get('label')!r} takes at most {c.get('max_length')} characters")
                inputs.append({"type": 4, "custom_id": c["custom_id"], "value": value})
            rows.append({"type": 1, "components": inputs})
        channel = self.channels[shown.channel_id]
        return await self._interact(5, {"custom_id": modal["custom_id"], "components": rows}, user, channel,
                                    shown.guild_id, message=shown.payload.get("message"))

    async def _interact(self, kind: int, data: dict, user: dict, channel: dict, gid: int | None,
                        message: dict | None = None) -> Interaction:
        iid = self._snowflake()
        token = "itoken-" + secrets.token_hex(8)
        payload: dict = {
            "id": str(iid), "application_id": str(self.application_id), "type": kind, "data": data,
            "channel": channel, "channel_id": channel["id"], "token": token, "version": 1,
            "app_permissions": str((1 << 53) - 1), "locale": "en-US", "entitlements": [],
            "authorizing_integration_owners": {"0": str(gid)} if gid else {"1": user["id"]},
            "attachment_size_limit": 10 * 1024 * 1024, "context": 0 if gid else 1,
        }
        if gid is not None:
            member = dict(self.members[(gid, int(user["id"]))])
            member["permissions"] = str(self.permissions(gid, int(user["id"])))
            payload.update(guild_id=str(gid), member=member, guild_locale="en-US",
                           guild={"id": str(gid), "locale": "en-US", "features": []})
        else:
            payload["user"] = user
        if message is not None:
            payload["message"] = message
        interaction = Interaction(iid, token, int(channel["id"]), gid, time.monotonic(), payload)
        self.interactions[iid] = interaction
        await self.dispatch("INTERACTION_CREATE", payload)
        return interaction

    # -- rate limits ----------------------------------------------------------------------------

    def rate_limit(self, method: str, path_regex: str, *, times: int = 1, retry_after: float = 0.2,
                   is_global: bool = False) -> None:
        """Answer the next `times` matching requests with 429 (with `Via`, as Discord's edge does)."""
        self._rate_limits.append(_RateLimit(method.upper(), re.compile(path_regex), times, retry_after, is_global))

    def _take_rate_limit(self, method: str, path: str) -> _RateLimit | None:
        for rl in self._rate_limits:
            if rl.times > 0 and rl.method == method and rl.pattern.search(path):
                rl.times -= 1
                return rl
        return None

    # -- waiting --------------------------------------------------------------------------------

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 15.0) -> Any:
        """Wait until predicate() is truthy (re-checked after every request/event); return its value."""
        async with self._changed:
            result = predicate()
            deadline = time.monotonic() + timeout
            while not result:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"timed out waiting; last requests: {[(r.method, r.path, r.status) for r in self.requests[-8:]]}")
                try:
                    await asyncio.wait_for(self._changed.wait(), remaining)
                except TimeoutError:
                    pass
                result = predicate()
            return result

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    def sent(self, method: str | None = None, path_regex: str = "") -> list[Recorded]:
        """Recorded requests matching method and path regex (answered ones only)."""
        return [r for r in self.requests if r.status and (method is None or r.method == method)
                and re.search(path_regex, r.path)]

    def channel_messages(self, channel: dict | int) -> list[dict]:
        cid = int(channel["id"]) if isinstance(channel, dict) else channel
        return list(self.messages.get(cid, []))

    def bot_messages(self, channel: dict | int) -> list[dict]:
        return [m for m in self.channel_messages(channel) if m["author"]["id"] == self.bot_user["id"]]

    def threads(self, parent: dict) -> list[dict]:
        return [c for c in self.channels.values() if c["type"] == 11 and c["parent_id"] == parent["id"]]

    # -- gateway --------------------------------------------------------------------------------

    @staticmethod
    def shard_of(guild_id: int | None, shard_count: int) -> int:
        """Discord's routing: a guild's events go to shard (guild_id >> 22) % shard_count; DMs to shard 0."""
        return (guild_id >> 22) % shard_count if guild_id else 0

    async def dispatch(self, event: str, data: dict) -> None:
        """Send an event to the shard that owns its guild (exactly one socket, as Discord does)."""
        gid = int(data["guild_id"]) if data.get("guild_id") else None
        for ws, (shard_id, count) in list(self._sockets.items()):
            if shard_id == self.shard_of(gid, count):
                self._seq += 1
                await ws.send_str(json.dumps({"op": 0, "t": event, "s": self._seq, "d": data}))

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": self.heartbeat_interval_ms}}))
        async for msg in ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                continue
            frame = json.loads(msg.data)
            op, d = frame.get("op"), frame.get("d")
            if op == 1:
                self.heartbeats.append(time.monotonic())
                await ws.send_str(json.dumps({"op": 11}))
                await self._notify()
            elif op == 2:
                if d.get("token") != self.token:
                    await ws.close(code=4004, message=b"Authentication failed.")
                    break
                self.intents = d.get("intents")
                self.identifies.append({k: v for k, v in d.items() if k != "token"})
                shard = d.get("shard") or [0, 1]
                self._sockets[ws] = (shard[0], shard[1])
                guilds = [g for gid, g in self.guilds.items() if self.shard_of(gid, shard[1]) == shard[0]]
                self._seq += 1
                await ws.send_str(json.dumps({"op": 0, "t": "READY", "s": self._seq, "d": {
                    "v": 10, "user": self.bot_user, "session_id": secrets.token_hex(8),
                    "resume_gateway_url": self.gateway_url, "shard": shard, "private_channels": [],
                    "guilds": [{"id": g["id"], "unavailable": True} for g in guilds],
                    "application": {"id": str(self.application_id), "flags": 0},
                }}))
                for guild in guilds:
                    self._seq += 1
                    await ws.send_str(json.dumps({"op": 0, "t": "GUILD_CREATE", "s": self._seq, "d": guild}))
                self.identified.set()
        self._sockets.pop(ws, None)
        return ws

    async def _dispatch_message(self, msg: dict) -> None:
        event = dict(msg)
        channel = self.channels[int(msg["channel_id"])]
        mentions_bot = any(u["id"] == self.bot_user["id"] for u in msg.get("mentions", []))
        # Like Discord: without the privileged intent, guild messages arrive with empty content
        # unless they mention the bot (or are the bot's own).
        if (self.intents is not None and not self.intents & MESSAGE_CONTENT_INTENT and channel["type"] != 1
                and not mentions_bot and msg["author"]["id"] != self.bot_user["id"]):
            event.update(content="", embeds=[], attachments=[], components=[])
        if channel.get("guild_id"):
            member = self.members.get((int(channel["guild_id"]), int(msg["author"]["id"])))
            if member:
                event["member"] = {k: v for k, v in member.items() if k != "user"}
        await self.dispatch("MESSAGE_CREATE", event)

    # -- REST -----------------------------------------------------------------------------------

    @web.middleware
    async def _record(self, request: web.Request, handler):
        body: Any = None
        if request.content_type == "application/json" and request.can_read_body:
            body = await request.json()
        elif request.content_type.startswith("multipart/"):
            form = await request.post()
            if "payload_json" in form:
                body = json.loads(str(form["payload_json"]))
        rec = Recorded(request.method, request.path.removeprefix(API), dict(request.query), body,
                       headers=dict(request.headers))
        self.requests.append(rec)
        request[_RECORDED] = rec
        response = await handler(request)
        rec.status = response.status
        if isinstance(response, web.Response) and response.body:
            rec.response = json.loads(response.body) if response.content_type == "application/json" else None
        await self._notify()
        return response

    @staticmethod
    def _json(data: Any, status: int = 200, headers: dict | None = None) -> web.Response:
        # Exactly "application/json": discord.py compares the header verbatim, so no "; charset=...".
        return web.Response(body=json.dumps(data).encode(), status=status,
                            headers={"Content-Type": "application/json", **(headers or {})})

    def _error(self, status: int, code: int, message: str) -> web.Response:
        return self._json({"message": message, "code": code}, status)

    async def _attachment(self, request: web.Request) -> web.Response:
        data = self.attachments.get(request.path)
        if data is None:
            return web.Response(status=404)
        return web.Response(body=data, content_type="application/octet-stream")

    async def _rest(self, request: web.Request) -> web.Response:
        rec = request[_RECORDED]
        path, method = rec.path, request.method
        rl = self._take_rate_limit(method, path)
        if rl is not None:
            return self._json({"message": "You are being rate limited.", "retry_after": rl.retry_after,
                               "global": rl.is_global}, 429,
                              {"Via": "1.1 google", "Retry-After": str(max(1, round(rl.retry_after))),
                               "X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "0",
                               "X-RateLimit-Reset-After": str(rl.retry_after), "X-RateLimit-Bucket": "fakebucket",
                               "X-RateLimit-Scope": "global" if rl.is_global else "user"})
        webhook = path.startswith("/webhooks/") or path.startswith("/interactions/")
        if not webhook and request.headers.get("Authorization") != f"Bot {self.token}":
            return self._error(401, 0, "401: Unauthorized")
        for pattern, verb, fn in self._routes:
            m = re.fullmatch(pattern, path)
            if m and verb == method:
                try:
                    return await fn(self, request, rec.body, *m.groups())
                except InvalidFormBody as exc:
                    return self._json(exc.body, 400)
        return self._error(404, 0, "404: Not Found")

    async def _me(self, request, body):
        return self._json(self.bot_user)

    async def _app_info(self, request, body):
        return self._json({"id": str(self.application_id), "name": "newsbot", "description": "", "icon": None,
                           "bot_public": True, "bot_require_code_grant": False, "verify_key": "0" * 64,
                           "owner": self._user_payload(1, "owner"), "flags": 0, "rpc_origins": []})

    async def _gateway_bot(self, request, body):
        return self._json({"url": self.gateway_url, "shards": self.recommended_shards, "session_start_limit": {
            "total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}})

    async def _sync(self, request, body, app_id, guild_id=None):
        gid = int(guild_id) if guild_id else None
        synced = []
        for cmd in body:
            cmd = dict(cmd, id=str(self._snowflake()), application_id=app_id, version="1")
            if gid:
                cmd["guild_id"] = str(gid)
            synced.append(cmd)
        self.commands[gid] = synced
        return self._json(synced)

    async def _get_channel(self, request, body, cid):
        channel = self.channels.get(int(cid))
        return self._json(channel) if channel else self._error(404, 10003, "Unknown Channel")

    async def _create_message(self, request, body, cid):
        if int(cid) not in self.channels:
            return self._error(404, 10003, "Unknown Channel")
        validate_message(body or {})
        msg = self._store_message(int(cid), self.bot_user, body, body.get("allowed_mentions"))
        await self._dispatch_message(msg)
        return self._json(msg)

    def _store_message(self, cid: int, author: dict, body: dict, allowed_mentions: dict | None,
                       flags: int = 0, kind: int = 0) -> dict:
        channel = self.channels[cid]
        content = body.get("content") or ""
        everyone, user_ids, role_ids = effective_pings(content, allowed_mentions)
        users = {u["id"]: u for u in [self.bot_user] + [m["user"] for m in self.members.values()]}
        ref = body.get("message_reference")
        msg = {
            "id": str(self._snowflake()), "channel_id": str(cid), "author": author, "content": content,
            "timestamp": dt.datetime.now(dt.UTC).isoformat(), "edited_timestamp": None, "tts": False,
            "mention_everyone": everyone, "mentions": [users[str(u)] for u in user_ids if str(u) in users],
            "mention_roles": [str(r) for r in role_ids], "attachments": [], "embeds": body.get("embeds") or [],
            "components": body.get("components") or [], "pinned": False, "type": kind,
            "flags": flags | int(body.get("flags") or 0), "allowed_mentions": allowed_mentions,
        }
        if ref:
            msg["message_reference"] = ref
        if channel.get("guild_id"):
            msg["guild_id"] = channel["guild_id"]
        elif channel["type"] == 11:
            msg["guild_id"] = self.channels[int(channel["parent_id"])]["guild_id"]
        if not msg["flags"] & EPHEMERAL:
            self.messages.setdefault(cid, []).append(msg)
            channel["last_message_id"] = msg["id"]
        return msg

    async def _get_message(self, request, body, cid, mid):
        for msg in self.messages.get(int(cid), []):
            if msg["id"] == mid:
                return self._json(msg)
        return self._error(404, 10008, "Unknown Message")

    async def _history(self, request, body, cid):
        if int(cid) not in self.channels:
            return self._error(404, 10003, "Unknown Channel")
        limit = min(int(request.query.get("limit", 50)), 100)
        msgs = list(reversed(self.messages.get(int(cid), [])))  # newest first, as Discord returns them
        if "before" in request.query:
            msgs = [m for m in msgs if int(m["id"]) < int(request.query["before"])]
        if "after" in request.query:
            msgs = [m for m in msgs if int(m["id"]) > int(request.query["after"])]
        return self._json(msgs[:limit])

    async def _typing(self, request, body, cid):
        return web.Response(status=204)

    async def _create_thread(self, request, body, cid, mid):
        parent = self.channels.get(int(cid))
        if parent is None:
            return self._error(404, 10003, "Unknown Channel")
        if parent["type"] != 0:
            return self._error(400, 50024, "Cannot execute action on this channel type")
        if not any(m["id"] == mid for m in self.messages[int(cid)]):
            return self._error(404, 10008, "Unknown Message")
        if int(mid) in self.channels:
            return self._error(400, 160004, "A thread has already been created for this message")
        name = (body or {}).get("name") or ""
        if not 1 <= len(name) <= 100:
            raise InvalidFormBody({"name": _err("BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")})
        thread = {"id": mid, "type": 11, "guild_id": parent["guild_id"], "parent_id": cid, "name": name,
                  "owner_id": self.bot_user["id"], "last_message_id": None, "rate_limit_per_user": 0,
                  "message_count": 0, "member_count": 1, "flags": 0, "total_message_sent": 0,
                  "thread_metadata": {"archived": False, "auto_archive_duration": body.get("auto_archive_duration", 1440),
                                      "archive_timestamp": dt.datetime.now(dt.UTC).isoformat(),
                                      "locked": False},
                  "member": {"id": mid, "user_id": self.bot_user["id"], "join_timestamp":
                             dt.datetime.now(dt.UTC).isoformat(), "flags": 0}}
        self.channels[int(mid)] = thread
        self.messages[int(mid)] = []
        await self.dispatch("THREAD_CREATE", dict(thread, newly_created=True))
        return self._json(thread)

    async def _callback(self, request, body, iid, token):
        inter = self.interactions.get(int(iid))
        if inter is None or inter.token != token or time.monotonic() - inter.created > self.interaction_deadline:
            return self._error(404, 10062, "Unknown interaction")
        if inter.callback is not None:
            return self._error(400, 40060, "Interaction has already been acknowledged.")
        kind, data = body.get("type"), body.get("data") or {}
        if kind in (4, 7):
            validate_message(data)
        if kind == 9:
            problem = validate_modal(data)
            if problem:
                return self._error(400, 50035, f"Invalid Form Body (modal: {problem})")
        if kind == 8:
            choices = data.get("choices") or []
            too_long = [c for c in choices if not 1 <= len(c["name"]) <= 100 or len(str(c["value"])) > 100]
            if len(choices) > 25 or too_long:
                return self._error(400, 50035, "Invalid Form Body (autocomplete choices)")
        inter.callback, inter.callback_at = body, time.monotonic()
        resource: dict = {"type": kind}
        if kind == 4:
            inter.original = self._store_message(inter.channel_id, self.bot_user, data, data.get("allowed_mentions"),
                                                 kind=20)
            resource["message"] = inter.original
        elif kind == 5:
            inter.original = self._store_message(inter.channel_id, self.bot_user, {"content": ""}, None,
                                                 flags=LOADING | int(data.get("flags") or 0), kind=20)
            resource["message"] = inter.original
        elif kind == 7 and "message" in inter.payload:
            inter.payload["message"].update({k: v for k, v in data.items() if k in ("content", "embeds", "components")})
        if inter.original and not inter.original["flags"] & EPHEMERAL and kind == 4:
            await self._dispatch_message(inter.original)
        flags = (inter.original or {}).get("flags", 0)
        return self._json({"interaction": {"id": iid, "type": inter.payload["type"],
                                           "response_message_id": (inter.original or {}).get("id"),
                                           "response_message_loading": kind == 5,
                                           "response_message_ephemeral": bool(flags & EPHEMERAL)},
                           "resource": resource})

    def _webhook_interaction(self, app_id: str, token: str) -> Interaction | None:
        if app_id != str(self.application_id):
            return None
        for inter in self.interactions.values():
            if inter.token == token and inter.callback is not None:
                return inter
        return None

    async def _followup(self, request, body, app_id, token):
        inter = self._webhook_interaction(app_id, token)
        if inter is None:
            return self._error(404, 10015, "Unknown Webhook")
        validate_message(body or {})
        if inter.original is not None and inter.original["flags"] & LOADING:
            # Like Discord: the first follow-up after a defer replaces the "thinking..." message.
            msg = self._edit(inter.original, body)
            msg["flags"] = msg["flags"] & ~LOADING
            if not msg["flags"] & EPHEMERAL:
                await self._dispatch_message(msg)
            return self._json(msg)
        msg = self._store_message(inter.channel_id, self.bot_user, body, body.get("allowed_mentions"),
                                  flags=int(body.get("flags") or 0), kind=0)
        inter.followups.append(msg)
        if not msg["flags"] & EPHEMERAL:
            await self._dispatch_message(msg)
        return self._json(msg)

    def _edit(self, msg: dict, body: dict) -> dict:
        for key in ("content", "embeds", "components"):
            if key in body:
                msg[key] = body[key] or ([] if key != "content" else "")
        if "allowed_mentions" in body or "content" in body:
            msg["allowed_mentions"] = body.get("allowed_mentions")
            everyone, user_ids, role_ids = effective_pings(msg["content"], msg["allowed_mentions"])
            msg["mention_everyone"], msg["mention_roles"] = everyone, [str(r) for r in role_ids]
        return msg

    async def _original(self, request, body, app_id, token):
        inter = self._webhook_interaction(app_id, token)
        if inter is None or inter.original is None:
            return self._error(404, 10015, "Unknown Webhook")
        if request.method == "DELETE":
            inter.original["flags"] &= ~LOADING
            msgs = self.messages.get(inter.channel_id, [])
            if inter.original in msgs:
                msgs.remove(inter.original)
            inter.original = None
            return web.Response(status=204)
        if request.method == "PATCH":
            validate_message(dict(inter.original, **body))
            self._edit(inter.original, body)
            inter.original["flags"] &= ~LOADING
        return self._json(inter.original)

    _routes = [
        (r"/users/@me", "GET", _me),
        (r"/oauth2/applications/@me", "GET", _app_info),
        (r"/gateway/bot", "GET", _gateway_bot),
        (r"/applications/(\d+)/commands", "PUT", _sync),
        (r"/applications/(\d+)/guilds/(\d+)/commands", "PUT", _sync),
        (r"/channels/(\d+)", "GET", _get_channel),
        (r"/channels/(\d+)/messages", "POST", _create_message),
        (r"/channels/(\d+)/messages", "GET", _history),
        (r"/channels/(\d+)/messages/(\d+)", "GET", _get_message),
        (r"/channels/(\d+)/messages/(\d+)/threads", "POST", _create_thread),
        (r"/channels/(\d+)/typing", "POST", _typing),
        (r"/interactions/(\d+)/([^/]+)/callback", "POST", _callback),
        (r"/webhooks/(\d+)/([^/]+)", "POST", _followup),
        (r"/webhooks/(\d+)/([^/]+)/messages/@original", "GET", _original),
        (r"/webhooks/(\d+)/([^/]+)/messages/@original", "PATCH", _original),
        (r"/webhooks/(\d+)/([^/]+)/messages/@original", "DELETE", _original),
    ]
