"""Citations: numbered links back to stored sentences, and the check every answer goes through.

`validate_citations` is what keeps an answerer honest. For each sentence of an answer it
  - removes citation numbers that were not offered (the model saw sources 1..k only),
  - drops the sentence when it has no valid citation, or when its cited sentences do not support
    it (most of its content words, and every number it states, must be in the cited sentences;
    an embedding similarity check can rescue a paraphrase with some lexical overlap),
  - dedupes numbers and renumbers the survivors 1..n in order of first use,
and builds one `Citation` per surviving number whose quote is the exact stored sentence.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import quote as _percent_encode

import blingfire
import numpy as np

from retrieval.articles import local_path, open_link
from retrieval.text import (
    CITATION_MARK,
    LEADING_MARKS,
    cited_numbers,
    content_terms,
    numbers_in,
    parse_marker,
    strip_citations,
)
from retrieval.types import Citation, Hit

# Share of an answer sentence's content words that its cited sentences must contain.
MIN_SUPPORT = 0.5
# A cited sentence sharing less than this with the answer sentence is not evidence for it.
MIN_EACH = 0.2
# With an embedding function: a sentence with at least EMBED_MIN_LEXICAL overlap is supported
# when its cosine similarity to a cited sentence reaches EMBED_MIN_SIMILARITY (paraphrases).
EMBED_MIN_LEXICAL = 0.25
EMBED_MIN_SIMILARITY = 0.6

# Text fragments: quotes longer than this use the textStart,textEnd form so links stay short
# and still match when the page renders the middle of the sentence differently.
FRAGMENT_MAX_WORDS = 10
FRAGMENT_EDGE_WORDS = 4

Embed = Callable[[Sequence[str]], np.ndarray]

# ---------------------------------------------------------------------------------------------
# Links


def _fragment_encode(text: str) -> str:
    # The spec reserves "-", "," and "&" as directive syntax; quote() leaves "-" alone.
    return _percent_encode(text, safe="").replace("-", "%2D")


def text_fragment_link(url: str, quote: str) -> str:
    """`url#:~:text=...` pointing a browser at `quote` (Text Fragments spec); "" without a url.

    Long quotes use the `textStart,textEnd` form. A url that already has a fragment keeps it.
    Non-web urls (file paths...) are returned unchanged since browsers ignore fragments there.
    """
    url = (url or "").strip()
    if not url:
        return ""
    if not url.lower().startswith(("http://", "https://")):
        return url
    words = " ".join(unicodedata.normalize("NFC", quote or "").split()).split(" ")
    words = [w for w in words if w]
    if not words:
        return url
    if len(words) > FRAGMENT_MAX_WORDS:
        directive = (
            _fragment_encode(" ".join(words[:FRAGMENT_EDGE_WORDS]))
            + ","
            + _fragment_encode(" ".join(words[-FRAGMENT_EDGE_WORDS:]))
        )
    else:
        directive = _fragment_encode(" ".join(words))
    if "#" not in url:
        return f"{url}#:~:text={directive}"
    if ":~:" in url:
        return f"{url}&text={directive}"
    return f"{url}:~:text={directive}"


def make_citation(n: int, hit: Hit) -> Citation:
    """Citation number `n` for a search hit; the quote is the stored sentence, unchanged.

    An article read from a local file (no URL) gets its path and a file:// link, so a reader
    has something to open.
    """
    a = hit.article
    path = "" if a.url else local_path(a)
    return Citation(
        n=n,
        article_id=a.id,
        title=a.title,
        source=a.source,
        url=a.url,
        published_at=a.published_at,
        sentence_index=hit.sentence.index,
        quote=hit.sentence.text,
        link=text_fragment_link(a.url, hit.sentence.text) if a.url else (open_link(a) if path else ""),
        path=path,
        updated_at=a.updated_at,
    )


# ---------------------------------------------------------------------------------------------
# Answer sentences and citation markers



def split_answer_sentences(text: str) -> list[str]:
    """Split an answer into sentences; markers written after the full stop stay with their sentence."""
    out: list[str] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        for sent in blingfire.text_to_sentences(line.strip()).split("\n"):
            sent = sent.strip()
            if not sent:
                continue
            lead = LEADING_MARKS.match(sent)
            if lead and out:
                # "claim. [1] Next claim" -> the [1] belongs to "claim."
                out[-1] = out[-1] + " " + lead.group(0).strip()
                sent = sent[lead.end() :].strip()
                if not sent:
                    continue
            out.append(sent)
    return out


def complete_sentences(buffer: str) -> tuple[list[str], str]:
    """For streaming: the sentences of `buffer` that are surely finished, and the unfinished rest.

    A sentence is finished only once real text follows it, because markers ("[1]") may still
    come after its full stop.
    """
    sents = split_answer_sentences(buffer)
    if len(sents) < 2:
        return [], buffer
    last = sents[-1]
    pos = buffer.rfind(last)
    if pos < 0:  # blingfire normalised something; keep everything for the final pass
        return [], buffer
    return sents[:-1], buffer[pos:]


# ---------------------------------------------------------------------------------------------
# Support check

_INJECTION = re.compile(
    r"\b(?:ignore|disregard|forget|override)\b.{0,40}\b(?:instructions?|prompts?|rules|guidelines)\b"
    r"|\b(?:system prompt|you are now|as an ai\b|new instructions|jailbreak)"
    r"|(?:^|[\n\"“])\s*(?:system|assistant)\s*:"
    r"|\b(?:reply|respond|output|print|say)\s+(?:only\s+)?(?:with\s+)?(?:the\s+words?|exactly)\b"
    r"|\b(?:the\s+)?rules\s+(?:have\s+|has\s+)?changed\b"
    r"|\b(?:assistant|chatbot|language model|ai model|llm)s?\b.{0,30}\b(?:must|should|shall|will)\b",
    re.IGNORECASE | re.DOTALL,
)


def looks_like_instruction(text: str) -> bool:
    """True for text that talks to an AI model ("ignore your instructions..."): never evidence."""
    return bool(_INJECTION.search(text))


def lexical_support(claim: str, evidence: Sequence[str]) -> float:
    """Share of the claim's content terms found in the evidence texts (1.0 for a claim with none)."""
    terms = content_terms(claim)
    if not terms:
        return 1.0
    ev: set[str] = set()
    for e in evidence:
        ev |= content_terms(e)
    return len(terms & ev) / len(terms)


