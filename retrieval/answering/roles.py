"""Who holds a role ("Who leads the Liberal Democrats?"), and what someone is ("Who is Charles Kennedy?").

News names a role holder in passing, in a sentence about something else: "Lib Dem leader Charles
Kennedy said...", "Chelsea boss Jose Mourinho has...", "Bill Gates, Microsoft's chairman, ...".
Such a sentence answers the question, but the ranker never sees it as the answer: it shares one
word with the question (often none: "leads" is not "leader", "manager" is "boss"), and the
sentences about the organisation itself sit closer to the question.

So a question asking who holds a role is read as (role, organisation), and the sentences naming
the holder are found by the pattern news writes them in:
- "<organisation> <role> <Name>"           Chelsea boss Jose Mourinho
- "<Name>, <organisation>'s <role>"         Bill Gates, Microsoft's chairman
- "<role> of <organisation>, <Name>"        the leader of the Liberal Democrats, Charles Kennedy
- "<Name>, <role> of <organisation>"        Charles Kennedy, leader of the Liberal Democrats
A question that asks more than that ("Who captained Ireland when they beat Scotland?") is left
to the ranker, as is one whose role no sentence states. When several people are named, the one
in the most recent story wins (a role changes hands), then the one named most often. A title a
country has one of needs no organisation ("Who is the chancellor?": "Chancellor Gordon Brown");
"Who replaced X as <role>?" is the role question with X left out.

A country is also named by its adjective ("French President Jacques Chirac" for France) and an
organisation by its initials ("US President George W Bush"). A role question no pattern answers
goes to the ranker, which may quote only a sentence naming the role (`states_role`).

The same sentences answer the reverse question, "Who is Jose Mourinho?" (`describe.py`). The
search (`search.Searcher.answer_hits`) takes these paths first and falls back to the ranker when
they find nothing.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from retrieval.text import tokenize

# A role, the words a question may ask it with, and the words news names it with.
_ROLES: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("leader", ("lead", "leads", "led", "leading"), ("leader", "leaders")),
    ("manager", ("manage", "manages", "managed", "managing"), ("manager", "boss")),
    ("coach", ("coach", "coaches", "coached", "coaching"), ("coach", "head coach", "boss", "manager")),
    ("captain", ("captain", "captains", "captained", "captaining", "skippers", "skippered"), ("captain", "skipper")),
    ("owner", ("own", "owns", "owned"), ("owner", "owners")),
    ("chairman", ("chair", "chairs", "chaired"), ("chairman", "chairwoman", "chair")),
    ("chief executive", ("run", "runs", "ran", "running", "head", "heads", "headed"),
     ("chief executive", "boss", "chief", "head")),
    ("founder", ("found", "founded", "co-founded"), ("founder", "co-founder")),
    ("editor", ("edit", "edits", "edited"), ("editor",)),
    ("director general", (), ("director general", "director-general")),
    ("director", ("direct", "directs", "directed"), ("director",)),
    ("president", (), ("president",)),
    ("chancellor", (), ("chancellor",)),
    ("spokesman", (), ("spokesman", "spokeswoman", "spokesperson")),
    ("prime minister", (), ("prime minister", "premier")),
    ("home secretary", (), ("home secretary",)),
    ("foreign secretary", (), ("foreign secretary",)),
    ("mayor", (), ("mayor",)),
)
# Titles a country or a city has one of at a time: "Who is the chancellor?" names no organisation,
# and "Chancellor Gordon Brown" answers it while "German Chancellor Gerhard Schroeder" does not.
# ("Who is the manager?" stays with the ranker: every club has one.)
TITLES = frozenset(["prime minister", "chancellor", "president", "home secretary", "foreign secretary", "mayor"])
_BY_VERB = {v: (role, words) for role, verbs, words in _ROLES for v in verbs}
_BY_NOUN: dict[str, tuple[str, tuple[str, ...]]] = {}
_ALSO: dict[str, tuple[str, ...]] = {}
for _role, _verbs, _words in _ROLES:
    for _w in (_role, *_words):
        _BY_NOUN.setdefault(_w, (_role, _words))
        _ALSO[_w] = (*_ALSO.get(_w, ()), *_words)
# "boss" is a club's manager and a firm's chief executive: when no holder is named with the first
# role's words, any role's words that share the noun.
_ALSO = {w: tuple(dict.fromkeys(also)) for w, also in _ALSO.items() if set(also) - set(_BY_NOUN[w][1])}
_NOUNS = "|".join(sorted((re.escape(n) for n in _BY_NOUN), key=len, reverse=True))

POOL = 200  # sentences read for the pattern: the best by BM25 over the organisation and the role's words
# The probability given to a sentence that names the holder: it answers by construction (the
# extractive answerer leads with it, and cites the other story's sentence saying the same).
SCORE = 0.9
CITED = 2  # stories quoted: a second one confirms the name; a third adds nothing
ORG_WORDS = 6  # an organisation named in more words is a question about something else
_W = r"[\w'’&.-]+"  # a word of a name or an organisation ("AT&T", "O'Neill", "Man.")
_ORG = r"(?:the\s+)?(?P<org>" + _W + r"(?:\s+" + _W + r"){0," + str(ORG_WORDS - 1) + "})"
_NOW = r"(?:\s+(?:now|currently|today|these days|at the moment|at present))?"
_END = _NOW + r"\s*[?.!]*\s*$"
_BE = r"(?:\s+(?:is|was|are|were)|'s|’s)"
_QUESTIONS = (
    # Who is the chancellor? (a title: no organisation)
    re.compile(r"^\s*who" + _BE + r"\s+(?:the\s+)?(?:current\s+|new\s+)?(?P<title>" + "|".join(sorted(TITLES, key=len, reverse=True))
               + ")" + _END, re.I),
    # Who leads the Liberal Democrats? / Who is running Microsoft?
    re.compile(r"^\s*who(?:" + _BE + r")?\s+(?:now\s+|currently\s+)?(?P<verb>[a-z-]+)\s+" + _ORG + _END, re.I),
    # Who is the (current) manager of Chelsea? / Who is the boss at Microsoft?
    re.compile(r"^\s*who" + _BE + r"\s+(?:the\s+)?(?:current\s+|new\s+)?(?P<noun>" + _NOUNS + r")\s+(?:of|at|for)\s+"
               + _ORG + _END, re.I),
    # Who is Arsenal's manager? / Who is the Tory leader?
    re.compile(r"^\s*who" + _BE + r"\s+(?:the\s+)?" + _ORG + r"(?:'s|’s)?\s+(?P<noun>" + _NOUNS + r")" + _END, re.I),
)
# How readers also ask: "Who's in charge of Chelsea?" is "Who's the boss at Chelsea?".
_SAME_AS = (
    (re.compile(r"\bin\s+charge\s+(?:of|at)\b", re.I), "the boss at"),
    (re.compile(r"\bPM\b"), "prime minister"),
    (re.compile(r"\bchancellor\s+of\s+the\s+exchequer\b", re.I), "chancellor"),
)
_CURRENT = re.compile(r"^(?:current|present|new)\s+|(?<!\s)\s+(?:current|present|new)$", re.I)
_POSSESSIVE = re.compile(r"(?:'s|’s|'|’)$")
_NOW_AT_END = re.compile(r"(?<!\s)\s+(?:now|currently|today|these days|at the moment|at present)$", re.I)
_MORE_THAN_AN_ORG = re.compile(
    r"\d|\b(?:in|on|at|during|since|before|after|when|while|with|by|from|against|over|under|until|who|that|which|"
    r"whose|where|if|than|as)\b", re.I
)
_SUFFIX = re.compile(r"(?<!\s)\s+(?:A?F\.?C\.?|plc|inc\.?|ltd\.?|corp\.?|llc|gmbh|football\s+club)$", re.I)
_NOT_ORG = frozenset("he she it they him her them you i we this that there who what a an".split())


_OPENER = re.compile(r"^\s*(?:and|so|but|then|ok|okay|also|now|well)\b[\s,]+", re.I)


def own_words(question: str) -> str:
    """The question without a conversational opener ("And who manages Arsenal?" -> "who manages
    Arsenal?"): a question naming its own subject needs nothing from the conversation."""
    return _OPENER.sub("", question, count=1)


@dataclass(frozen=True)
class RoleQuestion:
    """What a "who holds this role" question asks: the role, the words news uses for it, and where."""

    role: str
    words: tuple[str, ...]
    org: str
    instead_of: str = ""  # "Who replaced David Blunkett as home secretary?": not him
    also: tuple[str, ...] = ()  # words of every role the asked noun may be ("boss"), tried when `words` name no one


_REPLACED = re.compile(
    r"^\s*who\s+(?:has\s+|will\s+|is\s+to\s+)?(?:replaced?|replacing|succeeded|succeeds?|succeeding|took\s+over\s+from|"
    r"takes\s+over\s+from|take\s+over\s+from)\s+(?P<old>" + r"[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*){0,3})\s+as\s+(?P<role>.+)$",
    re.I,
)


_OCCASION = re.compile(r"\s+(?:for|in|against|at|on|after|during|until|from|when|while)\s.*$", re.I)


# "Who replaced David Blunkett?" names the person and not the role: the role is the one news most
# often gives him ("Home Secretary David Blunkett"; see `search.Searcher._role_of`).
_REPLACED_WHOM = re.compile(
    r"^\s*who\s+(?:has\s+|will\s+|is\s+to\s+)?(?:replaced?|replacing|succeeded|succeeds?|succeeding|took\s+over\s+from|"
    r"takes\s+over\s+from|take\s+over\s+from)\s+(?P<old>" + r"[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*){0,3})\s*[?.!]*\s*$",
)


def replaced_whom(question: str, standalone: str = "") -> str:
    """The person a "Who replaced X?" question names without a role ("" for any other question). A
    follow-up's "Who replaced him?" names the one its `standalone` rewrite carries over
    ("... (David Blunkett)")."""
    question = _PRONOUN_AT_END.sub(lambda m: _carried_name(standalone) or m.group(0), question)
    m = _REPLACED_WHOM.match(question[:1].lower() + question[1:])
    return clean_name(m.group("old")) if m else ""


_SUCCESSION = re.compile(r"\b(?:replac\w*|succe\w*|took\s+over|tak\w+\s+over|in\s+place\s+of|stand-in|new)\b", re.I)


_NEW = r"(?P<new>[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+)*)"
_REPLACEMENT = (  # "...replace chief executive Tim Koogle with Terry Semel", "Koogle was replaced by Semel", "Semel, who succeeded Koogle"
    r"\b(?:replac\w*|succeed\w*)\s+(?:[\w'’-]+\s+){0,3}?%s\b[^.;:]{0,25}?\b(?:with|by)\s+(?:\w+\s+){0,2}?" + _NEW,
    r"%s\s+(?:was|has been|had been|is being|will be)\s+(?:replaced|succeeded)\s+(?:as\s+[^.;:]{0,30}?)?by\s+(?:\w+\s+){0,2}?" + _NEW,
    _NEW + r"(?:,\s*who|\s+(?:has|had|have|will|is to))?\s+(?:replaced|replaces|succeeded|succeeds|took over from|"
    r"takes over from|has taken over from)\s+(?:\w+\s+){0,3}?%s\b",
)


def names_replacement(text: str, asked: RoleQuestion) -> bool:
    """For "Who replaced X (as <role>)?": True when the sentence says someone else replaced X."""
    surname = re.escape(asked.instead_of.split()[-1]) if asked.instead_of else ""
    found = (re.search(pattern % surname, text) for pattern in _REPLACEMENT) if surname else ()
    return any(m and not same_person(clean_name(m.group("new")) or m.group("new"), asked.instead_of) for m in found)


def about_successor(text: str, asked: RoleQuestion) -> bool:
    """For "Who replaced X (as <role>)?": False when the sentence names X and says nothing of a
    successor ("Lib Dem leader Charles Kennedy dismissed..." is about X in the role, not who followed)."""
    if not asked.instead_of:
        return True
    surname = asked.instead_of.split()[-1]
    return not re.search(r"\b" + re.escape(surname) + r"\b", text) or bool(_SUCCESSION.search(text))


_ROLE_WORDS = frozenset(w for noun in _BY_NOUN for w in noun.split())
_QUALIFIED = re.compile(r"\s+(?:in|at)\s")
_TITLE_THEN_NAME = re.compile(r"\s+[A-Z][a-z]")
_PRONOUN_AT_END = re.compile(r"\b(?:him|her)(?=\s*[?.!]*\s*$)")


def _carried_name(standalone: str) -> str:
    """The longest name in the words a follow-up's rewrite adds in brackets ("... (Blunkett Home
    Secretary David Blunkett)" -> "David Blunkett"): a role's words are no part of a name."""
    added = standalone.rpartition("(")[2].rstrip(") ") if standalone.rstrip().endswith(")") else ""
    runs, run = [], []
    for word in added.split() + [""]:
        if word[:1].isupper() and word.casefold() not in _ROLE_WORDS:
            run.append(word)
        else:
            runs.append(" ".join(run))
            run = []
    return max(runs, key=lambda r: len(r.split()), default="")


def asked_role(question: str) -> RoleQuestion | None:
    """The role and organisation a "Who leads X? / Who is the manager of X?" question asks about
    ("Who replaced X as home secretary?": the role, held by someone other than X)."""
    if m := _REPLACED.match(question):
        role = re.sub(r"^(?:the|a|an)\s+", "", m.group("role").strip(), flags=re.I)
        # "... as England captain for the Italy game?": the role without the occasion
        asked = asked_role("Who is the " + role) or asked_role("Who is the " + _OCCASION.sub("", role))
        return RoleQuestion(asked.role, asked.words, asked.org, clean_name(m.group("old"))) if asked else None
    for same, words in _SAME_AS:
        question = same.sub(words, question)
    for pattern in _QUESTIONS:
        m = pattern.match(question)
        if not m:
            continue
        if m.groupdict().get("title"):
            role, words = _BY_NOUN[m.group("title").casefold()]
            return RoleQuestion(role=role, words=words, org="")
        org = _POSSESSIVE.sub("", _CURRENT.sub("", _NOW_AT_END.sub("", m.group("org")))).strip(" ,'’")
        org = _SUFFIX.sub("", org) or org  # "Arsenal FC" is "Arsenal": news rarely writes the suffix
        if not _terms(org) or org.casefold() in _NOT_ORG or _MORE_THAN_AN_ORG.search(org):
            continue  # "Who led Russia in the 1960s?" asks about a time, not who holds the role
        if "verb" in m.groupdict() and m.group("verb") is not None:
            found = _BY_VERB.get(m.group("verb").casefold())
        else:
            found = _BY_NOUN.get(m.group("noun").casefold())
        if found:
            noun = (m.groupdict().get("noun") or "").casefold()
            return RoleQuestion(role=found[0], words=found[1], org=org, also=_ALSO.get(noun, ()))
    return None


def names_an_organisation(asked: RoleQuestion) -> bool:
    """A title ("the chancellor") or a named organisation ("Google"), not "the race" or "the inquiry",
    whose leader may be the one who "leads the race": only then must an answer name the role."""
    return not asked.org or any(w[:1].isupper() for w in asked.org.split())


def states_role(text: str, asked: RoleQuestion, story_terms: Callable[[], set[str]] = set) -> bool:
    """Whether a sentence names the role, in a story naming the organisation ("...Google's chief...",
    `story_terms()` as in `holders`): a role question no pattern answers is left to the ranker, and
    only such a sentence can answer it."""
    initials = _initials(asked.org)
    if not _names_the_role(text, asked, _org_terms(asked), initials):
        return False
    if not asked.org or _names_initials(initials, text):
        return True
    words, story = re.findall(_W, text), story_terms()
    return all(t in story or any(_names_term(w, t) for w in words) for t in _terms(asked.org))


def _names_the_role(text: str, asked: RoleQuestion, org_terms: list[str], initials: str) -> bool:
    """True when the text names the role: not a former holder's ("the ex-president", "the former
    chief") nor another organisation's ("Venezuelan president", "president of Shanghai Media Group")."""
    of_org = r"(?P<of>\s+(?:of|at)\s+(?:the\s+)?(?:" + _W + r"\s+){0,3}" + _W + ")?"
    for word in (asked.role, *asked.words, *asked.also):
        for m in re.finditer(r"(?<![\w-])" + re.escape(word) + r"\b" + of_org, text, re.I):
            before = _bare_words(text[max(0, m.start() - 40) : m.start()])[-1:]
            if before and before[0].casefold() in _OTHER_ROLE:
                continue
            qualifier = " ".join(w for w in before if w not in _NOT_NAMES)  # "Venezuelan", not "Its"
            if asked.org and _names_another(org_terms, qualifier + (m.group("of") or ""), initials):
                continue
            # "President Putin" names a holder: of the asked organisation only when it is named with him
            # (`holders` found no such sentence, or the role question would not be ranked).
            if asked.org and not m.group("of") and _TITLE_THEN_NAME.match(text, m.end()) and not _org_before(org_terms, qualifier, initials):
                continue
            return True
    return False


def _org_terms(asked: RoleQuestion) -> list[str]:
    """The organisation's terms that must be next to the role: its names (capitalised words), if any."""
    names = [w for w in asked.org.split() if w[:1].isupper()]
    return _terms(" ".join(names)) if names else _terms(asked.org)


_HONORIFICS = ("Sir", "Dame", "Lord", "Lady", "Dr", "Mr", "Mrs", "Ms", "Prof")
_TITLE = r"(?:(?:" + "|".join(_HONORIFICS) + r")\.?\s+)?"
# A capitalised word with a lower-case letter ("McConnell", not "BBC"): the look-ahead and the
# possessive run leave the engine nothing to retry (written "[A-Z][\w-]*[a-z][\w-]*", a 280 KB run of
# capitalised words took 14 s).
_PART = r"[A-Z](?=[\w'’-]*[a-z])(?:[\w-]|['’](?![sS]\b))*+"  # "O'Neill"; "Fox's" is "Fox"
# A middle initial may sit between two parts ("George W Bush", "Michael J. Fox").
NAME_PATTERN = _TITLE + _PART + r"(?:\s+(?:(?:de|van|von|da|di|du|le|la|del)\s+|[A-Z]\.?\s+)?" + _PART + r"){0,3}"
# Capitalised words before a role that leave it the same role ("But Conservative leader...");
# any other ("Scottish", "German", "Lord") makes it another one.
_OPENING_WORDS = frozenset(  # capitalised at the start of a sentence, never a name or an organisation
    "The A An But And Or So As When While After Before In On At For From With By Of To Then If That This".split()
)
CAPITALISED_FUNCTION_WORDS = _OPENING_WORDS | frozenset("Meanwhile However Yesterday Today Now Last Also Earlier Later New".split())
_NOT_NAMES = (
    _OPENING_WORDS
    | frozenset(_HONORIFICS)
    | frozenset(
        "He She It They These Those His Her Its Their There Without Monday Tuesday Wednesday Thursday Friday "
        "Saturday Sunday January February March April May June July August September October November December".split()
    )
)


# Countries whose adjective shares no prefix with the name ("Germany"/"German" and "Italy"/"Italian" do).
_COUNTRY_OF = {
    "french": "France", "british": "Britain", "spanish": "Spain", "dutch": "Netherlands", "welsh": "Wales",
    "scottish": "Scotland", "irish": "Ireland", "english": "England", "swiss": "Switzerland", "chinese": "China",
    "greek": "Greece", "turkish": "Turkey", "danish": "Denmark", "swedish": "Sweden", "finnish": "Finland",
    "polish": "Poland", "portuguese": "Portugal", "norwegian": "Norway", "thai": "Thailand", "filipino": "Philippines",
    "cypriot": "Cyprus", "peruvian": "Peru", "argentine": "Argentina", "argentinian": "Argentina",
}


def search_text(asked: RoleQuestion) -> str:
    """What to look the holder up by: the organisation, its country's adjective ("Ireland" ->
    "Irish": "Irish Prime Minister Bertie Ahern"), the role's words."""
    adjectives = [a for a, country in _COUNTRY_OF.items() if country.casefold() in asked.org.casefold().split()]
    if len(asked.org.split()) == 1 and asked.org[:1].isupper():  # a country or a city
        adjectives += _adjectives(asked.org)
    return " ".join([asked.org, *adjectives, *asked.words])


def _adjectives(name: str) -> list[str]:
    """The adjectives a place's name may take by rule ("Russia" -> "Russian", "Canada" -> "Canadian",
    "Italy" -> "Italian", "Germany" -> "German"): guesses, for the search only; a word no story has
    matches nothing (measured: "Who is the president of Russia?" found no "Russian President
    Vladimir Putin" among the sentences searched for "Russia president")."""
    if name.endswith("a"):
        return [name + "n", name[:-1] + "ian"]
    if name.endswith("y"):
        return [name[:-1], name[:-1] + "ian"]
    return [name + "ian"]


def _terms(text: str) -> list[str]:
    """`tokenize`, a country's adjective read as the country ("French" -> "France")."""
    return [t for w in re.findall(_W, text) for t in tokenize(_COUNTRY_OF.get(w.casefold(), w))]


def _initials(org: str) -> str:
    """"United States" -> "US", "European Union" -> "EU" ("" for a one-word organisation)."""
    words = [w for w in org.split() if w[:1].isupper()]
    return "".join(w[0] for w in words) if len(words) > 1 else ""


def _names_term(word: str, term: str) -> bool:
    """True when a word of the text is one of the organisation's terms: the same five-letter prefix
    ("Liberal Democrats" in "Liberal Democrat leader", "Venezuela" in "Venezuelan", "France" in
    "French"), or one a short form of the other ("Lib Dem leader" for the Liberal Democrats)."""
    got = _terms(word)
    if not got:
        return False
    h = got[0]
    return h[:5] == term[:5] or (min(len(h), len(term)) >= 3 and (term.startswith(h) or h.startswith(term)))


# Words between the organisation and the role that keep it the same role in the same organisation.
_GENERIC = frozenset("party club team side group firm company union government council board the of & 's".split())
# Words that make it another role or another time ("former leader", "deputy leader", "shadow chancellor").
_OTHER_ROLE = frozenset(
    "former ex ex- then previous late deputy assistant shadow acting interim vice joint outgoing caretaker "
    "would-be prospective future".split()
)


def _bare_words(text: str) -> list[str]:
    """The words of a text without the punctuation around them or a possessive ("Chelsea's," -> "Chelsea")."""
    words = [w.strip(",;:\"“”‘'") for w in text.split()]
    return [w.removesuffix("'s").removesuffix("’s") for w in words if w]


def _names_initials(initials: str, text: str) -> bool:
    """True when the text holds the initials as a word ("US", "US's", "US.")."""
    return bool(initials) and initials in (w.rstrip(".") for w in _bare_words(text))


def _org_before(org_terms: list[str], before: str, initials: str = "") -> bool:
    """True when the words just before the role are the organisation (or its `initials`: "US
    President" for the United States), and nothing makes it another ("Scottish Conservative leader"
    is not the Conservatives' leader, nor "former Tory leader")."""
    words = _bare_words(before)
    while words and words[-1].casefold() in _GENERIC:
        words.pop()
    covered: set[str] = set()
    while words and (hit := set(org_terms) if initials and words[-1] == initials else {t for t in org_terms if _names_term(words[-1], t)}):
        covered |= hit
        words.pop()
        while words and words[-1].casefold() in {"the", "of", "&", "and"}:
            words.pop()
    if covered != set(org_terms):
        return False
    if not words:
        return True
    w = words[-1]
    return w.casefold().strip("-") not in _OTHER_ROLE and not (w[:1].isupper() and w not in CAPITALISED_FUNCTION_WORDS)


def _covers(org_terms: list[str], window: str, initials: str = "") -> bool:
    """True when each of the organisation's terms (or its `initials`) is named in the window, and
    nothing there makes it another role ("Paddy Ashdown, the former Liberal Democrat leader") or a
    part of the organisation ("Mike German, leader of the Liberal Democrats in the assembly")."""
    words = window.split()
    if any(w.casefold().strip(",-") in _OTHER_ROLE for w in words):
        return False
    named_at = [i for i, w in enumerate(words) if any(_names_term(w, t) for t in org_terms)]
    if named_at and any(w.casefold() in ("in", "at") for w in words[named_at[0] + 1 :]):
        return False  # a part of it: "leader of the Liberal Democrats in the assembly", "...in Scotland"
    if _names_initials(initials, window):
        return True
    if _names_another(org_terms, window, initials):
        return False
    return all(any(_names_term(w, t) for w in words) for t in org_terms)


def _names_another(org_terms: list[str], window: str, initials: str = "") -> bool:
    """True when the window names another organisation: a name that is none of the organisation's
    terms nor its initials ("the president of Bank of China" for China)."""
    return not _names_initials(initials, window) and any(
        w[:1].isupper() and w not in CAPITALISED_FUNCTION_WORDS and w.casefold() not in _GENERIC
        and not any(_names_term(w, t) for t in org_terms) for w in window.split()
    )


def holders(text: str, asked: RoleQuestion, story_terms: Callable[[], set[str]] = set) -> list[str]:
    """The names this sentence gives as holding the asked role in the asked organisation.

    The organisation's names (capitalised words) must be next to the role; its other words
    ("the England rugby team") may be anywhere in the story (`story_terms()`, its terms as
    `tokenize` gives them, read only when a name was found).
    """
    org_terms = _org_terms(asked)
    initials = _initials(asked.org)
    words = "|".join(sorted((re.escape(w) for w in asked.words), key=len, reverse=True))
    found: list[str] = []
    # "<org> <role> <Name>"
    for m in re.finditer(r"(?<![\w'’&.-])(?P<before>(?:" + _W + r"\s+){0,6}?)(?i:" + words + r")\s+(?P<name>" + NAME_PATTERN + ")", text):
        if _org_before(org_terms, m.group("before"), initials):
            found.append(m.group("name"))
    # "<Name>, (the) <org>('s) <role>" and "<Name>, <role> of <org>"
    after = r"(?P<after>\s+(?:of|at)\s+(?:the\s+)?(?:" + _W + r"\s*){1,5})?"
    for m in re.finditer("(?P<name>" + NAME_PATTERN + r"),\s+(?P<between>(?:" + _W + r"\s+){0,5}?)(?i:" + words + r")\b" + after, text):
        between = m.group("between")
        if between.strip():  # "Lord Strathclyde, Tory leader in the Lords" leads a part of it
            part = (m.group("after") or "").split()[:1] == ["at"] or _QUALIFIED.match(text, m.end())
            if not part and _org_before(org_terms, between, initials):
                found.append(m.group("name"))
        elif _covers(org_terms, m.group("after") or "", initials):
            found.append(m.group("name"))
    # "<role> of (the) <org>, <Name>"
    of_org = r"\s+(?:of|at)\s+(?P<org>(?:" + _W + r"\s+){0,5}?" + _W + ")"
    for m in re.finditer(r"(?P<lead>\S+\s+)?(?<![\w-])(?i:" + words + ")" + of_org + r",\s+(?P<name>" + NAME_PATTERN + ")", text):
        if _covers(org_terms, (m.group("lead") or "") + m.group("org"), initials):
            found.append(m.group("name"))
    found = [n for n in (clean_name(n) for n in found) if n]
    rest = [t for t in _terms(asked.org) if t not in org_terms]
    if found and rest and not all(t in story_terms() for t in rest):
        return []
    return found


def clean_name(name: str) -> str:
    """The name without a title, or "" when it is not a person's name ("The", "Monday")."""
    parts = name.split()
    while parts and parts[0].rstrip(".") in _HONORIFICS:
        parts = parts[1:]
    if not parts or parts[0] in _NOT_NAMES:
        return ""
    return " ".join(parts)


def same_person(a: str, b: str) -> bool:
    """"Jose Mourinho" and "Mourinho" are one person (the surname, and the first name when both give one)."""
    pa, pb = a.split(), b.split()
    return pa[-1] == pb[-1] and (len(pa) == 1 or len(pb) == 1 or pa[0] == pb[0])


def choose(named: list[tuple[int, str, str]], instead_of: str = "") -> str:
    """Of (row, name, published_at) matches, the holder: in the most recent story, then most named
    (never `instead_of`, the one a "Who replaced X as...?" question names)."""
    named = [m for m in named if not (instead_of and same_person(m[1], instead_of))]
    if not named:
        return ""
    people: list[str] = []
    for _, name, _ in named:
        if not any(same_person(name, p) for p in people):
            people.append(name)
    # The fullest form of each name ("Jose Mourinho" over "Mourinho").
    full = {p: max((n for _, n, _ in named if same_person(n, p)), key=len) for p in people}
    counts = Counter(next(p for p in people if same_person(n, p)) for _, n, _ in named)
    latest = {p: max((d for _, n, d in named if same_person(n, p)), default="") for p in people}
    best = max(people, key=lambda p: (latest[p], counts[p], -people.index(p)))
    return full[best]
