"""What someone or something is, in the stories' words: "Who is Jose Mourinho?", "What is Yukos?".

News says what someone is in passing: "Chelsea boss Jose Mourinho", "Ken Livingstone, the London
mayor,". So "Who is X?" (and "What does X do?", "Which club does X play for?") is answered by those
descriptions, the one given most often first; "What is Yukos?" the same way from what the stories
call an organisation or a thing ("Russian oil giant Yukos"). The names and the words that open a
sentence are read as in `roles.py`, whose role questions are the reverse of these; the search
(`search.Searcher.answer_hits`) takes these paths before the ranker and falls back to it when they
find nothing.
"""

from __future__ import annotations

import re

from retrieval.answering.roles import CAPITALISED_FUNCTION_WORDS, NAME_PATTERN, clean_name
from retrieval.text import tokenize

# -- "Who is Charles Kennedy?": what someone is -----------------------------------------------

# The last word of what news calls someone, before or after the name ("Chelsea boss Jose
# Mourinho", "Liam Fox, the co-chairman of the Conservative Party").
ROLE_NOUNS = frozenset(
    """leader boss manager coach captain skipper owner chairman chairwoman chair chief founder co-founder editor
    director president chancellor secretary minister premier mayor spokesman spokeswoman spokesperson governor mp
    mep candidate councillor peer ambassador envoy commissioner senator congressman striker midfielder defender
    goalkeeper keeper winger forward full-back centre-back prop lock flanker hooker fly-half scrum-half centre
    champion player star athlete sprinter runner hurdler swimmer cyclist jockey trainer boxer golfer veteran
    international newcomer singer actor actress rapper musician guitarist drummer frontman comedian presenter host
    writer author novelist playwright poet producer designer artist photographer journalist reporter columnist
    correspondent critic analyst economist lawyer judge barrister executive entrepreneur businessman businesswoman
    tycoon billionaire investor banker head heiress officer official adviser aide strategist campaigner activist
    co-chairman chief-executive""".split()
)
# Lower-case words a description may hold before its role ("acting head coach", "double Olympic champion").
_MODIFIERS = frozenset(
    "former ex acting deputy shadow head assistant double triple vice new interim joint chief executive general "
    "senior junior caretaker outgoing current world european olympic party club".split()
)
DESCRIBED = 2  # stories quoted for "Who is X?"
_CLUB_QUESTIONS = (
    re.compile(r"^\s*(?i:which|what)\s+(?i:club|team|side)\s+(?i:does|did|is|was)\s+(?P<name>" + NAME_PATTERN
               + r")\s+(?i:play(?:ing)?\s+(?:for|with|in)|for|with|at|in)\s*[?.!]*\s*$"),
    re.compile(r"^\s*(?i:who)\s+(?i:does|did)\s+(?P<name>" + NAME_PATTERN + r")\s+(?i:play)\s+(?i:for)\s*[?.!]*\s*$"),
)


_PERSON_QUESTIONS = (
    # Who is Charles Kennedy?
    re.compile(r"^\s*(?i:who)(?:\s+(?i:is|was)|'s|’s)\s+(?P<name>" + NAME_PATTERN + r")\s*[?.!]*\s*$"),
    # What does Jose Mourinho do? / What is Liam Fox's job?
    re.compile(r"^\s*(?i:what)\s+(?i:does|did)\s+(?P<name>" + NAME_PATTERN + r")\s+(?i:do)(?:\s+(?i:for a living))?\s*[?.!]*\s*$"),
    re.compile(r"^\s*(?i:what)(?:\s+(?i:is|was)|'s|’s)\s+(?P<name>" + NAME_PATTERN + r")(?:'s|’s)\s+(?i:job|role|position)\s*[?.!]*\s*$"),
)
_LEAD = re.compile(
    r"^(\s*(?:who(?:\s+is|\s+was|'s|’s|\s+does|\s+did)|what\s+(?:does|did)|what(?:\s+is|\s+was|'s|’s)|"
    r"(?:which|what)\s+(?:club|team|side)\s+(?:does|did|is|was))\s+)(.+)$",
    re.I,
)
_PARTICLES = frozenset("de van von da di du le la del do for a living job role position play playing with in at".split())


