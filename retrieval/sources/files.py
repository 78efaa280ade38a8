"""Load news articles from files and folders into normalised `Article` records.

Accepted inputs (folders are read recursively in sorted order; hidden files and folders are
ignored):

- `.txt`, `.md`: one article per file. If the first line is followed by a blank line it is the
  headline (a leading `# ` is dropped in Markdown, where a `# Heading` first line is a headline
  even without the blank line) and the rest is the text. Otherwise the whole file is the text
  and the title is made from its first sentence.
- `.json`: one article object, a list of article objects, or an object whose `articles` field
  is such a list (the shape news APIs return).
- `.jsonl`: one article object per line (blank lines are ignored).
- `.html`, `.htm`: a saved web page; the main text is extracted with trafilatura (menus,
  footers and ads dropped) together with its title, canonical URL, date, author and site name.

Markdown files may start with a YAML front matter block (`---` ... `---`, as Jekyll and Hugo
write) using the JSON field names below (`title`, `date`, `url`, `author`, `source`, `id`).

JSON article fields (all optional except the text; the first name present wins):

| field        | accepted names                        | notes                                          |
|--------------|---------------------------------------|------------------------------------------------|
| text         | `text`, `body`, `content`             | required; a list of strings becomes paragraphs |
| title        | `title`, `headline`                   | made from the first sentence if missing        |
| url          | `url`, `link`                         |                                                |
| source       | `source`                              | a string or `{"name": ...}`; default: folder   |
| published at | `published_at`, `date`, `published`, `publishedAt`, `pubDate` | ISO 8601, RFC 2822, "27 December 2024", epoch s/ms |
| author       | `author`                              | a string or a list of strings                  |
| id           | `id`                                  | kept as the article's external id              |

Every file that cannot be used becomes a `Skipped(key, reason)` whose reason says what to do;
the other files (and the other records of a JSON file) are still loaded. Text is decoded as
UTF-8 when valid, else its encoding is detected (charset-normalizer); newlines are normalised
to `\\n`, a byte-order mark is dropped, and Unicode is NFC-normalised.
"""

from __future__ import annotations

import json
import os
import re
import stat
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import charset_normalizer
import trafilatura
import yaml
from dateutil import parser as date_parser

from retrieval.errors import InputFileError
from retrieval.indexing.sentences import sentence_spans
from retrieval.types import Article, Skipped

SUPPORTED = (".txt", ".md", ".json", ".jsonl", ".html", ".htm")
_SUPPORTED_LIST = ", ".join(SUPPORTED)
MAX_TITLE_CHARS = 90  # derived titles are cut at a word boundary below this
MAX_HEADLINE_CHARS = 250  # a longer first line is a paragraph, not a headline
MIN_HTML_WORDS = 5  # less main text than this on a web page is a menu or a stub, not an article

_TEXT_FIELDS = ("text", "body", "content")
_TITLE_FIELDS = ("title", "headline")
_URL_FIELDS = ("url", "link")
_DATE_FIELDS = ("published_at", "date", "published", "publishedAt", "pubDate")

# Control characters that never occur in real text (tab, newline, form feed... are allowed).
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
         (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
# Without NUL bytes a file is not UTF-16/32, whatever a detector guesses from a few bytes.
_WIDE_ENCODINGS = ["utf_16", "utf_16_be", "utf_16_le", "utf_32", "utf_32_be", "utf_32_le"]
# Files in a corpus folder that describe the corpus (the BBC set ships a README.TXT).
_NOT_ARTICLES = frozenset({"README", "LICENSE", "LICENCE", "COPYING", "CHANGELOG"})
_MD_HEADING = re.compile(r"^#{1,6}\s+")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)


