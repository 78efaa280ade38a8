"""Questions only some sentences can answer, however close the rest: what the question asks of an
event, and whether a sentence says it.

Checks of `admit.py`, after ranking: "Who won...?" is answered by a sentence saying someone won, "Was X
found guilty?" by a verdict, "...the year before?" by a sentence about an earlier year, "What's the
name of...?" by a name, a question about what happened not by what will or could happen, and a team
sheet only a question about a team.
"""

from __future__ import annotations

import re

from retrieval.answering.kinds import asks_value, new_material

# "Who won the 2004 Super Bowl?": a question asking who won is answered only by a sentence saying
# someone won, beat someone or took a title; the stories about the event that never say who won
# (the half-time show, a fine over it) do not answer it, however close they are.
_ASKS_WHO_WON = re.compile(
    r"^\s*(?:who|which\s+(?:\w+\s+){0,2}?(?:team|club|side|player|country|nation|film|album|horse|driver|party|"
    r"candidate|man|woman|band|singer|book))\s+(?:has\s+|have\s+|had\s+|eventually\s+|actually\s+)?"
    r"(?:won|wins|win|triumphed|claimed\s+(?:the\s+)?(?:title|crown|trophy|prize|award))\b",
    re.I,
)
_SAYS_WHO_WON = re.compile(
    r"\b(?:won|win|wins|winning|winner|winners|beat|beats|beaten|victory|victories|victorious|champions?|"
    r"title|titles|triumph\w*|defeat\w*|crowned|clinch\w*|lifted|retained|scooped|took\s+(?:the\s+)?(?:title|crown|"
    r"gold|prize|award|trophy)|\d+-\d+)\b",
    re.I,
)


def asks_who_won(question: str) -> bool:
    """True for "Who won...?", "Which team won...?", "Who claimed the title...?"."""
    return bool(_ASKS_WHO_WON.search(question))


def says_who_won(text: str) -> bool:
    """True when the text says someone won, beat someone, took a title, or gives a score."""
    return bool(_SAYS_WHO_WON.search(text))


# "Was Michael Jackson found guilty or not guilty at the end of his trial?" asks for a verdict: his mother's
# "100% certain her son did not commit" the crimes is none, nor is anything else said before a jury decided.
_ASKS_VERDICT = re.compile(
    r"^\s*(?:was|were|is|are|has|have|had|did|will)\b.*\b(?:found\s+(?:not\s+)?guilty|guilty\s+or\s+not|convicted|"
    r"acquitted|cleared\s+of)\b|\bwhat\s+(?:was|is|were)\s+the\s+verdict\b",
    re.I,
)
_SAYS_VERDICT = re.compile(
    r"\b(?:guilty|acquit\w*|convict\w*|verdicts?|cleared|jury\s+found|found\s+(?:him|her|them)|jailed|sentenced|"
    r"pleaded|admitted)\b",
    re.I,
)


# "Who won the award the year before Leroi's Mutants?" asks about another year than the story's: a sentence
# about this year's winner is no answer; one about "last year's" may be.
_ASKS_YEAR_BEFORE = re.compile(r"\b(?:the\s+)?(?:year|season)\s+(?:before|earlier)\b|\bprevious\s+(?:year|season)\b", re.I)
_SAYS_ANOTHER_YEAR = re.compile(
    r"\b(?:last|previous|preceding)\s+(?:year|season)|\b(?:year|season)\s+(?:before|earlier)|\ba\s+year\s+(?:ago|earlier)",
    re.I)  # not any year: "...knighted in 2002" does not say who lectured the year before Greenspan


def asks_year_before(question: str) -> bool:
    """True for "Who got it the year before?"; not for a value compared with it ("rose 12% on a year before")."""
    return bool(_ASKS_YEAR_BEFORE.search(question)) and not asks_value(question)


def says_another_year(text: str) -> bool:  # "last year's winner", "a year earlier"
    return bool(_SAYS_ANOTHER_YEAR.search(text))


def asks_verdict(question: str) -> bool:
    """True for "Was X found guilty?", "Was she convicted?", "What was the verdict?"."""
    return bool(_ASKS_VERDICT.search(question))


def says_verdict(text: str) -> bool:
    """True when the text gives a verdict or what follows one (found guilty, acquitted, cleared, jailed)."""
    return bool(_SAYS_VERDICT.search(text))