def _as_typed(question: str) -> str:
    """A question typed all in lower case, as in chat, with the words after its lead read as a name
    ("who is jose mourinho" -> "who is Jose Mourinho"): only a sentence naming that name answers it."""
    if question != question.lower() or not (m := _LEAD.match(question)):
        return question
    return m.group(1) + " ".join(w if w in _PARTICLES else w[:1].upper() + w[1:] for w in m.group(2).split())


def asked_person(question: str) -> str:
    """The name a "Who is Charles Kennedy?" / "What does Jose Mourinho do?" question asks about
    ("" for any other question; lower case as typed in chat too)."""
    question = _as_typed(question)
    for pattern in _PERSON_QUESTIONS:
        if m := pattern.match(question):
            return clean_name(m.group("name"))
    return ""


def asked_club(question: str) -> str:
    """The player a "Which club does Didier Drogba play for?" question asks about ("" otherwise)."""
    question = _as_typed(question)
    for pattern in _CLUB_QUESTIONS:
        if m := pattern.match(question):
            return clean_name(m.group("name"))
    return ""


_LOOK_BACK = 200  # characters before a name read for its description (six words at most are kept)
_APPOSITIVE = re.compile(r",\s+(?P<desc>(?:the|a|an)\s+[^,.;:()\"“”]{3,80}?)[,.;:)]")  # "X, the London mayor,"
# "Drogba, Chelsea's £24m striker,": a club's possessive opening the appositive (read for the club a player plays for).
_POSSESSIVE_APPOSITIVE = re.compile(r",\s+(?P<desc>[A-Z][\w.-]*['’]s\s+[^,.;:()\"“”]{1,40}?)[,.;:)]")


def descriptions(text: str, name: str, club: bool = False) -> list[str]:
    """What this sentence calls the person: "Chelsea boss" in "Chelsea boss Jose Mourinho has...",
    "the co-chairman of the Conservative Party" in "Liam Fox, the co-chairman of the Conservative
    Party, said...". A description ends in (or holds) a role; "said Jose Mourinho" is none.

    `club`: only descriptions naming where the person plays or works ("Chelsea striker", and a
    bare "Arsenal's" before the name counts too)."""
    parts = name.split()
    # A full name as asked; a surname alone may come with a first name ("Mourinho": "Jose Mourinho").
    who = re.escape(name) if len(parts) > 1 else r"(?:[A-Z][\w'’-]+\s+)?" + re.escape(name)
    found = _around(text, who, ROLE_NOUNS, possessive=club)
    for m in re.finditer(r"(?P<desc>\b(?:the|a|an)\s+[^,.;:()\"“”]{3,80}?),\s+" + who + r"(?=[,.;:])", text):
        if _holds_role(m.group("desc")):
            found.append(m.group("desc"))
    return [d for d in found if _names_club(d)] if club else found


def _around(text: str, mention: str, nouns: frozenset[str], loose: bool = False, possessive: bool = False) -> list[str]:
    """The descriptions just before each mention ("Chelsea boss Jose Mourinho") and in an appositive
    just after it ("Ken Livingstone, the London mayor,"), ending in or holding one of `nouns`.
    Each mention reads a window before it, not the whole text (a long text names someone often)."""
    found = []
    for m in re.finditer(r"(?<![\w'’-])" + mention + r"(?![\w'’-])", text):
        lead = text[max(0, m.start() - _LOOK_BACK) : m.start()]
        before = _before(lead, nouns, loose) or (possessive and _possessive(lead))
        if before:
            found.append(before)
        after = _APPOSITIVE.match(text, m.end()) or (possessive and _POSSESSIVE_APPOSITIVE.match(text, m.end()))
        if after and _holds_role(after.group("desc"), nouns):
            found.append(after.group("desc"))
    return found


