"""Open the index with the embedding model loading alongside: a one-off command waits for the slower
of the two, not for both.

Importing chromadb (~0.5 s, Python code holding the GIL) and creating the ONNX session (~0.25 s,
C++ that releases it) overlap on a second core. The model is built by `make_embeddings` in a
helper thread; `NewsIndex.open` then asks `make_embeddings` for the same settings and gets that
model (or waits for it: the cache holds a lock while building). Nothing is shared but the cache,
and a failure in the helper is not reported there: the main thread's own call raises it, with
the usual one-line message.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from retrieval.indexing.embeddings import make_embeddings
from retrieval.settings import Settings

if TYPE_CHECKING:
    from retrieval.indexing.store import NewsIndex

log = logging.getLogger(__name__)


def open_index(settings: Settings) -> NewsIndex:
    """`NewsIndex.open(settings)`, with the embedding model loaded in a thread while chromadb loads."""
    loader = threading.Thread(target=_load_model, args=(settings,), name="newsbot-model-load")
    loader.start()
    try:
        from retrieval.indexing.store import NewsIndex  # chromadb: the slow import this overlaps

        return NewsIndex.open(settings)
    finally:
        loader.join()  # never leave it running behind an error: it would hold the process at exit


def _load_model(settings: Settings) -> None:
    try:
        make_embeddings(settings)
    except Exception:  # noqa: BLE001  (the main thread's make_embeddings raises it again, for the user)
        log.debug("loading the embedding model ahead failed; the index opening will report it", exc_info=True)
