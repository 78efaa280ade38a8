"""Who holds a role: the question read as (role, organisation), the holder found where news names it."""

from __future__ import annotations

import pytest

from retrieval.answering import roles
from retrieval.answering.describe import asked_club, asked_person, asked_thing_name, descriptions, what_it_is
from retrieval.answering.roles import asked_role, holders
from tests.helpers import engine_over


@pytest.mark.parametrize(
    ("question", "role", "org"),
    [
        ("Who leads the Liberal Democrats?", "leader", "Liberal Democrats"),
        ("Who manages Chelsea?", "manager", "Chelsea"),
        ("Who is the manager of Chelsea?", "manager", "Chelsea"),
        ("Who's the current boss at Microsoft?", "manager", "Microsoft"),
        ("Who is Arsenal's manager?", "manager", "Arsenal"),
        ("Who is the Tory leader?", "leader", "Tory"),
        ("Who coaches the England rugby team now?", "coach", "England rugby team"),
        ("who runs Microsoft", "chief executive", "Microsoft"),
        ("Who founded Microsoft?", "founder", "Microsoft"),
        ("Who captains Wales?", "captain", "Wales"),
        # As readers also ask it.
        ("Who's in charge of Chelsea?", "manager", "Chelsea"),
        ("Who is Chelsea's current manager?", "manager", "Chelsea"),
        ("Who is the current Chelsea manager?", "manager", "Chelsea"),
        ("Who is running Microsoft?", "chief executive", "Microsoft"),
        ("Who is the PM?", "prime minister", ""),
        ("who is the chancellor of the exchequer", "chancellor", ""),
        ("Who is the director-general of the CBI?", "director general", "CBI"),
        ("Who is the BBC director general?", "director general", "BBC"),
    ],
)
def test_a_role_question_is_read_as_role_and_organisation(question, role, org):
    asked = asked_role(question)
    assert asked is not None and (asked.role, asked.org) == (role, org)


@pytest.mark.parametrize(
    "question",
    [
        "Who won the Six Nations?",  # no role
        "Who is Charles Kennedy?",  # a person, not a role
        "Who leads them?",  # no organisation: a follow-up, for the ranker
        "Who captained Ireland when they beat Scotland in Edinburgh?",  # asks about one match
        "Who was the leader of Russia in the 1960's?",  # asks about a time
        "Who led New France reinforcements in 1765?",
        "How many people did Venezuela release?",
    ],
)
def test_other_questions_are_left_to_the_ranker(question):
    assert asked_role(question) is None


LIB_DEMS = asked_role("Who leads the Liberal Democrats?")


@pytest.mark.parametrize(
    ("sentence", "named"),
    [
        ("Liberal Democrat leader Charles Kennedy has begun a week-long tour.", ["Charles Kennedy"]),
        ("Lib Dem leader Charles Kennedy said the party was ready.", ["Charles Kennedy"]),
        ("Charles Kennedy, leader of the Liberal Democrats, said no.", ["Charles Kennedy"]),
        ("The leader of the Liberal Democrats, Charles Kennedy, said no.", ["Charles Kennedy"]),
        ("Mr Kennedy, the Liberal Democrat leader, spoke first.", ["Kennedy"]),
        ("Tory leader Michael Howard said the Liberal Democrats were soft on crime.", []),
        ("The Liberal Democrats launched their campaign with leader Charles Kennedy.", []),  # "with leader": no org next to it
        ("The Liberal Democrat leader said The Times was wrong.", []),  # "The Times" is no person
    ],
)
def test_the_holder_is_named_where_news_writes_it(sentence, named):
    assert holders(sentence, LIB_DEMS) == named


TORIES = asked_role("Who leads the Conservatives?")


@pytest.mark.parametrize(
    ("sentence", "named"),
    [
        ("Conservative Party leader Michael Howard said.", ["Michael Howard"]),
        ("But Conservative leader Michael Howard said.", ["Michael Howard"]),
        ("Scottish Conservative Party leader David McLetchie claims.", []),  # another organisation
        ("Former Conservative leader Iain Duncan Smith said.", []),  # another time
        ("Conservative deputy leader Michael Ancram said.", []),  # another role
        ("Paddy Ashdown, the former Conservative leader, said.", []),
        ("The former leader of the Conservatives, Iain Duncan Smith, said.", []),
        # a part of it: the leader in one chamber or nation
        ("Lord Strathclyde, Conservative leader in the Lords, said.", []),
        ("Mike German, leader of the Conservatives in the assembly, said.", []),
        ("The leader of the Conservatives in Scotland, David McLetchie, said.", []),
        ("Michael Howard, the Conservative leader, said.", ["Michael Howard"]),
    ],
)
def test_another_organisation_role_or_time_is_not_the_holder(sentence, named):
    assert holders(sentence, TORIES) == named


