"""Second stage: choose the answering sentence among the candidates, reading it in its context.

Readers paraphrase, and the news sentence that answers often leans on its context ("he", "the
firm") while the name is in the headline or an earlier sentence. So the first stage's candidates
(dense + lexical, see `search.py`) are widened to every sentence of their best few articles, and each
candidate is judged with its article:
- how close it is to the question (the stored "headline. sentence" vector), and to the question
  without its names, and without the words of the article's headline: every sentence of an
  article shares its headline, so what tells them apart is what the question asks, not whom it is
  about (measured: the gold sentence is the closest one in its article 35% of the time by the
  whole question, 43% adding the question without the headline's words);
- IDF-weighted coverage of the question's terms by the sentence with its headline and the two
  sentences before it, and by the whole article (is this the right story at all);
- whether it holds what the question asks for, beyond the question's own words (a number for
  "how many", a date for "when", a name for "who", a place for "where", a reason for "why");
- how close it is to the words naming what the question asks for, alone ("What injury...?" ->
  "injury": the answering "fracturing his cheekbone" shares no word with the question);
- whether its article is the conversation's story, for follow-ups.

A logistic model over these features (weights in `ranker.json`, trained on a named split by
`benchmarks/train_ranker.py`; nothing here is tuned by hand) gives the probability that a sentence
answers the question. The extractive answerer cites by that probability and abstains when the best
one is below the model's calibrated threshold.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np

from retrieval.answering.kinds import asked_thing, expected_kind, expected_subkind, has_kind, new_material
from retrieval.answering.lexical import LexicalIndex
from retrieval.text import content_terms, tokenize

MODEL_FILE = Path(__file__).with_name("ranker.json")
EXPAND_ARTICLES = 6  # articles whose every sentence becomes a candidate (the gold was in 100% of dev cases)
CONTEXT_BEFORE = 2  # preceding sentences that count as the sentence's context
RESIDUAL_ARTICLES = 2  # leading articles whose headline words are taken out of the question
MAX_CITED = 3  # citations in one extractive answer
CENTRED_MIN_SENTENCES = 4  # sentences an article needs before its mean vector is its topic

FEATURES = (
    "cos_gap",  # cosine to the question minus the best candidate's
    "cos_nocaps",  # cosine to the question without its names
    "cos_resid",  # cosine to the question without its names and the article's headline words
    "bm25",  # BM25 of headline + sentence, relative to the query's best over the index
    "cov_ctx",  # IDF-weighted share of question terms in sentence, headline and 2 sentences before
    "cov_art",  # the same over the whole article
    "resid_cov",  # share of the terms the headline lacks that the sentence (or the one before) has
    "art_rank",  # rank of the article by its best sentence's cosine (0 = best), capped at 10
    "type_expected",  # the question asks for a number, date, name, place or reason
    "type_ok",  # the sentence holds one
    "type_new",  # ... beyond the question's own words
    "in_history",  # the article is the one the conversation is about
    "length",  # log(1 + words)
    "cov_prefix",  # share of the question's words matched by 5-letter prefix in the sentence's context
    "cos_centred",  # cosine to the question, both taken relative to the article's mean sentence vector
    "position",  # log(1 + the sentence's index in its article)
    "subtype_expected",  # the question asks for a duration, a sum of money, a share or a year
    "subtype_new",  # the sentence holds one beyond the question's own words
    "thing_asked",  # the question names the thing it asks for ("What injury...", "How many copies...")
    "cos_thing",  # cosine of the sentence to those words alone (0 when it names none)
)

_WORDS = re.compile(r"\S+")
# A sentence that needs what came before it to be understood ("He said...", "The firm...").
_LEANS_BACK = re.compile(
    r"^\W*(he|she|it|they|his|her|its|their|this|that|these|those|the (firm|company|group|club|side|team|"
    r"player|star|singer|band|minister|government|bank|man|woman|report|study|move|deal|plan|body|airline|"
    r"network|channel|paper|newspaper|council|party|chancellor|president|\w+-year-old|\w+ year-old))\b",
    re.I,
)


def without_names(question: str) -> str:
    """The question without its capitalised words (names): what it asks, not whom it is about."""
    words = _WORDS.findall(question)
    kept = [w for i, w in enumerate(words) if not (i > 0 and w[:1].isupper())]
    return " ".join(kept) or question


def without_headline(question: str, title: str) -> str:
    """The question without its names and without the words of an article's headline."""
    in_title = set(tokenize(title))
    kept = []
    for i, w in enumerate(_WORDS.findall(question)):
        toks = tokenize(w)
        if (i > 0 and w[:1].isupper()) or (toks and all(t in in_title for t in toks)):
            continue
        kept.append(w)
    return " ".join(kept) or question


