"""Which ranked sentences may answer a question, and which one leads: the rules after ranking.

The ranker scores how likely each sentence is to answer; some sentences cannot answer however
likely they look, and some questions are answered by no candidate at all:
- a question naming only people or things of two or more words that no story, headline or source
  names, however spelt ("How long did it take Ellen MacArthur to sail around the world?" over a set
  that never names her);
- a question naming a year no candidate story mentions ("Who won the 2030 World Cup?"), or a dated
  story whose years are all far from the asked one; a question naming another number no candidate
  story mentions ("...ranked as the 22nd most liveable city?" when the stories say 32nd);
- a role question answered only by a sentence naming the role ("Who runs Google?"), a "Who
  replaced X?" only by a sentence saying who replaced X or by another holder, from a story not naming
  X in the role (its other holders came before X), "Who won...?" only by a sentence saying someone
  won, "Was X found guilty?" only by a verdict, "...the year before?" only by a sentence about an
  earlier year, "What's the name of...?" only by a sentence giving a name;
- what will or could happen does not answer what happened; a team sheet answers only a question
  about the team;
- a question asking for a date, a sum, a share, a duration, an age, a year or a count is led by a
  sentence giving one, or declined;
- a follow-up wants something new: not what the last answer already said.

A question none of them answers may still be about one story: `answering` also names it, for a
declined answer to point to.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial

import numpy as np

from retrieval.answering import checks, date_rules, kinds, rerank, roles
from retrieval.answering.lexical import LexicalIndex
from retrieval.text import tokenize

_YEAR = re.compile(r"\b(1[89]\d\d|2\d\d\d)\b")
# A declined question points to the story it most likely asks about when the ranker's story probability is
# at least this: measured with the even-half model on the questions it declined (dev odd half, second and
# third writers' sets), the off-topic ones' likeliest story scored at most 0.22, the near misses' a median
# 0.66, and the answerable ones' right story 0.48 (their wrong story 0.22).
CLOSEST_STORY_MIN = 0.3


def answering(
    lex: LexicalIndex,
    ranked: rerank.Ranked,
    question: str,
    asked: str,
    role: roles.RoleQuestion | None,
    said: set[str],
    k: int,
) -> tuple[list[tuple[int, float]], int | None]:
    """Up to k (row, probability) pairs that may answer, the lead first ([] when none may), and the story
    the question most likely asks about (`_closest_story`), for a declined answer to point to.

    `question` is the standalone question, `asked` the reader's own words when they differ, `role`
    the role question read from them (if any), `said` the content words of the last answer.
    """
    own = asked or question  # the reader's own words: what most checks read
    kept = _asked_of_the_index(lex, ranked, question, own)
    if kept is None:
        return [], None
    story = _closest_story(lex, ranked, kept)
    ranked = kept
    musts: list[Callable[[int, str], bool]] = []  # (row, its text) -> may it answer?
    if role is not None and roles.names_an_organisation(role):
        def holds_role(r: int, text: str) -> bool:
            return roles.states_role(text, role, partial(lex.article_terms, lex.article_of(r)))

        if role.instead_of:  # "Who replaced X?": a sentence saying who replaced X, or one naming another holder,
            # not about X in the role, in a story not from X's time (one naming X in the role: its other holders came before X)
            named = _StoryHolders(lex, role)
            musts.append(lambda r, text: roles.names_replacement(text, role) or (
                holds_role(r, text)
                and roles.about_successor(text, role)
                and any(not roles.same_person(n, role.instead_of) for n in named.of(r))
                and not named.in_story(r, role.instead_of)
            ))
        else:
            musts.append(holds_role)
    elif checks.asks_who_won(question):
        musts.append(lambda r, text: checks.says_who_won(text))
    if checks.asks_verdict(own):
        musts.append(lambda r, text: checks.says_verdict(text))
    if checks.asks_name(own):
        musts.append(lambda r, text: checks.says_name(text, own))
    if checks.asks_year_before(own):
        musts.append(lambda r, text: checks.says_another_year(text))
    if checks.asks_what_happened(own):
        musts.append(lambda r, text: not checks.says_what_will_happen(text))
    if not checks.asks_about_a_team(question):  # a team sheet is no answer to anything else
        musts.append(lambda r, text: not checks.is_team_sheet(text))
    # The other sentences may follow a value question's lead: a multi-hop question's first hop names
    # no date (HotpotQA cited gold 90 -> 88% when they were left out).
    led = not kinds.asks_value(own)
    person = kinds.age_of(own)
    out: list[tuple[int, float]] = []
    for row, prob in zip(ranked.rows.tolist(), ranked.prob.tolist()):  # best first, until k pass
        text = lex.text(row)
        if not all(must(row, text) for must in musts) or rerank.already_said(text, said):
            continue
        if not led and kinds.holds_asked_value(own, text) and (
            not person or kinds.gives_age_of(person, text, _context(lex, row))
        ):
            out.insert(0, (row, prob))
            led = True
        else:
            out.append((row, prob))
        if led and len(out) >= k:
            break
    return (out[:k] if led else []), story


def _closest_story(lex: LexicalIndex, ranked: rerank.Ranked, kept: rerank.Ranked) -> int | None:
    """The story a declined question most likely asks about, for the reader to read for themselves: the
    article the ranker finds likeliest, when its probability is at least CLOSEST_STORY_MIN and it is among
    the candidates the question may take (`kept`: the question names nothing no story names, no year or
    number no candidate story mentions). None otherwise: "How do I bake a Victoria sponge?" points nowhere."""
    if ranked.story is None or ranked.story[1] < CLOSEST_STORY_MIN:
        return None
    return ranked.story[0] if ranked.story[0] in set(lex.article_of(kept.rows).tolist()) else None


def _asked_of_the_index(lex: LexicalIndex, ranked: rerank.Ranked, question: str, own: str) -> rerank.Ranked | None:
    """The candidates from stories near any year the question names; None when it names someone or something
    no story names, or a number (not a year) no candidate story mentions. `own` is the reader's own words."""
    if not _names_something_indexed(lex, kinds.named_things(own)):
        return None
    story_text = _StoryText(lex)
    ranked = _near_the_asked_year(lex, ranked, question, story_text)
    if not _mentions_the_asked_numbers(lex, ranked, own, story_text):
        return None
    return ranked