def test_a_title_needs_no_organisation_but_no_qualifier_either():
    asked = asked_role("Who is the chancellor?")
    assert asked is not None and (asked.role, asked.org) == ("chancellor", "")
    assert asked_role("Who's the Home Secretary?").role == "home secretary"
    assert asked_role("Who is the manager?") is None  # every club has one: the ranker's
    assert asked_role("Who is the new home secretary?").org == ""
    assert holders("New Home Secretary Charles Clarke vowed to act.", asked_role("Who is the home secretary?")) == [
        "Charles Clarke"
    ]
    assert holders("New York Mayor Michael Bloomberg said.", asked_role("Who is the mayor?")) == []
    assert holders("Chancellor Gordon Brown said the figures did not add up.", asked) == ["Gordon Brown"]
    assert holders("Mr Brown, the chancellor, said no.", asked) == ["Brown"]
    for other in ["German Chancellor Gerhard Schroeder said.", "Lord Chancellor Lord Falconer said.",
                  "Shadow chancellor Oliver Letwin said.", "The former chancellor Nigel Lawson said."]:
        assert holders(other, asked) == [], other


@pytest.mark.parametrize(
    ("question", "sentence", "named"),
    [
        # A country by its adjective, either way round.
        ("Who is the president of France?", "French President Jacques Chirac said.", ["Jacques Chirac"]),
        ("Who is the Irish prime minister?", "Irish Prime Minister Bertie Ahern said.", ["Bertie Ahern"]),
        ("Who is the prime minister of Ireland?", "Bertie Ahern, Ireland's prime minister, said.", ["Bertie Ahern"]),
        ("Who is the president of Russia?", "Russian President Vladimir Putin said.", ["Vladimir Putin"]),
        ("Who is the president of France?", "Scottish President Bob Smith said.", []),
        # Short forms in capitals ("US" is "us" to the search), and an organisation by its initials.
        ("Who is the US president?", "US President George W Bush said so.", ["George W Bush"]),
        ("Who is the US president?", "He told us President Bush was wrong.", []),
        ("Who is the president of the United States?", "US President George W. Bush said so.", ["George W. Bush"]),
        ("Who is the president of the United States?", "Bush, the US president, said.", ["Bush"]),
        # Another organisation named after "of", or another role joined to it by a hyphen.
        ("Who is the president of China?", "The president of Bank of China, Wang Xuebing, was jailed.", []),
        ("Who is the president of China?", "The ex-president of China, Jiang Zemin, said.", []),
        ("Who is the president of China?", "The president of China, Hu Jintao, said.", ["Hu Jintao"]),
    ],
)
def test_countries_by_adjective_initials_and_short_forms(question, sentence, named):
    assert holders(sentence, asked_role(question)) == named


def test_the_holder_is_looked_up_by_the_countrys_adjective_too():
    assert "irish" in roles.search_text(asked_role("Who is the prime minister of Ireland?")).split()
    assert roles.search_text(asked_role("Who leads the Liberal Democrats?")) == "Liberal Democrats leader leaders"
    assert "Russian" in roles.search_text(asked_role("Who is the president of Russia?")).split()
    assert "Italian" in roles.search_text(asked_role("Who is the prime minister of Italy?")).split()


def test_an_unqualified_title_before_a_name_is_not_the_asked_countrys():
    # "Who is the president of China?" quoted "President Putin also suggested that China's National
    # Petroleum Corporation could..." over the BBC set: "President Putin" names someone's president.
    china = asked_role("Who is the president of China?")
    assert not roles.states_role("President Putin said China's oil firm could play a role.", china)
    assert roles.states_role("China's president Hu Jintao visited Brazil.", china)
    assert roles.states_role("The president of China, Hu Jintao, visited Brazil.", china)