def _names_club(desc: str) -> bool:
    """A description naming an organisation: a capitalised word that is no title ("Chelsea striker")."""
    bare = (w.removesuffix("'s").removesuffix("’s") for w in desc.split())
    return any(w[:1].isupper() and w not in CAPITALISED_FUNCTION_WORDS | _NOT_CLUBS and w.casefold() not in ROLE_NOUNS | _MODIFIERS
               for w in bare)


_NOT_CLUBS = frozenset("Olympic World European Commonwealth Double Triple Former Chancellor Prime Minister".split())


def _possessive(text: str) -> str:
    """A capitalised possessive just before a name ("Arsenal's Thierry Henry"), or ""."""
    words = text.split()
    return words[-1] if words and re.fullmatch(r"[A-Z][\w.-]*(?:'s|’s)", words[-1]) else ""


def _holds_role(desc: str, nouns: frozenset[str] = ROLE_NOUNS) -> bool:
    return any(w.casefold().strip("'’") in nouns for w in desc.split())


def _before(text: str, nouns: frozenset[str] = ROLE_NOUNS, loose: bool = False) -> str:
    """The description just before a name: a role, with the capitalised words and modifiers before it
    (`loose`: any words that carry a topic, up to three: "troubled oil giant Yukos")."""
    words = text.split()[-6:]
    if not words or words[-1].casefold() not in nouns or words[-1][-1:] in ",.;:":
        return ""
    kept = [words.pop()]
    while words and len(kept) < 4:
        w = words[-1]
        bare = w.removesuffix("'s").removesuffix("’s")
        if w[-1:] in ",.;:\"“”" or not bare:
            break
        if (bare[:1].isupper() and bare not in CAPITALISED_FUNCTION_WORDS) or w.casefold() in nouns | _MODIFIERS or (
            loose and bare.islower() and tokenize(bare)
        ):
            kept.insert(0, words.pop())
        else:
            break
    return " ".join(kept)


# -- "What is Yukos?": what a thing is --------------------------------------------------------

# The last word of what news calls an organisation or a thing ("Russian oil firm Yukos", "the
# Gizmondo, a powerful gaming console").
THING_NOUNS = frozenset(
    """party firm company group giant maker manufacturer producer carrier airline bank lender insurer network
    broadcaster channel station operator retailer chain supermarket club band show programme series film movie
    album single game console gadget device handheld service website site engine newspaper paper magazine agency
    body watchdog regulator union charity organisation organization association federation league tournament
    championship festival event concert scheme project link line railway route plan law bill act treaty drug virus
    worm software program system browser phone handset exchange index fund movement campaign court tribunal
    committee commission council ministry department conglomerate outfit label studio publisher developer
    distributor""".split()
)
_THING_QUESTION = re.compile(
    r"^\s*(?i:what)(?:\s+(?i:is|was|are|were)|'s|’s)\s+(?:(?i:the)\s+)?"
    r"(?P<name>[A-Z][\w'’&.-]*(?:\s+[A-Z0-9][\w'’&.-]*){0,3})\s*[?.!]*\s*$"
)


def asked_thing_name(question: str) -> str:
    """The name a "What is Yukos?" / "What is the Gizmondo?" question asks about ("" otherwise)."""
    m = _THING_QUESTION.match(question)
    return m.group("name") if m else ""


def what_it_is(text: str, name: str) -> list[str]:
    """What this sentence calls the organisation or thing: "Russian oil firm" in "Russian oil firm
    Yukos said...", "a powerful gaming console with GPS" in "the Gizmondo, a powerful gaming console
    with GPS, ..."."""
    return _around(text, re.escape(name), THING_NOUNS, loose=True)


def key(description: str) -> str:
    """Descriptions compared without case or a leading article ("the Liberal Democrat leader")."""
    words = description.casefold().split()
    return " ".join(words[1:] if words and words[0] in {"the", "a", "an"} else words)
