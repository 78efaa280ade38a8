"""The answer chain: check -> condense -> retrieve -> answer -> validate citations -> `Answer`.

One chain of steps for every backend. The extractive answerer is the default and the fallback:
when an LLM is configured but unreachable, times out, or writes nothing its cited sentences
support, the user gets the extractive answer and a one-line `note` saying why.

The steps are also one LangChain (LCEL) runnable, `AnswerPipeline.chain`, built on first use: an
LLM backend runs through it (LangChain's callbacks and tracing see every step), while the default
extractive path calls the same steps directly, so a one-off `newsbot ask` never imports
langchain_core (~0.3-0.5 s of its start-up; a test reads `python -X importtime`).

`AnswerPipeline` is built once per process (by `retrieval.engine.Engine`) and is safe to share
between threads: each question carries its own state through the chain.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np

from retrieval.answering.answerers import NO_ANSWER, Answerer, AnswererUnavailable, make_answerer
from retrieval.answering.answerers.extractive import ExtractiveAnswerer
from retrieval.answering.citations import (
    CitationValidator,
    Embed,
    complete_sentences,
    content_terms,
    split_answer_sentences,
)
from retrieval.answering.condense import condense_question
from retrieval.answering.question import TOO_VAGUE, check_history, check_question, is_vague, plain_question
from retrieval.answering.rerank import load_model
from retrieval.indexing.sentences import MAX_SENTENCE_CHARS
from retrieval.settings import Settings
from retrieval.types import Answer, ArticleInfo, Citation, Hit, SearchFilters

if TYPE_CHECKING:
    from langchain_core.language_models.chat_models import BaseChatModel
    from langchain_core.runnables import Runnable

    from retrieval.answering.answerers.llm import LLMAnswerer
    from retrieval.answering.search import Searcher
    from retrieval.indexing.store import NewsIndex

History = Sequence[tuple[str, str]]

NO_SUPPORT_NOTE = "The LLM's answer cited nothing the sources support; this is the extractive answer."

# What a model writes when it declines, besides our exact phrase.
_ABSTAIN = re.compile(
    r"\b(?:do(?:es)?n[o’']?t|do(?:es)? not|cannot|can[’']t|unable to)\s+(?:say|mention|contain|answer|tell|find|provide|specify)"
    r"|\bno (?:information|mention|answer)\b|\bnot (?:mentioned|stated|specified)\b",
    re.IGNORECASE,
)


# ---------------------------------------------------------------------------------------------
# The chain


@dataclass
class _Turn:
    """What one question carries through the chain."""

    question: str
    history: list[tuple[str, str]]
    filters: SearchFilters | None = None
    standalone: str = ""
    hits: list[Hit] = field(default_factory=list)
    closest: ArticleInfo | None = None  # the story a declined answer points to (`Searcher.answer_evidence`)
    llm_down: str = ""  # why the LLM is not used for this question ("" when it is fine)
    vague: bool = False  # too vague to look up: the answer asks for a topic


def closest_note(article: ArticleInfo) -> str:
    """The one line a declined answer adds: the story the question most likely asks about, to read."""
    about = ", ".join(p for p in (article.source, article.published_at[:10]) if p)
    where = f" {article.url}" if article.url else ""
    return f'closest story (it may not say): "{" ".join(article.title.split())}"' + (f" ({about})" if about else "") + where


def fallback_note(exc: AnswererUnavailable) -> str:
    """The one line shown with an extractive answer given because the LLM failed."""
    return f"{exc}; this is the extractive answer."


def is_abstention(text: str) -> bool:
    """True when a model's reply says the sources do not answer the question."""
    norm = " ".join(text.lower().split())
    return NO_ANSWER.lower().rstrip(".") in norm or bool(_ABSTAIN.search(norm))


def _embed_fn(index) -> Embed | None:
    emb = getattr(index, "embeddings", None)
    if emb is None:
        return None
    if hasattr(emb, "encode"):
        return lambda texts: emb.encode(list(texts))
    return lambda texts: np.asarray(emb.embed_documents(list(texts)), dtype=np.float32)