def _evidence(hit: Hit) -> str:
    # The title names who/where for sentences like "He said 88 were freed".
    return f"{hit.article.title}. {hit.sentence.text}"


def _cosine_max(embed: Embed, claim: str, evidence: Sequence[str]) -> float:
    vecs = np.asarray(embed([claim, *evidence]), dtype=np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True) + 1e-9
    return float((vecs[1:] @ vecs[0]).max())


# ---------------------------------------------------------------------------------------------
# Validation


@dataclass(frozen=True)
class CheckedAnswer:
    """An answer after citation validation."""

    text: str  # kept sentences, citation numbers renumbered 1..n
    citations: tuple[Citation, ...]
    dropped: tuple[str, ...] = ()  # answer sentences removed: uncited or not supported
    removed_numbers: tuple[int, ...] = ()  # citation numbers that were not offered

    @property
    def ok(self) -> bool:
        """True when at least one sentence survived with a valid citation."""
        return bool(self.citations)

    def note(self) -> str:
        """One line for the user about what validation removed, "" when nothing."""
        parts = []
        if self.dropped:
            k = len(self.dropped)
            parts.append(f"removed {k} sentence{'s' if k > 1 else ''} the cited sources do not support")
        if self.removed_numbers:
            nums = ", ".join(str(n) for n in sorted(set(self.removed_numbers)))
            parts.append(f"removed citation number{'s' if len(set(self.removed_numbers)) > 1 else ''} {nums} that matched no source")
        return ("Checked the answer: " + "; ".join(parts) + ".") if parts else ""


