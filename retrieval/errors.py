"""One exception type per kind of failure a user can fix; each message says what to do."""


class NewsbotError(Exception):
    """Base class: the message is one line, fit to show a user as it is."""


class ConfigError(NewsbotError):
    """A setting is missing or invalid (e.g. no DISCORD_TOKEN, a bad number in .env)."""


class InputFileError(NewsbotError):
    """An input file or record cannot be ingested (empty, binary, malformed, too large...)."""


class IndexUnavailableError(NewsbotError):
    """The index cannot be opened: folder not writable, corrupt, or Chroma server unreachable."""


class EmbeddingMismatchError(NewsbotError):
    """The index was built with another embedding model than the one configured."""


class QuestionError(NewsbotError):
    """A question that cannot be answered as given (empty, too long, not text)."""


class FetchError(NewsbotError):
    """A URL or feed could not be fetched or parsed."""


class IndexBusyError(NewsbotError):
    """Another process is writing to the same local index and did not finish in time."""


class IndexWriteError(NewsbotError):
    """Writing to the index failed or would fail (disk full, storage error); what was stored is kept."""
