"""newsbot's vocabulary, in one place: how text becomes terms, which words carry no topic, and
the syntax of a citation marker.

Three term sets, each with its own job (they differ on purpose, and each is calibrated):
- `tokenize` (BM25, and the ranker's coverage features): stemmed, `STOPWORDS` removed. Changing
  it moves the ranker's features (`retrieval/answering/rerank.py`): re-run the evaluation in the
  README's Quality section after any edit, and `LEXICAL_FORMAT` must change so cached BM25
  indexes are rebuilt;
- `content_terms` (citation support checks): a crude 5-letter prefix stem, `SUPPORT_STOPWORDS`;
- `FUNCTION_WORDS` (follow-up detection in `condense`): question and filler words.

Citation markers: answers carry `[n]` markers (`MARKER`, which also accepts "[1, 3]" and "[2-4]");
`CITATION_MARK` is the lenient form read from model output ("[Source 2]", full-width brackets).
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
import threading
import unicodedata
from collections.abc import Iterable

# ---------------------------------------------------------------------------------------------
# Retrieval terms

def _bm25s_stopwords() -> tuple[str, ...]:
    """bm25s's English stop list, read without importing the bm25s package (numpy and scipy: ~0.2 s).

    `bm25s/stopwords.py` is plain data; this module is imported by every command, `--help` included.
    """
    if "bm25s.stopwords" not in sys.modules:
        package = importlib.util.find_spec("bm25s")
        folder = (package.submodule_search_locations or [None])[0] if package else None
        spec = importlib.util.spec_from_file_location("_newsbot_bm25s_stopwords", f"{folder}/stopwords.py") if folder else None
        if spec is not None and spec.loader is not None:
            module = importlib.util.module_from_spec(spec)
            try:
                spec.loader.exec_module(module)
                return tuple(module.STOPWORDS_EN_PLUS)
            except (OSError, AttributeError, SyntaxError, ImportError):
                pass  # another layout: the ordinary import below
    from bm25s.stopwords import STOPWORDS_EN_PLUS

    return tuple(STOPWORDS_EN_PLUS)


# Words that carry no topic: dropped from the lexical query and from coverage.
STOPWORDS = frozenset(_bm25s_stopwords()) | frozenset(
    ["also", "would", "could", "said", "says", "say", "one", "us", "yet", "whose", "according", "mr", "mrs", "ms", "get", "got", "tell", "told", "know", "many", "much", "please", "article", "articles", "news", "report", "reported"]
)
_TOKEN = re.compile(r"\w+(?:['’.]\w+)*", re.UNICODE)
# Short forms that are stop words in lower case: "US" is the country, "us" the pronoun.
KEPT_CAPITALS = frozenset(["US", "IT", "WHO"])


def tokenize(text: str) -> list[str]:
    """Lower-cased content words, possessives and plural 's' removed (for BM25 and coverage); "US",
    "IT" and "WHO" written in capitals are terms, the lower-case words are not."""
    out: list[str] = []
    # Read case only where a kept short form may be; a sentence in capitals throughout ("WHO IS
    # THE..."), not one word, is shouted, and its "WHO" is the word.
    capitals = any(c in text for c in KEPT_CAPITALS) and not (text.isupper() and len(text.split()) > 2)
    for m in _TOKEN.finditer(text if capitals else text.lower()):
        w = m.group(0).replace("’", "'").removesuffix("'s")
        if capitals:
            if w in KEPT_CAPITALS:
                out.append(w.lower())
                continue
            w = w.lower().removesuffix("'s")
        if not w or w in STOPWORDS:
            continue
        out.append(_stem(w))
    return out


try:  # PyStemmer (Snowball, C): "released"/"release" match; measured +0-2 points of recall
    import Stemmer
except ImportError:  # without it, plural stripping only
    Stemmer = None
_stemmers = threading.local()  # PyStemmer objects must not be shared between threads
LEXICAL_FORMAT = "2-snowball" if Stemmer is not None else "2-plural"  # part of the cache key


def _stem(w: str) -> str:
    if Stemmer is not None:
        stemmer = getattr(_stemmers, "english", None)
        if stemmer is None:
            stemmer = _stemmers.english = Stemmer.Stemmer("english")
        return stemmer.stemWord(w)
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        return w[:-1]
    return w


# ---------------------------------------------------------------------------------------------
# Support terms (citation validation)

# Words an answer sentence may use without needing support from its cited sentences.
SUPPORT_STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from further
    had has have having he her here hers herself him himself his how i if in into is it its itself
    just me more most my myself no nor not now of off on once only or other our ours ourselves out
    over own same she should so some such than that the their theirs them themselves then there these
    they this those through to too under until up very was we were what when where which while who
    whom why will with would you your yours yourself yourselves said says say according article
    articles source sources report reported reports""".split()
)