def title_is_derived(lex: LexicalIndex, article: int) -> bool:
    """True when the article had no headline and its title was made from its first sentence."""
    lo, hi = lex.article_span(article)
    title = " ".join(lex.article(article).title.split()).rstrip("…. ")
    return hi > lo and " ".join(lex.text(lo).split()).startswith(title)


_NAME = re.compile(r"(?<!^)(?<![.!?]\s)\b[A-Z][\w'’-]+")


def names_new_subject(question: str, lex: LexicalIndex, articles: Sequence[int]) -> bool:
    """True when the question names someone or something its story never mentions ("What about Cuba?")."""
    names = {n.casefold() for n in _NAME.findall(question.strip())}
    if not names:
        return False
    story = " ".join(
        [lex.article(a).title for a in articles] + [t for a in articles for t in lex.texts(*lex.article_span(a))]
    ).casefold()
    return any(n not in story for n in names)


ALREADY_SAID = 0.5  # share of a sentence's words in the last answer that makes it a repeat


def already_said(sentence: str, said: set[str]) -> bool:
    """True when most of the sentence's content words are in what the last answer said."""
    if not said:
        return False
    terms = content_terms(sentence)
    return bool(terms) and len(terms & said) / len(terms) >= ALREADY_SAID


def leans_back(text: str) -> bool:
    """True when the sentence opens with a pronoun or a bare description ("he", "the firm")."""
    return bool(_LEANS_BACK.match(text))


@dataclass(frozen=True)
class Logistic:
    """Logistic regression over standardised inputs: p = sigmoid(w . (x - mean) / scale + b)."""

    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float

    def predict(self, x: np.ndarray) -> np.ndarray:
        z = ((x - self.mean) / self.scale) @ self.weights + self.bias
        return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))

    @classmethod
    def from_dict(cls, raw: dict) -> Logistic:
        return cls(*(np.asarray(raw[k], dtype=np.float64) for k in ("mean", "scale", "weights")), float(raw["bias"]))

    def to_dict(self) -> dict:
        out = {k: [round(float(v), 6) for v in getattr(self, k)] for k in ("mean", "scale", "weights")}
        out["bias"] = round(float(self.bias), 6)
        return out


