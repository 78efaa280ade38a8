"""Settings: read once, durations parsed once."""

from __future__ import annotations

import pytest

from retrieval.errors import ConfigError
from retrieval.settings import Settings, parse_duration


def test_durations_are_parsed_once_into_seconds():
    assert parse_duration("15m") == 900 and parse_duration("2h") == 7200 and parse_duration("30") == 1800
    assert Settings(refresh_every="15m").refresh_seconds == 900
    assert Settings().refresh_seconds == 0
    assert Settings.from_mapping({"NEWSBOT_REFRESH_EVERY": "1d"}).with_(top_k=3).refresh_seconds == 86400


def test_a_bad_duration_fails_when_settings_are_read():
    with pytest.raises(ConfigError, match="use a number with s, m, h or d"):
        parse_duration("soon")
    with pytest.raises(ConfigError, match="15m"):
        Settings.from_mapping({"NEWSBOT_REFRESH_EVERY": "soon"})