def _names_something_indexed(lex: LexicalIndex, names: list[str]) -> bool:
    """True when the index names one of the question's names (in a sentence, a headline or as a source; spelt
    as the reader wrote it or almost: "Nistlerooy" is Nistelrooy), or it gives none."""
    wanted = [terms for name in names if (terms := tokenize(name))]
    if not wanted:
        return True
    df = lex.doc_freq([t for terms in wanted for t in terms])  # one look-up for every term

    def indexed(term: str) -> bool:  # cheapest first: the term's count, the sources' names, then spellings
        return df[term] > 0 or term in lex.source_terms or bool(lex.spelled_like(term))

    return any(all(indexed(t) for t in terms) for terms in wanted)


def _context(lex: LexicalIndex, row: int) -> str:
    """The headline of a sentence's story and the sentence before it (what "the 30-year-old" refers to)."""
    article = int(lex.article_of(row))
    lo = lex.article_span(article)[0]
    return " ".join([lex.article(article).title, *lex.texts(max(lo, row - 1), row)])


class _StoryHolders:
    """Who each sentence of a candidate story names in the asked role (`roles.holders`), each story read once."""

    def __init__(self, lex: LexicalIndex, role: roles.RoleQuestion) -> None:
        self.lex, self.role = lex, role
        self._named: dict[int, list[str]] = {}
        self._stories: set[int] = set()

    def of(self, row: int) -> list[str]:
        """The holders the sentence at `row` names."""
        self._read(self.lex.article_of(row))
        return self._named[row]

    def in_story(self, row: int, person: str) -> bool:
        """True when the story of `row` names `person` in the role anywhere (it is from their time)."""
        a = self.lex.article_of(row)
        self._read(a)
        return any(roles.same_person(n, person) for r in range(*self.lex.article_span(a)) for n in self._named[r])

    def _read(self, article: int) -> None:
        if article in self._stories:
            return
        self._stories.add(article)
        lo, hi = self.lex.article_span(article)
        terms = partial(self.lex.article_terms, article)
        for r, text in zip(range(lo, hi), self.lex.texts(lo, hi)):
            self._named[r] = roles.holders(text, self.role, terms)


class _StoryText:
    """What each candidate story says of years and numbers (`_year_text`), each story read once."""

    def __init__(self, lex: LexicalIndex) -> None:
        self.lex = lex
        self._text: dict[int, str] = {}

    def __call__(self, article: int) -> str:
        if article not in self._text:
            self._text[article] = _year_text(self.lex, article)
        return self._text[article]


