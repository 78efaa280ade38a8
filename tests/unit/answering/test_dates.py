"""Date expressions in questions and in --since/--until values, with a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retrieval.answering.dates import DateWindow, find_window, parse_since, parse_until, window_from_options
from retrieval.errors import QuestionError

# Wednesday 19 March 2025, 15:30 UTC.
NOW = datetime(2025, 3, 19, 15, 30, tzinfo=UTC)

# (question, since, until) with since/until as "YYYY-MM-DD" days (until = that whole day),
# a full ISO time, or None for an open side.
WINDOWS = [
    ("What happened today?", "2025-03-19", None),
    ("Any news tonight?", "2025-03-19", None),
    ("What did the minister say this morning?", "2025-03-19", None),
    ("What happened yesterday?", "2025-03-18", "2025-03-18"),
    ("What happened the day before yesterday?", "2025-03-17", "2025-03-17"),
    ("Who won last night?", "2025-03-18", None),
    ("What did the Treasury say last week?", "2025-03-10", "2025-03-16"),
    ("What did the Treasury say this week?", "2025-03-17", None),
    ("What did the Treasury say in the past week?", "2025-03-12", None),
    ("What did the Treasury say over the last week?", "2025-03-12", None),
    ("What changed this month?", "2025-03-01", None),
    ("What changed last month?", "2025-02-01", "2025-02-28"),
    ("What changed this year?", "2025-01-01", None),
    ("What changed last year?", "2024-01-01", "2024-12-31"),
    ("What happened last weekend?", "2025-03-15", "2025-03-16"),
    ("What happened in the last fortnight?", "2025-03-05", None),
    ("What happened over the past 3 days?", "2025-03-16", None),
    ("What happened over the past three days?", "2025-03-16", None),
    ("What happened in the last 24 hours?", "2025-03-18T15:30:00Z", None),
    ("What happened in the past few weeks?", "2025-02-26", None),
    ("What happened in the last couple of days?", "2025-03-17", None),
    ("What happened in recent days?", "2025-03-12", None),
    ("What happened 3 days ago?", "2025-03-16", "2025-03-16"),
    ("What happened two weeks ago?", "2025-03-03", "2025-03-09"),
    ("What happened a month ago?", "2025-02-01", "2025-02-28"),
    ("What happened a year ago?", "2024-01-01", "2024-12-31"),
    ("What was announced since Monday?", "2025-03-17", None),
    ("What was announced on Monday?", "2025-03-17", "2025-03-17"),
    ("What was announced last Friday?", "2025-03-14", "2025-03-14"),
    ("What did the Fed say Tuesday?", "2025-03-18", "2025-03-18"),
    ("What was said on Wednesday?", "2025-03-19", "2025-03-19"),
    ("What happened last Wednesday?", "2025-03-12", "2025-03-12"),
    ("What happened in March 2005?", "2005-03-01", "2005-03-31"),
    ("In March 2005, what did Yukos do?", "2005-03-01", "2005-03-31"),
    ("What did the court decide on 5 May?", "2024-05-05", "2024-05-05"),
    ("What did the court decide on the 5th of May 2005?", "2005-05-05", "2005-05-05"),
    ("What happened on May 5, 2005?", "2005-05-05", "2005-05-05"),
    ("What happened on October 22, 2023?", "2023-10-22", "2023-10-22"),
    ("What did Sky report on 2023-11-24?", "2023-11-24", "2023-11-24"),
    ("What was published at 2023-10-04T22:42:00+00:00?", "2023-10-04", "2023-10-04"),
    ("What happened in 2004?", "2004-01-01", "2004-12-31"),
    ("What happened during 2004?", "2004-01-01", "2004-12-31"),
    ("What did the PM say in May?", "2024-05-01", "2024-05-31"),
    ("What did the PM say in March?", "2025-03-01", "2025-03-31"),
    ("What did the PM say last March?", "2024-03-01", "2024-03-31"),
    ("What happened in early March?", "2025-03-01", "2025-03-10"),
    ("What happened in late 2004?", "2004-09-01", "2004-12-31"),
    ("What happened since 2004?", "2004-01-01", None),
    ("What happened after October 22, 2023?", "2023-10-23", None),
    ("What happened before 2005?", None, "2004-12-31"),
    ("What happened until last week?", None, "2025-03-16"),
    ("What happened since last week?", "2025-03-10", None),
    ("What happened between March and May 2005?", "2005-03-01", "2005-05-31"),
    ("What happened between November 2004 and February 2005?", "2004-11-01", "2005-02-28"),
    ("What happened between 2004 and 2005?", "2004-01-01", "2005-12-31"),
    ("What reduced inequality between 1914 to 1945?", "1914-01-01", "1945-12-31"),
    ("What happened from 1 March to 15 March?", "2025-03-01", "2025-03-15"),
    ("What happened from Monday to Tuesday?", "2025-03-17", "2025-03-18"),
    ("Between the report from The Verge on 2023-11-24 and the one from Wired on 2023-11-25, do they agree?", "2023-11-24", "2023-11-25"),
    ("did the rally on the 3rd of march pass off peacefully?", "2025-03-03", "2025-03-03"),
    ("what did they say in june?", "2024-06-01", "2024-06-30"),
]


def _bound(text: str | None, end: bool) -> str | None:
    if text is None:
        return None
    if "T" in text:
        return text
    return f"{text}T23:59:59Z" if end else f"{text}T00:00:00Z"


@pytest.mark.parametrize(("question", "since", "until"), WINDOWS, ids=[w[0] for w in WINDOWS])
def test_expression_sets_the_window(question, since, until):
    dated = find_window(question, now=NOW)
    assert dated.window is not None, question
    assert dated.window.since_iso() == _bound(since, end=False)
    assert dated.window.until_iso() == _bound(until, end=True)
    assert dated.question == question


def test_there_are_at_least_forty_expressions():
    assert len(WINDOWS) >= 40


NOT_DATES = [
    "How many people did Venezuela release?",
    "What did Theresa May say about Brexit?",
    "Since May took office, what has changed?",
    "What did May's government promise?",
    "Will the unions march on Parliament?",
    "Rule 5 may apply to the case, says who?",
    "Who won the 2004 Super Bowl?",
    "What was said at the March 8 rally?",
    "Which exchange grew within 180 days of its June 2017 launch?",
    "Which company, founded in late 2015, makes ChatGPT?",
    "What is on Channel 4?",
    "How many homes were built in 2000 homes?",
    "How did 1,500 workers react to the 2,000 job cuts?",
    "Who scored in Week 4?",
    "What deals were there on Black Friday?",
    "Who hosted Saturday Night Live?",
    "What did Monday Night Football show?",
    "What did Business Today report about Israel?",
    "How did Kirk Cousins do in last week's game?",
    "Is the team better compared to the previous year?",
    "What will happen next week?",
    "What is the latest news?",
    "What happened in the 1990s?",
    "Jan Smith and Dec Donnelly presented what?",
    "What costs $2004?",
    "What happened between 2004 and the war?",
    "",
]


@pytest.mark.parametrize("question", NOT_DATES)
def test_no_window_leaves_the_question_untouched(question):
    dated = find_window(question, now=NOW)
    assert dated.window is None, dated.window
    assert dated.search_question == question


@pytest.mark.parametrize(
    ("question", "search"),
    [
        ("What did the Treasury say last week?", "What did the Treasury say?"),
        ("Anything from Reuters since Monday?", "Anything from Reuters?"),
        ("In March 2005, what did Yukos do?", "What did Yukos do?"),
        ("What happened over the past 3 days?", "What happened?"),
        ("Who won the election in 2004 and why?", "Who won the election and why?"),
        (
            "Between the report from The Verge on 2023-11-24 and the one from Wired on 2023-11-25, do they agree?",
            "Between the report from The Verge and the one from Wired, do they agree?",
        ),
        ("yesterday", "yesterday"),  # nothing left: keep the question as asked
    ],
)
def test_date_words_are_removed_for_retrieval(question, search):
    assert find_window(question, now=NOW).search_question == search


def test_several_expressions_give_the_window_holding_all():
    w = find_window("Was the 2023-11-01 report consistent with the one on November 6, 2023?", now=NOW).window
    # "the 2023-11-01 report" names a report (after "the"), so only November 6 counts.
    assert (w.since_iso(), w.until_iso()) == ("2023-11-06T00:00:00Z", "2023-11-06T23:59:59Z")
    w = find_window("Did Polygon on October 18th and Engadget on October 20th agree?", now=datetime(2024, 1, 1, tzinfo=UTC)).window
    assert (w.since_iso(), w.until_iso()) == ("2023-10-18T00:00:00Z", "2023-10-20T23:59:59Z")
    assert w.expression == "on October 18th; on October 20th"


def test_open_side_in_a_hull_stays_open():
    w = find_window("Did they report after November 6, 2023 what they said on November 1, 2023?", now=NOW).window
    assert w.since_iso() == "2023-11-01T00:00:00Z" and w.until is None


def test_the_clock_decides_the_year_of_a_date_without_one():
    assert find_window("on 5 May", now=datetime(2005, 6, 1, tzinfo=UTC)).window.since_iso() == "2005-05-05T00:00:00Z"
    assert find_window("on 5 May", now=datetime(2005, 5, 4, tzinfo=UTC)).window.since_iso() == "2004-05-05T00:00:00Z"
    naive = find_window("yesterday", now=datetime(2005, 6, 1, 12))  # a naive clock is UTC
    assert naive.window.since_iso() == "2005-05-31T00:00:00Z"


def test_impossible_or_future_dates_set_no_window():
    assert find_window("What happened on 31 February 2005?", now=NOW).window is None
    assert find_window("What happens in 2099?", now=NOW).window is None
    assert find_window("What happened on 2025-13-45?", now=NOW).window is None


def test_window_helpers():
    w = DateWindow(datetime(2025, 3, 10, tzinfo=UTC), datetime(2025, 3, 16, 23, 59, 59, tzinfo=UTC), "last week")
    assert w.describe() == "2025-03-10 to 2025-03-16"
    assert w.contains(datetime(2025, 3, 16, 12, tzinfo=UTC)) and not w.contains(datetime(2025, 3, 17, tzinfo=UTC))
    assert not w.contains(None)  # an undated article is outside every bounded window
    assert w.to_json() == {"since": "2025-03-10T00:00:00Z", "until": "2025-03-16T23:59:59Z", "expression": "last week"}
    assert DateWindow(since=datetime(2025, 3, 17, tzinfo=UTC)).describe() == "since 2025-03-17"
    assert DateWindow(until=datetime(2025, 3, 17, tzinfo=UTC)).describe() == "until 2025-03-17"
    assert DateWindow(datetime(2025, 3, 17, tzinfo=UTC), datetime(2025, 3, 17, 23, tzinfo=UTC)).describe() == "on 2025-03-17"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_never_raises_on_any_text(text):
    dated = find_window(text, now=NOW)
    assert dated.question == text
    if dated.window is None:
        assert dated.search_question == text


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            ["since", "in", "on", "between", "and", "from", "to", "the", "last", "May", "march", "5th", "2004", "31",
             "February", "week", "ago", "3", "days", "past", "Monday", "yesterday", ",", "?", "of", "early", "2023-02-30"]
        ),
        max_size=12,
    )
)  # fmt: skip
def test_never_raises_on_date_like_word_salad(words):
    find_window(" ".join(words), now=NOW)


# -- --since / --until values ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "since", "until"),
    [
        ("2025-03-01", "2025-03-01T00:00:00+00:00", "2025-03-01T23:59:59+00:00"),
        ("2025-03-01T14:00Z", "2025-03-01T14:00:00+00:00", "2025-03-01T14:00:00+00:00"),
        ("2025-03-01T14:00+02:00", "2025-03-01T12:00:00+00:00", "2025-03-01T12:00:00+00:00"),
        ("24h", "2025-03-18T15:30:00+00:00", "2025-03-18T15:30:00+00:00"),
        ("2d", "2025-03-17T15:30:00+00:00", "2025-03-17T15:30:00+00:00"),
        ("1w", "2025-03-12T15:30:00+00:00", "2025-03-12T15:30:00+00:00"),
        ("3 days", "2025-03-16T15:30:00+00:00", "2025-03-16T15:30:00+00:00"),
        ("today", "2025-03-19T00:00:00+00:00", "2025-03-19T15:30:00+00:00"),
        ("yesterday", "2025-03-18T00:00:00+00:00", "2025-03-18T23:59:59+00:00"),
        ("last week", "2025-03-10T00:00:00+00:00", "2025-03-16T23:59:59+00:00"),
        ("March 2005", "2005-03-01T00:00:00+00:00", "2005-03-31T23:59:59+00:00"),
        ("now", "2025-03-19T15:30:00+00:00", "2025-03-19T15:30:00+00:00"),
    ],
)
def test_option_values(value, since, until):
    assert parse_since(value, now=NOW).isoformat() == since
    assert parse_until(value, now=NOW).isoformat() == until


@pytest.mark.parametrize("value", ["", "soon", "3 fortnights", "2025-02-30", "Reuters last week", "5x", "-1d"])
def test_bad_option_value_is_one_line_that_says_what_is_accepted(value):
    with pytest.raises(QuestionError) as err:
        parse_since(value, now=NOW)
    message = str(err.value)
    assert "\n" not in message and "--since" in message
    assert "2025-03-01" in message and "24h" in message and "yesterday" in message


def test_window_from_options():
    assert window_from_options(None, None, now=NOW) is None
    w = window_from_options("2025-03-01", "2025-03-31", now=NOW)
    assert (w.since_iso(), w.until_iso()) == ("2025-03-01T00:00:00Z", "2025-03-31T23:59:59Z")
    assert window_from_options("2d", None, now=NOW).until is None
    with pytest.raises(QuestionError, match="--until 2025-03-01 .* is before --since 2025-03-31"):
        window_from_options("2025-03-31", "2025-03-01", now=NOW)