# "When did the A380 make its maiden flight?" asks what happened; "Due to enter service in 2006, the
# A380 will replace the 747" says what will happen, and "3,000 jobs could be lost if the deal goes
# ahead" what could: neither answers it, however close (measured on the dev set's and the second
# writer's questions: no sentence that answers a question read as past says what will happen).
_ASKS_PAST = re.compile(
    r"\b(?:did|was|were|had|died|won|lost|made|took|said|told|came|went|got|gave|paid|sold|bought|left|met|began|"
    r"became|fell|rose|[a-z]{3,}ed)\b",
    re.I,
)
# ... unless the question also speaks of now, of what will be or of what could be ("Who has been
# named...?", "How much is it expected to cost?", "What would they buy?").
_ASKS_NOT_ONLY_PAST = re.compile(
    r"['’]d\b|\b(?:is|are|am|will|does|do|has|have|can|would|could|might|may|should|going to|expected|plans?|due|"
    r"(?:what|who|where|when|how|there|it|that|which)['’]s)\b",
    re.I,
)
# Lower case only: "Will" opening a sentence is as often a name.
_SAYS_FUTURE = re.compile(
    r"\b(?:will|won't|(?:is|are) (?:set|expected|due|poised|scheduled|planning|preparing|hoping|going) to|could be|"
    r"plans? to|intends? to|aims? to)\b"  # not "planned to last 48 hours, it went on for 63 days"
)
# What someone said will happen is what they said, which may be what was asked ("OpenAI announced
# that GPT-4 with vision will become available", "...predicted a planet that could be found").
_REPORTS = re.compile(
    r"\b(?:said|says|say|told|tells|announced|announces|insisted|insists|reported|reports|warned|warns|predicted|"
    r"claimed|claims|added|confirmed|revealed|indicated|believes?|thinks?|hopes?|expects?|promised|pledged|that)\b",
    re.I,
)


def asks_what_happened(question: str) -> bool:
    """True for a question about the past only: "When did...?", "How many people lost their jobs...?"."""
    return bool(_ASKS_PAST.search(question)) and not _ASKS_NOT_ONLY_PAST.search(question)


def says_what_will_happen(text: str) -> bool:
    """True when the text says what will, is set to or could happen ("...will go on sale in March"),
    and not as what someone said or expects."""
    found = _SAYS_FUTURE.search(text)
    return found is not None and not _REPORTS.search(text, 0, found.start())


# A team sheet ("J Robinson (capt); M Cueto, J Noon, O Barkley, J Lewsey; C Hodgson...") is stored as
# a sentence and shares a match preview's names, but reads as no answer, except to a question
# about the team itself ("Who is in the England side?").
_LISTED_PLAYER = re.compile(r"(?:^|[,;:.]\s*)(?:[A-Z]{1,2}\.?|[A-Z][a-z]+)\s+[A-Z][\w'’-]+(?:\s+\(\w+\))?(?=\s*[,;.]|\s*$)")
_ASKS_TEAM = re.compile(r"\b(?:team|teams|squad|squads|line-?ups?|side|sides|XV|starting|bench|replacements|named|picked|selected)\b", re.I)
LISTED_NAMES = 5  # this many "Initial Surname" items, separated by commas or semicolons, make a team sheet


def is_team_sheet(text: str) -> bool:
    """True for a list of players' names ("G Murphy; S Horgan, B O'Driscoll (capt), K Maggs, T Bowe...")."""
    return len(_LISTED_PLAYER.findall(text)) >= LISTED_NAMES and len(_LISTED_PLAYER.sub("", text).split()) <= 3


def asks_about_a_team(question: str) -> bool:
    """True when a team sheet may answer: the question asks who is in a team or squad."""
    return bool(_ASKS_TEAM.search(question))


# "What's the name of the man who dumped manure on Kilroy-Silk?" and "What will the merged bank be called?"
# ask for a name: "As I started to turn round a guy tipped a bucket of farmyard muck over me" gives none.
# A name is a capitalised word the question does not use (not opening the sentence or a quote, not "I"),
# or a word after "called", "named", "dubbed" ("was called Bankash-A").
_ASKS_NAME = re.compile(
    r"\bwhat(?:'s|’s|\s+is|\s+was|\s+were|\s+are|\s+will\s+be)?\s+(?:the\s+)?names?\s+of\b|"
    r"\bwhat\s+(?:will|would|is|was|are|were|does|did)\b.*\b(?:called|named|dubbed|titled|known\s+as)\s*\??\s*$",
    re.I,
)
_SAYS_NAME = re.compile(r"(?<!^)(?<![.!?\"“‘']\s)(?<![\"“‘'])\b(?!I\b)[A-Z][\w'’-]*")
_CALLED = re.compile(r"\b(?:called|named|dubbed|titled|known\s+as)\s+[\"“‘']?[A-Z0-9]")


def asks_name(question: str) -> bool:
    """True for "What's the name of...?", "What will the merged bank be called?"."""
    return bool(_ASKS_NAME.search(question))


def says_name(text: str, question: str) -> bool:
    """True when the text gives a name the question does not already use."""
    return bool(_SAYS_NAME.search(new_material(text, question)) or _CALLED.search(text))