def test_the_organisations_other_words_may_be_anywhere_in_the_story():
    asked = asked_role("Who coaches the England rugby team?")
    assert holders("England coach Andy Robinson named his side.", asked, lambda: {"rugbi", "team", "england"})
    assert holders("England coach Sven-Goran Eriksson named his side.", asked, lambda: {"footbal", "england"}) == []


def test_the_holder_is_the_one_in_the_latest_story_then_the_most_named():
    named = [(1, "Paddy Ashdown", "1998-05-01"), (2, "Charles Kennedy", "2005-03-01"), (3, "Ashdown", "1997-01-01")]
    assert roles.choose(named) == "Charles Kennedy"
    undated = [(1, "Jose Mourinho", ""), (2, "Mourinho", ""), (3, "Claudio Ranieri", "")]
    assert roles.choose(undated) == "Jose Mourinho"
    assert roles.choose([]) == ""


@pytest.mark.parametrize(
    ("question", "name"),
    [
        ("Who is Charles Kennedy?", "Charles Kennedy"),
        ("who's Jose Mourinho", "Jose Mourinho"),
        ("Who was Sir Alex Ferguson?", "Alex Ferguson"),
        ("Who is Mourinho?", "Mourinho"),
        ("Who is the chancellor?", ""),  # a role: asked_role's
        ("Who is he?", ""),  # a follow-up: the ranker's
        ("Who is UKIP?", ""),  # an organisation
        ("Who is Charles Kennedy's deputy?", ""),
        ("who is ruud van nistelrooy", "Ruud van Nistelrooy"),  # typed in lower case, as in chat
        ("what does jose mourinho do?", "Jose Mourinho"),
        ("What is Liam Fox's job?", "Liam Fox"),
        ("what does he do", ""),
        ("what is the time", ""),
    ],
)
def test_a_who_is_question_names_a_person(question, name):
    assert asked_person(question) == name


@pytest.mark.parametrize(
    ("sentence", "name", "described"),
    [
        ("Liberal Democrat leader Charles Kennedy has begun a tour.", "Charles Kennedy", ["Liberal Democrat leader"]),
        ("Double Olympic champion Kelly Holmes has been voted athlete of the year.", "Kelly Holmes", ["Double Olympic champion"]),
        ("England's acting head coach Andy Robinson said no.", "Andy Robinson", ["England's acting head coach"]),
        ("Sir Bobby Robson has offered Chelsea boss Jose Mourinho some advice.", "Mourinho", ["Chelsea boss"]),
        ("Ken Livingstone, the London mayor, said sorry.", "Ken Livingstone", ["the London mayor"]),
        ("It came as the co-chairman of the Conservative Party, Liam Fox, spoke.", "Liam Fox",
         ["the co-chairman of the Conservative Party"]),
        ("It is a dispute between Ken Livingstone and a reporter.", "Ken Livingstone", []),
        ("\"We will win,\" said Jose Mourinho.", "Jose Mourinho", []),
        ("Michael Owen, a fine player, scored.", "Jose Mourinho", []),
    ],
)
def test_what_news_calls_someone(sentence, name, described):
    assert descriptions(sentence, name) == described


def test_who_replaced_someone_asks_for_the_role_held_by_anyone_else():
    asked = asked_role("Who replaced David Blunkett as home secretary?")
    assert asked is not None and (asked.role, asked.org, asked.instead_of) == ("home secretary", "", "David Blunkett")
    asked = asked_role("Who succeeded Claudio Ranieri as Chelsea manager?")
    assert (asked.role, asked.org, asked.instead_of) == ("manager", "Chelsea", "Claudio Ranieri")
    assert asked_role("Who replaced him as captain?") is None
    # The occasion is no part of the role.
    asked = asked_role("Who will replace Jason Robinson as England captain for the Italy game?")
    assert asked is not None and (asked.role, asked.org, asked.instead_of) == ("captain", "England", "Jason Robinson")
    named = [(1, "David Blunkett", "2004-06-01"), (2, "Charles Clarke", "2004-12-20"), (3, "Blunkett", "2005-01-02")]
    assert roles.choose(named) == "David Blunkett"
    assert roles.choose(named, instead_of="David Blunkett") == "Charles Clarke"


def test_a_conversational_opener_is_not_part_of_the_question():
    assert roles.own_words("And who manages Arsenal?") == "who manages Arsenal?"
    assert roles.own_words("so, who is Jose Mourinho") == "who is Jose Mourinho"
    assert roles.own_words("Andy Robinson?") == "Andy Robinson?"  # a name, not "and"
    assert asked_role(roles.own_words("OK who leads UKIP?")).org == "UKIP"


