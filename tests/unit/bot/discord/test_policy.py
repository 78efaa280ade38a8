"""Policy: the per-user token bucket."""

from __future__ import annotations

import pytest

from bot.discord.policy import TokenBucket


def test_token_bucket():
    now = [0.0]
    bucket = TokenBucket(per_minute=6, burst=2, clock=lambda: now[0])
    assert bucket.take(1) == 0 and bucket.take(1) == 0
    assert bucket.take(1) == pytest.approx(10.0)
    assert bucket.take(2) == 0, "per user"
    now[0] = 10.0
    assert bucket.take(1) == 0
