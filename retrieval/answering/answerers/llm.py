"""LLM answerer: a LangChain chat model (Ollama or any OpenAI-compatible server) told to cite.

The model sees the question and the retrieved sentences as numbered, quoted lines inside a
delimited block it is told to treat as data. Each sentence is a JSON string on its own line, so
article text cannot end the block, start a new numbered source or pose as instructions outside
it. What the model writes is checked afterwards by `retrieval.answering.citations.validate_citations`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Sequence

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from retrieval.answering.answerers.base import NO_ANSWER, AnswererUnavailable
from retrieval.answering.citations import strip_citations
from retrieval.answering.prompts import render_prompt
from retrieval.errors import ConfigError
from retrieval.settings import Settings
from retrieval.types import Hit

CONDENSE_TURNS = 3  # earlier turns rarely matter to what "it" refers to
CONDENSE_ANSWER_CHARS = 300


def backend_name(settings: Settings) -> str:
    """How an answer's `backend` field names the configured LLM, e.g. "ollama:llama3.2"."""
    return f"{settings.answerer}:{settings.llm_model or 'default'}"


def make_chat_model(settings: Settings) -> BaseChatModel:
    """The LangChain chat model that `settings.answerer` names ("ollama" or "openai")."""
    kind = settings.answerer
    if kind == "ollama":
        from langchain_ollama import ChatOllama

        if not settings.llm_model:
            raise ConfigError("NEWSBOT_ANSWERER=ollama needs NEWSBOT_LLM_MODEL (e.g. llama3.2); set it in .env")
        kwargs = {"base_url": settings.llm_base_url} if settings.llm_base_url else {}
        return ChatOllama(
            model=settings.llm_model,
            temperature=0,
            num_predict=settings.llm_max_tokens,
            client_kwargs={"timeout": settings.llm_timeout},
            **kwargs,
        )
    if kind == "openai":
        from langchain_openai import ChatOpenAI

        if not settings.llm_base_url and not settings.llm_api_key:
            raise ConfigError(
                "NEWSBOT_ANSWERER=openai needs NEWSBOT_LLM_BASE_URL (a local server) or OPENAI_API_KEY; set one in .env"
            )
        if not settings.llm_base_url and not settings.llm_model:
            raise ConfigError("NEWSBOT_ANSWERER=openai needs NEWSBOT_LLM_MODEL (e.g. gpt-4o-mini); set it in .env")
        return ChatOpenAI(
            model=settings.llm_model or "default",  # local servers serve one model, whatever the name
            base_url=settings.llm_base_url or None,
            api_key=settings.llm_api_key or "not-needed",
            temperature=0,
            max_tokens=settings.llm_max_tokens,
            timeout=settings.llm_timeout,
            max_retries=0,  # a retry doubles the wait; the extractive fallback is better
        )
    raise ConfigError(f"NEWSBOT_ANSWERER={kind!r} is not known; use extractive, ollama or openai")


def describe_llm_error(exc: BaseException, settings: Settings) -> str:
    """One line saying why the LLM gave no answer, for `Answer.note`."""
    where = settings.llm_base_url or ("local Ollama" if settings.answerer == "ollama" else "OpenAI")
    name = type(exc).__name__.lower()
    text = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
    if "timeout" in name or "timed out" in text.lower():
        why = f"did not answer within {settings.llm_timeout:g}s"
    elif "connect" in name or "connection" in text.lower() or isinstance(exc, ConnectionError):
        why = "could not be reached"
    else:
        why = f"failed ({text})"
    return f"The LLM at {where} {why}"


def _tags(question: str, hits: Sequence[Hit]) -> tuple[str, str]:
    # The delimiter carries a digest of the whole prompt's data, so an article cannot know it.
    digest = hashlib.sha256(
        "\x00".join([question, *(h.sentence.text for h in hits)]).encode("utf-8")
    ).hexdigest()[:10]
    return f"<<<SOURCES {digest}>>>", f"<<<END SOURCES {digest}>>>"