def test_a_long_text_is_read_around_each_mention():
    # Each mention reads a window before it, not the whole text before it (a 200 KB "sentence" of an
    # old index, naming someone thousands of times, stays linear).
    long = "Filler words here. " * 20000 + "Chelsea boss Jose Mourinho spoke."
    assert descriptions(long, "Jose Mourinho") == ["Chelsea boss"]
    many = "Russian oil giant Yukos, " * 5000
    assert what_it_is(many, "Yukos") == ["Russian oil giant"] * 5000


def test_which_club_asks_for_a_description_naming_one():
    assert asked_club("Which club does Ruud van Nistelrooy play for?") == "Ruud van Nistelrooy"
    assert asked_club("Who does Thierry Henry play for?") == "Thierry Henry"
    assert asked_club("Who is Thierry Henry?") == ""
    assert asked_club("which club does ruud van nistelrooy play for") == "Ruud van Nistelrooy"
    assert descriptions("Manchester United striker Ruud van Nistelrooy may return.", "Ruud van Nistelrooy", club=True) == [
        "Manchester United striker"
    ]
    assert descriptions("Blatter hopes Arsenal's Thierry Henry wins.", "Thierry Henry", club=True) == ["Arsenal's"]
    assert descriptions("Blatter hopes Arsenal's Thierry Henry wins.", "Thierry Henry") == []  # "Who is...?" wants more
    assert descriptions("Striker Didier Drogba shot wide.", "Didier Drogba", club=True) == []  # a role, no club
    assert descriptions("Striker Didier Drogba shot wide.", "Didier Drogba") == ["Striker"]


@pytest.mark.parametrize(
    ("question", "name"),
    [("What is Yukos?", "Yukos"), ("What is the Gizmondo?", "Gizmondo"), ("what's UKIP", "UKIP"), ("What is Live 8?", "Live 8"),
     ("What is the time?", ""), ("What is it?", ""), ("What is Liam Fox's job?", "")],
)
def test_a_what_is_question_names_a_thing(question, name):
    assert asked_thing_name(question) == name


@pytest.mark.parametrize(
    ("sentence", "name", "described"),
    [
        ("A Russian company has bought the main unit of troubled oil giant Yukos.", "Yukos", ["troubled oil giant"]),
        ("Eurosceptic party UKIP have suspended a candidate.", "UKIP", ["Eurosceptic party"]),
        ("For gadget fans, the Gizmondo, a gaming console with GPS, is out.", "Gizmondo", ["a gaming console with GPS"]),
        ("Bank of America was barred from suing Parmalat, the food group which went bust.", "Parmalat",
         ["the food group which went bust"]),
        ("Sky is hoping to reach 10 million homes.", "Sky", []),
        ("He joined net telephony firm Skype.", "Sky", []),  # another name
    ],
)
def test_what_news_calls_a_thing(sentence, name, described):
    assert what_it_is(sentence, name) == described