def iter_articles(paths: Iterable[str | os.PathLike], max_bytes: int) -> Iterator[Article | Skipped]:
    """Articles from files and folders (recursively, sorted); each unusable file is a Skipped."""
    for given in paths:
        path = Path(given)
        if path.is_dir():
            source = path.resolve().name
            errors: list[OSError] = []
            for file in _walk(path, errors):
                if file.stem.upper() in _NOT_ARTICLES:
                    yield Skipped(str(file), "looks like a README or licence, not an article; pass the file itself to ingest it")
                else:
                    yield from load_file(file, max_bytes, source=source)
            for e in errors:
                yield Skipped(str(e.filename or path), f"cannot read the folder ({e.strerror}); check its permissions")
        elif path.exists():
            yield from load_file(path, max_bytes, source=path.resolve().parent.name)
        else:
            yield Skipped(str(given), "no such file or folder; check the path")


def _walk(folder: Path, errors: list[OSError]) -> Iterator[Path]:
    """Files under `folder` in a deterministic order, skipping hidden files and folders."""
    for root, dirs, files in os.walk(folder, onerror=errors.append):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith("."):
                yield Path(root) / name


def load_file(path: Path, max_bytes: int, source: str = "") -> Iterator[Article | Skipped]:
    """The article(s) in one file, or a Skipped saying why not and what to do."""
    key = str(path)
    ext = path.suffix.lower()
    if ext not in SUPPORTED:
        kind = f"'{path.suffix}'" if path.suffix else "(no extension)"
        yield Skipped(key, f"unsupported file type {kind}; newsbot reads {_SUPPORTED_LIST} (convert or rename it)")
        return
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):  # reading a FIFO or device would hang or never end
            yield Skipped(key, "not a regular file; pass article files or folders of them")
            return
        size = info.st_size
        if ext == ".jsonl" and size > _HEAD:
            head = _head(path)
            if b"\n" in head and not head.startswith(tuple(bom for bom, _ in _BOMS[1:])):
                # Streamed line by line: memory holds one record however long the file, so the size cap
                # applies to each line, not to the file.
                yield from _stream_jsonl(path, head, max_bytes, source)
                return
        if size > max_bytes:
            yield Skipped(key, f"larger than {_mb(max_bytes)} MB ({_mb(size)} MB); raise NEWSBOT_MAX_FILE_MB or split the file")
            return
        data = path.read_bytes()
    except OSError as e:
        yield Skipped(key, f"cannot read the file ({e.strerror}); check its permissions")
        return
    try:
        if not data.strip():
            raise InputFileError("empty file; add text to it or remove it")
        if ext in (".html", ".htm"):
            yield _with_source(article_from_html(data, key=key, fallback_title=path.stem), source)
            return
        text = decode_text(data)
        if not text.strip():
            raise InputFileError("empty file (only whitespace); add text to it or remove it")
        if ext in (".json", ".jsonl"):
            yield from _json_articles(path, text, source, lines=ext == ".jsonl")
        else:
            yield article_from_text(text, key=key, source=source, markdown=ext == ".md")
    except InputFileError as e:
        yield Skipped(key, str(e))
    except RecursionError:
        yield Skipped(key, "nested too deeply to read; simplify the file")
    except Exception as e:  # one odd file never stops the run; the others are still ingested
        yield Skipped(key, f"could not be read ({type(e).__name__}: {str(e)[:120]}); check the file, or report it if it looks fine")


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.3g}"


def _with_source(article: Article, source: str) -> Article:
    if article.source or not source:
        return article
    return replace(article, source=source)


# -- text ----------------------------------------------------------------------------------


def decode_text(data: bytes) -> str:
    """Bytes to normalised text: UTF-8 if valid, else the detected encoding; binary raises InputFileError."""
    text = None
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                raise InputFileError(f"bad {encoding} text; re-save the file as UTF-8") from None
            break
    if text is None:
        if b"\x00" in data:
            raise InputFileError("binary file (contains NUL bytes); convert it to text, JSON or HTML, or remove it")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = _decode_legacy(data)
    if _looks_binary(text[:65536]):
        raise InputFileError("binary file (not readable text); convert it to text, JSON or HTML, or remove it")
    return normalise(text)


