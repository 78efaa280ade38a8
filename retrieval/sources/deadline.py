"""One wall-clock deadline per request, seen by every socket operation made on its behalf.

A per-read timeout does not stop a server that sends one byte a second: each read succeeds just
in time. `Deadline` is the total time a request may take (DNS, connect, TLS, headers, body);
`within(deadline)` makes it current for the calling thread, and the guarded network backend
(`retrieval.sources.netguard`) shortens every connect, read and write to what is left of it.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator

_local = threading.local()


class Deadline:
    """A point in time (monotonic clock) by which something must be done."""

    def __init__(self, seconds: float) -> None:
        self.seconds = float(seconds)
        self.at = time.monotonic() + self.seconds

    def remaining(self) -> float:
        """Seconds left, never below zero."""
        return max(0.0, self.at - time.monotonic())

    @property
    def expired(self) -> bool:
        return time.monotonic() >= self.at

    def cap(self, timeout: float | None) -> float:
        """`timeout` shortened to what is left of the deadline (None means no timeout of its own)."""
        left = self.remaining()
        return left if timeout is None else min(float(timeout), left)

    def sooner(self, other: Deadline | None) -> Deadline:
        """The earlier of this deadline and `other`."""
        return self if other is None or self.at <= other.at else other


def current() -> Deadline | None:
    """The deadline the calling thread works under, if any."""
    return getattr(_local, "deadline", None)


@contextlib.contextmanager
def within(deadline: Deadline | None) -> Iterator[Deadline | None]:
    """Make `deadline` current for this thread (nested deadlines keep the sooner one)."""
    outer = current()
    effective = deadline.sooner(outer) if deadline is not None else outer
    _local.deadline = effective
    try:
        yield effective
    finally:
        _local.deadline = outer


class Budgets:
    """A refresh's deadline and each feed's own: one for fetching the feed, one for its pages.

    A feed's page budget starts when its first page is fetched, not when the refresh starts, so
    a feed queued behind a slow one keeps its full time; every budget ends with the refresh's.
    """

    def __init__(self, refresh: Deadline, feed_seconds: float) -> None:
        self.refresh = refresh
        self.feed_seconds = feed_seconds
        self._feeds: dict[tuple[str, str], Deadline] = {}
        self._lock = threading.Lock()

    def for_feed(self, url: str, part: str = "pages") -> Deadline:
        with self._lock:
            if (url, part) not in self._feeds:
                self._feeds[(url, part)] = Deadline(self.feed_seconds)
            return self._feeds[(url, part)].sooner(self.refresh)
