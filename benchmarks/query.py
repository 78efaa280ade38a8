"""Query latency and answer quality, ours (extractive, full ask path) next to the naive LangChain recipe.

    python benchmarks/query.py                      # latency on BBC-2225 + quality on SQuAD2/HotpotQA/MultiHop
    python benchmarks/query.py --no-quality         # latency only
    python benchmarks/query.py --questions 400 --datasets ../shared/datasets --data-dir /tmp/nb

Latency: the 2,225 BBC articles in one index; each question goes through the whole ask path
without an LLM (check -> condense -> hybrid search -> extractive answer -> citation check), in
one process with the model and index already open (as the CLI chat and the Discord bot run).
The naive recipe is RecursiveCharacterTextSplitter(1000, 200) chunks, the same MiniLM
embeddings, Chroma, top-4 chunks (`retrieval/evaluation/naive.py`); its time is retrieval only.
Questions: half are the BBC headlines turned into questions, half are the shared sets' questions
(mostly off-topic for BBC: they exercise the abstention path too).

Quality: the naive recipe's "citations" are its top-1 / top-4 chunks; ours are the sentences the
answer cites. A question counts when a gold sentence is among them (SQuAD: the sentence holding
the answer text). Abstention rates are ours only: the naive recipe always answers.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from calibrate import collect, figures, load_sets

from retrieval.answering.chain import AnswerPipeline
from retrieval.answering.search import Searcher
from retrieval.evaluation.datasets import EvalDataset, load_text_folder
from retrieval.evaluation.gold import GoldResolver
from retrieval.evaluation.runner import machine_line, open_corpus_index, open_naive
from retrieval.settings import Settings

NAIVE_K = 4


def percentile(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))]


def latency_questions(bbc: list, others: list[str], n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    half = n // 2
    heads = [f"What happened: {a.title}?" for a in rng.sample(bbc, min(half, len(bbc)))]
    rest = rng.sample(others, min(n - len(heads), len(others)))
    out = heads + rest
    rng.shuffle(out)
    return out


def latency(args, settings: Settings) -> None:
    bbc_articles = load_text_folder(args.datasets / "bbc_news_2225")
    ds = EvalDataset(name="bbc", questions=[], corpus=bbc_articles)
    t = time.time()
    index, s = open_corpus_index(ds, settings, show=True)
    stats = index.stats()
    print(f"BBC index: {stats['articles']} articles, {stats['sentences']} sentences, "
          f"{stats['chunks']} chunks (ready in {time.time() - t:.0f} s)")
    others = [q.question for name, d in load_sets(args.datasets, ["squad", "hotpot", "multihop"]).items()
              for q in d.questions]
    questions = latency_questions(bbc_articles, others, args.questions)

    searcher = Searcher(index, s)
    pipeline = AnswerPipeline(index, s, searcher=searcher)
    t = time.time()
    pipeline.ask("warm up: open the model and load the lexical index")
    print(f"first question (loads or builds the BM25 index): {1000 * (time.time() - t):.0f} ms")
    ours, abstained = [], 0
    for q in questions:
        t0 = time.perf_counter()
        ans = pipeline.ask(q)
        ours.append(time.perf_counter() - t0)
        abstained += ans.abstained

    print(f"\n## Latency per question, {len(questions)} questions, BBC-2225 ({stats['sentences']} sentences)")
    print("| pipeline | p50 ms | p95 ms | mean ms | max ms |")
    print("|---|---|---|---|---|")
    _latency_row("newsbot ask (extractive, full path)", ours)

    # The BBC set has 98 exact duplicate pairs; newsbot stores them once, the naive store needs unique ids.
    unique = list({a.id: a for a in bbc_articles}.values())
    naive = open_naive(s.data_dir, unique, settings, show=True)
    naive.search("warm up")
    theirs = []
    for q in questions:
        t0 = time.perf_counter()
        naive.search(q, k=NAIVE_K)
        theirs.append(time.perf_counter() - t0)
    _latency_row(f"naive top-{NAIVE_K} chunks (retrieval only)", theirs)
    print(f"(targets for ours: p50 < 100 ms, p95 < 250 ms; {abstained} of {len(questions)} answers abstained)")


def _latency_row(label: str, xs: list[float]) -> None:
    print(f"| {label} | {1000 * percentile(xs, 50):.0f} | {1000 * percentile(xs, 95):.0f} | "
          f"{1000 * statistics.mean(xs):.0f} | {1000 * max(xs):.0f} |", flush=True)


def quality(args, settings: Settings) -> None:
    print("\n## Quality, side by side with the naive recipe")
    print("| set | naive top-1 chunk | naive top-4 chunks | ours: gold among cited | ours: cited per answer "
          "| ours: answered | ours: abstained on unanswerable |")
    print("|---|---|---|---|---|---|---|")
    for name, ds in load_sets(args.datasets, ["hotpot", "squad", "multihop"]).items():
        rows = collect(name, ds, settings, args.limit)
        f = figures(rows)
        index, s = open_corpus_index(ds, settings)
        resolver = GoldResolver(index)
        n1 = n4 = n = 0
        if name != "multihop":  # the naive store over MultiHop + BBC costs minutes and no target uses it
            naive = open_naive(s.data_dir, ds.corpus, settings, show=True)
            for q in ds.questions[: args.limit] if args.limit else ds.questions:
                units = resolver.resolve(q).units
                if not q.answerable or not units:
                    continue
                chunks = naive.search(q.question, k=NAIVE_K)
                n += 1
                n1 += any(u.in_chunk(c.article_id, c.text) for u in units for c in chunks[:1])
                n4 += any(u.in_chunk(c.article_id, c.text) for u in units for c in chunks)
        naive1 = f"{n1 / n:.3f}" if n else "-"
        naive4 = f"{n4 / n:.3f}" if n else "-"
        gold = "-" if f.gold_cited is None else f"{f.gold_cited:.3f}"
        null = "-" if f.abstained_null is None else f"{f.abstained_null:.3f} of {f.n_null}"
        print(f"| {name} ({f.n} answerable) | {naive1} | {naive4} | {gold} | {f.cited:.2f} | {f.answered:.3f} | {null} |")
    print("(a naive chunk is ~1000 characters, about 6 sentences; our citations are single sentences)")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--datasets", type=Path, default=REPO.parent / "shared" / "datasets")
    ap.add_argument("--data-dir", type=Path, default=None, help="where eval indexes are cached (default: newsbot's)")
    ap.add_argument("--questions", type=int, default=200, help="questions timed")
    ap.add_argument("--limit", type=int, default=None, help="questions per quality set (quick runs)")
    ap.add_argument("--quality", action=argparse.BooleanOptionalAction, default=True)
    args = ap.parse_args(argv)
    settings = Settings.load(env_file=None)
    if args.data_dir:
        settings = settings.with_(data_dir=args.data_dir)
    print(f"# {' '.join(['python', *sys.argv])}")
    print(f"# {machine_line()}")
    latency(args, settings)
    if args.quality:
        quality(args, settings)


if __name__ == "__main__":
    main()