class AnswerPipeline:
    """Build once, ask many times: `.ask(question, history)` or `.stream(question, history)`."""

    def __init__(
        self,
        index: NewsIndex | None,
        settings: Settings,
        llm: BaseChatModel | None = None,
        *,
        searcher: Searcher | None = None,
    ) -> None:
        if searcher is None:
            from retrieval.answering.search import Searcher

            searcher = Searcher(index, settings)
        self.settings = settings
        self.searcher = searcher
        self.embed = _embed_fn(index) if index is not None else None
        self.extractive = ExtractiveAnswerer(load_model(settings.ranker_model))  # the default, every backend's fallback
        self.answerer: Answerer = make_answerer(settings, llm)
        # Only a chat model can rewrite follow-ups; without one, condense_question does.
        self.llm: LLMAnswerer | None = None
        if not isinstance(self.answerer, ExtractiveAnswerer):  # the LLM layer is imported only for LLM backends
            from retrieval.answering.answerers.llm import LLMAnswerer

            self.llm = self.answerer if isinstance(self.answerer, LLMAnswerer) else None
        self._chain: Runnable | None = None

    @property
    def chain(self) -> Runnable:
        """The steps as one LCEL runnable (input: {"question", "history", "filters"}), built on first use."""
        if self._chain is None:  # two threads may both build it: the same steps, either one will do
            from langchain_core.runnables import RunnableGenerator, RunnableLambda

            self._chain = (
                RunnableLambda(self._check, name="check")
                | RunnableLambda(self._condense, name="condense")
                | RunnableLambda(self._retrieve, name="retrieve")
                | RunnableGenerator(self._answer_stream, name="answer_and_validate")
            )
        return self._chain

    # -- public ---------------------------------------------------------------------------

    def ask(self, question: str | bytes, history: History = (), filters: SearchFilters | None = None) -> Answer:
        """Answer with citations, or abstain with the fixed phrase. Raises QuestionError on bad input.

        The last item of `stream()`: one path for both, so they can never disagree.
        """
        answer: Answer | None = None
        for item in self.stream(question, history, filters):
            if isinstance(item, Answer):
                answer = item
        assert answer is not None, "the chain always ends with an Answer"
        return answer

    def stream(
        self, question: str | bytes, history: History = (), filters: SearchFilters | None = None
    ) -> Iterator[str | Answer]:
        """Text pieces as they are checked, then the final `Answer`.

        The pieces joined are exactly the final `Answer.answer`: every piece has passed citation
        validation already (sentence by sentence), so nothing shown is taken back.
        """
        # Check the question before the first piece so a bad one raises at once, not mid-stream.
        check_question(question, self.settings)
        turn = {"question": question, "history": history, "filters": filters}
        if isinstance(self.answerer, ExtractiveAnswerer):
            return self._steps(turn)  # the runnable's steps without LangChain (its import is most of a one-off ask)
        return self.chain.stream(turn)

    # -- steps ----------------------------------------------------------------------------

    def _steps(self, inp: dict) -> Iterator[str | Answer]:
        """What `chain.stream(inp)` runs, step by step in plain Python (lazily, like the runnable)."""
        yield from self._answer_stream(iter([self._retrieve(self._condense(self._check(inp)))]))

    def _check(self, inp: dict) -> _Turn:
        return _Turn(
            question=check_question(inp["question"], self.settings),
            history=check_history(inp.get("history")),
            filters=inp.get("filters"),
        )

    def _condense(self, turn: _Turn) -> _Turn:
        asked = plain_question(turn.question)  # "Thanks! And who replaced him?" is a follow-up
        turn.standalone = asked
        if not turn.history:
            return turn
        rewritten = ""
        if self.llm is not None:
            try:
                rewritten = self.llm.condense(asked, turn.history)
            except AnswererUnavailable as exc:
                turn.llm_down = fallback_note(exc)  # don't wait for a dead server twice
        if rewritten and self._plausible_rewrite(asked, rewritten):
            turn.standalone = rewritten
        else:
            turn.standalone = condense_question(asked, turn.history) or asked
        return turn

    def _plausible_rewrite(self, question: str, rewritten: str) -> bool:
        # A small model may answer instead of rewriting, or drift: keep the rewrite only if it is
        # short enough and keeps most of the follow-up's own content words.
        if len(rewritten) > self.settings.max_question_chars or len(rewritten) > 4 * len(question) + 200:
            return False
        q = content_terms(question)
        return not q or len(q & content_terms(rewritten)) / len(q) >= 0.5

    def _retrieve(self, turn: _Turn) -> _Turn:
        if is_vague(turn.standalone):
            turn.vague = True
            return turn
        found = self.searcher.answer_evidence(
            turn.standalone, k=self.settings.top_k, filters=turn.filters, history=turn.history, asked=turn.question
        )
        turn.hits = [bounded_hit(h) for h in found.hits]  # an old index may hold a 200 KB "sentence"
        turn.closest = found.closest
        return turn

    def _answer_stream(self, turns: Iterator[_Turn]) -> Iterator[str | Answer]:
        for turn in turns:
            if turn.vague:
                yield TOO_VAGUE
                yield self._answer(turn, self.extractive, TOO_VAGUE, (), "", abstained=True)
            elif not turn.hits or turn.llm_down:
                yield from self._run(turn, self.extractive, turn.llm_down)
            else:
                yield from self._run(turn, self.answerer)

    def _run(self, turn: _Turn, answerer: Answerer, note: str = "") -> Iterator[str | Answer]:
        """Validate the answerer's text sentence by sentence as it streams; then the Answer, or a fallback.

        Pieces are yielded only once validated, so nothing shown is taken back. An answerer that
        fails, or writes nothing its citations support, is replaced by the extractive answer with
        a one-line note; an abstention stays an abstention.
        """
        is_extractive = answerer is self.extractive
        # Extractive answers quote stored sentences verbatim: no paraphrase for the embeddings to rescue.
        validator = CitationValidator(turn.hits, embed=None if is_extractive else self.embed)
        raw, buffer, shown, failure = "", "", "", ""

        def checked(sentences: list[str]) -> Iterator[str]:
            nonlocal shown
            for sentence in sentences:
                text = validator.add(sentence)
                if text:
                    out = (" " if shown else "") + text
                    shown += out
                    yield out

        try:
            for piece in answerer.stream(turn.standalone, turn.hits):
                raw += piece
                buffer += piece
                done, buffer = complete_sentences(buffer)
                yield from checked(done)
        except AnswererUnavailable as exc:
            # The unchecked rest may be half a sentence: show only what was complete.
            failure = f"{exc} mid-answer; the answer may be incomplete." if shown else fallback_note(exc)
            buffer = ""
        yield from checked(split_answer_sentences(buffer))
        result = validator.result()
        if result.ok:
            notes = (note, failure) if is_extractive else (note, failure, result.note())
            yield self._answer(turn, answerer, result.text, result.citations, "; ".join(n for n in notes if n))
        elif not is_extractive and (failure or not is_abstention(raw)):
            yield from self._run(turn, self.extractive, failure or NO_SUPPORT_NOTE)
        else:
            # An abstention; or an extractive quote that failed the checks (it reads like an
            # instruction to a model), which is never evidence.
            yield NO_ANSWER
            notes = (note, closest_note(turn.closest) if turn.closest else "")
            yield self._answer(turn, answerer, NO_ANSWER, (), "; ".join(n for n in notes if n), abstained=True)

    @staticmethod
    def _answer(
        turn: _Turn, answerer: Answerer, text: str, citations: tuple[Citation, ...], note: str, abstained: bool = False
    ) -> Answer:
        return Answer(
            question=turn.question,
            answer=text,
            abstained=abstained,
            backend=answerer.name,
            citations=citations,
            note=note,
            standalone_question=turn.standalone,
            hits=tuple(turn.hits),
        )


def bounded_hit(hit: Hit) -> Hit:
    """The hit with its sentence cut to MAX_SENTENCE_CHARS (at a space, marked "…").

    Ingest splits longer sentences, but an index built before that may still hold a 200 KB
    "sentence"; quoting it whole would flood a chat channel or a terminal.
    """
    text = hit.sentence.text
    if len(text) <= MAX_SENTENCE_CHARS:
        return hit
    cut = text[:MAX_SENTENCE_CHARS]
    if " " in cut[MAX_SENTENCE_CHARS // 2 :]:
        cut = cut[: cut.rindex(" ")]
    sentence = replace(hit.sentence, text=cut.rstrip() + " …", end=hit.sentence.start + len(cut.rstrip()))
    context = hit.context if len(hit.context) <= 3 * MAX_SENTENCE_CHARS else sentence.text
    return replace(hit, sentence=sentence, context=context)