def article_inputs(feats: np.ndarray, arts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per article: the max and mean of its candidates' features. Returns (articles, inputs)."""
    ua = np.unique(arts)
    rows = [feats[arts == a] for a in ua]
    return ua, np.vstack([np.concatenate([f.max(0), f.mean(0)]) for f in rows]) if len(ua) else np.zeros((0, 2 * feats.shape[1]))


def sentence_inputs(feats: np.ndarray, arts: np.ndarray) -> np.ndarray:
    """Per sentence: its features and the same relative to its article's best (what sets it apart)."""
    rel = np.zeros_like(feats)
    for a in np.unique(arts):
        m = arts == a
        rel[m] = feats[m] - feats[m].max(0, keepdims=True)
    return np.hstack([feats, rel])


@dataclass(frozen=True)
class RankerModel:
    """P(sentence answers) = P(its article is the story asked about) * P(it is the sentence, given the article).

    Two logistic models: the within-article one sees each feature relative to the article's best,
    which is what tells the sentences of one story apart (measured: within-article choice 44% ->
    47% top-1 with relative features, and the two-stage product beat one model over all rows).
    """

    article: Logistic
    sentence: Logistic
    threshold: float  # abstain when the best sentence's probability is below this
    cite_ratio: float  # cite a further sentence whose probability is at least this share of the best
    meta: dict
    features: tuple[str, ...] = FEATURES  # the columns of `features()` it reads, in its own order

    def predict(self, feats: np.ndarray, arts: np.ndarray) -> np.ndarray:
        """P(answers) per row of `features()` output (all FEATURES; the model reads its own columns)."""
        return self.predict_with_stories(feats, arts)[0]

    def predict_with_stories(self, feats: np.ndarray, arts: np.ndarray) -> tuple[np.ndarray, dict[int, float]]:
        """`predict`, and its first factor: P(the article is the story asked about), per candidate article."""
        if len(feats) == 0:
            return np.zeros(0), {}
        if self._columns is not None:
            feats = feats[:, self._columns]
        ua, xa = article_inputs(feats, arts)
        pa = dict(zip(ua.tolist(), self.article.predict(xa).tolist()))
        ps = self.sentence.predict(sentence_inputs(feats, arts))
        return ps * np.asarray([pa[a] for a in arts.tolist()]), pa

    @cached_property
    def _columns(self) -> list[int] | None:
        """Where its features are in `features()` output (None: all of them, in order)."""
        return None if self.features == FEATURES else [FEATURES.index(f) for f in self.features]

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> RankerModel:
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))

    @classmethod
    def from_dict(cls, raw: dict) -> RankerModel:
        unknown = [f for f in raw["features"] if f not in FEATURES]
        if unknown:
            raise ValueError(f"features {', '.join(unknown)} are not computed here; run benchmarks/train_ranker.py")
        return cls(
            article=Logistic.from_dict(raw["article"]),
            sentence=Logistic.from_dict(raw["sentence"]),
            threshold=float(raw["threshold"]),
            cite_ratio=float(raw["cite_ratio"]),
            meta=dict(raw.get("meta", {})),
            features=tuple(raw["features"]),
        )

    def to_dict(self) -> dict:
        return {
            "features": list(self.features),
            "article": self.article.to_dict(),
            "sentence": self.sentence.to_dict(),
            "threshold": round(float(self.threshold), 6),
            "cite_ratio": round(float(self.cite_ratio), 6),
            "meta": self.meta,
        }


@lru_cache(maxsize=4)
def load_model(path: str = "") -> RankerModel:
    """The ranker at `path` ("" = the shipped one), read once per process; ConfigError if unusable."""
    from retrieval.errors import ConfigError

    try:
        return RankerModel.load(Path(path).expanduser() if path else MODEL_FILE)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(
            f"NEWSBOT_RANKER_MODEL={path!r} is not a usable ranker ({exc}); retrain it with "
            "benchmarks/train_ranker.py or unset it to use the shipped one"
        ) from None


def default_model() -> RankerModel:
    """The shipped model."""
    return load_model("")


Vectors = Callable[[np.ndarray], np.ndarray]  # lexical rows -> their stored unit vectors
EmbedQueries = Callable[[list[str]], np.ndarray]  # texts -> vectors


def widen(
    lex: LexicalIndex,
    first_rows: np.ndarray,
    first_scores: np.ndarray,
    extra_articles: Sequence[int] = (),
    n_articles: int = EXPAND_ARTICLES,
) -> np.ndarray:
    """The first stage's rows plus every sentence of its best articles (and of `extra_articles`)."""
    best: dict[int, float] = {}
    for a, s in zip(lex.article_of(first_rows).tolist(), first_scores.tolist()):
        if s > best.get(a, -1e9):
            best[a] = s
    top = sorted(best, key=lambda a: -best[a])[:n_articles]
    parts = [first_rows]
    for a in dict.fromkeys([*extra_articles, *top]):
        lo, hi = lex.article_span(a)
        parts.append(np.arange(lo, hi, dtype=np.int64))
    return np.unique(np.concatenate(parts))