class CitationValidator:
    """Validates an answer sentence by sentence, so a streamed answer can be checked as it arrives."""

    def __init__(
        self,
        hits: Sequence[Hit],
        *,
        min_support: float = MIN_SUPPORT,
        embed: Embed | None = None,
    ) -> None:
        self.hits = list(hits)
        self.min_support = min_support
        self.embed = embed
        self._renumber: dict[int, int] = {}  # offered number -> output number
        self._kept: list[str] = []
        self._dropped: list[str] = []
        self._removed: list[int] = []

    def _supported(self, claim: str, numbers: list[int]) -> list[int]:
        """The cited numbers that support `claim`, or [] when together they do not support it."""
        useful = []
        for n in numbers:
            hit = self.hits[n - 1]
            if looks_like_instruction(hit.sentence.text):
                continue
            # The sentence alone, not its title: a title shared by every sentence of the article
            # would make any of them look relevant.
            if lexical_support(claim, [hit.sentence.text]) >= MIN_EACH:
                useful.append(n)
        if not useful:
            return []
        evidence = [_evidence(self.hits[n - 1]) for n in useful]
        if not numbers_in(claim) <= set().union(*(numbers_in(e) for e in evidence)):
            return []  # a figure the cited sentences do not state: the classic invention
        support = lexical_support(claim, evidence)
        if support >= self.min_support:
            return useful
        if self.embed is not None and support >= EMBED_MIN_LEXICAL:
            if _cosine_max(self.embed, claim, [self.hits[n - 1].sentence.text for n in useful]) >= EMBED_MIN_SIMILARITY:
                return useful
        return []

    def add(self, sentence: str) -> str | None:
        """Check one answer sentence; its cleaned, renumbered text, or None when it is dropped."""
        offered = range(1, len(self.hits) + 1)
        numbers = cited_numbers(sentence)
        self._removed.extend(n for n in numbers if n not in offered)
        valid = list(dict.fromkeys(n for n in numbers if n in offered))
        claim = strip_citations(sentence)
        if not content_terms(claim):
            return None  # "Sure!", a lone marker: nothing to show or check
        keep = self._supported(claim, valid) if valid else []
        if not keep:
            self._dropped.append(claim)
            return None
        for n in keep:
            self._renumber.setdefault(n, len(self._renumber) + 1)
        text = self._rewrite_marks(sentence, set(keep))
        self._kept.append(text)
        return text

    def _rewrite_marks(self, sentence: str, keep: set[int]) -> str:
        seen: set[int] = set()

        def repl(m: re.Match) -> str:
            new = []
            for n in parse_marker(m.group(1)):
                if n in keep and n not in seen:
                    seen.add(n)
                    new.append(self._renumber[n])
            return "".join(f"[{k}]" for k in new) and " " + "".join(f"[{k}]" for k in new)

        text = CITATION_MARK.sub(repl, sentence)
        text = re.sub(r"(\])\s*(\[)", r"\1\2", text)
        return re.sub(r"\s+([.,;:!?])", r"\1", text).strip()

    def result(self) -> CheckedAnswer:
        """The validated answer so far, with one Citation per kept number."""
        by_new = sorted((new, old) for old, new in self._renumber.items())
        return CheckedAnswer(
            text=" ".join(self._kept),
            citations=tuple(make_citation(new, self.hits[old - 1]) for new, old in by_new),
            dropped=tuple(self._dropped),
            removed_numbers=tuple(self._removed),
        )


def validate_citations(
    answer_text: str,
    hits: Sequence[Hit],
    *,
    min_support: float = MIN_SUPPORT,
    embed: Embed | None = None,
) -> CheckedAnswer:
    """Check an answer whose markers [n] refer to `hits[n-1]`; see the module docstring."""
    v = CitationValidator(hits, min_support=min_support, embed=embed)
    for sentence in split_answer_sentences(answer_text):
        v.add(sentence)
    return v.result()
