"""Answer backends behind one `Answerer` protocol (`base.py`), chosen by name from `ANSWERERS`.

`extractive` (the default, and every LLM's fallback) quotes the best sentences; `ollama` and
`openai` ask a chat model (`llm.py`). NEWSBOT_ANSWERER names the backend; the registry is the
only place a name turns into a backend.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from retrieval.answering.answerers.base import NO_ANSWER, Answerer, AnswererUnavailable
from retrieval.answering.answerers.extractive import ExtractiveAnswerer
from retrieval.answering.rerank import load_model
from retrieval.errors import ConfigError
from retrieval.settings import Settings

if TYPE_CHECKING:  # LangChain's chat-model layer takes ~0.3 s to import: only the LLM backends load it
    from langchain_core.language_models.chat_models import BaseChatModel


def _llm(settings: Settings, llm: BaseChatModel | None = None, name: str = "") -> Answerer:
    from retrieval.answering.answerers.llm import LLMAnswerer

    return LLMAnswerer(settings, llm, name=name)


ANSWERERS: dict[str, Callable[[Settings], Answerer]] = {
    "extractive": lambda settings: ExtractiveAnswerer(load_model(settings.ranker_model)),
    "ollama": _llm,
    "openai": _llm,
}

__all__ = ["ANSWERERS", "NO_ANSWER", "Answerer", "AnswererUnavailable", "make_answerer"]


def make_answerer(settings: Settings, llm: BaseChatModel | None = None) -> Answerer:
    """The backend NEWSBOT_ANSWERER names; a chat model handed in (tests, embedding apps) is used as the LLM."""
    if llm is not None:
        # Named by the configured backend, or by the model's own type when none is configured.
        named = settings.answerer in ANSWERERS and settings.answerer != "extractive"
        return _llm(settings, llm, name="" if named else f"llm:{llm._llm_type}")
    factory = ANSWERERS.get(settings.answerer)
    if factory is None:
        raise ConfigError(f"NEWSBOT_ANSWERER={settings.answerer!r} is not known; use {', '.join(ANSWERERS)}")
    return factory(settings)