def test_role_questions_are_answered_from_the_sentence_naming_the_holder(tmp_path, settings):
    engine = engine_over(tmp_path / "corpus", settings, [
        {"title": "Kennedy begins pre-election tour", "published_at": "2005-02-10",
         "text": "The Liberal Democrats say they are the real opposition. Lib Dem leader Charles Kennedy has "
                 "begun a week-long tour of target seats. The party leads in several of them."},
        {"title": "Ashdown to stand down", "published_at": "1998-06-01",
         "text": "Paddy Ashdown, leader of the Liberal Democrats, will stand down next year. "
                 "He has led the party since 1988."},
        {"title": "Lib Dems gain in polls", "published_at": "2005-02-12",
         "text": "The Liberal Democrats have gained three points in the latest poll. Party strategists "
                 "said the leads in marginal seats were encouraging."},
        {"title": "Yukos unit sold", "published_at": "2004-12-20",
         "text": "A little-known company has bought the main unit of Russian oil giant Yukos at auction. "
                 "Yukos shares fell."},
        {"title": "Chelsea go top", "published_at": "2005-01-20",
         "text": "Chelsea went five points clear. The club's owner watched from the stands."},
        {"title": "BP profits at record high", "published_at": "2005-02-08",
         "text": "BP has reported record annual profits on the back of high oil prices. BP chief executive "
                 "Lord Browne said the results were strong."},
        {"title": "Google shares jump", "published_at": "2005-02-01",
         "text": "Shares in Google jumped after the search firm beat forecasts. Google runs the most used "
                 "search engine. Time Warner owns part of Google."},
    ])

    ans = engine.ask("Who leads the Liberal Democrats?")
    assert not ans.abstained and "Charles Kennedy" in ans.answer and "Ashdown" not in ans.answer
    assert ans.citations[0].quote.startswith("Lib Dem leader Charles Kennedy")
    # Asked about the stories of 1998, the holder then.
    from retrieval.types import SearchFilters

    hits = engine.searcher.answer_hits("Who leads the Liberal Democrats?", k=4, filters=SearchFilters(until="1999-01-01"))
    assert [h.article.title for h in hits] == ["Ashdown to stand down"]
    # "Who is X?": what the stories call him.
    ans = engine.ask("Who is Charles Kennedy?")
    assert not ans.abstained and ans.citations[0].quote.startswith("Lib Dem leader Charles Kennedy")
    assert all(h.score != roles.SCORE for h in engine.searcher.answer_hits("Who is Steve Ballmer?", k=4))
    # "What is X?": what the stories call it.
    ans = engine.ask("What is Yukos?")
    assert not ans.abstained and "Russian oil giant Yukos" in ans.citations[0].quote
    # In a conversation, a role question names its own subject: not the conversation's.
    follow = engine.ask("And who leads the Liberal Democrats?", history=[(ans.question, ans.answer)])
    assert not follow.abstained and follow.citations[0].quote.startswith("Lib Dem leader Charles Kennedy")
    # No sentence names Chelsea's owner: the ranker answers or declines as for any question.
    hits = engine.searcher.answer_hits("Who owns Chelsea?", k=4)
    assert all(h.score != roles.SCORE for h in hits)
    # "Boss" of a firm is its chief executive (of a club, its manager: the first reading, tried first).
    hits = engine.searcher.answer_hits("Who is the boss of BP?", k=4)
    assert hits[0].sentence.text.startswith("BP chief executive Lord Browne") and hits[0].score == roles.SCORE
    # No sentence names Google's head: only a sentence naming the role could answer, so it declines
    # rather than quote the story's other sentences.
    assert engine.searcher.answer_hits("Who runs Google?", k=4) == []
    assert engine.ask("Who is the chief executive of Google?").abstained


def test_a_role_noun_with_several_readings_tries_each():
    asked = asked_role("Who is the boss of BP?")
    assert asked.words == ("manager", "boss") and "chief executive" in asked.also
    assert asked_role("Who is the chief executive of BP?").also == ()
    assert roles.states_role("BP's chief said so.", asked) and not roles.states_role("BP shares fell.", asked)
    # "Who leads the race?" may be answered by "X leads the race": no role word is asked of it.
    assert not roles.names_an_organisation(asked_role("Who leads the race?"))
    assert roles.names_an_organisation(asked) and roles.names_an_organisation(asked_role("Who is the chancellor?"))


def test_initials_count_with_a_possessive_or_full_stop():
    asked = asked_role("Who is the president of the United States?")
    assert roles.states_role("The US's president spoke.", asked)
    assert roles.states_role("It is the US. The president spoke.", asked)
    assert not roles.states_role("The president of France spoke.", asked)


def test_a_former_holder_or_another_organisations_role_is_not_the_role():
    # "Who is the president of China?" was answered from "Li Ruigang, president of the commercial
    # broadcaster Shanghai Media Group, told the conference that China's...".
    asked = asked_role("Who is the president of China?")
    china = lambda: {"china"}  # noqa: E731 - the story names China
    assert roles.states_role("The president of China spoke.", asked, china)
    assert roles.states_role("Its president said so.", asked, china)
    assert not roles.states_role("Li Ruigang, president of Shanghai Media Group, told the conference.", asked, china)
    assert not roles.states_role("Venezuelan president Hugo Chavez offered China access.", asked, china)
    assert not roles.states_role("The former president spoke in China.", asked, china)
    assert not roles.states_role("The ex-president of Bank of China was jailed.", asked, china)


@pytest.mark.parametrize("question", ["Who is the manager of Arsenal FC?", "Who manages Arsenal football club?",
                                      "Who is Arsenal F.C.'s manager?"])
