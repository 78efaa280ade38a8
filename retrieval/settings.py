"""One settings object, read once from the environment and `.env`, then passed down.

No other module reads `os.environ`. Every field here is documented in `.env.example`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from dotenv import dotenv_values
from platformdirs import user_data_dir

from retrieval.errors import ConfigError

DEFAULT_EMBEDDINGS = "minilm-l6-int8"


@dataclass(frozen=True)
class Settings:
    """Every knob newsbot has. Build it with `Settings.load()`; tests use `Settings(data_dir=...)`."""

    # -- storage -------------------------------------------------------------------------
    data_dir: Path = field(default_factory=lambda: Path(user_data_dir("newsbot")))
    collection: str = "news"  # name prefix of the Chroma collections
    chroma_host: str = ""  # set to use a Chroma server (`chroma run`) instead of data_dir
    chroma_port: int = 8000
    lock_timeout: float = 60.0  # seconds a second local writer waits for the first before giving up
    min_free_mb: float = 50.0  # a local write stops cleanly when less would be left free on the disk

    # -- ingest --------------------------------------------------------------------------
    max_file_mb: float = 20.0  # larger input files (JSONL: lines) are skipped with a message
    chunk_sentences: int = 5  # sentences per retrieval chunk
    chunk_overlap: int = 1  # sentences shared by consecutive chunks
    # Stories (retrieval/stories.py): two reports of one event have article vectors at least this close
    # (cosine; calibrated on the BBC set, see README) and were published within this many hours
    story_similarity: float = 0.93
    story_window_hours: float = 72.0

    # -- embeddings ----------------------------------------------------------------------
    # "minilm-l6-int8" (built in, offline), "ollama:<model>" or "openai:<model>"
    embeddings: str = DEFAULT_EMBEDDINGS
    embeddings_base_url: str = ""  # for ollama / OpenAI-compatible embedding servers
    threads: int = 0  # ONNX threads; 0 = all cores
    embed_batch: int = 32  # 32 embeds as fast as 64 with ~40% less peak memory (long texts)

    # -- answering -----------------------------------------------------------------------
    answerer: str = "extractive"  # "extractive", "ollama" or "openai"
    llm_model: str = ""
    llm_base_url: str = ""
    llm_api_key: str = field(default="", repr=False)  # OPENAI_API_KEY also works; never printed
    llm_timeout: float = 60.0
    llm_max_tokens: int = 400  # longest LLM answer, in tokens (short cited answers need few)
    top_k: int = 8  # sentences handed to the answerer
    ranker_model: str = ""  # a ranker.json retrained by benchmarks/train_ranker.py; "" = the shipped one
    max_question_chars: int = 1000

    # -- discord -------------------------------------------------------------------------
    discord_token: str = field(default="", repr=False)  # never in reprs, logs or tracebacks
    discord_guilds: tuple[int, ...] = ()  # allowlist; empty = every guild
    discord_channels: tuple[int, ...] = ()  # allowlist; empty = every channel
    discord_admin_role: str = ""  # role name allowed to /ingest besides administrators
    discord_admin_guilds: tuple[int, ...] = ()  # guilds where /feeds and /ingest work; empty = every allowed guild
    discord_rate_per_minute: float = 6.0  # questions per user per minute
    discord_burst: int = 3
    discord_max_concurrent: int = 4
    discord_shards: int = 0  # 0 = let discord.py choose (AutoShardedBot)
    digest_channel: int = 0  # channel id for the scheduled digest; 0 = none
    digest_at: str = "08:00"  # when the scheduled digest is posted, in `timezone`
    timezone: str = "UTC"  # an IANA name ("Europe/London") for digest_at
    digest_since: str = "24h"  # the window of the scheduled digest
    digest_stories: int = 8  # stories in the scheduled digest
    # Readers' 👍 / 👎 (Discord buttons, chat /good /bad), stored with a salted hash of the user id;
    # off: no buttons, /good and /bad say it is off, nothing is stored.
    feedback: bool = True

    # -- feeds ---------------------------------------------------------------------------
    user_agent: str = "newsbot/0.1 (+https://github.com/newsbot)"
    fetch_timeout: float = 20.0
    max_page_mb: float = 5.0
    # Fetch from loopback / private / link-local addresses too (tests, local demos, intranets).
    allow_private_urls: bool = False
    feed_timeout: float = 120.0  # seconds one feed (its fetch and its pages) may take per refresh
    refresh_timeout: float = 900.0  # seconds a whole refresh may take; the rest waits for the next one
    # Pages of entries published (or first seen) this many hours ago or less are asked again on every
    # refresh, conditionally, so a publisher's correction reaches the index; 0 = never.
    recheck_hours: float = 48.0
    refresh_every: str = ""  # e.g. "15m" for the Discord bot's background refresh
    # refresh_every in seconds (0 = no background refresh), parsed once here so a bad value stops start-up
    refresh_seconds: float = field(init=False, default=0.0)

    def __post_init__(self) -> None:
        seconds = parse_duration(self.refresh_every) if self.refresh_every.strip() else 0.0
        object.__setattr__(self, "refresh_seconds", seconds)
        _check_digest_time(self.digest_at, self.timezone)

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "chroma"

    @classmethod
    def load(cls, env_file: str | os.PathLike | None = ".env", **overrides) -> Settings:
        """Settings from `.env` (if present) overlaid by the process environment, then overrides."""
        env: dict[str, str | None] = {}
        if env_file and Path(env_file).is_file():
            # No ${VAR} expansion: a setting must never pull another variable (say, the token) into a
            # value that gets sent or printed, such as the User-Agent.
            env.update(dotenv_values(env_file, interpolate=False))
        env.update(os.environ)
        return cls.from_mapping(env, **overrides)

    @classmethod
    def from_mapping(cls, env: dict, **overrides) -> Settings:
        values = {}
        for f in fields(cls):
            if not f.init:
                continue
            for name in _ENV_NAMES.get(f.name, ("NEWSBOT_" + f.name.upper(),)):
                raw = env.get(name)
                if raw is not None and str(raw).strip() != "":
                    values[f.name] = _parse(f.name, name, str(raw).strip(), f.type)
                    break
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def with_(self, **changes) -> Settings:
        return replace(self, **changes)


# Settings known by a conventional name outside the NEWSBOT_ prefix.
_ENV_NAMES = {
    "chroma_host": ("CHROMA_HOST",),
    "chroma_port": ("CHROMA_PORT",),
    "discord_token": ("DISCORD_TOKEN",),
    "llm_api_key": ("NEWSBOT_LLM_API_KEY", "OPENAI_API_KEY"),
}


def _parse(attr: str, name: str, raw: str, type_: str):
    try:
        if type_ == "Path":
            return Path(raw).expanduser()
        if type_ == "int":
            return int(raw)
        if type_ == "float":
            return float(raw)
        if type_ == "bool":
            return raw.lower() in ("1", "true", "yes", "on")
        if type_.startswith("tuple[int"):
            return tuple(int(p) for p in raw.replace(";", ",").split(",") if p.strip())
        return raw
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not valid for {attr} ({type_}); fix it in .env or the environment") from None


def _check_digest_time(at: str, timezone: str) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if not re.fullmatch(r"([01]?\d|2[0-3]):[0-5]\d", at.strip()):
        raise ConfigError(f"NEWSBOT_DIGEST_AT={at!r} is not a time of day; use HH:MM, like 08:00")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"NEWSBOT_TIMEZONE={timezone!r} is not a time zone; use an IANA name like Europe/London or UTC"
        ) from None


def parse_duration(text: str) -> float:
    """Seconds in an interval like "15m", "2h", "90s" or "1d" (a bare number is minutes)."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", text or "", re.I)
    if not m or float(m.group(1)) <= 0:
        raise ConfigError(f"refresh interval {text!r} is not valid; use a number with s, m, h or d, like 15m")
    return float(m.group(1)) * {"": 60, "s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2).lower()]