def _looks_binary(sample: str) -> bool:
    """Control characters (C0 or C1) in more than 1% of the text: bytes, not prose."""
    return len(_CONTROL.findall(sample)) > max(2, len(sample) // 100)


def _decode_legacy(data: bytes) -> str:
    """Text in a legacy 8-bit encoding: Windows-1252 for Western text, else what charset-normalizer finds.

    The detector is unreliable on short Western text (it reads Latin-1 "café" as Arabic), and
    Western text is what news archives mostly hold; so Windows-1252 wins whenever it decodes and
    gives mostly-ASCII words (a Cyrillic or Greek file decoded so would be nearly all accents).
    """
    try:
        western = data.decode("cp1252")
    except UnicodeDecodeError:
        western = None
    if western is not None:
        letters = [c for c in western if c.isalpha()]
        if sum(not c.isascii() for c in letters) <= 0.3 * len(letters):
            return western
    # Detection on a sample: on megabytes of noise it would take minutes.
    best = charset_normalizer.from_bytes(data[:200_000], cp_exclusion=_WIDE_ENCODINGS).best()
    if best is not None and best.encoding:
        return data.decode(best.encoding, errors="replace")
    # Not UTF-8, not mostly-ASCII Western text and no encoding makes sense of it: bytes, not text
    # (decoded anyway it would become thousands of garbage "sentences").
    raise InputFileError("binary file (no text encoding fits it); convert it to text, JSON or HTML, or remove it")


def normalise(text: str) -> str:
    """One newline convention, no byte-order mark, NFC: offsets then mean the same everywhere."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text)


def article_from_text(text: str, key: str = "", source: str = "", markdown: bool = False) -> Article:
    """An article from plain text or Markdown: a first line then a blank line is the headline."""
    text = normalise(text).strip()
    meta = _front_matter(text) if markdown else None
    if meta is not None:
        meta, text = meta
    first, _, rest = text.partition("\n")
    heading = markdown and _MD_HEADING.match(first)
    is_headline = heading or (
        rest.startswith("\n") and len(first) <= MAX_HEADLINE_CHARS and not _ends_sentence(first)
    )
    title = ""
    if is_headline and rest.strip():
        title = _MD_HEADING.sub("", first).strip() if markdown else first.strip()
        text = rest.strip()
    if meta:
        # Front matter fields are named like JSON records; a `# Heading` stands in for a missing title.
        return article_from_record({**meta, "text": text, "title": _first(meta, _TITLE_FIELDS) or title}, key=key, source=source)
    if not text:
        raise InputFileError("no text in the file; add the article text")
    if title:
        return Article(title=title, text=text, source=source, key=key)
    return Article(title=derive_title(text), text=text, source=source, key=key, title_is_derived=True)


def _front_matter(text: str) -> tuple[dict, str] | None:
    """(fields, rest) of a Markdown file that starts with a YAML `---` block (Jekyll, Hugo exports)."""
    m = _FRONT_MATTER.match(text)
    if not m:
        return None
    try:
        fields = yaml.safe_load(m.group(1))
    except yaml.YAMLError:
        return None  # not front matter after all: keep the file as written
    except RecursionError:
        raise InputFileError("YAML front matter nested too deeply to read; simplify the block between the --- lines") from None
    return (fields, text[m.end() :].strip()) if isinstance(fields, dict) else None


def _ends_sentence(line: str) -> bool:
    """A line ending in a full stop is a paragraph; a headline may end in "..." or "?"."""
    line = line.rstrip()
    return line.endswith(".") and not line.endswith("..")


def derive_title(text: str) -> str:
    """A title made from the first sentence, cut at a word boundary when long."""
    # The first sentence with a letter or digit: not a "---" rule or a "***" separator.
    first = next((text[a:b] for a, b in sentence_spans(text[:2000]) if any(c.isalnum() for c in text[a:b])), text.strip())
    first = " ".join(first.split())
    if len(first) <= MAX_TITLE_CHARS:
        return first
    cut = first[:MAX_TITLE_CHARS].rsplit(" ", 1)[0].rstrip(",;:-–— ")
    return cut + "…"


# -- JSON ----------------------------------------------------------------------------------


_HEAD = 65536  # bytes of a JSONL file read to check it is text before streaming it


def _head(path: Path) -> bytes:
    with open(path, "rb") as f:
        return f.read(_HEAD)


def _stream_jsonl(path: Path, head: bytes, max_bytes: int, source: str) -> Iterator[Article | Skipped]:
    """A large UTF-8 (or 8-bit) JSONL file read one line at a time; a line over `max_bytes` is skipped."""
    try:
        decode_text(head[: head.rfind(b"\n") + 1])  # binary files are refused whole, as when read at once
        with open(path, "rb") as f:
            for n, raw in enumerate(iter(lambda: f.readline(max_bytes + 1), b""), start=1):
                if len(raw) > max_bytes and not raw.endswith(b"\n"):
                    while (rest := f.readline(1 << 20)) and not rest.endswith(b"\n"):
                        pass  # the rest of the over-long line
                    yield Skipped(f"{path}:{n}", f"line {n}: larger than {_mb(max_bytes)} MB; raise NEWSBOT_MAX_FILE_MB or split it")
                    continue
                if raw.strip():
                    try:
                        line = normalise(raw.decode("utf-8") if n > 1 else raw.decode("utf-8-sig"))
                    except UnicodeDecodeError:
                        try:
                            line = normalise(_decode_legacy(raw))
                        except InputFileError as e:
                            yield Skipped(f"{path}:{n}", f"line {n}: {e}")
                            continue
                    yield _json_line(path, n, line, source)
    except InputFileError as e:
        yield Skipped(str(path), str(e))
    except OSError as e:
        yield Skipped(str(path), f"cannot read the file ({e.strerror}); check its permissions")


def _json_line(path: Path, n: int, line: str, source: str) -> Article | Skipped:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as e:
        return Skipped(f"{path}:{n}", f"line {n}: malformed JSON ({e.msg}, column {e.colno}); fix or remove that line")
    except RecursionError:
        return Skipped(f"{path}:{n}", f"line {n}: JSON nested too deeply to read; flatten or remove that line")
    return _record_or_skip(record, path, n, "line", source)


def _json_articles(path: Path, text: str, source: str, lines: bool) -> Iterator[Article | Skipped]:
    if lines:
        for n, line in enumerate(text.split("\n"), start=1):
            if line.strip():
                yield _json_line(path, n, line, source)
        return
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise InputFileError(f"malformed JSON at line {e.lineno}, column {e.colno} ({e.msg}); fix the file") from None
    except RecursionError:
        raise InputFileError("JSON nested too deeply to read; flatten the file (articles are objects in a list)") from None
    if isinstance(data, dict) and isinstance(data.get("articles"), list) and _first(data, _TEXT_FIELDS) is None:
        data = data["articles"]  # a news API response: {"status": "ok", "articles": [...]}
    if isinstance(data, dict):
        yield _record_or_skip(data, path, 0, "", source)
    elif isinstance(data, list):
        for n, record in enumerate(data, start=1):
            yield _record_or_skip(record, path, n, "record", source)
    else:
        raise InputFileError("JSON must be an article object or a list of article objects; see the README for the fields")


def _record_or_skip(record: object, path: Path, n: int, unit: str, source: str) -> Article | Skipped:
    where = f"{path}:{n}" if n else str(path)
    prefix = f"{unit} {n}: " if n else ""
    if not isinstance(record, dict):
        return Skipped(where, f"{prefix}expected a JSON object with a 'text' field, got {type(record).__name__}; fix or remove it")
    try:
        return article_from_record(record, key=str(path) if not n else "", source=source, default_key=f"{path}#{n}")
    except InputFileError as e:
        return Skipped(where, f"{prefix}{e}")


def article_from_record(record: dict, key: str = "", source: str = "", default_key: str = "") -> Article:
    """An article from one JSON object (schema in the module docstring); no text raises InputFileError."""
    text = normalise(_joined(_first(record, _TEXT_FIELDS))).strip()
    if not text:
        raise InputFileError("record has no text (expected a 'text', 'body' or 'content' field); add it or remove the record")
    external_id = _joined(record.get("id"))
    if not key:
        base = default_key.rpartition("#")[0] or default_key
        key = f"{base}#{external_id}" if external_id and base else default_key
    title = " ".join(normalise(_joined(_first(record, _TITLE_FIELDS))).split())
    src = record.get("source")
    if isinstance(src, dict):
        src = src.get("name")
    return Article(
        title=title or derive_title(text),
        text=text,
        source=_joined(src).strip() or source,
        url=_joined(_first(record, _URL_FIELDS)).strip(),
        published_at=parse_date(_first(record, _DATE_FIELDS)),
        author=", ".join(line.strip() for line in _joined(record.get("author")).split("\n") if line.strip()),
        key=key,
        external_id=external_id,
        title_is_derived=not title,
    )


def _first(record: dict, names: tuple[str, ...]) -> object:
    for name in names:
        value = record.get(name)
        if value not in (None, "", []):
            return value
    return None


def _joined(value: object) -> str:
    """A JSON value as text: lists of strings become paragraphs, numbers their digits."""
    if value is None or isinstance(value, (dict, bool)):
        return ""
    if isinstance(value, list):
        return "\n".join(str(v) for v in value if isinstance(v, (str, int, float)) and not isinstance(v, bool))
    return str(value)


# -- HTML ----------------------------------------------------------------------------------


def article_from_html(html: str | bytes, url: str = "", key: str = "", fallback_title: str = "") -> Article:
    """The main text of a web page (boilerplate dropped) with its metadata; no main text raises InputFileError."""
    doc = trafilatura.bare_extraction(
        html, url=url or None, with_metadata=True, include_comments=False, include_tables=True, include_images=False
    )
    text = normalise(doc.text or "").strip() if doc is not None else ""
    # On a page without an article trafilatura falls back to any text, such as a menu ("Home | World").
    if len(text.split()) < MIN_HTML_WORDS:
        raise InputFileError("no article text found in the HTML page; save the article page itself, or paste its text into a .txt file")
    title = " ".join((doc.title or "").split())
    # trafilatura keeps the page's <h1> as the first line of the text; it is the title, not body.
    head, _, body = text.partition("\n")
    if title and head.strip() == title and body.strip():
        text = body.strip()
    if not title:
        title = " ".join(fallback_title.split())
    return Article(
        title=title or derive_title(text),
        text=text,
        source=(doc.sitename or doc.hostname or "").strip(),
        url=(doc.url or url or "").strip(),
        published_at=parse_date(doc.date),
        author=(doc.author or "").strip(),
        key=key or url,
        title_is_derived=not (title or fallback_title),
    )


# -- dates ---------------------------------------------------------------------------------

# Zone names dateutil does not know but US and UK news uses.
_TZ_NAMES = {
    name: timezone(timedelta(hours=h))
    for name, h in {"UTC": 0, "GMT": 0, "Z": 0, "BST": 1, "CET": 1, "CEST": 2, "EST": -5, "EDT": -4,
                    "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7}.items()
}
_NO_DEFAULT = datetime(1, 1, 1)


def parse_date(value: object) -> str:
    """A date in almost any format as "YYYY-MM-DDTHH:MM:SSZ" (UTC; naive times count as UTC), or ""."""
    parsed = _to_datetime(value)
    if parsed is None or not 1800 <= parsed.year <= 2200:
        return ""
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _to_datetime(value: object) -> datetime | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, (int, float)) or (isinstance(value, str) and re.fullmatch(r"\s*\d{9,13}(\.\d+)?\s*", value)):
        seconds = float(value)
        if seconds > 1e11:  # milliseconds, as JavaScript writes them
            seconds /= 1000
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str) or not value.strip() or len(value) > 100:
        return None
    value = value.strip()
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        pass
    try:
        parsed = date_parser.parse(value, default=_NO_DEFAULT, tzinfos=_TZ_NAMES)
    except (ValueError, OverflowError):
        return None
    return None if parsed.year == 1 else parsed