def test_a_club_or_company_suffix_is_no_part_of_the_organisation(question):
    assert asked_role(question).org == "Arsenal"
    assert asked_role("Who is the chief executive of BP plc?").org == "BP"


@pytest.mark.parametrize(
    ("question", "old"),
    [("Who replaced David Blunkett?", "David Blunkett"), ("who succeeded Blunkett", "Blunkett"),
     ("Who took over from Greg Dyke?", "Greg Dyke"), ("Who replaced David Blunkett as home secretary?", ""),
     ("Who replaced the goalkeeper?", "")],
)
def test_who_replaced_someone_without_the_role(question, old):
    assert roles.replaced_whom(question) == old
    # A follow-up's pronoun is the name its rewrite carries over.
    assert roles.replaced_whom("who replaced him?", "who replaced him? (David Blunkett)") == "David Blunkett"
    assert roles.replaced_whom("who replaced him?") == ""


def test_who_replaced_someone_is_asked_of_the_role_news_gives_them(tmp_path, settings):
    # "Who replaced David Blunkett?" quoted "Lucy was replaced by her half-sister, Sadie": the
    # question names no role, so the ranker took the sentence with "replaced" in it.
    engine = engine_over(tmp_path / "corpus", settings, [
        {"title": "Blunkett resigns over nanny visa",
         "text": "Home Secretary David Blunkett has resigned. Home Secretary David Blunkett said he had done "
                 "nothing wrong. His guide dog Lucy was replaced by her half-sister, Sadie, in 2003."},
        {"title": "Clarke sets out plans",
         "text": "Home Secretary Charles Clarke has set out new plans for identity cards. The plans were "
                 "welcomed by police chiefs."},
    ])
    ans = engine.ask("Who replaced David Blunkett?")
    assert not ans.abstained and "Home Secretary Charles Clarke" in ans.citations[0].quote, ans.answer
    follow = engine.ask("And who replaced him?", history=[("Why did Blunkett resign?", "Home Secretary David Blunkett has resigned [1].")])
    assert not follow.abstained and "Home Secretary Charles Clarke" in follow.citations[0].quote, follow.answer


def test_who_replaced_someone_no_one_replaced_is_declined(tmp_path, settings):
    # "Who replaced Charles Kennedy?" over the BBC set (he led the Lib Dems throughout) quoted "Mike
    # German, leader of the Liberal Democrats in the assembly", then sentences about Kennedy himself.
    engine = engine_over(tmp_path / "corpus", settings, [
        {"title": "Kennedy attacks Tory plans",
         "text": "Liberal Democrat leader Charles Kennedy has attacked Tory tax plans. Lib Dem leader Charles "
                 "Kennedy said the plans would not add up. Mike German, leader of the Liberal Democrats in the "
                 "assembly, said Wales would lose out."},
    ])
    ans = engine.ask("Who replaced Charles Kennedy?")
    assert ans.abstained, ans.answer
    ans = engine.ask("Who leads the Liberal Democrats?")
    assert not ans.abstained and "Charles Kennedy" in ans.citations[0].quote, ans.answer


def test_who_replaced_someone_is_not_answered_by_a_holder_from_before_them(tmp_path, settings):
    # "Who replaced Michael Howard as Tory leader?" over the BBC set quoted "Tory leader Margaret
    # Thatcher" (1979, in a 2005 story naming "Tory leader Michael Howard"), then "The Tory leader
    # argued..." from a story about Howard himself: neither names anyone who followed him.
    engine = engine_over(tmp_path / "corpus", settings, [
        {"title": "Ex-PM Lord Callaghan dies aged 92",
         "text": "Former prime minister Lord Callaghan has died aged 92. When Britain went to the polls in 1979, "
                 "Tory leader Margaret Thatcher was swept into power. Tory leader Michael Howard paid tribute to "
                 "a man of great decency."},
        {"title": "Howard sets out Tory vision",
         "text": "Michael Howard has set out his vision for the country. The Tory leader argued there was a mass "
                 "of people who felt let down by Tony Blair."},
    ])
    ans = engine.ask("Who replaced Michael Howard as Tory leader?")
    assert ans.abstained, ans.answer
    engine_over(tmp_path / "corpus", settings, [
        {"title": "Cameron takes over",
         "text": "David Cameron has replaced Michael Howard as Tory leader. New Tory leader David Cameron "
                 "promised to change the party."},
    ], engine)
    ans = engine.ask("Who replaced Michael Howard as Tory leader?")
    assert not ans.abstained and "David Cameron" in ans.citations[0].quote, ans.answer


