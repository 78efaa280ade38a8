"""Train the answer-sentence ranker (retrieval/answering/ranker.json) on a named split, and report.

    python benchmarks/train_ranker.py --even-out results/ranker-even.json   # ranker.json + the even-half model
    python benchmarks/train_ranker.py --data-dir /tmp/nb --no-write --cache /tmp/nb/features.pkl

The split: a question is "even" when sha1(id) is even, "odd" otherwise. The shipped model is
fitted on `bbc_news_questions_dev` (questions the way readers ask; `--fit all`, or only its even
half with `--fit even`) plus the even half of SQuAD2-500 and HotpotQA-100 with weight 0.1 each
(measured: without them the BBC-style weights lose up to 18 points of top-3 on HotpotQA, with
more weight BBC loses; their odd halves, and MultiHop-RAG's, stay a no-regression check). The
abstention threshold is the largest that answers >= 92% of the fitted answerables of every fitted
set (one threshold must serve a corpus of news and one of short passages); the citation ratio is
the best for the BBC questions within 2.5 citations per answer. The figures printed are held out:
each BBC half answered by a model fitted on the other half, a repeated two-fold cross-validation
(which is what chose the features), the public sets' odd halves, and `benchmarks/data/
reader_questions.jsonl` (154 questions by another writer over other BBC articles: a check that
what was learned from one writer holds for another). `--train-questions FILE` fits on such a file
too (measured with that set: no gain on either set held out; see the README's Quality section).

The sets are read from ../shared/datasets (the BBC corpus is `bbc_news_2225/`). Indexes are
built once under `<data_dir>/eval/` and shared with `newsbot eval`.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import math
import pickle
import re
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from retrieval.answering import rerank  # noqa: E402
from retrieval.answering.condense import condense_question  # noqa: E402
from retrieval.answering.search import Searcher  # noqa: E402
from retrieval.evaluation.datasets import load_dataset  # noqa: E402
from retrieval.evaluation.gold import GoldResolver  # noqa: E402
from retrieval.evaluation.runner import open_corpus_index, open_files_index  # noqa: E402
from retrieval.settings import Settings  # noqa: E402

PUBLIC_WEIGHT = 0.1
# Public sets fitted on (even halves). MultiHop-RAG is only reported: fitting on it too made its
# long multi-part queries answerable (answered 63% -> 94%) but cost the BBC questions 8 points of
# cited gold and 16 of abstention, and readers' questions come first.
FIT_PUBLIC = ("squad", "hotpotqa")
C = 0.3  # inverse L2 strength (measured 0.1-1.0: within a point)
ANSWER_FLOOR = 0.92  # share of TRAIN answerables the abstention threshold must still answer
MAX_MEAN_CITES = 2.5
CHOICE_FOLDS = 5  # folds of the out-of-fold scores the threshold and citation ratio are chosen on
# A second set of reader questions, by another writer over other BBC articles (benchmarks/data/README.md):
# reported as a check across writers; fitted on only when named with --train-questions (measured: no gain).
READER_QUESTIONS = REPO / "benchmarks" / "data" / "reader_questions.jsonl"


def in_train(qid: str) -> bool:
    return int(hashlib.sha1(qid.encode()).hexdigest(), 16) % 2 == 0


def records(searcher: Searcher, questions, gold_rows) -> list[dict]:
    """Candidate rows, their features and gold labels, through the same code `ask` uses."""
    out = []
    for q in questions:
        # As the chain asks: a follow-up is rewritten to stand alone, and stays judged by its own words.
        standalone = (condense_question(q.question, q.history) or q.question) if q.history else q.question
        found = searcher.answer_candidates(standalone, history=q.history, asked=q.question)
        if found is None:
            continue
        lex, rows, feats = found
        gold = gold_rows(q)
        out.append(
            {
                "id": q.id,
                "kind": q.kind or ("single" if q.answerable else "unanswerable"),
                "answerable": q.answerable,
                "train": in_train(q.id),
                "rows": rows,
                "arts": lex.article_of(rows),
                "feats": feats,
                "y": np.isin(rows, list(gold)),
            }
        )
    return out


def bbc_records(settings: Settings, datasets: Path, questions: Path | None = None) -> list[dict]:
    """Records of reader questions over the BBC corpus (the dev set by default; any file in its format)."""
    corpus = datasets / "bbc_news_2225"
    path = questions or datasets / "bbc_news_questions_dev" / "questions.jsonl"
    ds = load_dataset("jsonl", path)
    index, s = open_files_index([corpus], settings, show=True)
    searcher = Searcher(index, s)
    lex = searcher.lexical()
    by_path: dict[str, int] = {}
    for a in lex.articles:
        for key in re.findall(r"[^\[\]\",]+\.txt", a.key):
            by_path[str(Path(key).resolve().relative_to(corpus.resolve()))] = lex.article_pos[a.id]
    raw = {json.loads(line)["id"]: json.loads(line) for line in path.open(encoding="utf-8") if line.strip()}

    def gold_rows(q) -> set[int]:
        found = set()
        for ev in raw[q.id].get("evidence", []):
            a = by_path.get(ev["doc"])
            if a is None:
                continue
            lo, hi = lex.article_span(a)
            want = " ".join(ev["text"].split())
            for r, raw_text in zip(range(lo, hi), lex.texts(lo, hi)):
                text = " ".join(raw_text.split())
                if want in text or (text in want and len(text) >= len(want) / 2):
                    found.add(r)
        return found

    recs = records(searcher, ds.questions, gold_rows)
    for r in recs:
        r["kind"] = raw[r["id"]]["kind"]
        r["needs_context"] = bool(raw[r["id"]].get("needs_context"))
        r["set"] = "bbc"
    return recs


def public_records(settings: Settings, datasets: Path, name: str, folder: str, distractors: str = "") -> list[dict]:
    ds = load_dataset(name, datasets / folder, datasets / distractors if distractors else None)
    index, s = open_corpus_index(ds, settings, show=True)
    searcher = Searcher(index, s)
    lex = searcher.lexical()
    resolver = GoldResolver(index)

    def gold_rows(q) -> set[int]:
        found = set()
        for unit in resolver.resolve(q).units:
            for sentence in resolver.sentences(unit.article_id):
                if unit.in_sentence(sentence) and lex.row_of(sentence.id) is not None:
                    found.add(lex.row_of(sentence.id))
        return found

    recs = [r for r in records(searcher, ds.questions, gold_rows) if not r["answerable"] or r["y"].any()]
    for r in recs:
        r["set"] = name
    return recs


def fit(recs: list[dict], features: tuple[str, ...] = rerank.FEATURES) -> rerank.RankerModel:
    answerable = [r for r in recs if r["answerable"] and r["y"].any()]
    weight = lambda r: 1.0 if r["set"] == "bbc" else PUBLIC_WEIGHT  # noqa: E731
    cols = [rerank.FEATURES.index(f) for f in features]
    xa, ya, wa, xs, ys, ws = [], [], [], [], [], []
    for r in answerable:
        feats = r["feats"][:, cols]
        ua, inputs = rerank.article_inputs(feats, r["arts"])
        gold_arts = set(r["arts"][r["y"]].tolist())
        xa.append(inputs)
        ya.append(np.isin(ua, list(gold_arts)))
        wa.append(np.full(len(ua), weight(r)))
        m = np.isin(r["arts"], list(gold_arts))  # within the right story: which sentence answers
        xs.append(rerank.sentence_inputs(feats, r["arts"])[m])
        ys.append(r["y"][m])
        ws.append(np.full(int(m.sum()), weight(r)))

    def logistic(x, y, w) -> rerank.Logistic:
        x, y, w = np.vstack(x), np.concatenate(y), np.concatenate(w)
        mean, std = x.mean(0), x.std(0)
        scale = np.where(std > 1e-6, std, 1.0)  # a constant input (e.g. an article's best minus itself) stays 0
        m = LogisticRegression(C=C, max_iter=5000).fit((x - mean) / scale, y, sample_weight=w)
        return rerank.Logistic(mean, scale, m.coef_[0], float(m.intercept_[0]))

    return rerank.RankerModel(logistic(xa, ya, wa), logistic(xs, ys, ws), 0.0, 1.0, meta={}, features=features)


Scores = Callable[[dict], np.ndarray]  # a question's record -> its candidates' probabilities


def scores_of(model: rerank.RankerModel) -> Scores:
    return lambda r: model.predict(r["feats"], r["arts"])


def answers(model: rerank.RankerModel | Scores, recs: list[dict], threshold: float, ratio: float) -> list[tuple[dict, list[int]]]:
    score = scores_of(model) if isinstance(model, rerank.RankerModel) else model
    out = []
    for r in recs:
        p = score(r)
        order = np.argsort(-p, kind="stable")
        if not len(order) or p[order[0]] < threshold:
            out.append((r, []))
            continue
        best = p[order[0]]
        cited = [int(order[0])] + [int(i) for i in order[1 : rerank.MAX_CITED] if p[i] >= ratio * best]
        out.append((r, cited))
    return out


def figures(results: list[tuple[dict, list[int]]]) -> dict[str, float]:
    ans = [(r, c) for r, c in results if r["answerable"]]
    una = [(r, c) for r, c in results if not r["answerable"]]

    def share(xs, fn) -> float:
        return sum(1 for x in xs if fn(x)) / len(xs) if xs else float("nan")

    gold = lambda x: bool(x[1]) and bool(x[0]["y"][x[1]].any())  # noqa: E731
    answered = [x for x in ans if x[1]]
    return {
        "cited_gold": share(ans, gold),
        "singles": share([x for x in ans if x[0]["kind"] == "single"], gold),
        "followups": share([x for x in ans if x[0]["kind"] == "followup"], gold),
        "first_gold": share(ans, lambda x: bool(x[1]) and bool(x[0]["y"][x[1][0]])),
        "answered": share(ans, lambda x: bool(x[1])),
        "abstained": share(una, lambda x: not x[1]),
        "cites": sum(len(c) for _, c in answered) / len(answered) if answered else float("nan"),
    }


def choose(score: Scores, train_bbc: list[dict], train_public: list[dict] = ()) -> tuple[float, float]:
    """Threshold: the largest that answers ANSWER_FLOOR of the fitted answerables of EVERY set (a
    corpus of short passages or multi-part questions scores lower than BBC news; one threshold must
    serve them all). Ratio: the best cited-gold on the BBC questions within the citation budget.
    `score` gives each question's probabilities from a model that never saw it (see `trained`)."""
    thresholds = []
    for name in sorted({r["set"] for r in [*train_bbc, *train_public]}):
        group = [r for r in [*train_bbc, *train_public] if r["set"] == name and r["answerable"] and len(r["rows"])]
        best = sorted(float(score(r).max()) for r in group)
        if best:
            # The (1 - floor) share of questions below it, counted exactly: 100 * (1 - 0.92) is 7.99... in
            # floating point, and int() took the 8th lowest score where the floor allows the 9th.
            thresholds.append(best[math.floor(round(len(best) * (1 - ANSWER_FLOOR), 6))])
    threshold = min(thresholds) if thresholds else 0.0
    choice, best_cited = 1.0, -1.0
    for ratio in (0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0):
        f = figures(answers(score, train_bbc, threshold, ratio))
        if f["cites"] <= MAX_MEAN_CITES and f["cited_gold"] > best_cited:
            choice, best_cited = ratio, f["cited_gold"]
    return threshold, choice


