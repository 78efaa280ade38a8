"""The local index's disk: stop before it fills, say so in one line when storage fails, heal after.

A full disk in the middle of a Chroma write leaves a vector segment whose metadata file is empty;
every later command then fails with "Error deserializing pickle file". So a local write checks
free space before each batch (`check_space`), any storage failure during a write becomes one
`IndexWriteError` line (`storage_errors`), and opening the index moves such damaged segments
aside so Chroma rebuilds them from the log it keeps in chroma.sqlite3 (`repair_if_no_writer`).
"""

from __future__ import annotations

import contextlib
import logging
import pickle
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

from retrieval.errors import IndexBusyError, IndexWriteError, NewsbotError
from retrieval.indexing.lock import IndexWriteLock
from retrieval.settings import Settings

log = logging.getLogger(__name__)

BYTES_PER_SENTENCE = 8 * 1024  # on disk per stored sentence, its share of chunks and text included (BBC: ~4.7 KB)
_ENOSPC = 28


@contextlib.contextmanager
def storage_errors(settings: Settings, location: str) -> Iterator[None]:
    """Any storage failure inside becomes one line saying what to do.

    Articles are marked pending until complete, so whatever a failed write left is removed by
    the next write (crash recovery); the articles stored before it are untouched.
    """
    try:
        yield
    except NewsbotError:
        raise
    except Exception as exc:  # chromadb and sqlite raise many types for one storage failure
        lines = str(exc).strip().splitlines()
        reason = lines[0] if lines else type(exc).__name__
        full = "No space left" in str(exc) or (isinstance(exc, OSError) and exc.errno == _ENOSPC)
        if not full and not settings.chroma_host:
            full = shutil.disk_usage(existing(settings.index_dir)).free < 1024 * 1024
        what = "the disk is full" if full else f"storage error: {reason[:200]}"
        raise IndexWriteError(
            f"writing to the index at {location} failed ({what}); "
            + ("free some space and " if full else "")
            + "run the command again: what was stored before is kept and the unfinished part is cleaned up"
        ) from exc


def check_space(settings: Settings, n_sentences: int) -> None:
    """Stop before a write batch of `n_sentences` that could fill the disk (local mode only)."""
    if settings.chroma_host:
        return
    folder = settings.index_dir
    # Chroma rewrites a vector segment's files when it saves them: room for the largest one, too.
    largest = max((_folder_size(p) for p in folder.iterdir() if p.is_dir()), default=0) if folder.is_dir() else 0
    need = largest + n_sentences * BYTES_PER_SENTENCE + settings.min_free_mb * 1024 * 1024
    free = shutil.disk_usage(existing(folder)).free
    if free < need:
        raise IndexWriteError(
            f"only {free / 1e6:,.0f} MB free on the disk of {folder}, and the next write needs about "
            f"{need / 1e6:,.0f} MB (NEWSBOT_MIN_FREE_MB={settings.min_free_mb:g} of it kept free); free some "
            "space and run the command again: everything stored so far is kept"
        )


def repair_damaged_segments(index_dir: Path, data_dir: Path) -> list[Path]:
    """Move aside vector segments whose metadata file is empty or unreadable; return where they went.

    Chroma then rebuilds them from its log. The damaged files are kept under `<data dir>/damaged/`.
    """
    moved: list[Path] = []
    if not index_dir.is_dir():
        return moved
    for meta in sorted(index_dir.glob("*/index_metadata.pickle")):
        try:
            with open(meta, "rb") as handle:
                pickle.load(handle)  # noqa: S301 (Chroma's own file, in our own data folder)
            continue
        except (OSError, EOFError, pickle.UnpicklingError, ValueError, TypeError, AttributeError, IndexError):
            pass
        target = data_dir / "damaged" / f"{meta.parent.name}-{int(time.time())}"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(meta.parent), str(target))
        log.warning("moved a damaged index segment to %s (left by a full disk or a crash); it is rebuilt", target)
        moved.append(target)
    return moved


def repair_if_no_writer(settings: Settings) -> None:
    """Repair damaged segments, but only while no other process writes (its files may be mid-save)."""
    lock = IndexWriteLock(settings.data_dir, settings.lock_timeout)
    try:
        lock.acquire(timeout=0)
    except IndexBusyError:
        return
    try:
        repair_damaged_segments(settings.index_dir, Path(settings.data_dir))
    finally:
        lock.release()


def existing(path: Path) -> Path:
    """`path` or its nearest existing parent (for disk usage before the folder exists)."""
    path = Path(path)
    while not path.exists() and path.parent != path:
        path = path.parent
    return path


def _folder_size(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.iterdir() if f.is_file())