def content_terms(text: str) -> set[str]:
    """Lower-cased content words, crudely stemmed (5-letter prefix), numbers without separators."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"(?<=\d)[,\u202f\u00a0 ](?=\d{3}\b)", "", text)  # 2,400 -> 2400
    terms = set()
    for w in re.findall(r"\w+(?:\.\d+)?", text):
        if w in SUPPORT_STOPWORDS or (len(w) < 2 and not w.isdigit()):
            continue
        terms.add(w if w[0].isdigit() or len(w) < 5 else w[:5])
    return terms


# ---------------------------------------------------------------------------------------------
# Questions typed without capitals

_LETTERS = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
_SENTENCE_START = re.compile(r"(?:^|[.!?:][\"'”’)\]]*\s+)$")
CASED_SHARE = 2 / 3  # share of its mid-sentence uses a form needs before an uncased word takes it


def uncased(text: str) -> bool:
    """True when a text is typed all in lower case or all in capitals, as chat often is."""
    letters = "".join(_LETTERS.findall(text))
    return len(letters) > 1 and (letters.islower() or letters.isupper())


def restore_case(text: str, sources: Iterable[str]) -> str:
    """An uncased text with each word as the sources mostly write it mid-sentence ("who is the manager
    of arsenal" -> "who is the manager of Arsenal", "the us economy" -> "the US economy"); a text
    with its own capitals is returned as it is. Names, and the ranker's features that read them
    (the question without its names), then work as for a question typed with capitals."""
    if not uncased(text):
        return text
    lowered = text.lower()
    wanted = set(_LETTERS.findall(lowered))
    forms: dict[str, dict[str, int]] = {}
    for source in sources:
        for m in _LETTERS.finditer(source):
            word = m.group(0)
            key = word.lower()
            if key in wanted and not _SENTENCE_START.search(source, max(0, m.start() - 4), m.start()):
                seen = forms.setdefault(key, {})
                seen[word] = seen.get(word, 0) + 1

    def written(m: re.Match) -> str:
        seen = forms.get(m.group(0))
        if not seen:
            return m.group(0)
        form = max(seen, key=seen.__getitem__)
        return form if seen[form] >= CASED_SHARE * sum(seen.values()) else m.group(0)

    return _LETTERS.sub(written, lowered)


def numbers_in(text: str) -> set[str]:
    """The numbers a text states, normalised ("2,400" -> "2400")."""
    return {t for t in content_terms(text) if t[0].isdigit()}


# ---------------------------------------------------------------------------------------------
# Follow-up questions

# Question and filler words that carry no topic of their own.
FUNCTION_WORDS = frozenset(
    ["what", "which", "who", "whom", "whose", "when", "where", "why", "how", "is", "are", "was", "were", "be", "been", "being", "do", "does", "did", "a", "an", "the", "and", "or", "but", "so", "of", "to", "in", "on", "at", "by", "for", "with", "from", "about", "as", "into", "than", "then", "also", "can", "could", "would", "should", "will", "shall", "may", "might", "must", "has", "have", "had", "not", "no", "yes", "many", "much", "more", "most", "less", "few", "any", "some", "all", "each", "every", "other", "else", "own", "i", "me", "my", "we", "our", "you", "your", "please", "tell", "say", "said", "says", "know", "think", "happen", "happened", "happening", "now", "still", "again", "yet", "ever", "just", "only", "really", "very", "remain", "remains", "remained", "left"]
)
WORD = re.compile(r"[^\W_][\w'’.-]*", re.UNICODE)


# ---------------------------------------------------------------------------------------------
# Citation markers

# The markers newsbot writes and front ends strip or keep with their sentence: "[1]", "[1, 3]", "[2-4]".
MARKER = re.compile(r"\[\d+(?:\s*[,;–-]\s*\d+)*\]")
# "[1]", "[1, 3]", "[2-4]", "[Source 2]"; full-width brackets too (some models emit them).
CITATION_MARK = re.compile(
    r"(?<!\s)\s*[\[【]\s*(?:sources?\s*)?(\d{1,3}(?:\s*(?:[-–,;]|and)\s*\d{1,3})*)\s*[\]】]", re.IGNORECASE
)
LEADING_MARKS = re.compile(rf"^(?:{CITATION_MARK.pattern})+\s*", re.IGNORECASE)


def parse_marker(body: str) -> list[int]:
    """Numbers named by the inside of one marker: "1, 3" -> [1, 3]; "2-4" -> [2, 3, 4]."""
    out: list[int] = []
    for part in re.split(r"\s*(?:[,;]|and)\s*", body):
        if not part:
            continue
        if "-" in part or "–" in part:
            lo, hi = (int(x) for x in re.split(r"\s*[-–]\s*", part, maxsplit=1))
            if lo <= hi <= lo + 20:  # a sane range; "[1-999]" is not a citation
                out.extend(range(lo, hi + 1))
            continue
        out.append(int(part))
    return out


def cited(quote: str, n: int) -> str:
    """'Sentence [n].': an overview's sentence with its citation marker before the final full stop."""
    quote = quote.strip()
    return f"{quote[:-1]} [{n}]." if quote.endswith(".") else f"{quote} [{n}]"


def cited_numbers(sentence: str) -> list[int]:
    """All citation numbers in a sentence, in order, with repeats."""
    return [n for m in CITATION_MARK.finditer(sentence) for n in parse_marker(m.group(1))]


def strip_citations(text: str) -> str:
    """The text without citation markers (and without the space a marker left before punctuation)."""
    return re.sub(r"\s+([.,;:!?])", r"\1", CITATION_MARK.sub("", text)).strip()


# ---------------------------------------------------------------------------------------------
# Untrusted text: control characters and Discord markup
#
# Articles, feeds and pages are written by people we do not know. Control characters act on a
# terminal (`ESC]0;...BEL` retitles it, `ESC[2J` clears it, an ESC in a URL breaks out of an OSC 8
# link; C1 controls do the same on terminals that honour them; bidi overrides reorder what is
# shown): `strip_controls` removes them, on stored text and again before printing. Discord
# Markdown in an article (a masked link `[verify your account](https://evil.example)`, spoilers,
# code fences, headings) would restyle a public post: `escape_discord` makes it literal while
# keeping newsbot's own `[n]` markers readable.

# C0 except \t and \n, DEL, C1; plus bidi embeddings/overrides/isolates (U+202A-202E, U+2066-2069).
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_BREAKS = re.compile(r"[\r\v\f\x1c-\x1e\x85]")
_CONTROLS_ALL = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

# Markdown syntax characters Discord reacts to, escaped with a backslash wherever they appear.
_DISCORD_SPECIAL = re.compile(r"([\\*_`~|>#\[\]<])")
_LINE_START_DASH = re.compile(r"(?m)^(\s*)-")  # "- item" lists and "-# subtext"
_ESCAPED_MARKER = re.compile(r"\\\[(\d{1,3}(?:,\s?\d{1,3})*)\\\](?!\()")


def strip_controls(text: str, keep_newlines: bool = True) -> str:
    """`text` without control characters (newline and tab kept unless `keep_newlines` is False)."""
    if not text:
        return text
    if keep_newlines:
        # Line breaks in other spellings (a lone CR rewrites the terminal line) become newlines.
        return _CONTROLS.sub("", _BREAKS.sub("\n", text.replace("\r\n", "\n")))
    return _CONTROLS_ALL.sub("", _BREAKS.sub(" ", text))


def clean_url(url: str) -> str:
    """A stored URL: no control characters and no whitespace inside (both only ever break links)."""
    if not url:
        return url
    return "".join(strip_controls(url, keep_newlines=False).split())


def clean_line(text: str) -> str:
    """A one-line field (title, source, author): controls removed, whitespace runs made one space."""
    return " ".join(strip_controls(text or "", keep_newlines=False).split())


def escape_discord(text: str) -> str:
    """Discord Markdown in `text` made literal; newsbot's `[1]` and `[1, 2]` markers stay as they are.

    Every syntax character is backslash-escaped (Discord renders `\\x` as `x` for punctuation),
    so no masked link, spoiler, code block, heading, quote, list, subtext, mention or custom
    emoji can form. Our own markers are restored unless a `(` follows, which would make them
    the text of a masked link again.
    """
    if not text:
        return text
    escaped = _DISCORD_SPECIAL.sub(r"\\\1", strip_controls(text))
    escaped = _LINE_START_DASH.sub(r"\1\\-", escaped)
    return _ESCAPED_MARKER.sub(lambda m: f"[{m.group(1)}]", escaped)


_JSON_UNSAFE = re.compile(r"[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def terminal_json(value, **kwargs) -> str:
    """`json.dumps` for printing: C1 and bidi controls escaped too (json only escapes C0 itself)."""
    text = json.dumps(value, ensure_ascii=False, **kwargs)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