def test_which_club_reads_a_surname_in_a_story_naming_the_player_in_full(tmp_path, settings):
    # "Which club does Didier Drogba play for?" over the BBC set: the one sentence naming his club
    # calls him "Drogba, Chelsea's £24m striker,". A surname alone counts only in a story naming
    # the player in full: "Cole, Chelsea's midfielder," in a story without "Ashley" is Joe Cole.
    assert descriptions("Drogba, Chelsea's £24m striker, is fit.", "Drogba", club=True) == ["Chelsea's £24m striker"]
    assert descriptions("Drogba, Chelsea's £24m striker, is fit.", "Drogba") == []  # "Who is...?" reads no possessive
    engine = engine_over(tmp_path / "corpus", settings, [
        {"title": "Blues striker back in training",
         "text": "Didier Drogba trained with the squad on Monday. Drogba, Chelsea's £24m striker, has missed "
                 "the last three weeks through injury."},
        {"title": "Midfielder signs new deal",
         "text": "Cole, Chelsea's midfielder, has signed a new contract. The deal runs until 2009."},
        {"title": "Gunners defender fined",
         "text": "Arsenal defender Ashley Cole has been fined. He will appeal."},
    ])
    ans = engine.ask("Which club does Didier Drogba play for?")
    assert not ans.abstained and "Chelsea's £24m striker" in ans.citations[0].quote, ans.answer
    ans = engine.ask("Which club does Ashley Cole play for?")
    assert not ans.abstained and "Arsenal defender Ashley Cole" in ans.citations[0].quote, ans.answer
    assert all("Chelsea's midfielder" not in c.quote for c in ans.citations), ans.answer


def test_a_director_general_is_a_role_of_its_own():
    # "Who replaced Greg Dyke as BBC director general?" was no role question ("director general" was
    # read as "director"), and quoted "...the resignation of ... director-general Greg Dyke".
    asked = asked_role("Who is the director general of the CBI?")
    assert roles.holders("CBI director-general Sir Digby Jones told the BBC's Today programme.", asked) == ["Digby Jones"]
    assert roles.holders("Digby Jones, director general of the CBI, warned Mr Brown.", asked) == ["Digby Jones"]
    assert roles.holders("CBI director Bob Smith said so.", asked) == []


@pytest.mark.parametrize(
    ("text", "says"),
    [("Crucial to its survival was the decision to replace chief executive Tim Koogle with Terry Semel in May "
      "2001, thinks Mr Weiner.", True),
     ("Koogle was replaced by Terry Semel in 2001.", True),
     ("Terry Semel, who succeeded Tim Koogle, said so.", True),
     ("Semel took over from Koogle in 2001.", True),
     ("Yahoo chief executive Tim Koogle said he would stay.", False),
     ("Koogle replaced his deputy with Bob Smith.", False),  # Koogle did the replacing
     ("Koogle was replaced by the board.", False)],
)
def test_a_sentence_saying_who_replaced_someone(text, says):
    asked = roles.asked_role("Who replaced Tim Koogle as Yahoo's boss?")
    assert asked is not None and asked.instead_of == "Tim Koogle"
    assert roles.names_replacement(text, asked) is says


def test_who_replaced_someone_is_answered_by_a_sentence_saying_so(tmp_path, settings):
    # "Who replaced Tim Koogle as Yahoo's boss?" over the BBC set was declined: the one sentence saying it
    # ("...replace chief executive Tim Koogle with Terry Semel") names no "boss", and its story names
    # Koogle in the role, which the holder rule reads as a story from before him.
    engine = engine_over(tmp_path / "corpus", settings, [
        {"title": "Yahoo celebrates a decade online",
         "text": "Yahoo is ten years old. When the dot-com bubble burst, it lost one-third of its revenue. Crucial "
                 "to its survival was the decision to replace chief executive Tim Koogle with Terry Semel in May "
                 "2001, thinks Mr Weiner. His business savvy has proved a winning combination, he says."},
    ])
    ans = engine.ask("Who replaced Tim Koogle as Yahoo's boss?")
    assert not ans.abstained and "Terry Semel" in ans.citations[0].quote, ans.answer
