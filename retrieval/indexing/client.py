"""Opening Chroma: a server's client, or the local folder's after checking it can be used."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from retrieval.errors import IndexUnavailableError
from retrieval.indexing.disk import repair_if_no_writer
from retrieval.settings import Settings


def one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def make_client(settings: Settings):
    """A Chroma client for the settings: a server's (CHROMA_HOST), else the local folder, checked first."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_host:
        try:
            client = chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings)
            client.heartbeat()
            return client
        except Exception as exc:
            raise IndexUnavailableError(
                f"cannot reach the Chroma server at {settings.chroma_host}:{settings.chroma_port} ({one_line(exc)}); "
                "start it with `chroma run --path <dir> --port <port>` or unset CHROMA_HOST"
            ) from exc
    path: Path = settings.index_dir
    try:
        # The index holds whatever was ingested: readable by its owner only.
        Path(settings.data_dir).mkdir(mode=0o700, parents=True, exist_ok=True)
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        database = path / "chroma.sqlite3"
        if database.is_file() and database.stat().st_size == 0:
            raise IndexUnavailableError(
                f"the index file {database} is empty (0 bytes): it was damaged, e.g. by a full disk; it is left "
                f"as it is: move the folder {path} away (or restore a backup) and run `newsbot ingest` again"
            )
        repair_if_no_writer(settings)
        # A probe of its own: two processes opening one folder at once must not remove each other's.
        handle, probe = tempfile.mkstemp(prefix=".write-test-", dir=path)
        os.close(handle)
        os.unlink(probe)
    except OSError as exc:
        raise IndexUnavailableError(
            f"the index folder {path} is not writable ({exc.strerror}); choose another with --data-dir or NEWSBOT_DATA_DIR"
        ) from exc
    try:
        client = chromadb.PersistentClient(path=str(path), settings=chroma_settings)
        client.list_collections()
        return client
    except Exception as exc:
        raise IndexUnavailableError(
            f"the index at {path} cannot be read ({one_line(exc)}); it may be corrupt: move that folder "
            "away and run `newsbot ingest` again"
        ) from exc
