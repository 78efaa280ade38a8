"""What an evaluation asks: questions with their gold evidence, a dataset of them, and how to pick some.

`EvalDataset.subset` is the project's named tuning split: "even" = questions whose `sha1(id)`
hex digest, read as an integer, is even (tune on these), "odd" = the others (report these).
`report_kind` is the group a question is reported in.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field, replace

from retrieval.errors import InputFileError
from retrieval.types import Article

SUBSETS = ("even", "odd")  # the tuning split: even sha1(id) = train, odd = report


def id_parity(qid: str) -> str:
    """Whether `sha1(id)` is "even" or "odd": the parity of `sha1(id)` read as an integer (the project's train/report split)."""
    return "even" if int(hashlib.sha1(qid.encode("utf-8")).hexdigest(), 16) % 2 == 0 else "odd"


@dataclass(frozen=True)
class Evidence:
    """One gold unit: `text` found in the article `doc` (an article id, or a user reference for jsonl).

    kind "passage": the text itself is the gold (a fact or sentence); "answer": the gold is the
    sentence(s) containing this answer text (`alternatives` are other accepted answers);
    "article": any sentence of the article counts (document-level gold, e.g. BEIR).
    """

    doc: str
    text: str = ""
    kind: str = "passage"
    alternatives: tuple[str, ...] = ()
    grade: int = 1


@dataclass(frozen=True)
class EvalQuestion:
    """A question with its gold evidence; `answerable` False means the corpus does not answer it."""

    id: str
    question: str
    evidence: tuple[Evidence, ...] = ()
    answerable: bool = True
    answer: str = ""
    history: tuple[tuple[str, str], ...] = ()
    kind: str = ""  # question type when the dataset has one (bridge, comparison_query, ...)
    missing: tuple[str, ...] = ()  # gold the loader could not place in the corpus, one reason each
    related: tuple[str, ...] = ()  # ids of articles the question is about besides its gold (distractor context)
    needs_context: bool | None = None  # jsonl: the answering sentence does not name the subject (None = not said)


KIND_ORDER = ("single, needs context", "single, names its subject", "single", "followup", "unanswerable")


def report_kind(q: EvalQuestion) -> str:
    """The group a question is reported in: its `kind`, with singles split by `needs_context` when given."""
    if q.kind == "single" and q.needs_context is not None:
        return "single, needs context" if q.needs_context else "single, names its subject"
    return q.kind


@dataclass
class EvalDataset:
    """A corpus (None = the user's own index) and the questions to ask of it."""

    name: str
    questions: list[EvalQuestion]
    corpus: list[Article] | None = None
    notes: list[str] = field(default_factory=list)

    def subset(self, which: str | None) -> EvalDataset:
        """Only the questions of one half of the tuning split (`SUBSETS`); the corpus is unchanged."""
        if not which:
            return self
        if which not in SUBSETS:
            raise InputFileError(f"unknown subset {which!r}; use one of: {', '.join(SUBSETS)}")
        kept = [q for q in self.questions if id_parity(q.id) == which]
        if not kept:
            raise InputFileError(f"no question of this dataset is in the {which} subset; drop --subset")
        note = f"subset {which}: {len(kept)} of {len(self.questions)} questions (sha1(id) {which})"
        return replace(self, questions=kept, notes=[*self.notes, note])

    def sample(self, limit: int | None, seed: int) -> EvalDataset:
        """A reproducible random subset of the questions (original order kept); the corpus is unchanged."""
        if not limit or limit >= len(self.questions):
            return self
        picked = sorted(random.Random(seed).sample(range(len(self.questions)), limit))
        return replace(self, questions=[self.questions[i] for i in picked], notes=list(self.notes))

    def shrink(self, max_articles: int | None, seed: int) -> EvalDataset:
        """A smaller corpus for quick runs: every gold article, then related ones, then random others, up to N."""
        if self.corpus is None or not max_articles or len(self.corpus) <= max_articles:
            return self
        gold = {e.doc for q in self.questions for e in q.evidence}
        related = list(dict.fromkeys(d for q in self.questions for d in q.related if d not in gold))
        rng = random.Random(seed)
        room = max(0, max_articles - len(gold))
        chosen = gold | set(rng.sample(related, min(room, len(related))))
        others = [a.id for a in self.corpus if a.id not in chosen]
        room = max(0, max_articles - len(chosen))
        chosen |= set(rng.sample(others, min(room, len(others))))
        keep = [a for a in self.corpus if a.id in chosen]
        note = f"corpus cut to {len(keep)} of {len(self.corpus)} articles (--max-articles {max_articles})"
        return replace(self, corpus=keep, notes=[*self.notes, note])