def features(
    question: str,
    terms: Sequence[str],
    lex: LexicalIndex,
    bm25_best: float,
    rows: np.ndarray,
    qvec: np.ndarray,
    vectors: Vectors,
    embed: EmbedQueries,
    history_articles: Sequence[int] = (),
) -> np.ndarray:
    """One feature row per candidate row, in FEATURES order."""
    n = len(rows)
    out = np.zeros((n, len(FEATURES)), dtype=np.float64)
    if n == 0:
        return out
    art = lex.article_of(rows)
    vec = np.asarray(vectors(rows), dtype=np.float64)
    vec /= np.maximum(np.linalg.norm(vec, axis=1, keepdims=True), 1e-12)
    q = np.asarray(qvec, dtype=np.float64)
    cos = vec @ (q / max(float(np.linalg.norm(q)), 1e-12))

    # Articles by their best sentence; the question without names / without each leader's headline.
    art_cos: dict[int, float] = {}
    for a, c in zip(art.tolist(), cos.tolist()):
        art_cos[a] = max(art_cos.get(a, -1.0), c)
    order = sorted(art_cos, key=lambda a: -art_cos[a])
    art_rank = {a: i for i, a in enumerate(order)}
    lead = order[:RESIDUAL_ARTICLES]
    derived = {a: title_is_derived(lex, a) for a in art_cos}
    # A title made from the first sentence is no headline: nothing to take out, no context to add.
    thing, nocaps = asked_thing(question), without_names(question)
    focus = np.asarray(
        embed(
            [
                nocaps,
                *(nocaps if derived[a] else without_headline(question, lex.article(a).title) for a in lead),
                *([thing] if thing else []),
            ]
        ),
        dtype=np.float64,
    )
    focus /= np.maximum(np.linalg.norm(focus, axis=1, keepdims=True), 1e-12)
    cos_nocaps = vec @ focus[0]
    cos_thing = vec @ focus[-1] if thing else np.zeros(n)
    resid_vec = {a: focus[1 + i] for i, a in enumerate(lead)}
    cos_resid = np.asarray([vec[i] @ resid_vec[a] if a in resid_vec else cos_nocaps[i] for i, a in enumerate(art.tolist())])
    cos_centred = centred_cosines(vec, q / max(float(np.linalg.norm(q)), 1e-12), art)

    # Lexical evidence, IDF-weighted over the question's distinct terms, read from each row's indexed
    # terms (headline + sentence, as BM25 saw them) rather than re-tokenising.
    unique = list(dict.fromkeys(terms))
    idf = np.asarray([lex.idf(t) for t in unique], dtype=np.float64)
    total = float(idf.sum()) or 1.0
    arts_list = list(art_cos)
    lex.load_articles(arts_list)  # every sentence of every candidate article, in one read

    def hits_of(tokens) -> np.ndarray:
        have = tokens if isinstance(tokens, (set, frozenset)) else set(tokens)
        return np.fromiter((t in have for t in unique), dtype=bool, count=len(unique))

    hit_cache: dict[int, np.ndarray] = {}

    def sent_hits(r: int) -> np.ndarray:
        got = hit_cache.get(r)
        if got is None:
            # A derived "headline" is in every row's terms: read the sentence alone.
            got = hit_cache[r] = hits_of(tokenize(lex.text(r)) if derived.get(lex.article_of(r)) else lex.terms(r))
        return got

    art_hits = {a: hits_of(lex.article_terms(a)) for a in arts_list}
    title_hits = {a: hits_of([] if derived[a] else tokenize(lex.article(a).title)) for a in arts_list}

    def share(mask: np.ndarray, of: float = total) -> float:
        return float(idf[mask].sum()) / of if of > 0 else 0.0

    asked = content_terms(question)
    prefix_cache: dict[int, set[str]] = {}

    title_prefixes = {a: set() if derived[a] else content_terms(lex.article(a).title) for a in arts_list}

    def prefixes(r: int) -> set[str]:
        got = prefix_cache.get(r)
        if got is None:
            got = prefix_cache[r] = content_terms(lex.text(r))
        return got

    best_cos = float(cos.max())
    kind = expected_kind(question)
    subkind = expected_subkind(question)
    history = set(history_articles)
    bm = lex.bm25(terms, rows)
    best_bm = bm25_best if bm25_best > 0 else 1.0
    for i, (r, a) in enumerate(zip(rows.tolist(), art.tolist())):
        lo, _ = lex.article_span(a)
        s_hits = sent_hits(r)
        prev = sent_hits(r - 1) if r - 1 >= lo else np.zeros(len(unique), dtype=bool)
        ctx = s_hits | title_hits[a]
        for p in range(max(lo, r - CONTEXT_BEFORE), r):
            ctx = ctx | sent_hits(p)
        resid = ~title_hits[a]
        text = lex.text(r)
        around = prefixes(r) | (prefixes(r - 1) if r - 1 >= lo else set()) | title_prefixes[a]
        out[i] = (
            cos[i] - best_cos,
            cos_nocaps[i],
            cos_resid[i],
            float(bm[i]) / best_bm,
            share(ctx),
            share(art_hits[a]),
            share(resid & (s_hits | prev), float(idf[resid].sum())),
            min(art_rank[a], 10),
            1.0 if kind else 0.0,
            1.0 if kind and has_kind(kind, text) else 0.0,
            1.0 if kind and has_kind(kind, new_material(text, question)) else 0.0,
            1.0 if a in history else 0.0,
            math.log1p(len(text.split())),
            len(asked & around) / len(asked) if asked else 0.0,
            cos_centred[i],
            math.log1p(r - lo),
            1.0 if subkind else 0.0,
            1.0 if subkind and subkind[1].search(new_material(text, question)) else 0.0,
            1.0 if thing else 0.0,
            cos_thing[i],
        )
    return out


