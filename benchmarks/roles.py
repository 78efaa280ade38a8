""""Who holds a role", "Who is X?", "Which club?" and "What is X?" questions over a BBC index: does the first citation answer?

    newsbot --data-dir DIR ingest seeds/ ../shared/datasets/bbc_news_2225/    # once
    python benchmarks/roles.py --data-dir DIR

Each question goes through `Engine.ask`, the path users get. The holders and descriptions are the
ones the BBC set (2004-05) gives; the questions with no expected words are answered by no article, so
they must not be answered from the patterns (`retrieval/answering/roles.py`), and a role or a person
no article names should be declined. Prints, per question,
whether the first citation holds the expected words and the answer's time, then the counts and
the p50.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from retrieval.answering import roles
from retrieval.engine import Engine
from retrieval.evaluation.runner import machine_line
from retrieval.settings import Settings

QUESTIONS = [  # (question, surname of the holder the BBC set names; "" = none does)
    ("Who leads the Liberal Democrats?", "Kennedy"),
    ("Who leads the Conservatives?", "Howard"),
    ("Who is the Tory leader?", "Howard"),
    ("Who manages Chelsea?", "Mourinho"),
    ("Who is the manager of Arsenal?", "Wenger"),
    ("Who is Arsenal's manager?", "Wenger"),
    ("Who coaches the England rugby team?", "Robinson"),
    ("Who founded Microsoft?", "Gates"),
    ("Who runs Microsoft?", "Gates"),
    ("Who manages Manchester United?", "Ferguson"),
    ("Who is the Labour leader?", "Blair"),
    ("Who coaches Wales?", "Ruddock"),
    ("Who manages Liverpool?", "Benitez"),
    ("Who leads UKIP?", "Knapman"),
    ("Who is the boss of Manchester City?", "Keegan"),
    ("Who is the chancellor?", "Brown"),
    ("Who is the prime minister?", "Blair"),
    ("Who is the home secretary?", "Clarke"),
    ("Who is the mayor of London?", "Livingstone"),
    ("Who replaced David Blunkett as home secretary?", "Clarke"),
    ("Who replaced David Blunkett?", "Clarke"),  # the role news gives him, then its holder
    ("Who took over from Iain Duncan Smith as Tory leader?", "Howard"),
    ("Who is the boss of BP?", "Browne"),
    ("Who is the US president?", "Bush"),
    ("Who is the president of France?", "Chirac"),
    ("Who is the president of Russia?", "Putin"),  # "Russian President Vladimir Putin": the adjective by rule
    ("Who is the prime minister of Italy?", "Berlusconi"),
    ("Who is the prime minister of Ireland?", "Ahern"),
    ("Who's in charge of Chelsea?", "Mourinho"),
    ("Who is the PM?", "Blair"),
    ("Who is the chancellor of the exchequer?", "Brown"),
    ("Who is running Microsoft?", "Gates"),
    ("Who is the chief executive of Google?", ""),
    ("Who runs Google?", ""),
    ("Who owns Chelsea?", ""),
    ("Who is the president of China?", ""),  # no story names him; "President Putin ... China's oil firm" does not
    ("Who replaced Charles Kennedy?", ""),  # he led the Lib Dems throughout; "Mike German, leader of the Liberal Democrats in the assembly" is not his successor
]
PEOPLE = [  # (question, words of what the BBC set calls them; "" = no article names them)
    ("Who is Charles Kennedy?", "Liberal Democrat leader"),
    ("Who is Jose Mourinho?", "Chelsea boss"),
    ("Who is Michael Howard?", "leader Michael Howard"),
    ("Who is Kelly Holmes?", "Olympic champion"),
    ("Who is Roger Knapman?", "UKIP leader"),
    ("Who is Liam Fox?", "co-chairman"),
    ("Who is Gordon Brown?", "Chancellor"),
    ("Who is Wayne Rooney?", "striker"),
    ("Who is Malcolm Glazer?", "tycoon"),
    ("Who is Ken Livingstone?", "mayor"),
    ("Who is Andy Robinson?", "coach"),
    ("Who is Steve Ballmer?", ""),
]
THINGS = [  # (question, words of what the BBC set calls it; "" = no sentence says in a pattern)
    ("What is UKIP?", "party UKIP"),
    ("What is Yukos?", "oil"),
    ("What is Google?", "search"),
    ("What is Parmalat?", "food group"),
    ("What is the Gizmondo?", "gaming console"),
    ("What is Crossrail?", ""),
]
CLUBS = [  # (question, the club or side the BBC set names them with)
    ("Which club does Ruud van Nistelrooy play for?", "Manchester United"),
    ("Who does Thierry Henry play for?", "Arsenal"),
    ("Who does Jonny Wilkinson play for?", "England"),
    ("Which club does Didier Drogba play for?", "Chelsea"),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True, help="an index holding the BBC set")
    args = parser.parse_args()
    if not (args.data_dir / "chroma").is_dir():  # Engine.open would build an empty index there
        print(f"--data-dir: {args.data_dir} holds no index; build one first with "
              f"`newsbot --data-dir {args.data_dir} ingest seeds/ ../shared/datasets/bbc_news_2225/`", file=sys.stderr)
        return 2
    print(" ".join(["python", *sys.argv]))
    print(machine_line())
    engine = Engine.open(Settings.load(None, data_dir=args.data_dir))
    engine.ask("How many people did Venezuela release?")  # load the model and the index
    times: list[float] = []
    for title, questions in (("role holders", QUESTIONS), ("who is", PEOPLE), ("which club", CLUBS), ("what is", THINGS)):
        # Crossrail is described in other words: the ranker may answer it; no one's role goes unstated.
        answerable_anyway = questions is THINGS
        right = declined = 0
        for question, expected in questions:
            t = time.perf_counter()
            ans = engine.ask(question)
            times.append((time.perf_counter() - t) * 1000)
            first = ans.citations[0].quote if ans.citations else ""
            if expected:
                ok = expected in first
                right += ok
            else:  # no article answers: the patterns must find nothing (the ranker answers or declines)
                ok = all(h.score != roles.SCORE for h in engine.searcher.answer_hits(question, k=4))
                declined += ans.abstained
            shown = "declined" if ans.abstained else first[:90]
            print(f"{'ok' if ok else '--'}  {times[-1]:5.0f} ms  {question:42s} {shown}")
        unanswered = sum(1 for _, e in questions if not e)
        said = "" if answerable_anyway or not unanswered else f", declined {declined}/{unanswered} that no article answers"
        print(f"{title}: the first citation answers {right}/{len(questions) - unanswered}{said}")
    print(f"p50 {statistics.median(times):.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
