"""The answer chain: check -> condense -> retrieve -> answer -> validate citations -> `Answer`.

One LCEL chain for every backend. The extractive answerer is the default and the fallback: when
an LLM is configured but unreachable, times out, or writes nothing its cited sentences support,
the user gets the extractive answer and a one-line `note` saying why.

`AnswerPipeline` is built once per process (by `retrieval.engine.Engine`) and is safe to share
between threads: each question carries its own state through the chain.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.runnables import Runnable, RunnableGenerator, RunnableLambda

from retrieval.answering.answerers.extractive import NO_ANSWER, ExtractiveAnswerer
from retrieval.answering.answerers.llm import LLMAnswerer, LLMUnavailable
from retrieval.answering.citations import (
    CitationValidator,
    Embed,
    complete_sentences,
    content_terms,
    split_answer_sentences,
    validate_citations,
)
from retrieval.answering.condense import condense_question
from retrieval.errors import QuestionError
from retrieval.settings import Settings
from retrieval.types import Answer, Hit

History = Sequence[tuple[str, str]]

NO_SUPPORT_NOTE = "The LLM's answer cited nothing the sources support; this is the extractive answer."

# What a model writes when it declines, besides our exact phrase.
_ABSTAIN = re.compile(
    r"\b(?:do(?:es)?n[o’']?t|do(?:es)? not|cannot|can[’']t|unable to)\s+(?:say|mention|contain|answer|tell|find|provide|specify)"
    r"|\bno (?:information|mention|answer)\b|\bnot (?:mentioned|stated|specified)\b",
    re.IGNORECASE,
)


# ---------------------------------------------------------------------------------------------
# Question checks (every front end goes through these)


def check_question(question: str | bytes, settings: Settings) -> str:
    """The question, whitespace-normalised; QuestionError (one line) if it cannot be asked as given."""
    if isinstance(question, bytes):
        try:
            question = question.decode("utf-8")
        except UnicodeDecodeError:
            raise QuestionError("the question is not UTF-8 text; type it as plain text") from None
    if not isinstance(question, str):
        raise QuestionError("the question must be text")
    bad = next(
        (c for c in question if c == "\ufffd" or (unicodedata.category(c) in ("Cc", "Cs", "Co") and c not in "\t\n\r")),
        None,
    )
    if bad is not None:
        raise QuestionError(
            f"the question contains a non-text character (U+{ord(bad):04X}); type or paste it as plain text"
        )
    question = " ".join(unicodedata.normalize("NFC", question).split())
    if not question:
        raise QuestionError('the question is empty; ask something, e.g. "How many people did Venezuela release?"')
    if len(question) > settings.max_question_chars:
        raise QuestionError(
            f"the question is {len(question)} characters long; the limit is {settings.max_question_chars} "
            "(NEWSBOT_MAX_QUESTION_CHARS): shorten it"
        )
    if not any(c.isalnum() for c in question):
        raise QuestionError("the question has no words in it; ask something in words")
    return question


def check_history(history) -> list[tuple[str, str]]:
    """History as (question, answer) string pairs; QuestionError if it has another shape."""
    out = []
    for turn in history or ():
        if not isinstance(turn, (list, tuple)) or len(turn) != 2 or not all(isinstance(t, str) for t in turn):
            raise QuestionError('history must be a list of [question, answer] pairs of strings')
        out.append((turn[0], turn[1]))
    return out


# ---------------------------------------------------------------------------------------------
# The chain


@dataclass
class _Turn:
    """What one question carries through the chain."""

    question: str
    history: list[tuple[str, str]]
    filters: object = None
    standalone: str = ""
    hits: list[Hit] = field(default_factory=list)
    llm_down: str = ""  # why the LLM is not used for this question ("" when it is fine)


def fallback_note(exc: LLMUnavailable) -> str:
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
        index,
        settings: Settings,
        llm: BaseChatModel | None = None,
        *,
        searcher=None,
    ) -> None:
        if searcher is None:
            from retrieval.answering.search import Searcher

            searcher = Searcher(index, settings)
        self.settings = settings
        self.searcher = searcher
        self.embed = _embed_fn(index) if index is not None else None
        self.extractive = ExtractiveAnswerer(settings)
        use_llm = llm is not None or settings.answerer != "extractive"
        self.llm = LLMAnswerer(settings, llm) if use_llm else None
        self.prepare: Runnable = (
            RunnableLambda(self._check, name="check")
            | RunnableLambda(self._condense, name="condense")
            | RunnableLambda(self._retrieve, name="retrieve")
        )
        self.chain: Runnable = self.prepare | RunnableLambda(self._answer, name="answer_and_validate")
        self.stream_chain: Runnable = self.prepare | RunnableGenerator(self._answer_stream, name="answer_and_validate")

    # -- public ---------------------------------------------------------------------------

    def ask(self, question: str | bytes, history: History = (), filters=None) -> Answer:
        """Answer with citations, or abstain with the fixed phrase. Raises QuestionError on bad input."""
        return self.chain.invoke({"question": question, "history": history, "filters": filters})

    def stream(self, question: str | bytes, history: History = (), filters=None) -> Iterator[str | Answer]:
        """Text pieces as they are checked, then the final `Answer`.

        The pieces joined are exactly the final `Answer.answer`: every piece has passed citation
        validation already (sentence by sentence), so nothing shown is taken back.
        """
        # Check the question before the first piece so a bad one raises at once, not mid-stream.
        check_question(question, self.settings)
        return self.stream_chain.stream({"question": question, "history": history, "filters": filters})

    # -- steps ----------------------------------------------------------------------------

    def _check(self, inp: dict) -> _Turn:
        return _Turn(
            question=check_question(inp["question"], self.settings),
            history=check_history(inp.get("history")),
            filters=inp.get("filters"),
        )

    def _condense(self, turn: _Turn) -> _Turn:
        turn.standalone = turn.question
        if not turn.history:
            return turn
        rewritten = ""
        if self.llm is not None:
            try:
                rewritten = self.llm.condense(turn.question, turn.history)
            except LLMUnavailable as exc:
                turn.llm_down = fallback_note(exc)  # don't wait for a dead server twice
        if rewritten and self._plausible_rewrite(turn.question, rewritten):
            turn.standalone = rewritten
        else:
            turn.standalone = condense_question(turn.question, turn.history) or turn.question
        return turn

    def _plausible_rewrite(self, question: str, rewritten: str) -> bool:
        # A small model may answer instead of rewriting, or drift: keep the rewrite only if it is
        # short enough and keeps most of the follow-up's own content words.
        if len(rewritten) > self.settings.max_question_chars or len(rewritten) > 4 * len(question) + 200:
            return False
        q = content_terms(question)
        return not q or len(q & content_terms(rewritten)) / len(q) >= 0.5

    def _retrieve(self, turn: _Turn) -> _Turn:
        turn.hits = list(self.searcher.search(turn.standalone, k=self.settings.top_k, filters=turn.filters))
        return turn

    def _extractive(self, turn: _Turn, note: str = "") -> Answer:
        ans = self.extractive.answer(turn.standalone, turn.hits)
        ans = self._checked_extractive(ans, turn.hits)
        return dataclasses.replace(
            ans,
            question=turn.question,
            standalone_question=turn.standalone,
            note=note or ans.note,
            hits=tuple(turn.hits),
        )

    def _checked_extractive(self, ans: Answer, hits: Sequence[Hit]) -> Answer:
        """Extractive answers go through the same validator: numbers, support, links, renumbering."""
        if ans.abstained or not ans.citations:
            return ans
        by_key = {(h.article.id, h.sentence.index): h for h in hits}
        cited = [by_key.get((c.article_id, c.sentence_index)) for c in sorted(ans.citations, key=lambda c: c.n)]
        if any(h is None for h in cited):
            return ans  # cites a sentence outside the hits: keep as is, with its own quotes
        # Its markers number its citations 1..m, so its citations in order stand for the offered list.
        checked = validate_citations(ans.answer, cited)
        if not checked.ok:
            return ans
        return dataclasses.replace(ans, answer=checked.text, citations=checked.citations)

    def _llm_result(self, turn: _Turn, raw: str, validator: CitationValidator, failure: str = "") -> Answer:
        checked = validator.result()
        if checked.ok:
            note = "; ".join(n for n in (failure, checked.note()) if n)
            return Answer(
                question=turn.question,
                answer=checked.text,
                abstained=False,
                backend=self.llm.backend,
                citations=checked.citations,
                note=note,
                standalone_question=turn.standalone,
                hits=tuple(turn.hits),
            )
        if failure:
            return self._extractive(turn, failure)
        if is_abstention(raw):
            return Answer(
                question=turn.question,
                answer=NO_ANSWER,
                abstained=True,
                backend=self.llm.backend,
                standalone_question=turn.standalone,
                hits=tuple(turn.hits),
            )
        return self._extractive(turn, NO_SUPPORT_NOTE)

    def _answer(self, turn: _Turn) -> Answer:
        if self.llm is None or not turn.hits or turn.llm_down:
            return self._extractive(turn, turn.llm_down)
        try:
            raw = self.llm.generate(turn.standalone, turn.hits, NO_ANSWER)
        except LLMUnavailable as exc:
            return self._extractive(turn, fallback_note(exc))
        validator = CitationValidator(turn.hits, embed=self.embed)
        for sentence in split_answer_sentences(raw):
            validator.add(sentence)
        return self._llm_result(turn, raw, validator)

    def _answer_stream(self, turns: Iterator[_Turn]) -> Iterator[str | Answer]:
        for turn in turns:
            if self.llm is None or not turn.hits or turn.llm_down:
                ans = self._extractive(turn, turn.llm_down)
                if ans.answer:
                    yield ans.answer
                yield ans
                continue
            validator = CitationValidator(turn.hits, embed=self.embed)
            raw, buffer, shown, failure = "", "", "", ""
            try:
                for piece in self.llm.stream(turn.standalone, turn.hits, NO_ANSWER):
                    raw += piece
                    buffer += piece
                    done, buffer = complete_sentences(buffer)
                    for sentence in done:
                        text = validator.add(sentence)
                        if text:
                            out = (" " if shown else "") + text
                            shown += out
                            yield out
            except LLMUnavailable as exc:
                # The unchecked rest may be half a sentence: show only what was complete.
                failure = f"{exc} mid-answer; the answer may be incomplete." if shown else fallback_note(exc)
                buffer = ""
            for sentence in split_answer_sentences(buffer):
                text = validator.add(sentence)
                if text:
                    out = (" " if shown else "") + text
                    shown += out
                    yield out
            ans = self._llm_result(turn, raw, validator, failure)
            if not shown and ans.answer:
                yield ans.answer  # extractive fallback or abstention: one piece
            yield ans


def answer_question(
    question: str | bytes,
    history: History = (),
    *,
    searcher,
    settings: Settings,
    llm: BaseChatModel | None = None,
    index=None,
) -> Answer:
    """One-off form of `AnswerPipeline(...).ask`; front ends should keep a pipeline instead."""
    return AnswerPipeline(index, settings, llm, searcher=searcher).ask(question, history)