def format_sources(hits: Sequence[Hit]) -> str:
    """One line per hit: `[n] "sentence" (title; source; date) context: "..."`, every value JSON-quoted.

    The context is the sentence with its neighbours in the article, so the model can tell who
    "he" or "the firm" is; only the numbered sentence is citable.
    """
    lines = []
    for n, hit in enumerate(hits, 1):
        a = hit.article
        meta = "; ".join(
            json.dumps(v, ensure_ascii=False) for v in (a.title, a.source, a.published_at[:10]) if v
        )
        line = f"[{n}] {json.dumps(hit.sentence.text, ensure_ascii=False)}" + (f" ({meta})" if meta else "")
        if hit.context and hit.context.strip() != hit.sentence.text.strip():
            line += f" context: {json.dumps(hit.context, ensure_ascii=False)}"
        lines.append(line)
    return "\n".join(lines)


def answer_messages(question: str, hits: Sequence[Hit], no_answer: str) -> list[BaseMessage]:
    """The chat messages for an answer: rules in the system message, data in the user message."""
    open_tag, close_tag = _tags(question, hits)
    system = render_prompt("answer_system", no_answer=no_answer, open_tag=open_tag, close_tag=close_tag)
    user = render_prompt(
        "answer_user",
        open_tag=open_tag,
        close_tag=close_tag,
        sources=format_sources(hits),
        question=" ".join(question.split()),
    )
    return [SystemMessage(content=system), HumanMessage(content=user)]


def condense_messages(question: str, history: Sequence[tuple[str, str]]) -> list[BaseMessage]:
    """The chat messages asking the model to rewrite a follow-up as a standalone question."""
    turns = []
    for q, a in list(history)[-CONDENSE_TURNS:]:
        a = " ".join(strip_citations(a).split())
        if len(a) > CONDENSE_ANSWER_CHARS:
            a = a[:CONDENSE_ANSWER_CHARS].rsplit(" ", 1)[0] + " ..."
        turns.append(f"User: {' '.join(q.split())}\nAssistant: {a}")
    return [HumanMessage(content=render_prompt("condense", history="\n".join(turns), question=" ".join(question.split())))]


def _text(content) -> str:
    # Chat models return str content, or a list of parts for multimodal APIs.
    if isinstance(content, str):
        return content
    return "".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in content)


class LLMAnswerer:
    """An `Answerer`: the chat model's answer text with [n] markers, as it streams in."""

    def __init__(self, settings: Settings, llm: BaseChatModel | None = None, name: str = "") -> None:
        self.settings = settings
        self.llm = llm if llm is not None else make_chat_model(settings)
        self.name = name or backend_name(settings)

    def stream(self, question: str, hits: Sequence[Hit]) -> Iterator[str]:
        """The model's answer as text pieces as they arrive; raises AnswererUnavailable on failure."""
        try:
            for chunk in self.llm.stream(answer_messages(question, hits, NO_ANSWER)):
                piece = _text(chunk.content)
                if piece:
                    yield piece
        except Exception as exc:  # any failure of an outside server must end in the extractive answer
            raise AnswererUnavailable(describe_llm_error(exc, self.settings)) from exc

    def condense(self, question: str, history: Sequence[tuple[str, str]]) -> str:
        """A standalone version of a follow-up question; raises AnswererUnavailable on failure."""
        try:
            reply = _text(self.llm.invoke(condense_messages(question, history)).content)
        except Exception as exc:  # see stream()
            raise AnswererUnavailable(describe_llm_error(exc, self.settings)) from exc
        lines = [ln.strip() for ln in reply.strip().splitlines() if ln.strip()]
        if not lines:
            return ""
        line = re.sub(r"^(standalone question|question|rewritten question)\s*:\s*", "", lines[0], flags=re.I)
        return line.strip().strip('"“”').strip()