# A number the question names, not a year ("the 22nd most liveable city", "59.23", "3rd son"), and the
# words small ones are also written in ("third", "four").
_ASKED_NUMBER = re.compile(r"(?<![\w.,£$€-])(\d+(?:[.,]\d+)*)(st|nd|rd|th)?(?![\w.,]\d)")
_TIME = re.compile(r"\b\d{1,2}[:.]\d\d\b")  # "22:06"
_DAY_OF_MONTH = ("day_month", "month_day", "iso")  # date_rules' atoms naming a day ("October 22", "1st of May")
_WORDS = "one two three four five six seven eight nine ten eleven twelve".split()


def _mentions_the_asked_numbers(lex: LexicalIndex, ranked: rerank.Ranked, question: str, story_text: _StoryText) -> bool:
    """False when the question names a number (not a year) that no candidate story mentions: "When was
    Warsaw ranked as the 22nd most liveable city?" is not answered from a story ranking it 32nd. As with
    a year, the absence is decisive; a story that mentions it may still not answer (the ranker judges).
    A day of a month ("October 22") or a time ("22:06") dates the story, which may not repeat it."""
    for atom in reversed(date_rules.candidates(question)):
        if atom.kind in _DAY_OF_MONTH:
            question = question[: atom.start] + " " + question[atom.end :]
    asked = [(n, suffix) for n, suffix in _ASKED_NUMBER.findall(_TIME.sub(" ", question)) if not _YEAR.fullmatch(n)]
    if not asked or not len(ranked.rows):
        return True
    text = " ".join(story_text(a) for a in dict.fromkeys(lex.article_of(ranked.rows).tolist()))
    for n, suffix in asked:
        forms = [re.escape(n), re.escape(n.replace(",", ""))]  # "2,000" or "2000"
        if n.isdigit() and 1 <= int(n) <= len(_WORDS):
            forms.append((kinds.ORDINAL_WORDS if suffix else _WORDS)[int(n) - 1])
        if not re.search(r"(?<![\w.,])(?:" + "|".join(forms) + r")(?![.,]?\d)", text, re.I):
            return False
    return True


def _near_the_asked_year(lex: LexicalIndex, ranked: rerank.Ranked, question: str, story_text: _StoryText) -> rerank.Ranked:
    """"Who won the 2030 World Cup?": when no candidate story mentions the year, none says; and a
    dated story whose years are all far from it (published 2005, naming 2002 and 2011) is not
    about it, even when another candidate (a forecast "by 2030") mentions the year."""
    years = set(_YEAR.findall(question))
    if not years:
        return ranked
    arts = lex.article_of(ranked.rows)
    texts = {a: story_text(a) for a in set(arts.tolist())}
    if not any(y in text for text in texts.values() for y in years):
        return rerank.Ranked(ranked.rows[:0], ranked.prob[:0])
    coming = max(int(y) for y in years) > datetime.now(UTC).year
    near = [a for a in texts if _near_years(years, lex.article(a).published_at, texts[a], coming)]
    if len(near) == len(texts):
        return ranked
    keep = np.isin(arts, near)
    return rerank.Ranked(ranked.rows[keep], ranked.prob[keep])


def _year_text(lex: LexicalIndex, article: int) -> str:
    """What a story says of years: its headline, its year of publication and its sentences.

    A question naming a year (1800-2999) that no candidate story mentions is not answered: a year is
    the one term whose absence is decisive (a story that never mentions 2030 does not say who won in
    2030).
    """
    info = lex.article(article)
    return " ".join([info.title, info.published_at[:4], *lex.texts(*lex.article_span(article))])


def _near_years(asked: set[str], published_at: str, text: str, coming: bool) -> bool:
    """False when a story's year and the years it names (`text`) are all more than one from the asked ones.

    Within one: a story of early 2005 about "this year's" Oscars may name only 2004 ("last year").
    An undated story may name only history (1984, 1997) while being about the year asked (measured on
    the BBC dev questions: applying the rule to undated stories lost one answer, gained nothing), so
    it is held to the rule only when a year asked is still to come (`coming`): no story written so
    far can be about a coming year without naming it ("Who won the 2030 World Cup?" in an undated corpus).
    """
    if not published_at[:4].isdigit() and not coming:
        return True
    return any(abs(int(y) - int(a)) <= 1 for y in _YEAR.findall(text) for a in asked)