def centred_cosines(vec: np.ndarray, q: np.ndarray, art: np.ndarray) -> np.ndarray:
    """Cosine of each sentence to the question after taking out its article's mean sentence vector.

    Every sentence of a story shares its topic, and so does a question about it: what is left is
    what the question asks and what each sentence adds (measured on the dev even half: the gold
    sentence ranks first within its article more often than by the plain cosine). An article with
    fewer than CENTRED_MIN_SENTENCES candidates has no topic to take out: its plain cosine stays.
    """
    out = vec @ q
    for a in np.unique(art):
        m = art == a
        if m.sum() < CENTRED_MIN_SENTENCES:
            continue
        centre = vec[m].mean(0)
        v = vec[m] - centre
        v /= np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
        qc = q - centre
        out[m] = v @ (qc / max(float(np.linalg.norm(qc)), 1e-12))
    return out


@dataclass(frozen=True)
class Ranked:
    """Candidate rows with their answer probability, best first."""

    rows: np.ndarray
    prob: np.ndarray
    story: tuple[int, float] | None = None  # the likeliest story asked about: (article, its probability)


def rank(model: RankerModel, lex: LexicalIndex, rows: np.ndarray, feats: np.ndarray) -> Ranked:
    """Candidates ordered by the model's probability that they answer the question."""
    if len(rows) == 0:
        return Ranked(rows, np.zeros(0))
    prob, stories = model.predict_with_stories(feats, lex.article_of(rows))
    order = np.argsort(-prob, kind="stable")
    story = max(stories.items(), key=lambda kv: (kv[1], -kv[0]))
    return Ranked(rows[order], prob[order], story)
