"""One writer at a time on a local index folder; readers never wait.

Chroma's on-disk mode keeps parts of the index (the vector segments) in each process's memory
and writes them back whole, so two processes writing one folder overwrite each other's work
silently: sentences that can no longer be found, "Error getting embedding". `IndexWriteLock` is
an exclusive inter-process lock (a lock file next to the index, via `filelock`) taken around
every write in local mode: ingest, delete, prune, feed refresh and crash recovery. A second
writer waits up to `NEWSBOT_LOCK_TIMEOUT` seconds, then fails with one line that points at
server mode (`chroma run` + CHROMA_HOST), where several processes may write at once.

The lock is re-entrant within a thread and shared by the threads of one process (a Discord bot
answering while a background refresh writes), so nesting write calls never deadlocks.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import filelock

from retrieval.errors import IndexBusyError

LOCK_NAME = "write.lock"
_POLL_S = 0.1


class IndexWriteLock:
    """Exclusive, re-entrant write lock on one data folder. Use `with lock:`."""

    _registry_guard = threading.Lock()
    _registry: dict[Path, IndexWriteLock] = {}

    def __new__(cls, data_dir: Path, timeout: float = 60.0) -> IndexWriteLock:
        # One object per folder and process: the threads of a process share its file lock.
        key = Path(data_dir).expanduser().resolve()
        with cls._registry_guard:
            lock = cls._registry.get(key)
            if lock is None:
                lock = super().__new__(cls)
                lock._setup(key)
                cls._registry[key] = lock
        lock.timeout = float(timeout)
        return lock

    def _setup(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.path = data_dir / LOCK_NAME
        self._thread_lock = threading.RLock()
        # thread_local=False: the count is per process, guarded by the RLock above.
        self._file_lock = filelock.FileLock(str(self.path), thread_local=False)
        self.timeout = 60.0

    def acquire(self, timeout: float | None = None) -> None:
        """Take the lock, waiting at most `timeout` (default: the configured one) seconds."""
        wait = self.timeout if timeout is None else float(timeout)
        started = time.monotonic()
        if not self._thread_lock.acquire(timeout=wait if wait >= 0 else -1):
            raise IndexBusyError(self._busy_message(wait))
        try:
            self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            left = max(0.0, wait - (time.monotonic() - started))
            self._file_lock.acquire(timeout=left, poll_interval=_POLL_S)
        except filelock.Timeout:
            self._thread_lock.release()
            raise IndexBusyError(self._busy_message(wait)) from None
        except OSError as exc:
            self._thread_lock.release()
            raise IndexBusyError(
                f"cannot create the index lock {self.path} ({exc.strerror or exc}); check the data folder is writable"
            ) from None

    def release(self) -> None:
        self._file_lock.release()
        self._thread_lock.release()

    @property
    def held(self) -> bool:
        """True while this process holds the lock."""
        return self._file_lock.is_locked

    def __enter__(self) -> IndexWriteLock:
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()

    def _busy_message(self, waited: float) -> str:
        return (
            f"another newsbot process is writing to the index in {self.data_dir} (waited {waited:g}s); "
            "wait for it to finish or raise NEWSBOT_LOCK_TIMEOUT, or run a Chroma server (`chroma run`, "
            "then CHROMA_HOST) so several processes can write at once"
        )