def cross_validated(
    recs: list[dict], public: list[dict], features: tuple[str, ...] = rerank.FEATURES, reps: int = 10
) -> dict[str, float]:
    """Top-1 / top-3 gold over repeated random halves of the dev answerables (the feature choice)."""
    dev = [r for r in recs if r["answerable"] and r["y"].any()]
    rng = np.random.default_rng(0)
    top1 = top3 = n = 0
    for _ in range(reps):
        idx = rng.permutation(len(dev))
        half = len(dev) // 2
        for a, b in ((idx[:half], idx[half:]), (idx[half:], idx[:half])):
            model = fit([dev[i] for i in a] + public, features)
            for i in b:
                p = model.predict(dev[i]["feats"], dev[i]["arts"])
                order = np.argsort(-p, kind="stable")[:3]
                top1 += bool(dev[i]["y"][order[0]])
                top3 += bool(dev[i]["y"][order].any())
                n += 1
    return {"top1": top1 / n, "top3": top3 / n}


def out_of_fold(recs: list[dict], features: tuple[str, ...], folds: int = CHOICE_FOLDS) -> Scores:
    """Each question's probabilities from a model fitted on the other folds of `recs`.

    The threshold and citation ratio are chosen on these: a model scores the questions it was
    fitted on higher than new ones, so a threshold chosen on them answers fewer new questions than
    ANSWER_FLOOR (measured: 80-86% of a held-out half answered where 92% was asked).
    """
    fold = {id(r): int(hashlib.sha1(r["id"].encode()).hexdigest(), 16) // 2 % folds for r in recs}
    by_fold = {f: fit([r for r in recs if fold[id(r)] != f], features) for f in range(folds)}
    return lambda r: by_fold[fold[id(r)]].predict(r["feats"], r["arts"])


def trained(bbc_train: list[dict], public_train: list[dict], features: tuple[str, ...] = rerank.FEATURES) -> rerank.RankerModel:
    """Fit on these questions; choose the threshold and citation ratio on their out-of-fold scores."""
    model = fit(bbc_train + public_train, features)
    threshold, ratio = choose(out_of_fold(bbc_train + public_train, features), bbc_train, public_train)
    return dataclasses.replace(model, threshold=threshold, cite_ratio=ratio)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--datasets", type=Path, default=REPO.parent / "shared" / "datasets")
    ap.add_argument("--data-dir", type=Path, default=None, help="where eval indexes live (default: NEWSBOT_DATA_DIR)")
    ap.add_argument("--fit", choices=("all", "even"), default="all",
                    help="BBC dev questions to fit on: all (the shipped model) or the even half (to report the odd one)")
    ap.add_argument("--out", type=Path, default=rerank.MODEL_FILE, help="where to write the model (default: shipped)")
    ap.add_argument("--even-out", type=Path, default=None,
                    help="also write the model fitted on the even half only (to report the odd half with `newsbot eval`)")
    ap.add_argument("--no-write", action="store_true", help="print the figures only")
    ap.add_argument("--cache", type=Path, default=None, help="keep the computed features in this file (reruns skip search)")
    ap.add_argument("--train-questions", type=Path, action="append", default=[],
                    help="reader questions over the BBC corpus to fit on besides the dev set, in its format "
                         f"(repeatable; e.g. {READER_QUESTIONS.relative_to(REPO)})")
    ap.add_argument("--features", default=",".join(rerank.FEATURES),
                    help="comma-separated features the model reads (default: every one rerank.py computes)")
    args = ap.parse_args()
    features = tuple(f.strip() for f in args.features.split(",") if f.strip())
    unknown = [f for f in features if f not in rerank.FEATURES]
    if unknown or not features:
        sys.exit(f"--features: {', '.join(unknown) or 'none given'} not among {', '.join(rerank.FEATURES)}")
    print("$ python benchmarks/train_ranker.py " + " ".join(sys.argv[1:]))
    settings = Settings.load() if args.data_dir is None else Settings.load(data_dir=args.data_dir)
    t0 = time.time()
    train_files = [p.resolve() for p in args.train_questions]
    if missing := [str(p) for p in train_files if not p.is_file()]:
        sys.exit(f"--train-questions: {', '.join(missing)} is not a file; give a JSONL file in the dev set's format")
    check_files = [READER_QUESTIONS] if READER_QUESTIONS.is_file() and READER_QUESTIONS.resolve() not in train_files else []
    cached = pickle.loads(args.cache.read_bytes()) if args.cache and args.cache.is_file() else None
    if cached is not None:
        bbc, public = cached[:2]
        extra_cache = cached[2] if len(cached) > 2 else {}
    else:
        bbc = bbc_records(settings, args.datasets)
        public = public_records(settings, args.datasets, "squad", "squad2_500")
        public += public_records(settings, args.datasets, "hotpotqa", "hotpotqa_hipporag_100")
        public += public_records(settings, args.datasets, "multihop", "multihop_rag_500", "bbc_news_2225")
        extra_cache = {}
    extra, check = [], []
    for path in [*train_files, *check_files]:
        key = str(path.resolve())
        if key not in extra_cache:
            extra_cache[key] = bbc_records(settings, args.datasets, path)
        (extra if path in train_files else check).extend(extra_cache[key])
    if args.cache:
        args.cache.write_bytes(pickle.dumps((bbc, public, extra_cache)))
    print(f"features for {len(bbc)} BBC dev, {len(extra)} BBC training and {len(public)} public questions "
          f"in {time.time() - t0:.0f} s")
    # The public sets are only ever fitted on their even half: their odd half stays a no-regression check.
    public_train = [r for r in public if r["train"] and r["answerable"] and r["set"] in FIT_PUBLIC]
    even, odd = [r for r in bbc if r["train"]], [r for r in bbc if not r["train"]]
    folds, fold_models = {}, {}
    if extra:  # every dev question held out: a model fitted on the training questions alone
        m = fold_models["all dev, fitted on training"] = trained(extra, public_train, features)
        folds["all dev, fitted on training"] = figures(answers(m, bbc, m.threshold, m.cite_ratio))
    # Two folds: each dev half reported by a model that never saw it (thresholds chosen on what it fitted).
    for name, fit_on, report_on in (("odd half, fitted on even", even, odd), ("even half, fitted on odd", odd, even)):
        m = fold_models[name] = trained(extra + fit_on, public_train, features)
        folds[name] = figures(answers(m, report_on, m.threshold, m.cite_ratio))
    cv = cross_validated(bbc, public_train + extra, features)
    model = trained(extra + (bbc if args.fit == "all" else even), public_train, features)
    model = dataclasses.replace(
        model,
        meta={
            "trained": datetime.now(UTC).strftime("%Y-%m-%d"),
            "fitted_on": {
                "bbc_news_questions_dev": "all" if args.fit == "all" else "sha1(id) even",
                **{str(p.relative_to(REPO) if p.resolve().is_relative_to(REPO) else p): "all" for p in train_files},
                "squad2_500+hotpotqa_100": f"sha1(id) even, weight {PUBLIC_WEIGHT}",
            },
            "split": "even = sha1(id) even; odd = sha1(id) odd",
            "held_out_figures": {k: {m: round(v, 3) for m, v in f.items()} for k, f in folds.items()},
            "cross_validated_top": {k: round(v, 3) for k, v in cv.items()},
        },
    )
    print(f"model fitted on {'all' if args.fit == 'all' else 'the even half of the'} BBC dev questions: "
          f"threshold {model.threshold:.3f}, cite ratio {model.cite_ratio}")
    print("held-out dev figures (a model fitted on the other dev half, or none, any --train-questions "
          "and the public even halves):")
    for name, f in folds.items():
        print(f"  {name:26s} " + "  ".join(f"{k} {v:.2f}" for k, v in f.items()))
    print(f"2-fold CV x10 over all dev answerables (any --train-questions always fitted): top-1 {cv['top1']:.3f}, top-3 {cv['top3']:.3f}")
    if check:
        f = figures(answers(model, check, model.threshold, model.cite_ratio))
        print(f"another writer's questions ({READER_QUESTIONS.relative_to(REPO)}, never fitted on), with this model:")
        print(f"  {'reader':10s} " + "  ".join(f"{k} {v:.2f}" for k, v in f.items()))
    print("public sets, odd halves (never fitted on), with this model:")
    for name in sorted({r["set"] for r in public}):
        f = figures(answers(model, [r for r in public if r["set"] == name and not r["train"]], model.threshold, model.cite_ratio))
        print(f"  {name:10s} " + "  ".join(f"{k} {v:.2f}" for k, v in f.items() if k not in ("singles", "followups")))
    if args.even_out and not args.no_write:
        m = fold_models["odd half, fitted on even"]
        m = dataclasses.replace(
            m, meta={**model.meta, "fitted_on": {**model.meta["fitted_on"], "bbc_news_questions_dev": "sha1(id) even"}}
        )
        args.even_out.write_text(json.dumps(m.to_dict(), indent=1) + "\n", encoding="utf-8")
        print(f"wrote {args.even_out} (fitted on the even half: report the odd half with it)")
    if not args.no_write:
        args.out.write_text(json.dumps(model.to_dict(), indent=1) + "\n", encoding="utf-8")
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
