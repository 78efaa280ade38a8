"""The default extractive answerer: quotes and cites the right sentences, or says the articles don't."""

from __future__ import annotations

import re

import pytest

from retrieval.answering.answerers.extractive import (
    MAX_CITED,
    NO_ANSWER,
    ExtractiveAnswerer,
    compose,
    negative_mismatch,
    trim,
)
from retrieval.answering.citations import make_citation, validate_citations
from retrieval.types import Answer, ArticleInfo, Hit, Sentence
from tests.helpers import SEED_QUESTION


@pytest.fixture(scope="module")
def answerer():
    return ExtractiveAnswerer()


def answer(answerer: ExtractiveAnswerer, question: str, hits: list[Hit]) -> Answer:
    """The answerer's text, validated and numbered as the chain does it."""
    text = "".join(answerer.stream(question, hits))
    if text == NO_ANSWER:
        return Answer(question=question, answer=text, abstained=True, backend=answerer.name, hits=tuple(hits))
    checked = validate_citations(text, hits)
    assert checked.ok and not checked.dropped
    return Answer(question=question, answer=checked.text, abstained=False, backend=answerer.name,
                  citations=checked.citations, hits=tuple(hits))


def ask(seed_engine, answerer, question):
    return answer(answerer, question, seed_engine.searcher.answer_hits(question, k=seed_engine.settings.top_k))


def hit(text: str, score: float = 1.0, article: str = "a1", index: int = 0, url: str = "") -> Hit:
    info = ArticleInfo(id=article, title="Title", source="Src", url=url, published_at="2024-12-27T00:00:00Z")
    return Hit(Sentence(article, index, 0, len(text), text), info, score, text)


def test_the_seed_question_is_answered_with_88_cited_to_its_sentence(seed_engine, answerer):
    ans = ask(seed_engine, answerer, SEED_QUESTION)
    assert not ans.abstained and ans.backend == "extractive"
    assert "88" in ans.answer
    assert 1 <= len(ans.citations) <= MAX_CITED
    first = ans.citations[0]
    assert "88" in first.quote
    stored = seed_engine.index.get_sentences(first.article_id, first.sentence_index, first.sentence_index)[0]
    assert first.quote == stored.text
    # Every marker in the text names a citation, and every citation is used.
    marks = {int(n) for n in re.findall(r"\[(\d+)\]", ans.answer)}
    assert marks == {c.n for c in ans.citations}


def test_an_unrelated_question_abstains(seed_engine, answerer):
    ans = ask(seed_engine, answerer, "Who won the 2004 Super Bowl?")
    assert ans.abstained and ans.answer == NO_ANSWER and ans.citations == ()


def test_no_hits_abstains(answerer):
    ans = answer(answerer, "Anything?", [])
    assert ans.abstained and ans.answer == NO_ANSWER


def test_the_answer_survives_citation_validation(seed_engine, answerer):
    ans = ask(seed_engine, answerer, "How many political prisoners remain in jail in Venezuela?")
    assert not ans.abstained and "900" in ans.answer
    by_key = {(h.article.id, h.sentence.index): h for h in ans.hits}
    cited = [by_key[(c.article_id, c.sentence_index)] for c in ans.citations]
    checked = validate_citations(ans.answer, cited)
    assert checked.text == ans.answer and not checked.dropped


def test_a_weak_best_hit_abstains_and_a_strong_one_answers(answerer):
    # Hit.score is the ranker's probability that the sentence answers; the threshold is the model's.
    t = answerer.model.threshold
    assert answer(answerer, "What is the weather?", [hit("The weather was mild.", score=t - 0.01)]).abstained
    assert not answer(answerer, "What is the weather?", [hit("The weather was mild.", score=t + 0.01)]).abstained


def test_a_short_negative_question_needs_a_negative_sentence():
    assert negative_mismatch("What is not the primary law of the EU?", "The primary law of the EU consists of treaties.")
    assert not negative_mismatch("Who did not attend?", "The minister did not attend the summit.")
    assert not negative_mismatch("Which company is not only big but also fast and also has many offices?", "X is big.")
    assert negative_mismatch("When didn't Washington learn about it?", "Washington learnt of it in May.")
    # A question asking yes or no asks for confirmation, and why asks a reason: neither needs a negation.
    fell_out = "Ceplak is a great rival of Holmes and the pair fell out when Holmes questioned her victory."
    assert not negative_mismatch("Didn't the two of them fall out once?", fell_out)
    assert not negative_mismatch("Will the talking search engine work for people without broadband?",
                                 "Its compression means it will also work on slower dial-up connections.")
    assert not negative_mismatch("Why won't Michael Howard promise bigger tax cuts straight away?",
                                 "There is a limit to what we can do in one go, in our first Budget.")


def test_further_citations_must_be_nearly_as_likely_as_the_best(answerer):
    ratio = answerer.model.cite_ratio
    hits = [
        hit("Officials released 88 prisoners.", 0.80, index=1),
        hit("In July 2024, protests swept the country.", 0.80 * ratio + 0.01, index=0),
        hit("Talks with the opposition are planned.", 0.80 * ratio - 0.01, index=2),
        hit("Prices rose.", 0.79, index=3),
    ]
    ans = answer(answerer, "How many prisoners were released?", hits)
    # The answer leads with the most probable sentence; the one below the ratio ends the list.
    assert [c.sentence_index for c in ans.citations] == [1, 0]
    assert ans.answer.startswith("Officials released 88 prisoners [1].")


def test_at_most_three_citations(answerer):
    hits = [hit(f"Sentence number {i} about rates.", 0.9, index=i) for i in range(6)]
    assert len(answer(answerer, "What about rates?", hits).citations) == MAX_CITED


def test_the_same_sentence_in_two_articles_is_quoted_once_with_both_markers():
    text = compose([hit("Rates rose to 5 percent.", article="a1"), hit("Rates rose to 5 percent.", article="a2")])
    assert text == "Rates rose to 5 percent [1][2]."


def test_markers_name_the_offered_hits():
    # The second offered hit repeats the first sentence and is skipped: the third keeps its number.
    hits = [
        hit("Officials released 88 prisoners.", 0.9, index=1),
        hit("Officials released 88 prisoners.", 0.9, index=1),
        hit("Talks are planned.", 0.85, index=0),
    ]
    text = "".join(ExtractiveAnswerer().stream("How many prisoners were released?", hits))
    assert text == "Officials released 88 prisoners [1]. Talks are planned [3]."


def test_a_stored_sentence_holding_two_sentences_gets_markers_on_both():
    text = compose([hit("Trump wants Maduro to step down. US forces seized four tankers.")])
    assert text == "Trump wants Maduro to step down [1]. US forces seized four tankers [1]."


def test_citation_links_point_at_the_sentence():
    citation = make_citation(1, hit("Rates rose to 5 percent.", url="https://news.example/a"))
    assert citation.link.startswith("https://news.example/a#:~:text=")
    assert citation.quote == "Rates rose to 5 percent."


def test_trim_drops_a_leading_connective_only():
    assert trim("However, estimates suggest that more than 900 remain.") == "Estimates suggest that more than 900 remain."
    assert trim("But it rained.") == "But it rained."  # too short to stand alone after trimming
    assert trim("Butter prices rose   sharply.") == "Butter prices rose sharply."
