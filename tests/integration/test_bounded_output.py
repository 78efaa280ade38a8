"""Finding 5 of issue 11: no input makes an answer, a chat post or `ask --json` unbounded."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from bot.discord.render import MAX_ANSWER_MESSAGES, MESSAGE_LIMIT, answer_messages, discord_len
from retrieval.answering.chain import bounded_hit
from retrieval.indexing.sentences import MAX_SENTENCE_CHARS, sentence_spans, split_sentences
from retrieval.types import Answer, ArticleInfo, Hit, Sentence
from tests.helpers import run_newsbot

# One 200 KB "sentence": a table flattened to one line, with no full stop anywhere.
WALL = " ".join(f"row {i} tonnage {i * 7} harbour dues {i * 3} crowns" for i in range(5000))


def test_an_overlong_sentence_is_cut_into_pieces_at_spaces_and_nothing_is_lost():
    text = "The port reopened on Monday. " + WALL + "\nA short last line."
    sentences = split_sentences("a1", text)
    assert all(len(s.text) <= MAX_SENTENCE_CHARS for s in sentences)
    assert all(s.text == text[s.start : s.end] for s in sentences)
    assert " ".join(s.text for s in sentences).split() == text.split()
    assert sentences[0].text.startswith("The port reopened on Monday.") and sentences[-1].text == "A short last line."
    assert len(sentences) < len(WALL) // (MAX_SENTENCE_CHARS // 2)  # pieces stay reasonably full
    no_spaces = "x" * 5000
    assert [b - a for a, b in sentence_spans(no_spaces)] == [1000] * 5


@hsettings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab .\n")), min_size=0, max_size=6000))
def test_sentence_spans_are_exact_and_bounded(text):
    spans = sentence_spans(text)
    assert all(0 < b - a <= MAX_SENTENCE_CHARS and text[a:b] == text[a:b].strip() for a, b in spans)
    assert "".join("".join(text[a:b].split()) for a, b in spans) == "".join(text.split())


def test_a_long_stored_sentence_is_quoted_shortened():
    sentence = Sentence("a1", 0, 0, len(WALL), WALL)
    hit = Hit(sentence, ArticleInfo(id="a1", title="Dues"), 0.9, context=WALL)
    short = bounded_hit(hit)
    assert len(short.sentence.text) <= MAX_SENTENCE_CHARS + 2 and short.sentence.text.endswith("…")
    assert len(short.context) <= 3 * MAX_SENTENCE_CHARS
    assert bounded_hit(Hit(Sentence("a1", 0, 0, 5, "Short"), hit.article, 0.9)).sentence.text == "Short"


def test_a_discord_answer_posts_at_most_three_messages():
    answer = Answer("q", " ".join(f"Part {i} of a very long answer [1]." for i in range(6000)), False, "extractive", ())
    messages = answer_messages(answer)
    assert len(messages) == MAX_ANSWER_MESSAGES
    assert all(discord_len(m) <= MESSAGE_LIMIT for m in messages)
    assert "Show sources" in messages[-1]
    short = Answer("q", "The ferry runs again on Monday [1].", False, "extractive", ())
    assert answer_messages(short) == ["The ferry runs again on Monday [1]."]


def test_ask_json_stays_small_after_ingesting_a_200_kb_sentence(tmp_path):
    article = {"title": "Harbour dues table", "text": WALL, "url": "https://news.example.org/dues"}
    (tmp_path / "dues.json").write_text(json.dumps(article))
    data = tmp_path / "data"
    ingested = run_newsbot("ingest", str(tmp_path / "dues.json"), data_dir=data)
    assert ingested.returncode == 0, ingested.stderr
    out = run_newsbot("ask", "--json", "What are the harbour dues for row 4000?", data_dir=data)
    assert out.returncode == 0, out.stderr
    answer = json.loads(out.stdout)
    assert len(out.stdout) < 20_000
    assert all(len(c["quote"]) <= MAX_SENTENCE_CHARS for c in answer["citations"])
