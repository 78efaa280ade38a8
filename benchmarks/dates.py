"""Cost of reading dates in questions (`retrieval.answering.dates.find_window`), per question.

    python benchmarks/dates.py                                  # the shared sets' questions + built-in dated ones
    python benchmarks/dates.py --datasets ../shared/datasets --repeat 20
    python benchmarks/dates.py --data-dir DIR [--collection eval]   # + the whole ask path on an existing index

With `--data-dir`, the same questions (a sample of `--questions`) also go through `Engine.ask`
(dates read, filters planned, then the chain) and through the chain alone, in one process with
the model and index loaded: the difference at the p50 is what reading dates adds to an answer.

Every question of every `ask` goes through `find_window` before retrieval, so its cost adds to
each answer's latency (the budget: under 5 ms at the p50). Prints p50/p95/max in microseconds,
separately for questions without a date expression (the cheap first look rejects most of them)
and with one, and the same figures for `dateparser.search.search_dates` when it is installed, for
comparison (the alternative that was measured and rejected: see the module docstring).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from retrieval.answering.dates import find_window
from retrieval.evaluation.runner import machine_line

DATED = [
    "What did the Treasury say last week?",
    "Anything from Reuters since Monday?",
    "What happened in March 2005?",
    "What happened over the past 3 days?",
    "What did the court decide on 5 May?",
    "What changed between November 2004 and February 2005?",
    "What happened yesterday?",
    "What did the minister say this morning?",
]


def shared_questions(root: Path) -> list[str]:
    out: list[str] = []
    mh = root / "multihop_rag_500" / "queries.json"
    if mh.is_file():
        out += [q["question"] for q in json.loads(mh.read_text(encoding="utf-8"))["queries"]]
    sq = root / "squad2_500" / "queries.json"
    if sq.is_file():
        data = json.loads(sq.read_text(encoding="utf-8"))
        out += [q["question"] for q in (data["queries"] if isinstance(data, dict) else data)]
    hp = root / "hotpotqa_hipporag_100" / "hotpotqa_train.json"
    if hp.is_file():
        out += [q["question"] for q in json.loads(hp.read_text(encoding="utf-8"))]
    bbc = root / "bbc_news_questions_dev" / "questions.jsonl"
    if bbc.is_file():
        out += [json.loads(line)["question"] for line in bbc.read_text(encoding="utf-8").splitlines() if line.strip()]
    return out


def timed(fn, questions: list[str], repeat: int) -> list[float]:
    """Per-question cost in microseconds: the best of `repeat` runs (noise on a shared machine only adds)."""
    out = []
    for q in questions:
        best = float("inf")
        for _ in range(repeat):
            t = time.perf_counter()
            fn(q)
            best = min(best, time.perf_counter() - t)
        out.append(best * 1e6)
    return out


def line(name: str, us: list[float]) -> str:
    if not us:
        return f"{name:<34} (no questions)"
    s = sorted(us)
    p95 = s[min(len(s) - 1, round(0.95 * (len(s) - 1)))]
    return f"{name:<34} n={len(s):>4}  p50 {statistics.median(s):8.1f} us  p95 {p95:8.1f} us  max {s[-1]:8.1f} us"


def ask_path(args, questions: list[str]) -> None:
    """p50/p95 of Engine.ask (dates + filters + chain) vs the chain alone, interleaved, on the same questions."""
    import random

    from retrieval.engine import Engine
    from retrieval.settings import Settings

    engine = Engine.open(Settings(data_dir=args.data_dir, collection=args.collection))
    rng = random.Random(7)
    sample = rng.sample(questions, min(args.questions, len(questions)))
    now = datetime(2024, 1, 1, tzinfo=UTC)
    engine.ask(sample[0], now=now)  # load the model, the lexical index and the catalog once
    full: list[float] = []
    chain: list[float] = []
    for q in sample:
        t = time.perf_counter()
        engine.pipeline.ask(q)
        chain.append((time.perf_counter() - t) * 1e6)
        t = time.perf_counter()
        engine.ask(q, now=now)
        full.append((time.perf_counter() - t) * 1e6)
    print(line("ask path: chain alone", chain).replace(" us", " us"))
    print(line("ask path: Engine.ask (dates+filters)", full))
    diff = statistics.median(full) - statistics.median(chain)
    print(f"p50 difference: {diff / 1000:+.2f} ms (budget: 5 ms); windowed questions are filtered, so their search differs")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", type=Path, default=REPO.parent / "shared" / "datasets")
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--data-dir", type=Path, help="an existing index: also time the whole ask path on it")
    ap.add_argument("--collection", default="news", help="its collection prefix (eval indexes use 'eval')")
    ap.add_argument("--questions", type=int, default=200)
    args = ap.parse_args()
    now = datetime(2024, 1, 1, tzinfo=UTC)
    questions = shared_questions(args.datasets) + DATED
    with_date = [q for q in questions if find_window(q, now=now).window is not None]
    without = [q for q in questions if q not in set(with_date)]
    print("command:", "python benchmarks/dates.py " + " ".join(sys.argv[1:]))
    print("machine:", machine_line())
    ours = lambda q: find_window(q, now=now)  # noqa: E731
    print(line("find_window, no date expression", timed(ours, without, args.repeat)))
    print(line("find_window, with a date expression", timed(ours, with_date, args.repeat)))
    print(line("find_window, all", timed(ours, questions, args.repeat)))
    if args.data_dir:
        ask_path(args, questions)
    try:
        from dateparser.search import search_dates
    except ImportError:
        return
    settings = {"RELATIVE_BASE": now.replace(tzinfo=None), "PREFER_DATES_FROM": "past"}
    search_dates("warm up", languages=["en"], settings=settings)
    theirs = lambda q: search_dates(q, languages=["en"], settings=settings)  # noqa: E731
    sample = questions[:: max(1, len(questions) // 200)]
    print(line("dateparser search_dates (sample)", timed(theirs, sample, 1)))


if __name__ == "__main__":
    main()
